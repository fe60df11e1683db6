"""Combining a video (motion) session with an EMG session on one clock.

The EMG session's clock is kept; the motion is mapped onto it by a linear
clock model ``t_emg = ratio * t_video + offset`` chosen by one of three
documented methods (:func:`combine_sessions`):

``'lsl'``
    The video was recorded alongside a live LSL capture, and the camera
    software sent a time stamp over LSL for every frame it grabbed (or for
    its first frame only); the capture holds them as markers labelled
    ``event`` (default ``'video/frame'``). One stamp per frame: a
    least-squares line through ``(frame time, stamp)`` gives offset and clock
    ratio, and its worst residual must stay within two frame periods (a
    larger one means dropped or duplicated frames). One stamp: the first
    frame is placed at it (ratio 1).
``'offset'``
    A given offset in seconds (``t_emg = t_video + offset_s``), e.g. measured
    by hand for a pair of files.
``'event'``
    A sync event recorded in both files: a marker label in the EMG session
    (e.g. a trigger pulse) and a marker in the video session (e.g. an LED
    flash found by :func:`detect_flash`, added by
    ``read_video(..., sync_flash=True)`` with the label ``'sync'``). With one
    event the offset is the difference of the two times; with two or more
    events, paired in order, a least-squares line also estimates the ratio of
    the clocks (camera frame-rate drift), which rescales the motion's frame
    rate. The fit's worst residual is recorded and must stay within two
    frame periods.

The result is validated like any Session; which method was used, with its
numbers, is written to the provenance notes.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Literal

import numpy as np

from .errors import SessionValidationError
from .session import Gap, Marker, Provenance, Session, Subject

SyncMethod = Literal["lsl", "offset", "event"]
#: Marker label of a camera's per-frame LSL time stamps (method 'lsl').
LSL_FRAME_LABEL = "video/frame"
#: Largest accepted departure of the clock ratio from 1 (5 %).
_MAX_RATIO_ERROR = 0.05


def detect_flash(
    brightness: np.ndarray, *, sfreq: float, min_jump: float = 40.0, refractory_s: float = 0.5
) -> np.ndarray:
    """Frames where a light flash (sync LED, camera flash) starts.

    Parameters
    ----------
    brightness : ndarray, shape (n_frames,)
        Mean grey level per frame (0-255).
    sfreq : float
        Frame rate in Hz.
    min_jump : float
        Smallest frame-to-frame brightness rise counted as a flash, grey
        levels; the rise must also exceed 8 robust standard deviations of
        all frame-to-frame changes.
    refractory_s : float
        Rises closer than this to the previous flash belong to it, seconds.

    Returns
    -------
    ndarray of int, shape (n_flashes,)
        Index of the first bright frame of each flash.
    """
    b = np.asarray(brightness, dtype=np.float64)
    if b.ndim != 1:
        raise SessionValidationError(f"brightness has shape {b.shape}; expected (n_frames,)")
    if not sfreq > 0:
        raise SessionValidationError(f"frame rate is {sfreq} Hz; expected > 0")
    if len(b) < 2:
        return np.zeros(0, dtype=int)
    jump = np.diff(b)
    spread = 1.4826 * float(np.median(np.abs(jump - np.median(jump))))
    limit = max(min_jump, 8 * spread)
    onsets: list[int] = []
    for i in np.flatnonzero(jump > limit) + 1:
        if not onsets or (i - onsets[-1]) / sfreq >= refractory_s:
            onsets.append(int(i))
    return np.asarray(onsets, dtype=int)


def combine_sessions(
    emg_session: Session,
    video_session: Session,
    *,
    method: SyncMethod,
    offset_s: float | None = None,
    event: str | None = None,
    video_event: str | None = None,
) -> Session:
    """Put a video session's motion on an EMG session's clock, as one session.

    Parameters
    ----------
    emg_session : Session
        Has EMG and no motion; its clock becomes the combined clock.
    video_session : Session
        Has motion (e.g. from :func:`acquisition.readers.video.read_video`).
    method : {'lsl', 'offset', 'event'}
        How the clocks are related; see the module docstring.
    offset_s : float, optional
        For ``'offset'``: seconds added to video times.
    event : str, optional
        For ``'event'``: marker label of the sync event in the EMG session;
        for ``'lsl'``: label of the frame time stamps (default ``'video/frame'``).
    video_event : str, optional
        For ``'event'``: its label in the video session (default ``event``).

    Returns
    -------
    Session
        EMG and motion; segments from the EMG session when it has any,
        otherwise the video's (mapped); markers, gaps, quality findings,
        sources and notes of both.
    """
    if emg_session.emg is None:
        raise SessionValidationError("the EMG session has no EMG stream")
    if emg_session.motion is not None:
        raise SessionValidationError("the EMG session already has motion; expected EMG only")
    if video_session.motion is None:
        raise SessionValidationError("the video session has no motion stream")
    if emg_session.protocol != video_session.protocol:
        raise SessionValidationError(
            f"the EMG session follows protocol {emg_session.protocol!r} but the video session "
            f"{video_session.protocol!r}"
        )
    motion = video_session.motion
    ratio, offset, how = _clock_model(emg_session, video_session, method, offset_s, event, video_event)

    def to_emg(t: float) -> float:
        return ratio * t + offset

    new_motion = replace(motion, t0=to_emg(motion.t0), sfreq=motion.sfreq / ratio)
    mapped_segments = tuple(replace(s, start=to_emg(s.start), end=to_emg(s.end)) for s in video_session.segments)
    notes = list(emg_session.provenance.notes) + [f"video: {n}" for n in video_session.provenance.notes]
    if emg_session.segments:
        segments = emg_session.segments
        if mapped_segments:
            notes.append("segments: kept the EMG session's; the video session's were not used")
    else:
        segments = mapped_segments
    notes.append(how)
    video_offsets = dict(video_session.provenance.clock_offsets)
    clock_offsets = tuple(emg_session.provenance.clock_offsets) + (
        ("motion", ratio * video_offsets.get("motion", 0.0) + offset),
    )
    combined = Session(
        emg=emg_session.emg,
        motion=new_motion,
        segments=segments,
        markers=emg_session.markers + tuple(Marker(to_emg(m.time), m.label) for m in video_session.markers),
        gaps=tuple(g for g in emg_session.gaps if g.stream == "emg")
        + tuple(
            Gap(g.stream, to_emg(g.start), to_emg(g.end), g.reason)
            for g in video_session.gaps
            if g.stream == "motion"
        ),
        subject=_merge_subjects(emg_session.subject, video_session.subject),
        provenance=Provenance(
            sources=emg_session.provenance.sources + video_session.provenance.sources,
            devices=emg_session.provenance.devices + video_session.provenance.devices,
            clock_offsets=clock_offsets,
            unmapped_channels=emg_session.provenance.unmapped_channels,
            notes=tuple(notes),
        ),
        quality=emg_session.quality + video_session.quality,
        protocol=emg_session.protocol,
        recorded_at=emg_session.recorded_at or video_session.recorded_at,
    )
    emg_span = (emg_session.emg.t0, emg_session.emg.t0 + emg_session.emg.duration)
    motion_span = (new_motion.t0, new_motion.t0 + new_motion.duration)
    if motion_span[1] <= emg_span[0] or motion_span[0] >= emg_span[1]:
        raise SessionValidationError(
            f"after synchronisation the video ({motion_span[0]:.3f}-{motion_span[1]:.3f} s) does not overlap "
            f"the EMG ({emg_span[0]:.3f}-{emg_span[1]:.3f} s); check the {method} synchronisation"
        )
    return combined


def _clock_model(
    emg_session: Session,
    video_session: Session,
    method: str,
    offset_s: float | None,
    event: str | None,
    video_event: str | None,
) -> tuple[float, float, str]:
    """Return (ratio, offset, note) of ``t_emg = ratio * t_video + offset``."""
    motion = video_session.motion
    if method == "offset":
        if offset_s is None or not np.isfinite(offset_s):
            raise SessionValidationError(f"offset synchronisation needs a finite offset_s; got {offset_s!r}")
        return 1.0, float(offset_s), f"motion synchronised to the EMG clock by a given offset of {offset_s:+.4f} s"
    if method == "lsl":
        label = event or LSL_FRAME_LABEL
        te = np.sort([m.time for m in emg_session.markers if m.label == label])
        if len(te) == 1:
            offset = float(te[0] - motion.t0)
            note = (
                f"motion synchronised to the EMG clock by the LSL time stamp of the first video frame "
                f"({label!r} at {te[0]:.4f} s): shift {offset:+.4f} s"
            )
            return 1.0, offset, note
        if len(te) != motion.n_frames:
            raise SessionValidationError(
                f"LSL synchronisation needs the camera's frame time stamps: the EMG session has {len(te)} "
                f"{label!r} markers but the video has {motion.n_frames} frames; expected one per frame or one "
                "for the first frame"
            )
        return _fit_clock(motion.times, te, motion.sfreq, f"{len(te)} LSL frame time stamps ({label!r})")
    if method == "event":
        if not event:
            raise SessionValidationError("event synchronisation needs the EMG sync marker label (event)")
        label_v = video_event or event
        te = np.array([m.time for m in emg_session.markers if m.label == event])
        tv = np.array([m.time for m in video_session.markers if m.label == label_v])
        if len(te) == 0 or len(tv) == 0:
            raise SessionValidationError(
                f"sync event {event!r} occurs {len(te)} times in the EMG session and {label_v!r} "
                f"{len(tv)} times in the video session; expected at least one in each"
            )
        if len(te) != len(tv):
            raise SessionValidationError(
                f"sync event {event!r} occurs {len(te)} times in the EMG session but {label_v!r} "
                f"{len(tv)} times in the video session; they must pair up"
            )
        if len(te) == 1:
            offset = float(te[0] - tv[0])
            note = (
                f"motion synchronised to the EMG clock by one sync event ({event!r} at {te[0]:.4f} s, "
                f"video {label_v!r} at {tv[0]:.4f} s): shift {offset:+.4f} s"
            )
            return 1.0, offset, note
        return _fit_clock(tv, te, motion.sfreq, f"{len(te)} sync events ({event!r} / {label_v!r})")
    raise SessionValidationError(
        f"synchronisation method {method!r} is unknown; expected 'lsl', 'offset' or 'event'"
    )


def _fit_clock(tv: np.ndarray, te: np.ndarray, sfreq: float, what: str) -> tuple[float, float, str]:
    """Least-squares clock line ``te = ratio * tv + offset``, checked for plausibility."""
    ratio, offset = np.polyfit(tv, te, 1)
    if abs(ratio - 1) > _MAX_RATIO_ERROR:
        raise SessionValidationError(
            f"the {what} imply a clock ratio of {ratio:.4f}; expected within {_MAX_RATIO_ERROR:.0%} of 1 "
            "(are they paired correctly?)"
        )
    worst = float(np.max(np.abs(ratio * tv + offset - te)))
    if worst > 2 / sfreq:
        raise SessionValidationError(
            f"the {what} do not fit one clock model: worst residual {worst * 1e3:.1f} ms exceeds two frame "
            f"periods ({2e3 / sfreq:.1f} ms)"
        )
    note = (
        f"motion synchronised to the EMG clock by {what}: t_emg = {ratio:.6f} x t_video {offset:+.4f} s, "
        f"worst residual {worst * 1e3:.1f} ms"
    )
    return float(ratio), float(offset), note


def _merge_subjects(a: Subject, b: Subject) -> Subject:
    values = {}
    for f in fields(Subject):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is not None and y is not None and x != y:
            raise SessionValidationError(
                f"subject {f.name} differs between the sessions: EMG session {x!r}, video session {y!r}"
            )
        values[f.name] = x if x is not None else y
    return Subject(**values)


__all__ = ["LSL_FRAME_LABEL", "SyncMethod", "combine_sessions", "detect_flash"]
