import io
import struct

import numpy as np
import pytest
import pyxdf

from acquisition.errors import MappingError, SessionFileError
from acquisition.mapping import parse_mapping
from acquisition.readers import describe_any, read_any
from acquisition.readers.xdf import read_xdf
from acquisition.writers.xdf import _chunk, _header_xml

from .contract import REAL, check_reader

EEG_AS_EMG = parse_mapping(
    {
        "format": "fpcds-mapping/1",
        "emg": {"stream": {"type": "EEG"}, "units": "uV", "channels": {"ch1": "Zyg li", "ch2": "Zyg re"}},
        "markers": {"stream": {"type": ["Markers", "StringMarker"]}},
    },
    source="test-eeg",
)
BIOSEMI = parse_mapping(
    {
        "format": "fpcds-mapping/1",
        "emg": {"stream": {"name": "BioSemi"}, "units": "uV", "channels": {f"ch{i + 1}": lbl for i, lbl in
                enumerate(["Zyg li", "Zyg re", "OrbOc li", "OrbOc re"])}},
    },
    source="test-biosemi",
)


def test_minimal_xdf_contract_values_markers_and_clock(tmp_path):
    s = check_reader(read_xdf, REAL / "minimal.xdf", tmp_path, fmt="XDF", mapping=EEG_AS_EMG)
    raw, _ = pyxdf.load_xdf(str(REAL / "minimal.xdf"))
    eeg = next(x for x in raw if x["info"]["type"] == ["EEG"])
    np.testing.assert_allclose(s.emg.data, eeg["time_series"][:, :2].T * 1e-6, rtol=1e-6)
    assert s.emg.sfreq == 10 and s.emg.t0 == 0.0
    assert [c.name for c in s.emg.channels] == ["ch1", "ch2"]
    assert s.provenance.unmapped_channels == ("SendDataC:ch3",)
    assert [m.label for m in s.markers][1:3] == ["Hello", "World"]
    assert s.markers[1].time == pytest.approx(0.2, abs=1e-9)
    offsets = dict(s.provenance.clock_offsets)
    # session time = raw LSL time + offset; the first EEG sample was stamped 5.1 s by its device
    assert offsets["emg"] == pytest.approx(-5.1, abs=1e-9)
    assert not s.segments


def test_clock_resets_are_handled_and_the_break_is_a_gap(tmp_path):
    s = check_reader(read_xdf, REAL / "clock_resets.xdf", tmp_path, fmt="XDF", mapping=BIOSEMI)
    assert len(s.markers) == 175 and s.emg.sfreq == 100
    assert np.all(np.diff([m.time for m in s.markers]) >= 0)
    assert s.duration < 600, "the clock reset is undone, not a jump of 650000 s"
    gap = [g for g in s.gaps if g.stream == "emg"]
    assert len(gap) == 1 and gap[0].end - gap[0].start == pytest.approx(283.2, abs=0.1)
    a, b = int(round(gap[0].start * 100)), int(round(gap[0].end * 100))
    assert np.isnan(s.emg.data[:, a:b]).all() and not np.isnan(s.emg.data[:, :a]).any()
    assert any("ClockOffset" in n for n in s.provenance.notes)
    assert {q.code for q in s.quality} >= {"emg.missing", "emg.low_rate"}
    assert dict(s.provenance.clock_offsets)["emg"] == pytest.approx(-653150.379117, abs=1e-3)
    plain = read_xdf(REAL / "clock_resets.xdf", mapping=BIOSEMI, dejitter=False)
    assert "as recorded" in plain.provenance.notes[-1] and plain.emg.n_samples > 27000


def test_empty_streams(tmp_path):
    path = REAL / "empty_streams.xdf"
    with pytest.raises(MappingError, match="nothing to import: no EMG channel is mapped"):
        read_xdf(path)
    empty = parse_mapping({"format": "fpcds-mapping/1", "emg": {
        "stream": {"name": "Empty data stream: test stream 0 counter"}, "units": "V", "channels": {"ch:00": "Zyg li"}}},
        source="t")
    with pytest.raises(SessionFileError, match="stream 'Empty data stream: test stream 0 counter' has no samples"):
        read_xdf(path, mapping=empty)
    counter = parse_mapping({"format": "fpcds-mapping/1", "emg": {
        "stream": {"name": "Data stream: test stream 0 counter"}, "units": "V", "channels": {"ch:00": "Zyg li"}}},
        source="t")
    s = check_reader(read_xdf, path, tmp_path, fmt="XDF", mapping=counter)
    np.testing.assert_array_equal(s.emg.data[0], np.arange(10, dtype=np.float32))
    assert any("'ctrl'" in u for u in s.provenance.unmapped_channels)


def test_raw_listing_names_streams_and_channels():
    listing = describe_any(REAL / "empty_streams.xdf")
    names = [s.name for s in listing.streams]
    assert "ctrl" in names and listing.format == "XDF"
    assert listing.streams[0].channels == ("ch:00",)
    assert "ctrl" in listing.format_text() and listing.to_dict()["streams"][0]["n_samples"] == 0


def test_two_matching_streams_are_ambiguous():
    both = parse_mapping({"format": "fpcds-mapping/1", "emg": {"stream": {"type": "data"}, "units": "V"}}, source="t")
    with pytest.raises(MappingError, match="3 streams match the EMG selector \\(type 'data'\\)"):
        read_xdf(REAL / "empty_streams.xdf", mapping=both)


def test_irregular_stream_cannot_be_emg():
    m = parse_mapping({"format": "fpcds-mapping/1", "emg": {"stream": {"name": "MyMarkerStream"}}}, source="t")
    with pytest.raises(MappingError, match="is irregular \\(nominal_srate 0\\)"):
        read_xdf(REAL / "clock_resets.xdf", mapping=m)


def test_unit_must_be_known():
    m = parse_mapping({"format": "fpcds-mapping/1", "emg": {"stream": {"type": "EEG"}, "channels": {"ch1": "Zyg li"}}},
                      source="t")
    with pytest.raises(MappingError, match="EMG channel 'ch1' states no unit; set emg.units"):
        read_xdf(REAL / "minimal.xdf", mapping=m)


# ---------------------------------------------------------------- crafted files
def _xdf(streams, *, header=b'<?xml version="1.0"?><info><version>1.0</version></info>'):
    """An XDF file from (id, header_xml, [(timestamps, values)], clock_offsets) tuples."""
    fh = io.BytesIO()
    fh.write(b"XDF:")
    _chunk(fh, 1, header)
    for sid, xml, chunks in streams:
        _chunk(fh, 2, xml, sid)
        for stamps, values in chunks:
            body = bytearray()
            n = len(stamps)
            body += b"\x01" + bytes([n]) if n < 256 else b"\x04" + struct.pack("<I", n)
            for t, v in zip(stamps, values):
                body += b"\x08" + struct.pack("<d", t)
                body += v if isinstance(v, bytes) else np.asarray(v, dtype="<f4").tobytes()
            _chunk(fh, 3, bytes(body), sid)
        _chunk(fh, 4, struct.pack("<dd", 0.0, 0.0), sid)
    return fh.getvalue()


def _chunk_bytes(tag, content, sid=None):
    fh = io.BytesIO()
    _chunk(fh, tag, content, sid)
    return fh.getvalue()


def _emg_header(n_ch=2, srate=1000.0, labels=("Zyg li", "Zyg re"), unit="uV"):
    desc = "<channels>" + "".join(f"<channel><label>{l}</label><unit>{unit}</unit></channel>" for l in labels) + "</channels>"
    return _header_xml("amp", "EMG", n_ch, srate, "float32", desc)


def test_timestamp_break_becomes_nan_and_gap(tmp_path):
    t = np.concatenate([np.arange(500) / 1000, 1.0 + np.arange(500) / 1000])
    v = np.ones((1000, 2)) * 10.0
    path = tmp_path / "break.xdf"
    path.write_bytes(_xdf([(1, _emg_header(), [(t[:500], v[:500]), (t[500:], v[500:])])]))
    s = read_xdf(path)
    assert s.emg.n_samples == 1500
    assert np.isnan(s.emg.data[:, 500:1000]).all() and np.allclose(s.emg.data[:, 1000:], 10e-6)
    (gap,) = s.gaps
    assert (gap.start, gap.end) == pytest.approx((0.5, 1.0)) and "break" in gap.reason


def test_motion_stream_with_marker_channels_and_confidence(tmp_path):
    chans = "".join(
        f"<channel><label>{p}_{a}</label><marker>{p}</marker><type>Position{a}</type><unit>mm</unit></channel>"
        for p in ("commissure_left", "LMOU") for a in "XYZ"
    ) + "<channel><label>confidence</label><type>Confidence</type></channel>"
    xml = _header_xml("face", "Mocap", 7, 30.0, "float32", f"<channels>{chans}</channels>")
    frames = [np.array([30, -40, 0, -30, -40, 0, 0.9]) for _ in range(30)]
    path = tmp_path / "m.xdf"
    path.write_bytes(_xdf([(2, xml, [(np.arange(30) / 30, frames)])]))
    m = parse_mapping({"format": "fpcds-mapping/1", "motion": {"points": {"LMOU": "commissure_right"}}}, source="t")
    s = read_xdf(path, mapping=m)
    assert s.motion.scheme == "markers:face" and s.motion.point_names == ("commissure_left", "commissure_right")
    assert s.motion.facial_points == ("commissure_left", "commissure_right")
    assert s.motion.confidence[0] == pytest.approx(0.9)
    assert any("'LMOU' mapped to landmark 'commissure_right'" in n for n in s.provenance.notes)
    no_face = read_xdf(path)
    assert not no_face.motion.is_facial or no_face.motion.facial_points == ("commissure_left",)


def test_motion_channels_without_descriptions_are_xyz_triplets(tmp_path):
    xml = _header_xml("landmarks", "FaceLandmarks", 6, 30.0, "float32", "")
    path = tmp_path / "raw.xdf"
    path.write_bytes(_xdf([(2, xml, [(np.arange(30) / 30, [np.arange(6.0)] * 30)])]))
    m = parse_mapping({"format": "fpcds-mapping/1", "motion": {"units": "mm"}}, source="t")
    s = read_xdf(path, mapping=m)
    assert s.motion.point_names == ("0", "1") and s.motion.scheme == "markers:landmarks"
    np.testing.assert_array_equal(s.motion.data[0], [[0, 1, 2], [3, 4, 5]])
    assert [q.code for q in s.quality if q.stream == "motion"] == ["motion.not_facial"]
    with pytest.raises(MappingError, match="motion states no unit; set motion.units"):
        read_xdf(path)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda raw: raw[:-7], "file is truncated or corrupt: the chunk at byte"),
        (lambda raw: raw[:4] + b"\x03" + raw[5:], "length field of 3 bytes"),
        (lambda raw: b"XDF:" + _chunk_bytes(2, _emg_header(), 1), "the first XDF chunk is not a FileHeader"),
        (lambda raw: raw.replace(b"float32", b"float99"), "has channel_format 'float99'"),
        (lambda raw: raw.replace(b"<channel_count>2<", b"<channel_count>3<"), "corrupt XDF Samples chunk at byte"),
        (lambda raw: raw.replace(b"<channel_count>2<", b"<channel_count>9<"), "100 samples cannot fill 1700 bytes"),
        (lambda raw: b"0       " + raw[8:], "is not a XDF file \\(its content looks like EDF\\)"),
    ],
)
def test_corrupt_xdf_gets_one_clear_error(tmp_path, mutate, message):
    t = np.arange(100) / 1000
    raw = _xdf([(1, _emg_header(), [(t, np.zeros((100, 2)))])])
    path = tmp_path / "bad.xdf"
    path.write_bytes(mutate(raw))
    with pytest.raises(SessionFileError, match=message) as info:
        read_xdf(path)
    assert info.value.path == str(path)


def test_oversized_file_is_refused(tmp_path):
    with pytest.raises(SessionFileError, match="XDF files are read into memory and the limit is"):
        read_xdf(REAL / "clock_resets.xdf", mapping=BIOSEMI, max_bytes=1000)


def test_read_any_dispatches_xdf():
    assert read_any(REAL / "minimal.xdf", mapping=EEG_AS_EMG).emg.sfreq == 10
