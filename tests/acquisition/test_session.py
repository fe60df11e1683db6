import numpy as np
import pytest

from acquisition.errors import SessionValidationError
from acquisition.session import (
    EmgBlock,
    EmgChannel,
    Gap,
    MotionBlock,
    QualityIssue,
    Segment,
    Session,
    SourceFile,
    Subject,
)
from tests.factories import tiny_session

ZYG_L = EmgChannel("Zyg li", "zygomaticus", "left")


def emg(data=None, sfreq=1000.0, channels=(ZYG_L,)):
    data = np.zeros((len(channels), 100), np.float32) if data is None else data
    return EmgBlock(data, sfreq, channels)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: emg(sfreq=0), "EMG has sampling rate 0 Hz; expected a finite number > 0"),
        (lambda: emg(sfreq=float("nan")), "EMG has sampling rate nan Hz"),
        (lambda: emg(np.zeros((1, 100))), "EMG data has dtype float64; expected float32 volts"),
        (lambda: emg(np.zeros(100, np.float32)), r"EMG data has shape \(100,\); expected \(n_channels, n_samples\)"),
        (lambda: emg(np.zeros((2, 100), np.float32)), "EMG data has 2 rows but 1 channels are described"),
        (lambda: emg(np.zeros((1, 0), np.float32)), "EMG data has 0 samples"),
        (lambda: emg(np.zeros((2, 10), np.float32), channels=(ZYG_L, EmgChannel("x", "zygomaticus", "left"))),
         "EMG channels 'Zyg li' and 'x' are both left zygomaticus"),
        (lambda: EmgChannel("Zyg", "zygo", "left"), "EMG channel 'Zyg' has muscle 'zygo'; expected one of"),
        (lambda: EmgChannel("Zyg", "zygomaticus", "L"), "EMG channel 'Zyg' has side 'L'; expected 'left' or 'right'"),
        (lambda: EmgChannel("Zyg", "zygomaticus", "left", "10-20"), "has placement '10-20'"),
        (lambda: MotionBlock(np.zeros((5, 468, 3), np.float32), 30, "mediapipe478"),
         "motion scheme 'mediapipe478' needs 478 points; data has 468"),
        (lambda: MotionBlock(np.zeros((5, 2, 3), np.float32), 30, "markers:lab", point_names=("a",)),
         "motion scheme 'markers:lab' names 1 points; data has 2"),
        (lambda: MotionBlock(np.zeros((5, 2, 3), np.float32), 30, "vicon"), "motion scheme 'vicon' is not known"),
        (lambda: MotionBlock(np.zeros((5, 2, 2), np.float32), 30, "markers:x", point_names=("a", "b")),
         r"motion data has shape \(5, 2, 2\)"),
        (lambda: MotionBlock(np.zeros((5, 478, 3), np.float32), 30, "mediapipe478", units="px"),
         "motion units 'px' are not supported"),
        (lambda: MotionBlock(np.zeros((5, 478, 3), np.float32), 30, "mediapipe478", confidence=np.full(5, 2.0)),
         r"motion confidence has values outside \[0, 1\]"),
        (lambda: Segment("smile_open", 2.0, 1.0), "segment 'smile_open' ends at 1.0 s, not after its start 2.0 s"),
        (lambda: Gap("eeg", 0, 1), "gap stream 'eeg' is not one of"),
        (lambda: Subject(age=-3), r"subject age is -3; expected a number in \[0, 130\]"),
        (lambda: Subject(affected_side="both"), "subject affected_side is 'both'"),
        (lambda: Subject(sex="x"), "subject sex is 'x'"),
        (lambda: SourceFile("a.xdf", "abc"), "source 'a.xdf' sha256 'abc' is not 64 lowercase hex digits"),
        (lambda: QualityIssue("x", "fatal", "m"), "quality issue 'x' has severity 'fatal'"),
        (lambda: Session(), "session has neither EMG nor motion"),
        (lambda: Session(emg=emg(), segments=(Segment("rest", 5.0, 6.0),)),
         r"segment 'rest' \(repetition 1\) at 5.000-6.000 s lies outside the recording 0.000-0.100 s"),
    ],
)
def test_construction_errors_name_field_and_value(make, message):
    with pytest.raises(SessionValidationError, match=message):
        make()


def test_arrays_are_read_only_and_session_immutable():
    s = tiny_session()
    with pytest.raises(ValueError):
        s.emg.data[0, 0] = 1.0
    with pytest.raises(AttributeError):
        s.emg = None  # type: ignore[misc]


def test_crop_returns_new_session_with_views_and_clipped_segments():
    s = tiny_session()
    c = s.crop(1.0, 1.8)
    assert s.duration == pytest.approx(2.0)
    assert c.emg.n_samples == 800 and c.emg.t0 == pytest.approx(1.0)
    assert np.shares_memory(c.emg.data, s.emg.data)
    assert c.motion.n_frames == 24 and c.motion.t0 == pytest.approx(1.0)
    assert [(g.start, g.end) for g in c.segments] == [(1.0, 1.5)]
    assert c.markers == ()
    assert "cropped to 1-1.8 s" in c.provenance.notes
    assert s.segments[0].start == 0.5  # original untouched


def test_select_channels_and_modalities():
    s = tiny_session()
    left = s.select(sides=["left"])
    assert [c.name for c in left.emg.channels] == ["Zyg li"]
    np.testing.assert_array_equal(left.emg.data[0], s.emg.data[0])
    motion_only = s.select(modalities=["motion"])
    assert motion_only.modalities == ("motion",)
    with pytest.raises(SessionValidationError, match="select modalities"):
        s.select(modalities=["eeg"])


def test_resample_emg_preserves_a_sine_and_records_it():
    t = np.arange(4000) / 2000.0
    sine = (1e-4 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    s = Session(emg=emg(sine[None, :], sfreq=2000.0))
    r = s.resample(emg_sfreq=1000.0)
    assert r.emg.sfreq == 1000.0 and r.emg.n_samples == 2000
    expected = 1e-4 * np.sin(2 * np.pi * 50 * np.arange(2000) / 1000.0)
    np.testing.assert_allclose(r.emg.data[0, 100:-100], expected[100:-100], atol=2e-6)
    assert any("2000 -> 1000 Hz" in n for n in r.provenance.notes)


def test_resample_motion_never_fills_gaps():
    data = np.zeros((10, 478, 3), np.float32)
    data[:, :, 0] = np.arange(10)[:, None]
    data[5] = np.nan
    s = Session(motion=MotionBlock(data, 10.0, "mediapipe478"))
    r = s.resample(motion_sfreq=20.0)
    x = r.motion.data[:, 0, 0]
    assert r.motion.n_frames == 20
    assert x[2] == pytest.approx(1.0) and x[3] == pytest.approx(1.5)
    assert np.isnan(x[9]) and np.isnan(x[10]) and np.isnan(x[11])  # around lost frame 5
    assert not np.isnan(x[8]) and not np.isnan(x[12])
