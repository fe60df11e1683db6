"""Session -> writer -> reader round trips, and the writers' limits."""

import os
import warnings

import ezc3d
import numpy as np
import pyedflib
import pytest
import pyxdf

from acquisition.errors import QualityWarning
from acquisition.readers import read_any
from acquisition.session import EmgBlock, EmgChannel, Gap, Marker, MotionBlock, Segment, Session, Subject
from acquisition.writers import WriterError, write_any, write_c3d, write_csv, write_edf, write_xdf
from tests.factories import tiny_session

LANDMARKS5 = ("commissure_left", "commissure_right", "upper_lip_mid", "lower_lip_mid", "nose_tip")


def rich_session(*, emg_sfreq=1000.0, fps=50.0, seconds=2.0, motion=True, confidence=True) -> Session:
    """EMG with a dropout, a landmark-named marker set with a lost frame run, consistent markers and segments."""
    rng = np.random.default_rng(11)
    n = int(seconds * emg_sfreq)
    data = (rng.standard_normal((4, n)) * 3e-5).astype(np.float32)
    data[:, int(0.5 * emg_sfreq) : int(0.6 * emg_sfreq)] = np.nan
    labels = (("Zyg li", "zygomaticus", "left"), ("Zyg re", "zygomaticus", "right"),
              ("OrbOc li", "orbicularis_oculi", "left"), ("OrbOc re", "orbicularis_oculi", "right"))
    emg = EmgBlock(data, emg_sfreq, tuple(EmgChannel(*x) for x in labels))
    gaps = [Gap("emg", 0.5, 0.6, "electrode off")]
    block = None
    if motion:
        nf = int(seconds * fps)
        base = np.array([[30, -40, 0], [-30, -40, 0], [0, -30, 5], [0, -50, 5], [0, 0, 20]], dtype=np.float32)
        frames = (base[None] + rng.normal(0, 0.3, (nf, 5, 3))).astype(np.float32)
        frames[10:13] = np.nan
        conf = np.clip(rng.uniform(0.5, 1.0, nf), 0, 1).astype(np.float32) if confidence else None
        block = MotionBlock(frames, fps, "markers:face5", "mm", LANDMARKS5, 0.0, conf, LANDMARKS5)
        gaps.append(Gap("motion", 10 / fps, 13 / fps, "face lost"))
    segments = (Segment("smile_open", 0.8, 1.2, 1), Segment("smile_open", 1.4, 1.8, 2))
    markers = tuple(Marker(t, f"smile_open/{edge}|rep={rep}") for rep, (a, b) in ((1, (0.8, 1.2)), (2, (1.4, 1.8)))
                    for edge, t in (("start", a), ("end", b))) + (Marker(0.3, "sync"),)
    return Session(emg=emg, motion=block, segments=segments, markers=markers, gaps=tuple(gaps),
                   subject=Subject(age=52, sex="female", days_since_onset=12, affected_side="right",
                                   fdi_physical=70, fdi_social=80),
                   recorded_at="2024-05-06T07:08:09")


def assert_round_trip(a: Session, b: Session, *, emg_atol=0.0, emg_rtol=0.0, time_atol=1e-9, subject=True, motion=True,
                      confidence=True, recorded_at=True):
    assert b.emg is not None
    assert [(c.name, c.muscle, c.side, c.placement) for c in a.emg.channels] == \
        [(c.name, c.muscle, c.side, c.placement) for c in b.emg.channels]
    assert b.emg.sfreq == a.emg.sfreq and b.emg.t0 == pytest.approx(a.emg.t0, abs=time_atol)
    np.testing.assert_allclose(np.asarray(b.emg.data), np.asarray(a.emg.data), atol=emg_atol, rtol=emg_rtol)
    if motion and a.motion is not None:
        m, n = a.motion, b.motion
        assert (n.scheme, n.units, n.point_names, n.facial_points, n.sfreq) == \
            (m.scheme, m.units, m.point_names, m.facial_points, m.sfreq)
        np.testing.assert_array_equal(np.asarray(n.data), np.asarray(m.data))
        if confidence:
            np.testing.assert_array_equal(n.confidence, m.confidence)
    assert [(s.task, s.repetition) for s in b.segments] == [(s.task, s.repetition) for s in a.segments]
    for x, y in zip(a.segments, b.segments):
        assert (y.start, y.end) == pytest.approx((x.start, x.end), abs=time_atol)
    assert [m.label for m in b.markers] == [m.label for m in a.markers]
    assert [m.time for m in b.markers] == pytest.approx([m.time for m in a.markers], abs=time_atol)
    kept = [g for g in a.gaps if motion or g.stream == "emg"]
    assert [(g.stream, g.start, g.end) for g in b.gaps] == [
        (g.stream, pytest.approx(g.start, abs=time_atol), pytest.approx(g.end, abs=time_atol)) for g in kept]
    if subject:
        assert b.subject == a.subject
    if recorded_at:
        assert b.recorded_at == a.recorded_at
    assert b.protocol == a.protocol


def test_xdf_round_trip_is_lossless_and_pyxdf_reads_it(tmp_path):
    s = rich_session()
    path = tmp_path / "s.xdf"
    write_xdf(s, path)
    assert_round_trip(s, read_any(path))
    streams, header = pyxdf.load_xdf(str(path))
    assert sorted((x["info"]["type"][0], int(x["info"]["channel_count"][0])) for x in streams) == [
        ("EMG", 4), ("Markers", 1), ("Mocap", 16)]
    assert header["info"]["fpcds"][0]["subject"][0]["age"] == ["52.0"]
    write_xdf(s, tmp_path / "again.xdf")
    assert (tmp_path / "again.xdf").read_bytes() == path.read_bytes(), "deterministic output"


def test_xdf_round_trip_of_a_face_mesh(tmp_path):
    s = tiny_session()
    write_xdf(s, tmp_path / "t.xdf")
    back = read_any(tmp_path / "t.xdf")
    assert back.motion.scheme == "mediapipe478"
    np.testing.assert_array_equal(back.motion.data, s.motion.data)
    np.testing.assert_array_equal(back.emg.data, s.emg.data)
    assert [(x.task, x.start, x.end) for x in back.segments] == [("smile_open", pytest.approx(0.5), pytest.approx(1.5))]


def test_csv_round_trip_is_lossless(tmp_path):
    s = rich_session()
    written = write_csv(s, tmp_path / "s.csv")
    assert [p.name for p in written] == ["s.csv", "s.motion.csv", "s.events.csv"]
    assert_round_trip(s, read_any(tmp_path / "s.csv"), time_atol=1e-9)
    assert_round_trip(s, read_any(tmp_path / "s.events.csv"), time_atol=1e-9)


@pytest.mark.parametrize("bdf", [False, True])
def test_edf_round_trip_within_resolution(tmp_path, bdf):
    s = rich_session()
    path = tmp_path / ("s.bdf" if bdf else "s.edf")
    write_edf(s, path, bdf=bdf, drop_motion=True)
    back = read_any(path)
    peak_uv = np.nanmax(np.abs(s.emg.data)) * 1e6
    step = 200.0 / (8388607 if bdf else 32767) * 1e-6  # the 1-2-5 range covering the peak is 200 uV
    assert 100 < peak_uv <= 200
    # half a digital step, plus float32 rounding of the value read back
    assert_round_trip(s, back, emg_atol=step / 2, emg_rtol=2.0**-23, time_atol=1e-4, subject=False, motion=False)
    assert back.subject.sex == "female" and back.recorded_at == "2024-05-06T07:08:09"
    with pyedflib.EdfReader(str(path)) as r:
        assert r.getPhysicalDimension(0) == "uV" and r.getLabel(0) == "Zyg li"


def test_edf_pads_the_last_record_and_marks_the_end(tmp_path):
    s = rich_session(seconds=2.5, motion=False)
    write_edf(s, tmp_path / "p.edf")
    with pyedflib.EdfReader(str(tmp_path / "p.edf")) as r:
        assert r.getNSamples()[0] == 3000
    back = read_any(tmp_path / "p.edf")
    assert back.emg.n_samples == 2500 and "recording/end" not in [m.label for m in back.markers]
    assert any("padding" in n for n in back.provenance.notes)


def test_c3d_round_trip(tmp_path):
    s = rich_session()
    with pytest.warns(QualityWarning, match="no place for per-frame motion confidence"):
        write_c3d(s, tmp_path / "s.c3d")
    back = read_any(tmp_path / "s.c3d")
    assert_round_trip(s, back, time_atol=1e-5, subject=False, confidence=False, recorded_at=False)
    raw = ezc3d.c3d(str(tmp_path / "s.c3d"))
    assert raw["parameters"]["ANALOG"]["RATE"]["value"][0] == 1000 and raw["data"]["points"].shape == (4, 5, 100)


def test_c3d_emg_only_and_face_mesh(tmp_path):
    emg_only = rich_session(motion=False)
    write_c3d(emg_only, tmp_path / "e.c3d")
    assert_round_trip(emg_only, read_any(tmp_path / "e.c3d"), time_atol=1e-5, subject=False, recorded_at=False)
    mesh = tiny_session(n_frames=100, fps=50.0)
    write_c3d(mesh, tmp_path / "m.c3d")
    back = read_any(tmp_path / "m.c3d")
    assert back.motion.scheme == "mediapipe478"
    np.testing.assert_array_equal(back.motion.data, mesh.motion.data)


def test_write_any_by_suffix(tmp_path):
    s = rich_session(motion=False)
    for name in ("a.fpcds", "a.xdf", "a.edf", "a.bdf", "a.c3d", "a.csv"):
        write_any(s, tmp_path / name)
        assert read_any(tmp_path / name).emg.n_samples == 2000
    with pytest.raises(WriterError, match="cannot write '.mat' files; known: .bdf, .c3d, .csv, .edf, .fpcds, .xdf"):
        write_any(s, tmp_path / "a.mat")


def test_edf_limits(tmp_path):
    s = rich_session()
    with pytest.raises(WriterError, match="EDF cannot hold the session's motion \\(5 points"):
        write_edf(s, tmp_path / "x.edf")
    with pytest.raises(WriterError, match="EDF holds EMG and the session has none"):
        write_edf(s.select(modalities=["motion"]), tmp_path / "x.edf")
    long = Session(emg=EmgBlock(np.zeros((1, 100), np.float32), 100.0,
                                (EmgChannel("a label longer than sixteen", "zygomaticus", "left"),)))
    with pytest.raises(WriterError, match="labels are at most 16 characters"):
        write_edf(long, tmp_path / "x.edf")
    chatty = Session(emg=s.emg, markers=(Marker(0.1, "x" * 41),))
    with pytest.raises(WriterError, match="at most 40 bytes; marker 'x{41}' is longer"):
        write_edf(chatty, tmp_path / "x.edf")
    early = Session(emg=s.emg, markers=(Marker(-1.0, "before"), Marker(0.1, "inside")))
    with pytest.warns(QualityWarning, match="1 marker\\(s\\) lie outside the EMG recording"):
        write_edf(early, tmp_path / "x.edf")
    assert [m.label for m in read_any(tmp_path / "x.edf").markers] == ["inside"]
    assert sorted(os.listdir(tmp_path)) == ["x.edf"], "no partial files left behind"


def test_c3d_limits(tmp_path):
    thirty = rich_session(fps=30.0)
    with pytest.raises(WriterError, match="EMG 1000 Hz / motion 30 Hz = 33.33"):
        write_c3d(thirty, tmp_path / "x.c3d")
    s = rich_session(confidence=False)
    short = Session(emg=s.emg, motion=s.motion.__class__(s.motion.data[:90], 50.0, "markers:face5", "mm", LANDMARKS5))
    with pytest.raises(WriterError, match="start together and last the same frames"):
        write_c3d(short, tmp_path / "x.c3d")
    many = Session(emg=s.emg, markers=tuple(Marker(i / 200, f"m{i}") for i in range(300)))
    with pytest.raises(WriterError, match="at most 255 events here; the session has 300"):
        write_c3d(many, tmp_path / "x.c3d")
    assert os.listdir(tmp_path) == []


def test_csv_needs_a_csv_name(tmp_path):
    with pytest.raises(WriterError, match="must end in .csv"):
        write_csv(rich_session(), tmp_path / "s.txt")


def test_segments_without_markers_get_boundary_markers(tmp_path):
    s = tiny_session()  # one segment, and only its start marker
    write_xdf(s, tmp_path / "t.xdf")
    back = read_any(tmp_path / "t.xdf")
    assert [m.label for m in back.markers] == ["smile_open/start", "smile_open/start|rep=1", "smile_open/end|rep=1"]
    assert len(back.segments) == 1 and not [q for q in back.quality if q.code.startswith("segments.")]


def test_simulated_session_round_trips(tmp_path):
    simulate = pytest.importorskip("acquisition.simulate")
    options = simulate.SimulationOptions(repetitions=1, hold_s=1.0, rest_s=0.5, motion_sfreq=50.0)
    s = simulate.simulate_session(simulate.cohort_patient(3, 0), seed=5, options=options)
    for name in ("sim.xdf", "sim.csv", "sim.c3d"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QualityWarning)
            write_any(s, tmp_path / name)
        back = read_any(tmp_path / name, mapping="simulator")
        assert_round_trip(s, back, time_atol=1e-5, subject=name != "sim.c3d", recorded_at=False, confidence=False)
    write_edf(s, tmp_path / "sim.edf", drop_motion=True)
    back = read_any(tmp_path / "sim.edf", mapping="simulator")
    step = float(np.max(np.abs(back.emg.data - s.emg.data)))
    assert step < 1e-7 and [x.task for x in back.segments] == [x.task for x in s.segments]
