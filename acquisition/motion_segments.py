"""Automatic protocol task segmentation from facial motion energy.

When a recording follows a protocol whose task order is known (e.g.
:data:`acquisition.protocol.STANDARD_PROTOCOL`) but no timing sidecar or cue
markers exist, the task repetitions can be found in the motion itself:

1. **Motion energy** (:func:`landmark_energy`): for every frame, the mean
   displacement from the neutral face of the ``top_k`` most displaced
   face-mesh points, in mm. Taking the most displaced points (rather than all
   478) makes small, local tasks such as gentle eye closure as visible as a
   big smile. It is smoothed with a centred moving median.
2. **Movement bouts** (:func:`movement_bouts`): hysteresis thresholds above
   the resting level (median + ``k`` robust standard deviations of the
   quietest half of the recording, and at least ``min_mm``); bouts closer
   than ``merge_s`` are merged and bouts shorter than ``min_bout_s`` dropped.
3. **Assignment** (:func:`detect_segments`): the protocol's *moving* tasks
   (those with target muscles) times its repetitions must match the bouts
   one to one, in order; each bout becomes one :class:`Segment`. Tasks
   without target muscles (``rest``) cannot be seen in motion: their
   repetitions are laid out in the quiet interval where the protocol puts
   them, split into equal parts with a margin of ``margin_s`` on each side.
   If the number of bouts does not match, nothing is guessed: a
   :class:`MotionSegmentationError` says how many were found and expected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from .errors import FpcdsError
from .face_mesh import RIGID_POINTS
from .protocol import Protocol
from .session import Segment


class MotionSegmentationError(FpcdsError, ValueError):
    """Protocol tasks could not be found in the motion of a recording."""


@dataclass(frozen=True)
class SegmentationResult:
    """Segments found in motion, with the evidence behind them.

    Attributes
    ----------
    segments : tuple of Segment
        On the session clock (seconds).
    energy : ndarray, shape (n_frames,), float32
        Smoothed motion energy, mm.
    threshold_mm : tuple of (float, float)
        Hysteresis thresholds (off, on), mm.
    notes : tuple of str
        Processing record.
    """

    segments: tuple[Segment, ...]
    energy: np.ndarray
    threshold_mm: tuple[float, float]
    notes: tuple[str, ...]


def landmark_energy(
    points: np.ndarray, *, sfreq: float, reference: np.ndarray, top_k: int = 24, smooth_s: float = 0.2
) -> np.ndarray:
    """Per-frame facial motion energy: mean displacement of the most displaced points.

    Parameters
    ----------
    points : ndarray, shape (n_frames, n_points, 3)
        Head-fixed coordinates in mm; NaN frames are interpolated
        linearly from the tracked frames around them.
    sfreq : float
        Frame rate in Hz.
    reference : ndarray, shape (n_points, 3)
        The neutral face, mm.
    top_k : int
        How many of the most displaced non-rigid points are averaged.
    smooth_s : float
        Width of the centred moving median, seconds.

    Returns
    -------
    ndarray, shape (n_frames,), float32
        Millimetres.
    """
    pts = np.asarray(points, dtype=np.float32)
    ref = np.asarray(reference, dtype=np.float32)
    if pts.ndim != 3 or pts.shape[1:] != ref.shape or ref.shape[-1] != 3:
        raise MotionSegmentationError(
            f"motion has shape {pts.shape} and the neutral face {ref.shape}; expected (n_frames, n, 3) and (n, 3)"
        )
    if not sfreq > 0:
        raise MotionSegmentationError(f"frame rate is {sfreq} Hz; expected > 0")
    moving = np.setdiff1d(np.arange(pts.shape[1]), RIGID_POINTS) if pts.shape[1] > max(RIGID_POINTS) else None
    disp = np.linalg.norm(pts - ref[None], axis=2)
    if moving is not None:
        disp = disp[:, moving]
    k = int(min(max(1, top_k), disp.shape[1]))
    ok = np.all(np.isfinite(disp), axis=1)
    if not ok.any():
        raise MotionSegmentationError("no frame of the motion has a tracked face")
    energy = np.full(len(disp), np.nan, dtype=np.float32)
    energy[ok] = np.mean(np.partition(disp[ok], disp.shape[1] - k, axis=1)[:, -k:], axis=1)
    if not ok.all():
        idx = np.flatnonzero(ok)
        energy = np.interp(np.arange(len(energy)), idx, energy[idx]).astype(np.float32)
    width = max(1, int(round(smooth_s * sfreq)) | 1)
    return median_filter(energy, size=width, mode="nearest").astype(np.float32)


def movement_bouts(
    energy: np.ndarray,
    *,
    sfreq: float,
    k: float = 6.0,
    min_mm: float = 0.6,
    merge_s: float = 0.4,
    min_bout_s: float = 0.4,
) -> tuple[list[tuple[int, int]], tuple[float, float]]:
    """Intervals where the motion energy rises above the resting level.

    Parameters
    ----------
    energy : ndarray, shape (n_frames,)
        Motion energy in mm (:func:`landmark_energy`).
    sfreq : float
        Frame rate in Hz.
    k : float
        The *on* threshold is the resting median plus ``k`` robust standard
        deviations (1.4826 x MAD) of the quietest half of the frames; the
        *off* threshold is halfway between the resting median and it.
    min_mm : float
        Lower bound of the on threshold, mm (tracking jitter).
    merge_s, min_bout_s : float
        Bouts separated by less than ``merge_s`` seconds are merged; bouts
        shorter than ``min_bout_s`` are dropped.

    Returns
    -------
    bouts : list of (first_frame, end_frame)
        ``end_frame`` is exclusive.
    thresholds : (off_mm, on_mm)
    """
    e = np.asarray(energy, dtype=np.float64)
    quiet = np.sort(e)[: max(1, len(e) // 2)]
    rest = float(np.median(quiet))
    spread = 1.4826 * float(np.median(np.abs(quiet - rest)))
    on = max(rest + k * spread, rest + min_mm)
    off = (rest + on) / 2
    bouts: list[tuple[int, int]] = []
    active, start = False, 0
    for i, value in enumerate(e):
        if not active and value > on:
            active, start = True, i
            while start > 0 and e[start - 1] > off:
                start -= 1
        elif active and value < off:
            active = False
            bouts.append((start, i))
    if active:
        bouts.append((start, len(e)))
    merged: list[tuple[int, int]] = []
    for b in bouts:
        if merged and (b[0] - merged[-1][1]) / sfreq < merge_s:
            merged[-1] = (merged[-1][0], b[1])
        else:
            merged.append(b)
    return [b for b in merged if (b[1] - b[0]) / sfreq >= min_bout_s], (off, on)


def detect_segments(
    points: np.ndarray,
    *,
    sfreq: float,
    reference: np.ndarray,
    protocol: Protocol,
    t0: float = 0.0,
    margin_s: float = 0.25,
) -> SegmentationResult:
    """Find the protocol's task repetitions in head-fixed facial motion.

    Parameters
    ----------
    points : ndarray, shape (n_frames, n_points, 3)
        Head-fixed landmarks, mm.
    sfreq : float
        Frame rate in Hz.
    reference : ndarray, shape (n_points, 3)
        The subject's neutral face, mm.
    protocol : Protocol
        Task order and repetitions the recording followed.
    t0 : float
        Session time of the first frame, seconds.
    margin_s : float
        Margin kept between a still task's repetitions and neighbouring
        movement, seconds.

    Returns
    -------
    SegmentationResult
    """
    energy = landmark_energy(points, sfreq=sfreq, reference=reference)
    bouts, (off, on) = movement_bouts(energy, sfreq=sfreq)
    moving = [t.name for t in protocol.tasks if t.target_muscles]
    expected = len(moving) * protocol.repetitions
    if len(bouts) != expected:
        raise MotionSegmentationError(
            f"found {len(bouts)} movement bouts in the motion but protocol {protocol.name!r} expects {expected} "
            f"({len(moving)} moving tasks x {protocol.repetitions} repetitions); "
            "give the task timing as a segment sidecar instead"
        )
    n = len(energy)
    segments: list[Segment] = []
    bout_iter = iter(bouts)
    prev_end = 0
    pending_still: list[str] = []
    for task in protocol.tasks:
        if not task.target_muscles:
            pending_still.append(task.name)
            continue
        for rep in range(1, protocol.repetitions + 1):
            first, end = next(bout_iter)
            if pending_still:
                segments += _still_segments(
                    pending_still, protocol.repetitions, prev_end, first, sfreq, t0, margin_s
                )
                pending_still = []
            segments.append(Segment(task.name, t0 + first / sfreq, t0 + end / sfreq, rep))
            prev_end = end
    if pending_still:
        segments += _still_segments(pending_still, protocol.repetitions, prev_end, n, sfreq, t0, margin_s)
    notes = (
        f"segments: detected from facial motion energy (mean displacement of the 24 most displaced points from "
        f"the neutral face), thresholds {off:.2g}/{on:.2g} mm; {len(bouts)} movement bouts assigned in the order "
        f"of protocol {protocol.name!r}"
        + (
            f"; still tasks {[t.name for t in protocol.tasks if not t.target_muscles]} placed in quiet intervals"
            if len(moving) < len(protocol.tasks)
            else ""
        ),
    )
    return SegmentationResult(tuple(segments), energy, (float(off), float(on)), notes)


def _still_segments(
    tasks: list[str], repetitions: int, start: int, end: int, sfreq: float, t0: float, margin_s: float
) -> list[Segment]:
    lo = t0 + start / sfreq + (margin_s if start > 0 else 0.0)
    hi = t0 + end / sfreq - margin_s
    parts = len(tasks) * repetitions
    if (hi - lo) / parts < 2 / sfreq:
        raise MotionSegmentationError(
            f"the quiet interval {lo:.2f}-{hi:.2f} s is too short for the {parts} repetitions of {tasks}"
        )
    step = (hi - lo) / parts
    out = []
    for j, name in enumerate(tasks):
        for rep in range(1, repetitions + 1):
            i = j * repetitions + rep - 1
            out.append(Segment(name, lo + i * step, lo + (i + 1) * step, rep))
    return out
