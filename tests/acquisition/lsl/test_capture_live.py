"""Live capture against real LSL outlets in other processes: timed, guided, dropouts, crashes, clock offsets."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from acquisition.lsl import capture_lsl, discover_streams, select_streams, stream_session
from acquisition.lsl_clock import clock_offsets_supported
from acquisition.native import read_session
from acquisition.protocol import STANDARD_PROTOCOL

from .helpers import EMG_TICK, INDEX_POINT, Publisher, identifiable_session, unique_id


def _selection(source_ids):
    found = discover_streams(wait_s=10, source_ids=source_ids)
    assert sorted(s.source_id for s in found) == sorted(source_ids)
    return select_streams(found)


def _emg_index(session):
    return np.asarray(session.emg.data[0], dtype=np.float64) / float(EMG_TICK)


def _shifts(session):
    """Session time of original sample 0 as seen in each stream (equal when streams are in sync)."""
    emg_idx = _emg_index(session)
    frames = np.asarray(session.motion.data[:, INDEX_POINT, 0], dtype=np.float64)
    return session.emg.t0 - emg_idx[0] / session.emg.sfreq, session.motion.t0 - frames[0] / session.motion.sfreq


def test_timed_capture_keeps_every_sample_on_one_clock(tmp_path):
    with Publisher.for_session(identifiable_session(20), tmp_path) as pub:
        selection = _selection(pub.source_ids())
        out = tmp_path / "timed.fpcds"
        recorded = capture_lsl(out, selection=selection, seconds=2.0)
    back = read_session(out, verify=True)
    assert back.metadata() == recorded.metadata()
    assert not (tmp_path / "timed.fpcds.spool").exists()
    assert 1.9 <= back.duration <= 2.5
    np.testing.assert_array_equal(np.diff(_emg_index(back)), 1.0)  # no sample lost or repeated
    np.testing.assert_array_equal(np.diff(back.motion.data[:, INDEX_POINT, 0]), 1.0)
    emg_shift, motion_shift = _shifts(back)
    assert abs(emg_shift - motion_shift) < 1e-3
    assert back.gaps == ()
    assert [(c.name, c.muscle, c.side) for c in back.emg.channels] == [
        ("Zyg li", "zygomaticus", "left"), ("Zyg re", "zygomaticus", "right")]
    assert back.motion.scheme == "mediapipe478" and back.motion.units == "mm"
    offsets = dict(back.provenance.clock_offsets)
    assert set(offsets) == {"emg", "motion"} and all(abs(v) < 0.01 for v in offsets.values())
    assert any(pub.source_id in d for d in back.provenance.devices)


def _short_protocol():
    return dataclasses.replace(
        STANDARD_PROTOCOL, tasks=(STANDARD_PROTOCOL.task("rest"), STANDARD_PROTOCOL.task("smile_open")),
        repetitions=2, hold_s=0.4, rest_s=0.25)


def test_guided_capture_makes_segments_from_its_markers(tmp_path):
    events = []
    with Publisher.for_session(identifiable_session(20), tmp_path) as pub:
        selection = _selection(pub.source_ids())
        out = tmp_path / "guided.fpcds"
        recorded = capture_lsl(out, selection=selection, protocol=_short_protocol(), display=events.append,
                               lead_in_s=0.3)
    assert [e.phase for e in events] == ["prepare", "hold"] * 4 + ["rest", "done"]
    assert [(s.task, s.repetition) for s in recorded.segments] == [
        ("rest", 1), ("rest", 2), ("smile_open", 1), ("smile_open", 2)]
    for seg in recorded.segments:
        assert seg.end - seg.start == pytest.approx(0.4, abs=0.15)
    labels = [m.label for m in recorded.markers]
    assert labels[0] == "protocol/start|name=fpcds-standard-v1"
    assert labels[-1] == "protocol/end|name=fpcds-standard-v1"
    assert "smile_open/cue|rep=2" in labels and "smile_open/end|rep=2" in labels
    # lead-in + 4 holds + 3 rests + the final rest
    assert recorded.duration == pytest.approx(0.3 + 4 * 0.4 + 4 * 0.25, abs=0.6)
    assert recorded.quality == ()
    assert read_session(out).segments == recorded.segments
    assert any("guided capture: tasks rest, smile_open; 2 repetitions" in n for n in recorded.provenance.notes)


def test_guided_capture_stopped_during_a_hold_keeps_the_finished_repetitions(tmp_path):
    stop = threading.Event()

    def display(event):
        if event.phase == "hold" and event.step == 2:
            threading.Timer(0.15, stop.set).start()  # stop in the middle of the second hold

    with Publisher.for_session(identifiable_session(20), tmp_path) as pub:
        selection = _selection(pub.source_ids())
        recorded = capture_lsl(tmp_path / "stopped.fpcds", selection=selection, protocol=_short_protocol(),
                               lead_in_s=0.3, stop=stop, display=display)
    assert [(s.task, s.repetition) for s in recorded.segments] == [("rest", 1)]
    labels = [m.label for m in recorded.markers]
    assert "rest/abort|rep=2" in labels and labels[-1] == "protocol/abort|name=fpcds-standard-v1"
    assert [q.code for q in recorded.quality] == ["segments.unpaired_marker"]
    start = next(m.time for m in recorded.markers if m.label == "rest/start|rep=2")
    abort = next(m.time for m in recorded.markers if m.label == "rest/abort|rep=2")
    assert 0.1 < abort - start < 0.4


def test_outlet_killed_and_restarted_is_a_gap_and_the_capture_goes_on(tmp_path):
    pub = Publisher.for_session(identifiable_session(60), tmp_path).start()
    stop = threading.Event()
    try:
        selection = _selection(pub.source_ids())

        def outage(recorder):
            def run():
                time.sleep(1.0)
                pub.kill()
                time.sleep(1.0)
                pub.start()  # returns once the new outlets exist
                time.sleep(2.5)  # reconnection (~1 s) and a good second of data
                stop.set()
            threading.Thread(target=run, daemon=True).start()

        out = tmp_path / "dropout.fpcds"
        recorded = capture_lsl(out, selection=selection, seconds=30.0, stop=stop, on_started=outage)
    finally:
        pub.kill()
    back = read_session(out, verify=True)
    gaps = {g.stream: g for g in back.gaps}
    assert set(gaps) == {"emg", "motion"}, back.gaps
    gap = gaps["emg"]
    assert 0.8 < gap.start < 2.0 and gap.end - gap.start > 0.9
    assert "dropout" in gap.reason
    times = back.emg.times
    half = 0.5 / back.emg.sfreq
    inside = (times >= gap.start - half) & (times < gap.end - half)
    assert np.isnan(back.emg.data[:, inside]).all()
    assert np.isfinite(back.emg.data[:, ~inside]).all()
    after = _emg_index(back)[times >= gap.end]
    assert len(after) > 500  # data again after the outlet came back
    np.testing.assert_array_equal(np.diff(after), 1.0)
    assert recorded.quality == ()


def test_a_killed_capture_is_recovered_from_its_spool(tmp_path):
    out = tmp_path / "crash.fpcds"
    with Publisher.for_session(identifiable_session(30), tmp_path) as pub:
        argv = [sys.executable, "-m", "plugin.cli", "capture", "--seconds", "30", "--out", str(out),
                "--emg", f"{pub.source_id}-emg", "--motion", f"{pub.source_id}-motion", "--markers", "none",
                "--wait", "1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            for line in proc.stdout:
                if line.startswith("recording 30 s"):
                    break
            time.sleep(2.0)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
            proc.stdout.close()
    assert not out.exists()
    spool = tmp_path / "crash.fpcds.spool"
    assert (spool / "meta.json").exists()
    from plugin.cli import main

    assert main(["capture", "recover", str(spool), "--out", str(out)]) == 0
    session = read_session(out, verify=True)
    assert session.duration >= 1.0  # at most ~0.5 s of the 2 s lost
    np.testing.assert_array_equal(np.diff(_emg_index(session)), 1.0)
    assert "recovered from the spool of an interrupted capture" in session.provenance.notes


def test_capture_stops_cleanly_on_sigint_and_keeps_the_data(tmp_path):
    out = tmp_path / "sigint.fpcds"
    with Publisher.for_session(identifiable_session(30), tmp_path) as pub:
        argv = [sys.executable, "-m", "plugin.cli", "capture", "--seconds", "30", "--out", str(out),
                "--emg", f"{pub.source_id}-emg", "--motion", "none", "--markers", "none", "--wait", "1"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in proc.stdout:
            if line.startswith("recording 30 s"):
                break
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        rest = proc.stdout.read()
        assert proc.wait(timeout=20) == 0
        proc.stdout.close()
    assert f"saved {out}" in rest
    session = read_session(out, verify=True)
    assert 1.3 < session.duration < 5.0 and session.motion is None
    assert not (tmp_path / "sigint.fpcds.spool").exists()


@pytest.mark.skipif(not clock_offsets_supported(), reason="injecting clock offsets needs Linux time namespaces (root)")
def test_injected_clock_offsets_are_measured_and_removed(tmp_path):
    sid = unique_id("off")
    offsets = {"emg": 3.25, "motion": -1.5, "markers": 0.75}
    ready, stop = threading.Event(), threading.Event()
    names = {}

    def publish():
        stream_session(identifiable_session(12), offsets=offsets, name=sid, source_id=sid, stop=stop,
                       on_ready=lambda n: (names.update(n), ready.set()))

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    try:
        assert ready.wait(30)
        selection = _selection([names["emg"][1], names["motion"][1]])
        recorded = capture_lsl(tmp_path / "offsets.fpcds", selection=selection, seconds=3.5)
    finally:
        stop.set()
        thread.join(timeout=30)
    measured = dict(recorded.provenance.clock_offsets)
    assert measured["emg"] == pytest.approx(-3.25, abs=1e-3)
    assert measured["motion"] == pytest.approx(1.5, abs=1e-3)
    emg_shift, motion_shift = _shifts(recorded)
    assert abs(emg_shift - motion_shift) < 1e-3
