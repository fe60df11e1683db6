import struct

import ezc3d
import numpy as np
import pytest

from acquisition.errors import SessionFileError
from acquisition.mapping import parse_mapping
from acquisition.readers import describe_any
from acquisition.readers.c3d import read_c3d

from .contract import REAL, check_reader

C3D = REAL / "markers_analogs.c3d"
#: The 16 Delsys Trigno EMG channels of the real file are shoulder muscles; this test mapping
#: assigns them to facial muscles purely to exercise the mechanism.
TRIGNO_LABELS = ["Delt_ant.EMG1", "Delt_med.EMG2", "Delt_post.EMG3", "Biceps.EMG4", "Triceps.EMG5", "Trap_sup.EMG6",
                 "Trap_inf.EMG7", "Gd_dent.EMG8", "Supra.EMG9", "Infra.EMG10", "Subscap.EMG11", "Sensor 12.EMG12",
                 "Sensor 13.EMG13", "Sensor 14.EMG14", "Sensor 15.EMG15", "Sensor 16.EMG16"]
FACIAL = ["Zyg li", "Zyg re", "OrbOc li", "OrbOc re", "lat Front li", "lat Front re", "med Front li", "med Front re",
          "Corr li", "Corr re", "Llsup li", "Llsup re", "OrbOr li", "OrbOr re", "DAO li", "DAO re"]
SHOULDER_AS_FACE = parse_mapping(
    {"format": "fpcds-mapping/1", "emg": {"channels": dict(zip(TRIGNO_LABELS, FACIAL))},
     "motion": {"points": {"Daphnee:STER": "chin", "Daphnee:CLAV_SC": "commissure_left"}}},
    source="test-shoulder-as-face",
)


def test_body_markers_import_without_facial_points(tmp_path):
    s = check_reader(read_c3d, C3D, tmp_path, fmt="C3D")
    m = s.motion
    assert m.n_points == 51 and m.sfreq == 100 and m.units == "mm" and m.n_frames == 580
    assert m.scheme == "markers:Boite_8mark+EpauleDroiteStatique" and m.facial_points == ()
    assert int(np.isnan(m.data).sum()) == 915, "the 305 points with a negative residual are NaN"
    (issue,) = [q for q in s.quality if q.code == "motion.not_facial"]
    assert "facial motion measures will not be available" in issue.message
    assert s.emg is None and len(s.provenance.unmapped_channels) == 38, "every analog channel is kept as unmapped"
    assert s.provenance.devices == ("C3D written by Vicon Vicon Nexus 2.4.0.91647h",)


def test_sixteen_emg_channels_mapped_by_a_test_mapping():
    s = read_c3d(C3D, mapping=SHOULDER_AS_FACE)
    assert s.emg.sfreq == 2000 and s.emg.n_samples == 11600 and len(s.emg.channels) == 16
    raw = ezc3d.c3d(str(C3D))
    labels = raw["parameters"]["ANALOG"]["LABELS"]["value"]
    row = labels.index("Trap_sup.EMG6")
    got = s.emg.data[[c.name for c in s.emg.channels].index("Trap_sup.EMG6")]
    np.testing.assert_array_equal(got, raw["data"]["analogs"][0, row].astype(np.float32))
    assert len(s.provenance.unmapped_channels) == 22 and "Voltage.1" in s.provenance.unmapped_channels
    flat = sorted(q.channel for q in s.quality if q.code == "emg.flat" and q.severity == "error")
    assert flat == [f"Sensor {k}.EMG{k}" for k in range(12, 17)]
    assert "Delsys Trigno EMG 2.0" in s.provenance.devices
    assert s.motion.facial_points == ("chin", "commissure_left") and "chin" in s.motion.point_names
    assert any("'Daphnee:STER' mapped to landmark 'chin'" in n for n in s.provenance.notes)


def test_raw_listing_shows_points_analogs_and_units():
    listing = describe_any(C3D)
    kinds = {s.kind: s for s in listing.streams}
    assert len(kinds["points"].channels) == 51 and kinds["analogs"].units[0] == "V"
    assert "Sensor 12.EMG12" in kinds["analogs"].channels and kinds["analogs"].sfreq == 2000


def test_events_become_segments(tmp_path):
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [50.0]
    c["parameters"]["POINT"]["LABELS"]["value"] = ["commissure_left", "commissure_right"]
    c["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    pts = np.ones((4, 2, 100))
    pts[0, 0], pts[0, 1] = 30.0, -30.0
    c["data"]["points"] = pts
    c.add_parameter("EVENT", "USED", [3])
    c.add_parameter("EVENT", "LABELS", ["pucker/start", "pucker/end", "Foot Strike"])
    c.add_parameter("EVENT", "TIMES", np.array([[0, 0, 0], [0.4, 1.2, 1.5]]))
    c.add_parameter("EVENT", "CONTEXTS", ["General", "General", "Left"])
    path = tmp_path / "e.c3d"
    c.write(str(path))
    s = read_c3d(path)
    assert [(x.task, x.start, x.end) for x in s.segments] == [("pucker", pytest.approx(0.4), pytest.approx(1.2))]
    assert [m.label for m in s.markers] == ["pucker/start", "pucker/end", "Foot Strike"]
    assert s.motion.facial_points == ("commissure_left", "commissure_right")
    assert any("contexts" in n for n in s.provenance.notes)


def _with_word(raw: bytes, offset: int, value: int) -> bytes:
    return raw[:offset] + struct.pack("<H", value) + raw[offset + 2:]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: raw[: len(raw) // 2], "file is truncated: the header declares 580 frames of 3856 bytes from byte 14336 \\(2250816 bytes in all\\)"),
        (lambda raw: raw[:300], "shorter than the 512-byte C3D header"),
        (lambda raw: bytes([1]) + raw[1:], "points to parameter block 1; expected a block from 2 to 4396"),
        (lambda raw: raw[:515] + b"\x00" + raw[516:], "processor type 0"),
        (lambda raw: _with_word(raw, 8, 0), "frames 1-0; expected last >= first"),
        (lambda raw: b"\x00\x00" + raw[2:], "is not a C3D file"),
    ],
)
def test_damaged_c3d_gets_one_clear_error(tmp_path, damage, message):
    bad = tmp_path / "bad.c3d"
    bad.write_bytes(damage(C3D.read_bytes()))
    with pytest.raises(SessionFileError, match=message) as info:
        read_c3d(bad)
    assert info.value.path == str(bad)


def test_a_crashing_parser_is_contained(tmp_path, monkeypatch):
    import acquisition.readers.c3d as c3d_reader

    bad = tmp_path / "crash.c3d"
    bad.write_bytes(C3D.read_bytes())
    monkeypatch.setattr(c3d_reader.sys, "executable", str(tmp_path / "python-that-crashes"))
    (tmp_path / "python-that-crashes").write_text("#!/bin/sh\nkill -SEGV $$\n")
    (tmp_path / "python-that-crashes").chmod(0o755)
    with pytest.raises(SessionFileError, match="the C3D parser failed with signal 11"):
        read_c3d(bad)


def test_a_stalling_parser_times_out(tmp_path, monkeypatch):
    import acquisition.readers.c3d as c3d_reader

    monkeypatch.setattr(c3d_reader, "PARSE_TIMEOUT_S", 0.5)
    (tmp_path / "python-that-stalls").write_text("#!/bin/sh\nexec sleep 30\n")
    (tmp_path / "python-that-stalls").chmod(0o755)
    monkeypatch.setattr(c3d_reader.sys, "executable", str(tmp_path / "python-that-stalls"))
    with pytest.raises(SessionFileError, match="C3D parsing did not finish within 1 s"):
        read_c3d(C3D)
