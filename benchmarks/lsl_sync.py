"""Synchronisation error between LSL streams recorded together, with known clock offsets injected.

A session with EMG (8 channels x 2 kHz), a 478-point face mesh (30 Hz) and
markers every 0.5 s is published over LSL, each stream by its own process
whose LSL (monotonic) clock is shifted by a known offset
(:mod:`acquisition.lsl_clock`, Linux time namespaces; needs root). It is
recorded with :func:`acquisition.lsl.capture_lsl`. Every sample identifies
itself (EMG row 0 = sample index, a mesh point's x = frame index, marker
labels numbered), so for each stream we know where original time 0 landed on
the session clock; the spread of that mapping across streams is the
synchronisation error. Also reported: how far each LSL ``time_correction``
is from the injected offset, and the error without correction (the
differences of the injected offsets).

Run from the repository root::

    .venv/bin/python benchmarks/lsl_sync.py [--runs 3] [--seconds 8]

Target: synchronisation error <= 1 ms.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import uuid
from pathlib import Path

import numpy as np

from acquisition.face_mesh import neutral_face
from acquisition.lsl import capture_lsl, discover_streams, select_streams, stream_session
from acquisition.lsl_clock import clock_offsets_supported
from acquisition.session import EmgBlock, EmgChannel, Marker, MotionBlock, Session

OFFSETS = {"emg": 2.718281, "motion": -1.414213, "markers": 0.577215}
TICK = np.float32(2.0**-20)
INDEX_POINT = 200
MUSCLES = ("frontalis_medial", "orbicularis_oculi", "zygomaticus", "depressor_anguli_oris")


def make_session(seconds: float) -> Session:
    fs, fps = 2000.0, 30.0
    n, frames = int(seconds * fs), int(seconds * fps)
    rng = np.random.default_rng(7)
    emg = (rng.standard_normal((8, n)) * 2e-5).astype(np.float32)
    emg[0] = np.arange(n, dtype=np.float32) * TICK
    channels = tuple(EmgChannel(f"{m}-{s}", m, s) for m in MUSCLES for s in ("left", "right"))
    face = np.repeat(neutral_face()[None].astype(np.float32), frames, axis=0)
    face[:, INDEX_POINT, 0] = np.arange(frames, dtype=np.float32)
    markers = tuple(Marker(0.25 + 0.5 * i, f"sync-{i}") for i in range(int(seconds * 2) - 1))
    return Session(emg=EmgBlock(emg, fs, channels), motion=MotionBlock(face, fps, "mediapipe478"), markers=markers)


def one_run(seconds: float, folder: Path) -> dict:
    original = make_session(seconds)
    sid = f"bench-sync-{uuid.uuid4().hex[:8]}"
    ready, stop, names = threading.Event(), threading.Event(), {}
    thread = threading.Thread(target=stream_session, args=(original,), daemon=True, kwargs=dict(
        offsets=OFFSETS, name=sid, source_id=sid, stop=stop, on_ready=lambda n: (names.update(n), ready.set())))
    thread.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("publishers did not start")
        found = discover_streams(wait_s=10, source_ids=[v[1] for v in names.values()])
        recorded = capture_lsl(folder / f"{sid}.fpcds", selection=select_streams(found), seconds=seconds)
    finally:
        stop.set()
        thread.join(timeout=60)
    emg_idx = np.asarray(recorded.emg.data[0], dtype=np.float64) / float(TICK)
    frame_idx = np.asarray(recorded.motion.data[:, INDEX_POINT, 0], dtype=np.float64)
    assert np.all(np.diff(emg_idx) == 1) and np.all(np.diff(frame_idx) == 1), "samples lost"
    shift = {
        "emg": recorded.emg.t0 - emg_idx[0] / recorded.emg.sfreq,
        "motion": recorded.motion.t0 - frame_idx[0] / recorded.motion.sfreq,
    }
    originals = {m.label: m.time for m in original.markers}
    marker_shifts = [m.time - originals[m.label] for m in recorded.markers if m.label in originals]
    assert marker_shifts, "no markers recorded"
    errors = {
        "emg_vs_motion_ms": 1e3 * (shift["motion"] - shift["emg"]),
        "markers_vs_emg_max_ms": 1e3 * max(abs(s - shift["emg"]) for s in marker_shifts),
    }
    corrections = dict(recorded.provenance.clock_offsets)
    recovered = {k: 1e3 * abs(-corrections[key] - OFFSETS[k])
                 for k, key in (("emg", "emg"), ("motion", "motion"), ("markers", "markers-0"))}
    return {
        "sync_error_ms": max(abs(v) for v in errors.values()),
        "errors_ms": {k: round(v, 4) for k, v in errors.items()},
        "time_correction_error_ms": {k: round(v, 4) for k, v in recovered.items()},
        "markers_compared": len(marker_shifts),
        "recorded_s": round(recorded.duration, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    if not clock_offsets_supported():
        raise SystemExit("this machine cannot run processes with shifted clocks (needs root and Linux >= 5.6)")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(args.seconds, Path(tmp)) for _ in range(args.runs)]
    uncorrected = 1e3 * max(abs(OFFSETS["motion"] - OFFSETS["emg"]), abs(OFFSETS["markers"] - OFFSETS["emg"]))
    print(json.dumps({
        "injected_offsets_s": OFFSETS,
        "error_without_time_correction_ms": round(uncorrected, 3),
        "worst_sync_error_ms": round(max(r["sync_error_ms"] for r in runs), 4),
        "target_ms": 1.0,
        "runs": runs,
    }, indent=2))


if __name__ == "__main__":
    main()
