import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from acquisition.face_mesh import neutral_face
from acquisition.quality import (
    check_quality,
    clipping,
    electrode_pops,
    emg_missing,
    emg_statistics,
    emg_units,
    flat_lines,
    frame_drops,
    missing_points,
    motion_not_facial,
    motion_units,
    powerline,
)
from acquisition.session import EmgBlock, EmgChannel, MotionBlock, Session

SFREQ = 2000.0


def emg_like(seconds=10.0, *, rms_v=5e-6, seed=0, burst=None):
    """Band-passed (20-450 Hz) noise: surface-EMG-like, with an optional 40x burst (start, end) in s."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SFREQ)
    sos = butter(4, [20, 450], "bandpass", fs=SFREQ, output="sos")
    x = sosfiltfilt(sos, rng.standard_normal(n))
    x *= rms_v / x.std()
    if burst:
        a, b = (int(t * SFREQ) for t in burst)
        x[a:b] *= 40
    return x


def block(*rows, sfreq=SFREQ):
    names = ["Zyg li", "Zyg re", "OrbOc li", "OrbOc re"][: len(rows)]
    muscles = [("zygomaticus", "left"), ("zygomaticus", "right"), ("orbicularis_oculi", "left"), ("orbicularis_oculi", "right")]
    return EmgBlock(np.array(rows, dtype=np.float32), sfreq, tuple(EmgChannel(n, *m) for n, m in zip(names, muscles)))


def codes(issues):
    return [(q.code, q.severity, q.channel) for q in issues]


def test_clean_emg_with_contractions_raises_nothing():
    s = Session(emg=block(emg_like(burst=(3, 5)), emg_like(seed=1, burst=(6, 6.5))))
    assert check_quality(s) == ()


def test_flat_lines():
    x = emg_like()
    part = x.copy()
    part[4000:10000] = 0.0  # 3 s flat
    stats = emg_statistics(block(np.zeros_like(x), part, x))
    found = flat_lines(stats)
    assert codes(found) == [("emg.flat", "error", "Zyg li"), ("emg.flat", "warning", "Zyg re")]
    assert "for 100% of 10.0 s" in found[0].message and "flat for 3.0 s (30.0% of the recording)" in found[1].message
    assert not emg_units(stats), "a flat channel is not also reported as having a wrong unit"


def test_clipping():
    x = emg_like(rms_v=4e-4)
    clipped = np.clip(x, -5e-4, 5e-4)
    found = clipping(emg_statistics(block(clipped, x)))
    assert codes(found) == [("emg.clipping", "error", "Zyg li")]
    assert "samples at 0.5 mV" in found[0].message and "samples at -0.5 mV" in found[0].message


def test_powerline():
    t = np.arange(int(10 * SFREQ)) / SFREQ
    x = emg_like()
    hum = x + 5e-6 * np.sin(2 * np.pi * 60 * t)
    found = powerline(emg_statistics(block(hum, x)))
    assert codes(found) == [("emg.powerline", "warning", "Zyg li")]
    assert "60 Hz mains interference of 3.5" in found[0].message
    assert powerline(emg_statistics(block(hum, x)), mains_hz=50.0) == []


def test_electrode_pops_but_not_contractions():
    x = emg_like(burst=(2, 2.4))
    pop = x.copy()
    a = int(6 * SFREQ)
    pop[a:] += 4e-4 * np.exp(-np.arange(pop.size - a) / (0.2 * SFREQ))
    found = electrode_pops(emg_statistics(block(pop, x)))
    assert codes(found) == [("emg.pop", "warning", "Zyg li")]
    assert "1 electrode pop(s)" in found[0].message and "at 6.00 s" in found[0].message


def test_implausible_units():
    x = emg_like()
    found = emg_units(emg_statistics(block(x * 1e6, x * 1e-3, x)))  # uV labelled V; V labelled mV
    assert codes(found) == [("emg.units", "error", "Zyg li"), ("emg.units", "error", "Zyg re")]
    assert "probably in mV or uV but labelled V" in found[0].message
    assert "probably in V but labelled mV or uV" in found[1].message


def test_missing_emg_samples_and_low_rate():
    x = emg_like()
    x[1000:3000] = np.nan
    s = Session(emg=block(x, emg_like(seed=2)))
    assert ("emg.missing", "warning", "Zyg li") in codes(check_quality(s))
    assert "no data for 1.00 s (10.0% of its samples)" in emg_missing(emg_statistics(s.emg))[0].message
    slow = Session(emg=block(emg_like()[::4], sfreq=500.0))
    assert ("emg.low_rate", "warning", "") in codes(check_quality(slow))


def face(n_frames=60, scale=1.0):
    frames = np.repeat(neutral_face()[None].astype(np.float32), n_frames, axis=0) * np.float32(scale)
    return frames


def test_face_mesh_checks():
    assert check_quality(Session(motion=MotionBlock(face(), 30.0, "mediapipe478"))) == ()
    in_m = MotionBlock(face(scale=1e-3), 30.0, "mediapipe478", "mm")
    (issue,) = motion_units(in_m)
    assert issue.severity == "error" and "probably in m or cm (or image units) labelled mm" in issue.message
    assert not motion_units(MotionBlock(face(scale=1e-3), 30.0, "mediapipe478", "m"))
    frames = face()
    frames[10:25] = np.nan
    frames[:, 61] = np.nan  # the commissure_right landmark, lost throughout
    m = MotionBlock(frames, 30.0, "mediapipe478")
    (drops,) = frame_drops(m)
    assert drops.severity == "warning" and "15 of 60 motion frames (25.0%)" in drops.message and "0.50 s" in drops.message
    (missing,) = missing_points(m)
    assert missing.severity == "error" and "61 (100%)" in missing.message


def test_body_markers_are_not_facial():
    m = MotionBlock(np.ones((10, 2, 3), np.float32) * 500, 100.0, "markers:body", "mm", ("T10", "C7"))
    (issue,) = motion_not_facial(m)
    assert issue.code == "motion.not_facial" and "facial motion measures will not be available" in issue.message
    assert motion_units(m) == []


def test_statistics_work_on_memory_mapped_emg(tmp_path):
    x = emg_like(seconds=30)
    mm = np.memmap(tmp_path / "e.dat", dtype=np.float32, mode="w+", shape=(1, x.size))
    mm[0] = x
    stats = emg_statistics(block(x).__class__(mm, SFREQ, block(x).channels))
    assert stats.channels[0].n_valid == x.size and stats.channels[0].psd_windows == 30
    assert stats.channels[0].p99() == pytest.approx(np.percentile(np.abs(x), 99), rel=0.1)
