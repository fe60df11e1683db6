"""Record LSL streams to a spool and build the Session: the live side of ``capture_lsl``.

One thread per stream pulls chunks from its inlet, notes the inlet's
current ``time_correction()`` with each chunk (applied when the session is
assembled), appends the chunk to the spool (:mod:`acquisition.lsl_spool`) and hands it to live listeners (the
biofeedback monitor). Inlets are opened with ``recover=True``: when a
stream's outlet disappears, its thread simply receives nothing until an
outlet with the same source id comes back, and the gap shows up in the time
stamps (:mod:`acquisition.lsl_assemble`).

Stopping records everything stamped up to the stop instant: each regular
stream is drained until a sample at or after the stop arrives (or
``grace_s`` passes, for a stream that is down), then the spool is closed and
the session is assembled and written with :func:`acquisition.native.write_session`.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .lsl_assemble import assemble_session
from .lsl_spool import SpoolWriter, read_spool
from .lsl_streams import (
    EmgMapping,
    LslError,
    LslStream,
    MotionLayout,
    StreamSelection,
    discover_streams,
    map_emg_channels,
    motion_layout,
    parse_description,
)
from .protocol import STANDARD_PROTOCOL, Protocol
from .session import Session

#: ``listener(kind, values, local_times)`` gets every received chunk:
#: values (n, n_channels) float32 (raw stream units) or a list of labels;
#: local_times (n,) on the recorder's LSL clock.
Listener = Callable[[str, Any, np.ndarray], None]


@dataclass
class StreamStatus:
    """Live state of one recorded stream.

    Attributes
    ----------
    key, kind, name : str
    samples : int
        Received so far.
    last_data_age_s : float
        Seconds since the last chunk arrived (inf before the first).
    connected : bool
        False while the stream is silent for longer than expected.
    """

    key: str
    kind: str
    name: str
    samples: int
    last_data_age_s: float
    connected: bool


class _Puller:
    def __init__(self, key: str, stream: LslStream, inlet: Any, correction: float) -> None:
        self.key = key
        self.stream = stream
        self.inlet = inlet
        self.correction = correction
        self.samples = 0
        self.last_arrival = -np.inf
        self.last_stamp = -np.inf
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.lost = False


class Recorder:
    """Record the streams of a :class:`StreamSelection` into a spool directory.

    Parameters
    ----------
    selection : StreamSelection
    spool_dir : path-like
    protocol : Protocol
        The protocol whose task markers make segments (written to the session).
    mapping : mapping, optional
        Explicit EMG channel mapping (:func:`acquisition.lsl_streams.map_emg_channels`).
    listeners : sequence of Listener
    open_timeout_s : float
        How long to wait for each stream's description, connection and
        first clock-offset estimate.
    grace_s : float
        At stop, how long to wait for samples stamped before the stop instant.
    guided : bool
        The protocol is being guided (its timing is noted in the session).
    """

    def __init__(self, selection: StreamSelection, *, spool_dir: str | os.PathLike[str],
                 protocol: Protocol = STANDARD_PROTOCOL,
                 mapping: Mapping[str, Any] | None = None, listeners: Sequence[Listener] = (),
                 open_timeout_s: float = 5.0, grace_s: float = 1.0, guided: bool = False) -> None:
        self.selection = selection
        self.spool_dir = Path(spool_dir)
        self.protocol = protocol
        self.guided = guided
        self.mapping = dict(mapping) if mapping else None
        self.listeners = list(listeners)
        self.open_timeout_s = open_timeout_s
        self.grace_s = grace_s
        self.origin: float | None = None
        self.stop_at: float | None = None
        self._pullers: list[_Puller] = []
        self._spool: SpoolWriter | None = None
        #: set by :meth:`start`: how the EMG / motion streams are read
        self.emg_mapping: EmgMapping | None = None
        self.motion_layout: MotionLayout | None = None
        self.emg_sfreq: float = 0.0
        self.motion_sfreq: float = 0.0

    # ----------------------------------------------------------------- start
    def start(self) -> None:
        """Open every inlet, check the streams, write the spool metadata and start recording."""
        import pylsl

        streams_meta: dict[str, dict[str, Any]] = {}
        keys = []
        if self.selection.emg is not None:
            keys.append(("emg", self.selection.emg))
        if self.selection.motion is not None:
            keys.append(("motion", self.selection.motion))
        keys += [(f"markers-{i}", s) for i, s in enumerate(self.selection.markers)]
        opened = self._open_all(keys)
        for key, stream in keys:
            inlet, xml, correction = opened[key]
            self._check(key, stream, xml)
            streams_meta[key] = {
                "kind": stream.kind if not key.startswith("markers") else "markers",
                "name": stream.name,
                "type": stream.type,
                "source_id": stream.source_id,
                "hostname": stream.hostname,
                "nominal_srate": stream.nominal_srate,
                "channel_count": stream.channel_count,
                "xml": xml,
            }
            self._pullers.append(_Puller(key, stream, inlet, correction))
        self.origin = pylsl.local_clock()
        self._spool = SpoolWriter(self.spool_dir, meta={
            "origin_lsl": self.origin,
            "stop_lsl": None,
            "started_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
            "protocol": self.protocol.name,
            "protocol_tasks": list(self.protocol.task_names),
            "guide": None if not self.guided else {
                "repetitions": self.protocol.repetitions, "hold_s": self.protocol.hold_s,
                "rest_s": self.protocol.rest_s},
            "mapping": self.mapping,
            "liblsl": f"{pylsl.library_version() / 100:.2f} (protocol {pylsl.protocol_version()})",
            "streams": streams_meta,
        })
        for puller in self._pullers:
            puller.thread = threading.Thread(target=self._pull, args=(puller,), name=f"lsl-{puller.key}", daemon=True)
            puller.thread.start()

    def _open_all(self, keys: list[tuple[str, LslStream]]) -> dict[str, tuple[Any, str, float]]:
        """Connect to every stream in parallel (the first clock estimate takes ~0.5 s each)."""
        import pylsl

        opened: dict[str, tuple[Any, str, float]] = {}
        failures: list[str] = []

        def connect(key: str, stream: LslStream) -> None:
            inlet = pylsl.StreamInlet(stream.info, max_buflen=120, recover=True)
            try:
                full = inlet.info(timeout=self.open_timeout_s)
                inlet.open_stream(timeout=self.open_timeout_s)
                correction = inlet.time_correction(timeout=self.open_timeout_s)
            except Exception as exc:  # pylsl's TimeoutError / LostError
                failures.append(f"LSL stream {stream.describe()} did not answer within "
                                f"{self.open_timeout_s:g} s ({type(exc).__name__})")
                return
            opened[key] = (inlet, full.as_xml(), correction)

        threads = [threading.Thread(target=connect, args=item, daemon=True) for item in keys]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise LslError("; ".join(failures))
        return opened

    def _check(self, key: str, stream: LslStream, xml: str) -> None:
        description = parse_description(xml)
        if key == "emg":
            if stream.nominal_srate <= 0:
                raise LslError(f"EMG stream {stream.describe()} has no regular sampling rate")
            self.emg_mapping = map_emg_channels(description["channels"] or [{} for _ in range(stream.channel_count)],
                                                stream_name=stream.name, mapping=self.mapping)
            self.emg_sfreq = stream.nominal_srate
        elif key == "motion":
            if stream.nominal_srate <= 0:
                raise LslError(f"motion stream {stream.describe()} has no regular frame rate")
            self.motion_layout = motion_layout(description, channel_count=stream.channel_count,
                                               stream_name=stream.name)
            self.motion_sfreq = stream.nominal_srate
        elif stream.channel_format != "string":
            raise LslError(f"marker stream {stream.describe()} is not a string stream")

    # ------------------------------------------------------------------ loop
    def _pull(self, puller: _Puller) -> None:
        try:
            self._pull_loop(puller)
        except BaseException as exc:  # surfaced by stop()
            puller.error = exc

    def _pull_loop(self, puller: _Puller) -> None:
        import pylsl

        inlet = puller.inlet
        regular = puller.stream.nominal_srate > 0
        max_samples = max(64, int(puller.stream.nominal_srate)) if regular else 256
        deadline = None
        kind = "markers" if puller.key.startswith("markers") else puller.key
        while True:
            if self.stop_at is not None:
                deadline = deadline or time.monotonic() + (self.grace_s if regular else min(self.grace_s, 0.2))
                caught_up = regular and puller.last_stamp + puller.correction >= self.stop_at
                if caught_up or time.monotonic() > deadline:
                    return
            try:
                values, stamps = inlet.pull_chunk(timeout=0.05, max_samples=max_samples, min_samples=1, as_numpy=True)
            except pylsl.util.LostError:
                puller.lost = True  # no source id to recover by: the rest of the capture is a gap
                return
            if len(stamps) == 0:
                continue
            try:
                puller.correction = inlet.time_correction(timeout=0.0)
            except pylsl.util.TimeoutError:
                pass  # keep the last estimate until liblsl has a new one (e.g. after a reconnect)
            assert self._spool is not None
            if not regular:
                values = [[v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row] for row in values]
            self._spool.append(puller.key, stamps, values, puller.correction)
            puller.samples += len(stamps)
            puller.last_arrival = time.monotonic()
            puller.last_stamp = float(stamps[-1])
            local = np.asarray(stamps) + puller.correction
            for listener in self.listeners:
                listener(kind, values, local)

    # ---------------------------------------------------------------- status
    def status(self) -> list[StreamStatus]:
        """Live state of every stream (for a UI or a dropout alarm)."""
        now = time.monotonic()
        out = []
        for p in self._pullers:
            rate = p.stream.nominal_srate
            age = now - p.last_arrival
            limit = max(1.0, 10.0 / rate) if rate > 0 else np.inf
            out.append(StreamStatus(p.key, p.key.split("-")[0], p.stream.name, p.samples, age, age <= limit))
        return out

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Record up to now, drain the inlets and close the spool."""
        import pylsl

        if self._spool is None:
            raise LslError("the recorder was not started")
        if self.stop_at is None:
            self.stop_at = pylsl.local_clock()
        for p in self._pullers:
            if p.thread is not None:
                p.thread.join()
        self._spool.update_meta(stop_lsl=self.stop_at)
        self._spool.close()
        for p in self._pullers:
            p.inlet.close_stream()
        errors = [f"{p.key}: {p.error}" for p in self._pullers if p.error is not None]
        if errors:
            raise LslError(f"recording failed: {'; '.join(errors)}")

    @property
    def elapsed_s(self) -> float:
        """Seconds since the recording started."""
        import pylsl

        return 0.0 if self.origin is None else pylsl.local_clock() - self.origin


def _default_spool(out: Path) -> Path:
    return out.with_name(out.name + ".spool")


def capture_lsl(
    out: str | os.PathLike[str],
    *,
    selection: StreamSelection,
    seconds: float | None = None,
    protocol: Protocol | None = None,
    display: Callable[[Any], Any] | None = None,
    lead_in_s: float = 3.0,
    mapping: Mapping[str, Any] | None = None,
    stop: threading.Event | None = None,
    spool_dir: str | os.PathLike[str] | None = None,
    keep_spool: bool = False,
    listeners: Sequence[Listener] = (),
    on_started: Callable[[Recorder], Any] | None = None,
    min_gap_s: float = 0.02,
    open_timeout_s: float = 5.0,
) -> Session:
    """Record live LSL streams into a native session file.

    Parameters
    ----------
    out : path-like
        The ``.fpcds`` file to write.
    selection : StreamSelection
        EMG and/or motion stream and marker streams
        (:func:`acquisition.lsl_streams.select_streams`).
    seconds : float, optional
        Record this long, seconds. Required without ``protocol``; with a
        protocol it caps the guided run.
    protocol : Protocol, optional
        Guide the patient through it (:class:`acquisition.lsl_guide.ProtocolGuide`);
        the capture ends when the protocol does.
    display : callable, optional
        Receives the guide's events (:class:`acquisition.lsl_guide.GuideEvent`).
    lead_in_s : float
        Guided mode: preparation time before the first task, seconds.
    mapping : mapping, optional
        Explicit EMG channel mapping, ``label -> 'muscle/side'``.
    stop : threading.Event, optional
        Set it to end the capture early (everything up to then is kept).
    spool_dir : path-like, optional
        Default ``<out>.spool``; kept when the capture fails, removed after
        the session is written unless ``keep_spool``.
    listeners : sequence of Listener
        Live consumers of every chunk (biofeedback).
    on_started : callable, optional
        Called with the running :class:`Recorder`.
    min_gap_s : float
        Shortest interruption recorded as a gap, seconds.
    open_timeout_s : float
        Per-stream connection timeout, seconds.

    Returns
    -------
    Session
        As written to ``out``.
    """
    from .lsl_guide import ProtocolGuide
    from .native import write_session

    out = Path(out)
    if protocol is None and seconds is None:
        raise LslError("a capture needs a duration (seconds) or a protocol to guide")
    if seconds is not None and not seconds > 0:
        raise LslError(f"capture duration {seconds!r} s is not > 0")
    if not out.parent.is_dir():
        raise LslError(f"cannot write {str(out)!r}: folder {str(out.parent)!r} does not exist")
    spool = Path(spool_dir) if spool_dir is not None else _default_spool(out)
    stop = stop or threading.Event()
    guide = None
    if protocol is not None:
        guide = ProtocolGuide(protocol, display=display, lead_in_s=lead_in_s)
        found = discover_streams(wait_s=open_timeout_s, source_ids=[guide.source_id])
        if not found:
            raise LslError("the protocol guide's own marker stream could not be found over LSL (loopback blocked?)")
        selection = StreamSelection(selection.emg, selection.motion, (*selection.markers, found[0]))
    recorder = Recorder(selection, spool_dir=spool, protocol=protocol or STANDARD_PROTOCOL, mapping=mapping,
                        listeners=listeners, open_timeout_s=open_timeout_s, guided=protocol is not None)
    recorder.start()
    try:
        if on_started is not None:
            on_started(recorder)
        timer = None
        if seconds is not None:
            timer = threading.Timer(seconds - recorder.elapsed_s, stop.set)
            timer.daemon = True
            timer.start()
        if guide is not None:
            guide.outlet.wait_for_consumers(open_timeout_s)
            guide.run(stop=stop)
        else:
            stop.wait()
        if timer is not None:
            timer.cancel()
    finally:
        recorder.stop()
        if guide is not None:
            guide.close()
    session = assemble_session(read_spool(spool), min_gap_s=min_gap_s)
    write_session(session, out)
    if not keep_spool:
        shutil.rmtree(spool, ignore_errors=True)
    return session


def recover_capture(spool_dir: str | os.PathLike[str], out: str | os.PathLike[str], *,
                    min_gap_s: float = 0.02) -> Session:
    """Build and write the session of an interrupted capture from its spool.

    Everything the spool holds is kept (the stop time of a crashed capture
    is unknown); the spool is left in place.
    """
    from .native import write_session

    contents = read_spool(spool_dir)
    note = ("recovered from the spool of an interrupted capture" if contents.meta.get("stop_lsl") is None
            else "rebuilt from the spool of a completed capture")
    session = assemble_session(contents, min_gap_s=min_gap_s, extra_notes=(note,))
    write_session(session, out)
    return session
