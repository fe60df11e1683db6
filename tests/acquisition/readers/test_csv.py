import numpy as np
import pytest

from acquisition.errors import MappingError, SessionFileError
from acquisition.readers import describe_any, read_any
from acquisition.readers.csvfile import read_csv

from .contract import check_reader


def _emg_rows(n=400, sfreq=1000.0, t0=0.0):
    rng = np.random.default_rng(3)
    values = rng.normal(0, 20, (n, 2))
    return [f"{t0 + i / sfreq!r},{a:.6f},{b:.6f}" for i, (a, b) in enumerate(values)], values


def test_a_foreign_export_with_units_in_the_header(tmp_path):
    rows, values = _emg_rows()
    path = tmp_path / "export.csv"
    path.write_text("time,Zyg li [uV],Zyg re [uV]\n" + "\n".join(rows) + "\n")
    s = check_reader(read_csv, path, tmp_path, fmt="CSV", truncation_is_error=False)
    assert s.emg.sfreq == pytest.approx(1000.0) and s.emg.n_samples == 400
    np.testing.assert_allclose(s.emg.data.T, values * 1e-6, rtol=1e-6, atol=1e-12)
    assert [c.side for c in s.emg.channels] == ["left", "right"]


def test_companions_comments_motion_events_and_gaps(tmp_path):
    rows, _ = _emg_rows(n=200, t0=10.0)
    del rows[50:60]  # ten missing rows: a gap
    (tmp_path / "rec.csv").write_text(
        "# sfreq: 1000\n# subject.age: 61\n# subject.sex: male\n# units: uV\ntime;x\n".replace(";x", ",Zyg li,Zyg re")
        + "\n".join(rows) + "\n"
    )
    frames = ["time,commissure_left_x [mm],commissure_left_y [mm],commissure_left_z [mm],LMOU.x [mm],LMOU.y [mm],LMOU.z [mm],confidence"]
    for i in range(20):
        cells = ["30", "-40", "0", "-30", "-40", "0"] if i != 5 else ["", "", "", "", "", ""]
        frames.append(",".join([repr(10.0 + i / 100)] + cells + ["0.9"]))
    (tmp_path / "rec.motion.csv").write_text("\n".join(frames) + "\n")
    (tmp_path / "rec.events.csv").write_text("time,label,duration\n10.02,smile_open,0.1\n10.15,sync,\n")
    s = read_any(tmp_path / "rec.motion.csv")
    assert s.emg.t0 == 10.0 and s.emg.n_samples == 200 and np.isnan(s.emg.data[:, 50:60]).all()
    assert s.subject.age == 61 and s.subject.sex == "male"
    assert s.motion.sfreq == pytest.approx(100) and s.motion.point_names == ("commissure_left", "LMOU")
    assert s.motion.facial_points == ("commissure_left",) and s.motion.confidence[0] == pytest.approx(0.9)
    assert [(g.stream, round(g.start, 3), round(g.end, 3)) for g in s.gaps] == [("emg", 10.05, 10.06), ("motion", 10.05, 10.06)]
    assert [(x.task, x.start, x.end) for x in s.segments] == [("smile_open", 10.02, pytest.approx(10.12))]
    assert any("companion file rec.csv" in n for n in s.provenance.notes)
    listing = describe_any(tmp_path / "rec.csv")
    assert sorted(x.kind for x in listing.streams) == ["emg", "events", "motion"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("seconds,Zyg li\n0,1\n", "line 1: the first column is 'seconds'; expected 'time'"),
        ("time,Zyg li [uV]\n0,1\n0.001,abc\n", "line 3: 'Zyg li' value 'abc' is not a number"),
        ("time,Zyg li [uV]\n0,1\n0.001,2,3\n", "line 3: has 3 fields; the header has 2"),
        ("time,Zyg li [uV]\n0,1\n0.001,2\n0.0017,2\n0.003,2\n", "time 0.0017 s is 0.30 samples off the regular 1000 Hz grid"),
        ("time,Zyg li [uV]\n0,1\n0.001,2\n0.001,3\n", "data row 3: time 0.001 does not increase"),
        ("time,Zyg li [uV]\n", "has a header but no rows"),
        ("# stream: video\ntime,Zyg li\n0,1\n", "'# stream: video' is not one of"),
        ("time,Zyg li [uV],Zyg li [uV]\n0,1,2\n", "duplicate columns \\['Zyg li'\\]"),
        ("time,a_x,a_y\n0,1,2\n0.1,1,2\n", "nothing to import"),
        ("# stream: motion\ntime,a_x [mm],a_y [mm]\n0,1,2\n0.1,1,2\n", "motion points \\['a'\\] lack an x, y or z column"),
        ("time\n0\n", "header 'time' has fewer than 2 columns"),
        ("# sfreq: 1000\ntime,Zyg li [uV]\n0,1\n0.001,2\n5000,3\n", "more than 3600 s of missing rows"),
    ],
)
def test_bad_csv_gets_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises((SessionFileError, MappingError), match=message) as info:
        read_csv(path)
    assert str(path) in str(info.value)


def test_unit_is_required_and_non_utf8_refused(tmp_path):
    path = tmp_path / "nounit.csv"
    path.write_text("time,Zyg li\n0,1\n0.001,2\n")
    with pytest.raises(MappingError, match="EMG channel 'Zyg li' states no unit; set emg.units"):
        read_csv(path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("time,Zyg li [µV]\n0,1\n".encode("latin-1"))
    with pytest.raises(SessionFileError, match="is not UTF-8 text"):
        read_csv(latin)


def test_two_files_of_one_kind_are_ambiguous(tmp_path):
    rows, _ = _emg_rows(n=10)
    body = "time,Zyg li [uV],Zyg re [uV]\n" + "\n".join(rows) + "\n"
    (tmp_path / "x.csv").write_text(body)
    (tmp_path / "x.emg.csv").write_text(body)
    with pytest.raises(SessionFileError, match="has two emg files: x.csv and x.emg.csv"):
        read_csv(tmp_path / "x.csv")
