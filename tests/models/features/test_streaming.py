"""Long recordings: streaming accumulators, causal pass vs zero-phase batch, episode counts, bounded memory."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import signal

from acquisition.native import read_session, write_session
from acquisition.session import EmgBlock, EmgChannel, Segment, Session
from models.features import extract_features, stream_emg_features
from models.features.errors import FeatureError
from models.features.streaming import RunCounter, WelchAccumulator, _page_releaser
from tests.models.features.builders import band_noise, constructed_session, profile

FS = 2000.0


def test_welch_accumulator_matches_scipy_on_blocks():
    x = np.random.default_rng(0).standard_normal((3, 512 * 40)).astype(np.float32)
    acc = WelchAccumulator(3, 512, sfreq=FS)
    for start in range(0, x.shape[1], 512 * 7):
        block = x[:, start:start + 512 * 7]
        acc.add(block, np.ones(block.shape[1], dtype=bool))
    freqs, psd = acc.psd()
    ref_f, ref = signal.welch(x.astype(np.float64), fs=FS, nperseg=512, noverlap=0, axis=-1)
    np.testing.assert_allclose(freqs, ref_f)
    np.testing.assert_allclose(psd, ref, rtol=1e-4)
    assert acc.count == 40


def test_welch_accumulator_skips_windows_with_invalid_samples():
    acc = WelchAccumulator(1, 256, sfreq=FS)
    valid = np.ones(256 * 4, dtype=bool)
    valid[300] = False
    acc.add(np.ones((1, 256 * 4), dtype=np.float32), valid)
    assert acc.count == 3
    assert WelchAccumulator(1, 256, sfreq=FS).psd() is None


def test_run_counter_counts_long_runs_and_merges_short_gaps():
    x = np.zeros(100, dtype=bool)
    x[10:15] = True  # 5 frames: counted (min 4)
    x[20:22] = True  # 2 frames: too short
    x[30:33] = x[34:36] = True  # 3 + gap 1 + 2 = 6: one run
    x[60:63] = True  # 3: too short
    counter = RunCounter(min_len=4, merge=2)
    counter.update(x)
    assert counter.count == 2 and counter.active == 15


def test_run_counter_gives_the_same_count_in_any_blocks():
    rng = np.random.default_rng(1)
    x = rng.random(20_000) < 0.3
    x = np.convolve(x, np.ones(3), "same") > 1  # clumps
    whole = RunCounter(min_len=5, merge=3)
    whole.update(x)
    cuts = np.sort(rng.choice(np.arange(1, x.size), 300, replace=False))
    pieces = RunCounter(min_len=5, merge=3)
    for part in np.split(x, cuts):
        pieces.update(part)
    assert pieces.count == whole.count > 50 and pieces.active == whole.active


@pytest.fixture(scope="module")
def short_session():
    return constructed_session(motion=False, weakness=0.5, delay_s=0.1, known_side=True,
                               tasks=("rest", "brow_raise", "smile_open", "pucker"), reps=2)


def test_streaming_agrees_with_zero_phase_batch(short_session):
    batch = extract_features(short_session)
    stream = stream_emg_features(short_session, block_s=3.0)
    names = [n for n in stream.names if n in batch and math.isfinite(batch[n])]
    assert len(names) > 100
    assert all(math.isfinite(stream[n]) for n in names)
    for quantity, tolerance in (("rms_ratio", 0.03), ("rms_rest_norm_affected", 0.05), ("mdf_healthy", 0.05),
                                ("hf_fraction_affected", 0.08), ("rms_healthy", 0.06)):
        picked = [n for n in names if f".{quantity}." in n]
        assert picked
        for n in picked:
            assert stream[n] == pytest.approx(batch[n], rel=tolerance), n
    assert stream["emg.zygomaticus.onset_delay.smile_open"] == pytest.approx(0.1, abs=0.01)
    assert "causally (single forward pass" in stream.record.methods_text()


def test_block_size_does_not_change_results(short_session):
    a = stream_emg_features(short_session, block_s=1.0)
    b = stream_emg_features(short_session, block_s=17.0)
    assert a.record.parameters["long.block_s"] != b.record.parameters["long.block_s"]
    # identical up to float32 summation order in the spectra
    np.testing.assert_allclose(a.values, b.values, rtol=1e-6, equal_nan=True)


def _night(*, with_protocol: bool, seed: int = 0) -> Session:
    """10 minutes: optional rest + smile protocol, then bursts outside tasks with known counts."""
    rng = np.random.default_rng(seed)
    duration = 600.0
    n = int(duration * FS)
    t = np.arange(n) / FS
    names = [("orbicularis_oculi", "left"), ("zygomaticus", "left"), ("orbicularis_oculi", "right"),
             ("zygomaticus", "right")]
    amp = np.full((4, n), 2e-6)
    segments = []
    if with_protocol:
        segments = [Segment("rest", 2, 8), Segment("smile_open", 10, 13)]
        amp[1] += 60e-6 * profile(t, 10, 13)
        amp[3] += 60e-6 * profile(t, 10, 13)
    for k in range(6):  # left eye + mouth together: synkinesis
        start = 60 + 70 * k
        for row in (0, 1):
            amp[row] += 40e-6 * profile(t, start, start + 0.8, rise=0.05)
    for k in range(4):  # right mouth alone
        start = 95 + 100 * k
        amp[3] += 40e-6 * profile(t, start, start + 0.6, rise=0.05)
    for k in range(3):  # too short to count
        start = 80 + 150 * k
        amp[2] += 40e-6 * profile(t, start, start + 0.08, rise=0.02)
    data = np.stack([a * band_noise(rng, n, FS) for a in amp]).astype(np.float32)
    chans = tuple(EmgChannel(f"{m} {s}", m, s) for m, s in names)
    return Session(emg=EmgBlock(data, FS, chans), segments=tuple(segments))


@pytest.mark.parametrize("with_protocol", [True, False])
def test_episode_counts_of_a_constructed_night(with_protocol):
    table = stream_emg_features(_night(with_protocol=with_protocol), powerline=None)
    t = "outside_tasks"
    affected = table.affected_side
    get = lambda name, side: table[name.replace("SIDE", "affected" if side == affected else "healthy")]  # noqa: E731
    assert get(f"emg.orbicularis_oculi.activation_episodes_SIDE.{t}", "left") == 6
    assert get(f"emg.zygomaticus.activation_episodes_SIDE.{t}", "left") == 6
    assert get(f"emg.zygomaticus.activation_episodes_SIDE.{t}", "right") == 4
    assert get(f"emg.orbicularis_oculi.activation_episodes_SIDE.{t}", "right") == 0
    assert get(f"emg.orbicularis_oculi-zygomaticus.coactivation_episodes_SIDE.{t}", "left") == 6
    assert get(f"emg.orbicularis_oculi-zygomaticus.coactivation_episodes_SIDE.{t}", "right") == 0
    hours = table[f"emg.recording.hours.{t}"]
    # tasks 2-8 s and 10-13 s, each with a 1 s margin after it
    assert hours == pytest.approx((600 - (11 if with_protocol else 0)) / 3600, rel=1e-4)
    assert get(f"emg.orbicularis_oculi-zygomaticus.coactivation_per_h_SIDE.{t}", "left") == pytest.approx(6 / hours)
    mode = table.record.parameters["long.threshold"]
    assert mode == ("rest" if with_protocol else "adaptive")


def test_streaming_a_memory_mapped_native_file(tmp_path, short_session):
    path = tmp_path / "s.fpcds"
    write_session(short_session, path)
    mapped = read_session(path)
    assert _page_releaser(mapped.emg.data) is not None
    assert _page_releaser(np.zeros((2, 10), dtype=np.float32)) is None
    a = stream_emg_features(mapped, block_s=2.0, session_id="abc")
    b = stream_emg_features(short_session, block_s=2.0)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-9, equal_nan=True)
    assert a.session_id == "abc" and a.scores is None


def test_streaming_errors_name_the_problem(short_session):
    with pytest.raises(FeatureError, match="block length 0 s is invalid"):
        stream_emg_features(short_session, block_s=0)
    motion_only = constructed_session(emg=False, tasks=("rest", "smile_open"), reps=1)
    with pytest.raises(FeatureError, match="session has no EMG; long-recording features need an EMG stream"):
        stream_emg_features(motion_only)
    only_tasks = Session(emg=short_session.emg, segments=(Segment("smile_open", 0, short_session.duration),))
    table = stream_emg_features(only_tasks)
    assert any(w.code == "long.no_outside" for w in table.warnings)


@pytest.mark.slow
def test_memory_stays_bounded_on_a_large_memory_mapped_file(tmp_path):
    """~460 MB on disk (8 channels, 2 kHz, 2 h) streamed with a peak RSS far below the file size."""
    path = tmp_path / "long.fpcds"
    hours = 2.0
    n = int(hours * 3600 * FS)
    raw = np.lib.format.open_memmap(tmp_path / "raw.npy", mode="w+", dtype=np.float32, shape=(8, n))
    rng = np.random.default_rng(0)
    step = int(600 * FS)
    for start in range(0, n, step):
        stop = min(n, start + step)
        raw[:, start:stop] = (rng.standard_normal((8, stop - start)) * 5e-6).astype(np.float32)
    chans = tuple(EmgChannel(f"{m} {s}", m, s) for s in ("left", "right")
                  for m in ("zygomaticus", "orbicularis_oculi", "frontalis_lateral", "orbicularis_oris"))
    write_session(Session(emg=EmgBlock(raw, FS, chans)), path)
    del raw
    os.unlink(tmp_path / "raw.npy")
    # VmHWM, not ru_maxrss: a child inherits its parent's ru_maxrss across fork and exec
    code = textwrap.dedent(f"""
        from acquisition.native import read_session
        from models.features import stream_emg_features
        table = stream_emg_features(read_session({str(path)!r}), powerline=None)
        assert table["emg.recording.hours.outside_tasks"] > 1.99
        print([int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
    peak_mb = int(out.stdout.split()[-1])
    assert peak_mb < 300, f"peak RSS {peak_mb} MB for a {path.stat().st_size / 2**20:.0f} MB file"
