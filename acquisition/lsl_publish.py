"""Publish a Session over LSL in real time: EMG, facial landmarks and protocol markers.

Each stream present in the session gets one outlet (names and source ids
from :func:`stream_names`):

* ``<name>-EMG``: type ``EMG``, float32 volts, one channel per EMG channel;
  ``desc/channels/channel`` carries ``label``, ``unit`` (``volts``),
  ``type``, ``muscle``, ``side`` and ``placement``.
* ``<name>-Motion``: type ``Mocap``, float32, ``n_points x 3`` channels
  (``<point>_X``, ``_Y``, ``_Z``; a 478-point mesh gives 1434), millimetres
  in the session's head-fixed frame; ``desc/fpcds`` holds ``scheme``,
  ``units`` and ``coordinates``.
* ``<name>-Markers``: type ``Markers``, one string channel: the session's
  markers, plus ``<task>/start|rep=N`` / ``<task>/end|rep=N`` pairs for the
  segments those markers do not already describe
  (:func:`acquisition.segments.boundary_events`).

Samples are stamped on a fixed schedule: session time ``t`` is published at
LSL time ``start + (t - t_first)``, pushed when that instant arrives
(``realtime=True``). Samples inside the session's recorded gaps are not sent
at all, as a device that dropped out would not send them.

With ``offsets``, each stream is served by its own child process whose LSL
clock is shifted by the given seconds (:mod:`acquisition.lsl_clock`), so a
recorder sees it as a stream from another machine and has to apply LSL's
clock correction; the children agree on the start instant through the
(unshifted) wall clock.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .lsl_streams import KINDS, LslError
from .segments import boundary_events
from .session import FACE_MESH_SCHEMES, EmgBlock, Marker, MotionBlock, Session


def stream_names(*, name: str, source_id: str) -> dict[str, tuple[str, str]]:
    """``kind -> (stream name, source id)`` of the outlets :class:`SessionPublisher` creates."""
    return {
        "emg": (f"{name}-EMG", f"{source_id}-emg"),
        "motion": (f"{name}-Motion", f"{source_id}-motion"),
        "markers": (f"{name}-Markers", f"{source_id}-markers"),
    }


def emg_stream_info(emg: EmgBlock, *, name: str, source_id: str) -> Any:
    """An LSL ``StreamInfo`` describing ``emg`` (float32 volts, channel muscle/side)."""
    import pylsl

    info = pylsl.StreamInfo(name, "EMG", len(emg.channels), emg.sfreq, pylsl.cf_float32, source_id)
    desc = info.desc()
    desc.append_child("acquisition").append_child_value("manufacturer", "fpcds").append_child_value(
        "model", "session publisher"
    )
    channels = desc.append_child("channels")
    for ch in emg.channels:
        node = channels.append_child("channel")
        node.append_child_value("label", ch.name)
        node.append_child_value("unit", "volts")
        node.append_child_value("type", "EMG")
        node.append_child_value("muscle", ch.muscle)
        node.append_child_value("side", ch.side)
        node.append_child_value("placement", ch.placement)
    desc.append_child("fpcds").append_child_value("stream", "emg")
    return info


def motion_stream_info(motion: MotionBlock, *, name: str, source_id: str, coordinates: str = "head",
                       width: int = 0, height: int = 0) -> Any:
    """An LSL ``StreamInfo`` for motion points (``n_points x 3`` float32 channels, mm)."""
    import pylsl

    return landmark_stream_info(
        n_points=motion.n_points,
        sfreq=motion.sfreq,
        scheme=motion.scheme,
        point_names=motion.point_names,
        facial_points=() if motion.scheme in FACE_MESH_SCHEMES else motion.facial_points,
        name=name,
        source_id=source_id,
        coordinates=coordinates,
        width=width,
        height=height,
        pylsl=pylsl,
    )


def landmark_stream_info(*, n_points: int, sfreq: float, scheme: str, point_names: Sequence[str],
                         facial_points: Sequence[str] = (), name: str, source_id: str,
                         coordinates: str = "head", width: int = 0, height: int = 0, pylsl: Any = None) -> Any:
    """An LSL ``StreamInfo`` for a point stream (see the module docstring)."""
    if pylsl is None:
        import pylsl
    info = pylsl.StreamInfo(name, "Mocap", 3 * n_points, sfreq, pylsl.cf_float32, source_id)
    desc = info.desc()
    unit = "millimeters" if coordinates == "head" else "normalized"
    channels = desc.append_child("channels")
    for point in point_names:
        for axis in "XYZ":
            node = channels.append_child("channel")
            node.append_child_value("label", f"{point}_{axis}")
            node.append_child_value("type", f"Position{axis}")
            node.append_child_value("unit", unit)
    extra = desc.append_child("fpcds")
    extra.append_child_value("stream", "motion")
    extra.append_child_value("scheme", scheme)
    extra.append_child_value("units", "mm" if coordinates == "head" else "normalized")
    extra.append_child_value("coordinates", coordinates)
    if facial_points:
        extra.append_child_value("facial_points", ",".join(facial_points))
    if coordinates == "image_normalized":
        extra.append_child_value("width", str(int(width)))
        extra.append_child_value("height", str(int(height)))
    return info


def marker_stream_info(*, name: str, source_id: str) -> Any:
    """An LSL ``StreamInfo`` for protocol markers (one string channel, irregular)."""
    import pylsl

    info = pylsl.StreamInfo(name, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, source_id)
    info.desc().append_child("fpcds").append_child_value("stream", "markers")
    return info


def session_markers(session: Session) -> list[Marker]:
    """Markers to publish: the session's own, plus start/end pairs for segments they do not describe."""
    extra = [Marker(e.time, e.label) for e in boundary_events(session)]
    return sorted([*session.markers, *extra], key=lambda m: m.time)


def wall_to_lsl(wall_time: float) -> float:
    """Convert a wall-clock instant (``time.time()``) to this process's LSL clock, seconds.

    Reads both clocks several times and keeps the closest-bracketed pair
    (error well below 0.1 ms).
    """
    import pylsl

    best = (np.inf, 0.0)
    for _ in range(7):
        before = pylsl.local_clock()
        wall = time.time()
        after = pylsl.local_clock()
        if after - before < best[0]:
            best = (after - before, (before + after) / 2 - wall)
    return wall_time + best[1]


@dataclass
class _Track:
    kind: str
    outlet: Any
    times: np.ndarray  # session time of each sample (s)
    values: np.ndarray | list[str]  # (n, n_channels) float32, or labels
    keep: np.ndarray  # bool, False inside recorded gaps
    sfreq: float
    sent: int = 0
    pushed: int = 0


class SessionPublisher:
    """Outlets for one session; :meth:`run` pushes its samples on schedule.

    Parameters
    ----------
    session : Session
    name : str
        Prefix of the stream names.
    source_id : str
        Prefix of the source ids (unique per publisher; a restarted publisher
        with the same ids is recognised by recording inlets).
    kinds : sequence of {'emg', 'motion', 'markers'}
        Streams to publish (those absent from the session are skipped).
    seconds : float, optional
        Publish only the first ``seconds`` of the session.
    """

    def __init__(self, session: Session, *, name: str = "fpcds-sim", source_id: str | None = None,
                 kinds: Sequence[str] = KINDS, seconds: float | None = None) -> None:
        import pylsl

        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise LslError(f"cannot publish stream kinds {sorted(unknown)}; expected some of {list(KINDS)}")
        self.session = session
        self.source_id = source_id or f"fpcds-sim-{uuid.uuid4().hex[:12]}"
        self.names = stream_names(name=name, source_id=self.source_id)
        self.t_first, t_end = session.time_span
        if seconds is not None:
            if not seconds > 0:
                raise LslError(f"publish duration {seconds!r} s is not > 0")
            t_end = min(t_end, self.t_first + float(seconds))
        self.t_end = t_end
        self.tracks: list[_Track] = []
        if "emg" in kinds and session.emg is not None:
            emg = session.emg
            info = emg_stream_info(emg, name=self.names["emg"][0], source_id=self.names["emg"][1])
            self.tracks.append(self._track("emg", pylsl.StreamOutlet(info, max_buffered=60), emg.times,
                                           np.ascontiguousarray(emg.data.T), emg.sfreq))
        if "motion" in kinds and session.motion is not None:
            motion = session.motion
            info = motion_stream_info(motion, name=self.names["motion"][0], source_id=self.names["motion"][1])
            flat = np.ascontiguousarray(motion.in_mm().reshape(motion.n_frames, -1), dtype=np.float32)
            self.tracks.append(self._track("motion", pylsl.StreamOutlet(info, max_buffered=60), motion.times,
                                           flat, motion.sfreq))
        if "markers" in kinds:
            markers = session_markers(session)
            info = marker_stream_info(name=self.names["markers"][0], source_id=self.names["markers"][1])
            times = np.array([m.time for m in markers], dtype=float)
            self.tracks.append(self._track("markers", pylsl.StreamOutlet(info), times, [m.label for m in markers], 0.0))

    def _track(self, kind: str, outlet: Any, times: np.ndarray, values: Any, sfreq: float) -> _Track:
        keep = (times >= self.t_first) & (times < self.t_end)
        for gap in self.session.gaps:
            if gap.stream == kind:
                keep &= ~((times >= gap.start) & (times < gap.end))
        return _Track(kind, outlet, np.asarray(times, dtype=float), values, keep, sfreq)

    def wait_for_consumers(self, timeout_s: float) -> bool:
        """Wait until every outlet has a consumer (or ``timeout_s`` passes)."""
        deadline = time.monotonic() + timeout_s
        return all(t.outlet.wait_for_consumers(max(0.0, deadline - time.monotonic())) for t in self.tracks)

    def run(self, *, start_at: float | None = None, realtime: bool = True, stop: threading.Event | None = None,
            tick_s: float = 0.005) -> dict[str, int]:
        """Push every sample at its scheduled LSL time.

        Parameters
        ----------
        start_at : float, optional
            LSL time (``pylsl.local_clock()``) of the session's first
            instant; default now.
        realtime : bool
            Wait for each sample's time before pushing it; False pushes all
            samples at once (same time stamps).
        stop : threading.Event, optional
            Set it to stop early.
        tick_s : float
            Push period in seconds (chunk size = rate x tick).

        Returns
        -------
        dict
            ``kind -> number of samples pushed``.
        """
        import pylsl

        start = pylsl.local_clock() if start_at is None else float(start_at)
        stop = stop or threading.Event()
        while not stop.is_set():
            now = pylsl.local_clock()
            horizon = np.inf if not realtime else self.t_first + (now - start)
            pending = False
            for track in self.tracks:
                pending |= self._push_due(track, horizon, start)
            if not pending:
                break
            if realtime:
                wait = tick_s
                if now < start:
                    wait = min(start - now, 0.1)
                stop.wait(wait)
        return {t.kind: t.pushed for t in self.tracks}

    def _push_due(self, track: _Track, horizon: float, start: float) -> bool:
        n = int(np.searchsorted(track.times, horizon, side="right"))
        lo, hi = track.sent, n
        if hi > lo:
            keep = track.keep[lo:hi]
            if track.kind == "markers":
                for i in np.flatnonzero(keep) + lo:
                    track.outlet.push_sample([track.values[i]], start + (track.times[i] - self.t_first))
                    track.pushed += 1
            else:
                # contiguous runs of kept samples; each pushed with the stamp of its last sample
                edges = np.flatnonzero(np.diff(np.concatenate(([0], keep.astype(np.int8), [0]))))
                for a, b in zip(edges[::2] + lo, edges[1::2] + lo):
                    stamp = start + (track.times[b - 1] - self.t_first)
                    track.outlet.push_chunk(track.values[a:b], stamp)
                    track.pushed += int(b - a)
            track.sent = hi
        return bool(track.keep[track.sent:].any())

    def close(self) -> None:
        """Destroy the outlets (streams disappear from the network)."""
        for track in self.tracks:
            track.outlet = None
        self.tracks = []


def stream_session(
    session: Session,
    *,
    seconds: float | None = None,
    realtime: bool = True,
    offsets: Mapping[str, float] | None = None,
    name: str = "fpcds-sim",
    source_id: str | None = None,
    stop: threading.Event | None = None,
    lead_s: float = 0.5,
    on_ready: Any = None,
) -> dict[str, int]:
    """Publish a session's EMG, landmarks and protocol markers over LSL until done.

    Parameters
    ----------
    session : Session
    seconds : float, optional
        Publish only the first ``seconds`` of the session (default: all).
    realtime : bool
        Pace samples at their recorded rate.
    offsets : mapping of {'emg', 'motion', 'markers'} to float, optional
        Clock offsets in seconds to inject per stream: each stream is served
        by a child process whose LSL clock is shifted by that much (needs
        root; see :mod:`acquisition.lsl_clock`).
    name, source_id : str
        Stream-name and source-id prefixes (:func:`stream_names`).
    stop : threading.Event, optional
        Set it to stop early (e.g. from a signal handler).
    lead_s : float
        Delay between creating the outlets and the first sample, seconds.
    on_ready : callable, optional
        Called with ``{kind: (stream name, source id)}`` once the outlets exist.

    Returns
    -------
    dict
        ``kind -> samples pushed`` (with ``offsets``: the children's exit
        statuses are checked instead and the dict holds -1 per stream).
    """
    source_id = source_id or f"fpcds-sim-{uuid.uuid4().hex[:12]}"
    if offsets:
        return _stream_with_offsets(session, seconds=seconds, realtime=realtime, offsets=offsets, name=name,
                                    source_id=source_id, stop=stop, lead_s=lead_s, on_ready=on_ready)
    import pylsl

    publisher = SessionPublisher(session, name=name, source_id=source_id, seconds=seconds)
    try:
        if on_ready is not None:
            on_ready({t.kind: publisher.names[t.kind] for t in publisher.tracks})
        return publisher.run(start_at=pylsl.local_clock() + lead_s, realtime=realtime, stop=stop)
    finally:
        publisher.close()


def _stream_with_offsets(session: Session, *, seconds: float | None, realtime: bool, offsets: Mapping[str, float],
                         name: str, source_id: str, stop: threading.Event | None, lead_s: float,
                         on_ready: Any) -> dict[str, int]:
    from .lsl_clock import spawn_with_clock_offset
    from .native import write_session

    unknown = set(offsets) - set(KINDS)
    if unknown:
        raise LslError(f"clock offsets given for unknown streams {sorted(unknown)}; expected some of {list(KINDS)}")
    kinds = [k for k in KINDS if k == "markers" or getattr(session, k) is not None]
    stop = stop or threading.Event()
    with tempfile.TemporaryDirectory(prefix="fpcds-publish-") as tmp:
        path = os.path.join(tmp, "session.fpcds")
        write_session(session, path)
        start_wall = time.time() + lead_s + 2.0  # children need ~1-2 s to start
        children = {}
        try:
            for kind in kinds:
                argv = [sys.executable, "-m", "acquisition.lsl_publish", path, "--stream", kind, "--name", name,
                        "--source-id", source_id, "--start-wall", repr(start_wall)]
                if seconds is not None:
                    argv += ["--seconds", repr(float(seconds))]
                if not realtime:
                    argv.append("--no-realtime")
                children[kind] = spawn_with_clock_offset(argv, offset_s=float(offsets.get(kind, 0.0)),
                                                         stdout=subprocess.PIPE, text=True)
            for kind, child in children.items():
                line = child.stdout.readline().strip() if child.stdout else ""
                if line != "ready":
                    raise LslError(f"the {kind} publisher process failed to start (exit status {child.wait()})")
            if on_ready is not None:
                on_ready({k: stream_names(name=name, source_id=source_id)[k] for k in children})
            deadline = None
            while any(c.poll() is None for c in children.values()):
                if deadline is None and stop.wait(0.05):
                    deadline = time.monotonic() + 5.0
                    for c in children.values():
                        if c.poll() is None:
                            c.send_signal(signal.SIGTERM)
                elif deadline is not None:
                    if time.monotonic() > deadline:
                        break  # the finally below kills what is left
                    time.sleep(0.05)
            failed = {k: c.returncode for k, c in children.items() if c.returncode not in (0, -signal.SIGTERM, None)}
            if failed:
                raise LslError(f"publisher processes failed with exit statuses {failed}")
        finally:
            for c in children.values():
                if c.poll() is None:
                    c.kill()
                c.wait()
                if c.stdout:
                    c.stdout.close()
    return {k: -1 for k in children}


def main(argv: Sequence[str] | None = None) -> int:
    """Child-process entry: publish some streams of a native session file."""
    from .native import read_session

    parser = argparse.ArgumentParser(prog="python -m acquisition.lsl_publish")
    parser.add_argument("session")
    parser.add_argument("--stream", action="append", choices=KINDS, required=True)
    parser.add_argument("--name", default="fpcds-sim")
    parser.add_argument("--source-id", required=True)
    parser.add_argument("--start-wall", type=float, required=True, help="wall-clock (time.time) start instant")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--no-realtime", action="store_true")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    publisher = SessionPublisher(read_session(args.session, mmap=False), name=args.name, source_id=args.source_id,
                                 kinds=args.stream, seconds=args.seconds)
    print("ready", flush=True)
    publisher.run(start_at=wall_to_lsl(args.start_wall), realtime=not args.no_realtime, stop=stop)
    # Leave without liblsl's outlet teardown, which can stall for minutes in a process whose
    # clock was shifted (observed with negative offsets); the kernel closes the sockets.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
