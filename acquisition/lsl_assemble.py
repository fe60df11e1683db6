"""Turn received LSL chunks (a capture spool) into a Session on one clock.

Session clock: ``t = stamp + correction - origin``, where ``stamp`` is the
sender's LSL time stamp, ``correction`` the inlet's ``time_correction()``
for that chunk (the sender's clock offset to the recorder's) and ``origin``
the recorder's LSL clock when the capture started. Samples before the origin
or after the stop are dropped.

Regular streams are laid on a grid of their nominal rate. The samples are
split into *runs* wherever consecutive time stamps are further apart than
``max(min_gap_s, 2.5 / rate)`` (or go backwards); each run's time stamps are
fitted with a straight line (removing chunk jitter), the first run's
intercept is the block's ``t0`` and each later run starts at the grid
index nearest its intercept. The space between runs is a dropout: filled
with NaN and recorded as a :class:`~acquisition.session.Gap`. Motion frames
that the source sent as NaN (face not tracked) are also recorded as gaps.
A run whose fitted rate differs from the nominal rate by more than 100 ppm
is reported as a quality warning (its samples are kept on the nominal grid).

Markers become segments with :func:`acquisition.segments.interpret_events`
(the same rules as for files). Camera landmarks in image coordinates are
brought into the head-fixed millimetre frame with
:func:`acquisition.headframe.to_head_frame`, the neutral face taken from the
first ``rest`` segment (or the first tracked second), with the per-frame
confidence of :func:`acquisition.readers.video.tracking_confidence`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .errors import MappingError
from .lsl_spool import Chunk, SpoolContents
from .lsl_streams import LslError, map_emg_channels, motion_layout, parse_description
from .protocol import STANDARD_PROTOCOL, Protocol, Task, get_protocol
from .segments import Event, interpret_events
from .session import EmgBlock, Gap, MotionBlock, Provenance, QualityIssue, Segment, Session, Subject

RATE_TOLERANCE_PPM = 100.0
#: Camera streams: length of the neutral-face window when there is no rest segment, seconds.
NEUTRAL_S = 1.0


@dataclass(frozen=True)
class Grid:
    """A regular stream laid on its nominal grid.

    Attributes
    ----------
    values : ndarray, shape (n_samples, n_channels), float32
        NaN where nothing was received.
    t0 : float
        Session time of row 0, seconds.
    gaps : list of (float, float)
        Session-time intervals with no samples, seconds.
    received : ndarray, shape (n_samples,), bool
    max_jitter_s : float
        Largest deviation of a time stamp from its run's fitted line.
    worst_rate_ppm : float
        Largest deviation of a run's fitted rate from the nominal rate.
    """

    values: np.ndarray
    t0: float
    gaps: list[tuple[float, float]]
    received: np.ndarray
    max_jitter_s: float
    worst_rate_ppm: float


def session_times(chunks: list[Chunk], *, origin: float) -> np.ndarray:
    """Session times of all samples of ``chunks``, shape (n_samples,), seconds."""
    if not chunks:
        return np.zeros(0)
    return np.concatenate([c.stamps + c.correction for c in chunks]) - origin


def grid_regular(times: np.ndarray, values: np.ndarray, *, sfreq: float, min_gap_s: float = 0.02) -> Grid:
    """Lay samples with time stamps on a regular grid (see the module docstring).

    Parameters
    ----------
    times : ndarray, shape (n_samples,)
        Session times in arrival order, seconds.
    values : ndarray, shape (n_samples, n_channels)
    sfreq : float
        Nominal rate in Hz.
    min_gap_s : float
        Shortest interruption recorded as a gap, seconds.
    """
    n = len(times)
    if n == 0:
        raise LslError("no samples to lay on a grid")
    period = 1.0 / sfreq
    threshold = max(min_gap_s, 2.5 * period)
    dt = np.diff(times)
    breaks = np.flatnonzero((dt > threshold) | (dt < -threshold)) + 1
    bounds = np.concatenate(([0], breaks, [n]))
    t0 = None
    placed: list[tuple[int, int, int]] = []  # (grid start, sample start, sample end)
    end_index = 0
    max_jitter = 0.0
    worst_ppm = 0.0
    for a, b in zip(bounds[:-1], bounds[1:]):
        t = times[a:b]
        j = np.arange(b - a, dtype=float)
        if b - a >= 2:
            slope, intercept = np.polyfit(j, t, 1)
            if b - a >= sfreq:  # a second or more of samples: enough to judge the rate
                worst_ppm = max(worst_ppm, abs(slope / period - 1.0) * 1e6)
            fitted_start = float(intercept)
            max_jitter = max(max_jitter, float(np.max(np.abs(t - (intercept + slope * j)))))
        else:
            fitted_start = float(t[0])
        if t0 is None:
            t0 = float(fitted_start)
            start = 0
        else:
            start = max(end_index, int(round((fitted_start - t0) * sfreq)))
        placed.append((start, int(a), int(b)))
        end_index = start + (b - a)
    assert t0 is not None
    out = np.full((end_index, values.shape[1]), np.nan, dtype=np.float32)
    received = np.zeros(end_index, dtype=bool)
    gaps = []
    previous_end = 0
    for start, a, b in placed:
        if start > previous_end:
            gaps.append((t0 + previous_end * period, t0 + start * period))
        out[start : start + (b - a)] = values[a:b]
        received[start : start + (b - a)] = True
        previous_end = start + (b - a)
    return Grid(out, t0, gaps, received, max_jitter, worst_ppm)


def nan_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` index runs where ``mask`` is True."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _window(times: np.ndarray, stop: float | None, sfreq: float) -> np.ndarray:
    keep = times >= -0.5 / sfreq if sfreq > 0 else times >= 0
    if stop is not None:
        keep &= times <= stop
    return keep


def _correction_note(key: str, chunks: list[Chunk]) -> tuple[float, str]:
    corrections = np.array([c.correction for c in chunks])
    median = float(np.median(corrections))
    spread = float(corrections.max() - corrections.min())
    return median, (
        f"{key}: LSL clock correction applied per chunk, median {median * 1e3:.3f} ms "
        f"(range {spread * 1e3:.3f} ms over {len(chunks)} chunks)"
    )


def protocol_of(meta: Mapping[str, Any]) -> Protocol:
    """The protocol named in spool metadata (a custom one is rebuilt from its task names)."""
    name = str(meta.get("protocol") or STANDARD_PROTOCOL.name)
    try:
        return get_protocol(name)
    except KeyError:
        known = {t.name: t for t in STANDARD_PROTOCOL.tasks}
        tasks = tuple(known.get(n, Task(n, n, n, ())) for n in meta.get("protocol_tasks") or ())
        return Protocol(name, tasks or STANDARD_PROTOCOL.tasks)


def _device(info: Mapping[str, Any]) -> str:
    rate = float(info["nominal_srate"])
    return (
        f"LSL {info['kind']} stream {info['name']!r} (type {info['type']}, {info['channel_count']} ch @ "
        f"{'irregular' if rate == 0 else f'{rate:g} Hz'}, source_id {info['source_id']!r}, host {info['hostname']!r})"
    )


def assemble_session(contents: SpoolContents, *, min_gap_s: float = 0.02, extra_notes: tuple[str, ...] = ()) -> Session:
    """Build the Session recorded in a spool.

    Parameters
    ----------
    contents : SpoolContents
        From :func:`acquisition.lsl_spool.read_spool`.
    min_gap_s : float
        Shortest interruption of a regular stream recorded as a gap, seconds.
    extra_notes : tuple of str
        Processing notes to add to the provenance.

    Raises
    ------
    LslError
        Neither EMG nor motion samples were received.
    """
    meta = contents.meta
    origin = float(meta["origin_lsl"])
    stop = None if meta.get("stop_lsl") is None else float(meta["stop_lsl"]) - origin
    streams: Mapping[str, Mapping[str, Any]] = meta["streams"]
    protocol = protocol_of(meta)
    notes = [
        f"recorded live over LSL (liblsl {meta.get('liblsl', '?')}); session time 0 = the recorder's LSL clock "
        "at capture start; each stream's time stamps corrected to that clock with LSL time_correction()",
        *extra_notes,
    ]
    guide = meta.get("guide")
    if guide:
        notes.append(f"guided capture: tasks {', '.join(meta.get('protocol_tasks') or protocol.task_names)}; "
                     f"{guide['repetitions']} repetitions, hold {guide['hold_s']:g} s, rest {guide['rest_s']:g} s")
    quality: list[QualityIssue] = []
    offsets: list[tuple[str, float]] = []
    gaps: list[Gap] = []
    for key in streams:
        if key in contents.truncated:
            notes.append(f"{key}: ignored an incomplete last spool record of {contents.truncated[key]} bytes")
    # markers first: the segments they make choose the neutral face of camera landmarks
    events = []
    for key, info in streams.items():
        chunks = contents.chunks.get(key, [])
        if info["kind"] != "markers" or not chunks:
            continue
        median, note = _correction_note(key, chunks)
        offsets.append((key, median))
        notes.append(note)
        times = session_times(chunks, origin=origin)
        labels = [str(row[0]) for c in chunks for row in c.values]
        keep = _window(times, stop, 0.0)
        events.extend(Event(float(t), lbl) for t, lbl, k in zip(times, labels, keep) if k)
    interpreted = interpret_events(events, protocol=protocol)
    quality.extend(interpreted.issues)
    emg = motion = None
    unmapped: tuple[str, ...] = ()
    for key, info in streams.items():
        kind = info["kind"]
        if kind == "markers":
            continue
        chunks = contents.chunks.get(key, [])
        rate = float(info["nominal_srate"])
        times = session_times(chunks, origin=origin)
        keep = _window(times, stop, rate)
        if not keep.any():
            quality.append(QualityIssue("lsl.no_samples", "error",
                                        f"no samples were received from LSL stream {info['name']!r} during the capture",
                                        stream=kind))
            continue
        median, note = _correction_note(key, chunks)
        offsets.append((key, median))
        notes.append(note)
        values = np.concatenate([c.values for c in chunks])
        grid = grid_regular(times[keep], values[keep], sfreq=rate, min_gap_s=min_gap_s)
        description = parse_description(info["xml"])
        gaps.extend(Gap(kind, a, b, f"no samples from LSL stream {info['name']!r} (dropout)") for a, b in grid.gaps)
        if grid.worst_rate_ppm > RATE_TOLERANCE_PPM:
            quality.append(QualityIssue(
                "lsl.rate_mismatch", "warning",
                f"LSL stream {info['name']!r} delivered samples at a rate {grid.worst_rate_ppm:.0f} ppm away from "
                f"its nominal {rate:g} Hz; samples were kept on the nominal grid", stream=kind))
        notes.append(f"{key}: {grid.values.shape[0]} samples on a {rate:g} Hz grid, {len(grid.gaps)} dropouts, "
                     f"time-stamp jitter up to {grid.max_jitter_s * 1e3:.3f} ms")
        if kind == "emg":
            mapping = map_emg_channels(description["channels"] or [{} for _ in range(values.shape[1])],
                                       stream_name=info["name"], mapping=meta.get("mapping"))
            data = grid.values[:, list(mapping.rows)] * np.asarray(mapping.scale, dtype=np.float32)
            emg = EmgBlock(np.ascontiguousarray(data.T, dtype=np.float32), rate, mapping.channels, grid.t0)
            unmapped = mapping.unmapped
        else:
            motion, motion_notes = _motion_block(grid, description, info, rate, interpreted.segments)
            notes.extend(f"{key}: {n}" for n in motion_notes)
            lost = grid.received & np.isnan(motion.data).all(axis=(1, 2))
            gaps.extend(Gap("motion", grid.t0 + a / rate, grid.t0 + b / rate, "face not tracked")
                        for a, b in nan_runs(lost))
    if emg is None and motion is None:
        names = ", ".join(repr(s["name"]) for s in streams.values() if s["kind"] != "markers") or "no stream"
        raise LslError(f"no EMG or motion samples were received from {names}; nothing to save")
    span = [b for b in (emg, motion) if b is not None]
    lo, hi = min(b.t0 for b in span), max(b.t0 + b.duration for b in span)
    segments = interpreted.segments
    inside = tuple(s for s in segments if s.end > lo and s.start < hi)
    if len(inside) < len(segments):
        notes.append(f"markers: {len(segments) - len(inside)} task segments lie outside the recorded data; dropped")
    return Session(
        emg=emg,
        motion=motion,
        segments=inside,
        markers=interpreted.markers,
        gaps=tuple(gaps),
        subject=Subject(),
        provenance=Provenance(devices=tuple(_device(i) for i in streams.values()), clock_offsets=tuple(offsets),
                              unmapped_channels=unmapped, notes=tuple(notes)),
        quality=tuple(quality),
        protocol=protocol.name,
        recorded_at=meta.get("started_at"),
    )


def _motion_block(grid: Grid, description: Mapping[str, Any], info: Mapping[str, Any], rate: float,
                  segments: tuple[Segment, ...]) -> tuple[MotionBlock, list[str]]:
    layout = motion_layout(description, channel_count=grid.values.shape[1], stream_name=info["name"])
    frames = grid.values.reshape(len(grid.values), -1, 3)
    if layout.coordinates == "head":
        data = frames * np.float32(layout.mm_per_unit)
        block = MotionBlock(np.ascontiguousarray(data, dtype=np.float32), rate, layout.scheme, "mm",
                            layout.point_names, grid.t0, None, layout.facial_points)
        return block, []
    from .headframe import image_to_camera, to_head_frame
    from .readers.video import tracking_confidence

    found = ~np.isnan(frames).any(axis=(1, 2))
    if not found.any():
        raise LslError(f"motion stream {info['name']!r}: no frame had a tracked face")
    times = grid.t0 + np.arange(len(frames)) / rate
    rest = [s for s in segments if s.task == "rest"]
    first = float(times[np.argmax(found)])
    window = (rest[0].start, rest[0].end) if rest else (first, first + NEUTRAL_S)
    mask = (times >= window[0]) & (times <= window[1]) & found
    if not mask.any():
        mask = found
        window = (first, float(times[found][-1]))
    try:
        head = to_head_frame(image_to_camera(frames, width=layout.width, height=layout.height), neutral_frames=mask)
    except MappingError as exc:
        raise LslError(f"motion stream {info['name']!r}: cannot normalise the landmarks: {exc}") from None
    confidence = tracking_confidence(found, head.residual_mm)
    block = MotionBlock(head.points, rate, layout.scheme, "mm", layout.point_names, grid.t0, confidence)
    notes = [*head.notes, f"neutral window {window[0]:.3f}-{window[1]:.3f} s"
             + (" (first rest segment)" if rest else " (first tracked second)")]
    return block, notes
