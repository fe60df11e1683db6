"""Live capture over Lab Streaming Layer (LSL): publish, discover, guide, record, feed back.

This module gathers the public API of the ``acquisition.lsl_*`` modules:

=========================  ===============================================
:func:`discover_streams`    find EMG, motion (Mocap / face landmarks) and
                            marker streams (:mod:`acquisition.lsl_streams`)
:func:`select_streams`      choose one EMG, one motion, any marker streams
:func:`map_emg_channels`    stream channel labels -> muscle and side
:func:`capture_lsl`         record (timed, or guided through a protocol)
                            into a native session (:mod:`acquisition.lsl_record`)
:func:`recover_capture`     rebuild the session of a crashed capture from
                            its spool (:mod:`acquisition.lsl_spool`)
:func:`stream_session`      publish any Session in real time, optionally
                            with injected clock offsets (:mod:`acquisition.lsl_publish`)
:class:`ProtocolGuide`      instructions with timing + task markers
                            (:mod:`acquisition.lsl_guide`, vocabulary in
                            :mod:`acquisition.lsl_markers`)
:class:`BiofeedbackMonitor` left/right EMG RMS and landmark symmetry on
                            sliding windows (:mod:`acquisition.lsl_biofeedback`)
:func:`run_camera_source`   webcam or video file -> MediaPipe face mesh ->
                            LSL (:mod:`acquisition.lsl_camera`)
=========================  ===============================================

How a capture works
-------------------
1. Streams are discovered on the network and chosen (by name or source id
   when several of a kind are visible). EMG channels are mapped to muscle
   and side; a mapping error stops the capture before it starts.
2. In guided mode the recorder creates its own marker outlet and guides the
   patient through the protocol (:data:`acquisition.protocol.STANDARD_PROTOCOL`
   by default): ``<task>/cue|rep=N``, ``<task>/start|rep=N``,
   ``<task>/end|rep=N`` markers go out over LSL like any other stream.
3. Every chunk from every inlet is appended to a spool on disk as it
   arrives (flushed per chunk, fsync'ed every 0.5 s): a crash loses at most
   that much, and ``fpcds capture recover SPOOL`` rebuilds the session.
4. Session clock: 0 is the recorder's LSL clock at the start; every chunk's
   time stamps get the inlet's current ``time_correction()`` (the sender's
   clock offset), recorded per stream in ``provenance.clock_offsets``.
5. A stream that drops out is reconnected by liblsl when an outlet with the
   same source id returns; the silent interval becomes a NaN-filled
   :class:`~acquisition.session.Gap` and the capture goes on. Frames a
   camera sends without a face become ``face not tracked`` gaps.
6. Stopping (time up, protocol done, Ctrl-C / SIGTERM) keeps everything
   stamped up to the stop instant, builds the Session (segments from the
   markers) and writes it with :func:`acquisition.native.write_session`.
"""

from __future__ import annotations

from .lsl_biofeedback import BiofeedbackMonitor, landmark_symmetry
from .lsl_camera import run_camera_source
from .lsl_guide import GuideEvent, ProtocolGuide, format_event
from .lsl_markers import parse_marker, protocol_marker, task_marker
from .lsl_publish import SessionPublisher, stream_names, stream_session
from .lsl_record import Recorder, capture_lsl, recover_capture
from .lsl_streams import (
    LslError,
    LslStream,
    StreamSelection,
    discover_streams,
    map_emg_channels,
    select_streams,
)

__all__ = [
    "BiofeedbackMonitor",
    "GuideEvent",
    "LslError",
    "LslStream",
    "ProtocolGuide",
    "Recorder",
    "SessionPublisher",
    "StreamSelection",
    "capture_lsl",
    "discover_streams",
    "format_event",
    "landmark_symmetry",
    "map_emg_channels",
    "parse_marker",
    "protocol_marker",
    "recover_capture",
    "run_camera_source",
    "select_streams",
    "stream_names",
    "stream_session",
    "task_marker",
]
