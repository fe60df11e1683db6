import json
import warnings

import numpy as np
import pyedflib
import pytest

from acquisition.errors import MappingError, SessionFileError
from acquisition.mapping import parse_mapping
from acquisition.readers import describe_any
from acquisition.readers.edf import read_edf

from .contract import PYEDFLIB_DATA, check_reader

GENERATOR = parse_mapping(
    {"format": "fpcds-mapping/1", "emg": {"channels": {"squarewave": "Zyg li", "noise": "Zyg re", "sine 50 Hz": "OrbOc li"}}},
    source="test-generator",
)
BDF = parse_mapping(
    {"format": "fpcds-mapping/1", "emg": {"channels": {"sine 5Hz": "Zyg li", "square 13Hz": "Zyg re", "ramp 7Hz": "DAO li"}}},
    source="test-bdf",
)
FP1 = parse_mapping({"format": "fpcds-mapping/1", "emg": {"channels": {"Fp1": "Ment li"}}}, source="test-fp1")


def test_edf_plus_units_annotations_and_no_patient_identity(tmp_path):
    path = PYEDFLIB_DATA / "test_generator.edf"
    s = check_reader(read_edf, path, tmp_path, fmt="EDF", mapping=GENERATOR)
    with pyedflib.EdfReader(str(path)) as r:
        noise = r.readSignal(3)
        assert r.getPhysicalDimension(3) == "uV"
    np.testing.assert_allclose(s.emg.data[1], noise * 1e-6, rtol=1e-6, atol=1e-12)
    assert s.emg.sfreq == 200 and s.emg.n_samples == 120000
    assert [c.muscle for c in s.emg.channels] == ["zygomaticus", "zygomaticus", "orbicularis_oculi"]
    assert s.recorded_at == "2011-04-04T12:57:02" and s.subject.sex == "male"
    assert [m.label for m in s.markers] == ["Recording starts", "Recording ends"]
    assert "ramp" in s.provenance.unmapped_channels
    text = json.dumps(s.metadata())
    for identity in ("Hans", "Muller", "abcxyz99", "1969"):
        assert identity not in text
    codes = {(q.code, q.channel) for q in s.quality}
    assert ("emg.powerline", "sine 50 Hz") in codes and ("emg.flat", "squarewave") in codes


def test_bdf_rates_are_never_changed_silently(tmp_path):
    path = PYEDFLIB_DATA / "test_generator.bdf"
    with pytest.raises(MappingError, match="different rates \\('sine 5Hz' 1000 Hz, 'square 13Hz' 800 Hz, 'ramp 7Hz' 500 Hz\\)"):
        read_edf(path, mapping=BDF)
    s = check_reader(read_edf, path, tmp_path, fmt="BDF", mapping=BDF, emg_sfreq=1000.0)
    assert s.emg.sfreq == 1000 and s.emg.n_samples == 30000
    assert any("resampled to 1000 Hz (polyphase): square 13Hz 800 Hz, ramp 7Hz 500 Hz" in n for n in s.provenance.notes)
    with pyedflib.EdfReader(str(path)) as r:
        np.testing.assert_allclose(s.emg.data[0], r.readSignal(0) * 1e-6, rtol=1e-5, atol=1e-12)


def test_half_second_records_and_subsecond_start(tmp_path):
    m = parse_mapping({"format": "fpcds-mapping/1", "emg": {"channels": {"ramp 14Hz": "Zyg li"}}}, source="t")
    s = check_reader(read_edf, PYEDFLIB_DATA / "test_generator_datarec_generator_0_5.bdf", tmp_path, fmt="BDF", mapping=m)
    assert s.emg.sfreq == 1000 and s.emg.n_samples == 30000
    sub = read_edf(PYEDFLIB_DATA / "test_subsecond.edf", mapping=FP1)
    assert sub.recorded_at == "2020-01-24T04:05:56.039453" and sub.subject.sex == "female"
    assert [round(m.time, 4) for m in sub.markers] == [1.9512, 3.4922, 290.502, 583.5723]


def test_utf8_annotations_and_legacy_edf(tmp_path):
    s = read_edf(PYEDFLIB_DATA / "test_utf8.edf", mapping=FP1)
    assert "中文测试八个字" in [m.label for m in s.markers]
    legacy = check_reader(read_edf, PYEDFLIB_DATA / "test_legacy.edf", tmp_path, fmt="EDF", mapping=GENERATOR)
    assert "EDF Annotations" in legacy.provenance.unmapped_channels and not legacy.markers


def test_raw_listing():
    listing = describe_any(PYEDFLIB_DATA / "test_generator.edf")
    assert listing.streams[0].name == "squarewave" and listing.streams[0].units == ("uV",)
    assert listing.streams[-1].kind == "markers" and "Recording starts" in listing.streams[-1].channels


def _write_edf(path, annotations=(), *, dimension="uV", n_records=4, label="Zyg li"):
    """A real EDF+ written by pyedflib itself (not by our writer)."""
    w = pyedflib.EdfWriter(str(path), 2, pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([
        {"label": lbl, "dimension": dimension, "sample_frequency": 1000, "physical_max": 1000.0, "physical_min": -1000.0,
         "digital_max": 32767, "digital_min": -32768, "transducer": "", "prefilter": ""}
        for lbl in (label, "Zyg re")
    ])
    rng = np.random.default_rng(0)
    for _ in range(n_records):
        w.writeSamples([rng.normal(0, 20, 1000), rng.normal(0, 20, 1000)])
    for onset, duration, text in annotations:
        w.writeAnnotation(onset, duration, text)
    w.close()


def test_annotations_become_segments_and_gaps(tmp_path):
    path = tmp_path / "a.edf"
    _write_edf(path, n_records=8, annotations=[(0.5, 1.0, "smile_open"), (1.7, -1, "brow_raise/start"), (2.9, -1, "brow_raise/end"),
                      (3.0, 0.5, "gap/emg: electrode off"), (3.2, -1, "sync")])
    s = read_edf(path)
    assert [(x.task, x.start, x.end, x.repetition) for x in s.segments] == [
        ("smile_open", 0.5, 1.5, 1), ("brow_raise", 1.7, 2.9, 1)]
    assert np.isnan(s.emg.data[:, 3000:3500]).all() and not np.isnan(s.emg.data[:, :3000]).any()
    assert [(g.stream, g.start, g.end, g.reason) for g in s.gaps] == [("emg", 3.0, 3.5, "electrode off")]
    assert "gap/emg: electrode off" not in [m.label for m in s.markers] and "sync" in [m.label for m in s.markers]


def test_non_voltage_dimension_and_override(tmp_path):
    path = tmp_path / "p.edf"
    _write_edf(path, dimension="mmHg")
    with pytest.raises(MappingError, match="EMG channel 'Zyg li' has unit 'mmHg', which is not a voltage"):
        read_edf(path)
    forced = parse_mapping({"format": "fpcds-mapping/1", "emg": {"units": "uV", "override_units": True}}, source="t")
    s = read_edf(path, mapping=forced)
    assert any(q.code == "emg.unit_override" and "'mmHg'" in q.message for q in s.quality)


def test_long_recordings_are_memory_mapped(tmp_path):
    path = tmp_path / "m.edf"
    _write_edf(path)
    in_memory = read_edf(path)
    mapped = read_edf(path, memmap_bytes=0)
    base = mapped.emg.data
    while base.base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)
    np.testing.assert_array_equal(mapped.emg.data, in_memory.emg.data)


def _patch(raw: bytes, offset: int, text: str) -> bytes:
    return raw[:offset] + text.encode() + raw[offset + len(text):]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: raw[:-100], "file is truncated: the header declares 4 data records of 4114 bytes \\(17480 bytes in all\\) but the file has 17380"),
        (lambda raw: raw[:200], "shorter than the 256-byte EDF header"),
        (lambda raw: _patch(raw, 236, "-1      "), "record count -1: the recording was not closed properly"),
        (lambda raw: _patch(raw, 252, "0   "), "declares 0 signals"),
        (lambda raw: _patch(raw, 184, "999     "), "declares 999 header bytes"),
        (lambda raw: b"\xffBIOSEMI" + raw[8:], "file is truncated: the header declares 4 data records of 6171 bytes"),
        (lambda raw: b"XDF:" + raw[4:], "is not a EDF or BDF file"),
    ],
)
def test_damaged_edf_gets_one_clear_error(tmp_path, damage, message):
    good = tmp_path / "good.edf"
    _write_edf(good)
    bad = tmp_path / "bad.edf"
    bad.write_bytes(damage(good.read_bytes()))
    with pytest.raises(SessionFileError, match=message) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            read_edf(bad)
    assert info.value.path == str(bad)


def test_trailing_bytes_are_ignored_with_a_note(tmp_path):
    path = tmp_path / "t.edf"
    _write_edf(path)
    path.write_bytes(path.read_bytes() + b"\0" * 10)
    s = read_edf(path)
    assert s.emg.n_samples == 4000 and any("10 bytes after the last declared data record" in n for n in s.provenance.notes)
