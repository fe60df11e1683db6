"""What the report plots from a session: sEMG envelopes and landmark movement per task, and face displacements.

Nothing here is a new measure: the sEMG is cleaned with the filter the
feature code used (band, powerline notches from the processing record) and
enveloped with :func:`models.features.emg.emg_envelope`; landmarks come from
:func:`models.features.landmarks.face_track` in the Emotrics frame; rest is
the resting stretch the feature code uses. Only the windows around each
task are processed, so long recordings cost no more than the protocol.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from acquisition.protocol import STANDARD_PROTOCOL
from acquisition.session import Session
from models.features.names import TASK_PRIMARY

#: Seconds shown before the first and after the last repetition of a task.
MARGIN_S = 1.0
#: Seconds of sEMG filtered beyond each side of a shown window (edge effects stay outside it).
GUARD_S = 1.0
#: Points per plotted trace at most.
MAX_POINTS = 300
#: Muscles shown per task plot at most.
MAX_MUSCLES = 2
#: Muscles shown at rest (no target muscles), in order of preference.
REST_MUSCLES = ("zygomaticus", "orbicularis_oculi", "frontalis_lateral", "orbicularis_oris")
#: Tasks drawn on the face diagram.
FACE_TASKS = ("brow_raise", "tight_eye_closure", "smile_open")
#: Displacement measures: name -> (landmark, frontal plane only).
DISPLACEMENTS = {"commissure_displacement": ("commissure", True), "cheek_displacement": ("cheek", False)}


@dataclass(frozen=True)
class Trace:
    """One plotted line.

    Attributes
    ----------
    label : str
        E.g. ``'zygomaticus left'``.
    side : {'left', 'right'}
    times : ndarray, shape (n,), float64
        Session time, s.
    values : ndarray, shape (n,), float64
        µV for sEMG envelopes, mm for movements; NaN where lost.
    """

    label: str
    side: str
    times: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class TaskSignals:
    """Plot data of one task.

    Attributes
    ----------
    task, title : str
    window : (float, float)
        Shown interval, session seconds.
    repetitions : tuple of (float, float)
        The task's segments.
    emg : tuple of Trace
        Envelopes (µV) of the task's target muscles, left and right.
    emg_note : str
        Why there is no sEMG plot ('' when there is one).
    motion : tuple of Trace
        Movement of the task's primary measure from rest (mm), left and right.
    motion_label : str
    motion_note : str
    """

    task: str
    title: str
    window: tuple[float, float]
    repetitions: tuple[tuple[float, float], ...]
    emg: tuple[Trace, ...] = ()
    emg_note: str = ""
    motion: tuple[Trace, ...] = ()
    motion_label: str = ""
    motion_note: str = ""


@dataclass(frozen=True)
class FacePanel:
    """Face-diagram data of one task.

    Attributes
    ----------
    task, title : str
    displacement : dict of str -> (float, float)
        Landmark name -> frontal (x, y) movement at the task peak from rest,
        mm (+x towards the patient's left, +y up); empty without motion.
    activation : dict of (muscle, side) -> float
        sEMG RMS during the task / at rest, for the target muscles; empty without sEMG.
    """

    task: str
    title: str
    displacement: dict[str, tuple[float, float]] = field(default_factory=dict)
    activation: dict[tuple[str, str], float] = field(default_factory=dict)


def _decimate(times: np.ndarray, values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(values)
    if n <= max_points:
        return times, values
    step = int(math.ceil(n / max_points))
    m = n // step * step
    with np.errstate(invalid="ignore"):
        v = values[:m].reshape(-1, step)
        finite = np.isfinite(v)
        counts = finite.sum(axis=1)
        sums = np.where(finite, v, 0.0).sum(axis=1)
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return times[:m].reshape(-1, step).mean(axis=1), mean


def _windows(session: Session) -> dict[str, tuple[tuple[float, float], tuple[tuple[float, float], ...]]]:
    out = {}
    start, end = session.time_span
    for task in STANDARD_PROTOCOL.task_names:
        reps = tuple((s.start, s.end) for s in session.segments_for(task))
        if reps:
            out[task] = ((max(start, reps[0][0] - MARGIN_S), min(end, reps[-1][1] + MARGIN_S)), reps)
    return out


def _emg_design(session: Session, parameters: dict[str, Any]):  # -> EmgFilter
    from models.features.emg import DEFAULT_BAND, emg_filter

    band = tuple(parameters.get("emg.bandpass_hz", DEFAULT_BAND))
    powerline = parameters.get("emg.powerline_detected_hz")
    notches = parameters.get("emg.notch_hz") or None
    return emg_filter(sfreq=session.emg.sfreq, band=band, powerline=powerline,
                      harmonics=tuple(notches) if notches and powerline else None)


def _task_muscles(session: Session, task: str) -> tuple[list[str], str]:
    present = {ch.muscle for ch in session.emg.channels}
    targets = STANDARD_PROTOCOL.task(task).target_muscles
    if not targets:
        chosen = [m for m in REST_MUSCLES if m in present][:MAX_MUSCLES]
        return chosen, "" if chosen else "no facial muscle of the montage to show"
    chosen = [m for m in targets if m in present][:MAX_MUSCLES]
    if not chosen:
        return [], f"target muscles ({', '.join(targets)}) are not in the sEMG montage"
    return chosen, ""


def _emg_traces(session: Session, design: Any, window: tuple[float, float], muscles: list[str],
                max_points: int) -> tuple[Trace, ...]:
    from models.features.emg import emg_envelope, zero_phase

    emg = session.emg
    # process a guard band beyond the shown window so filter edge effects stay outside it
    i0 = max(0, int(math.floor((window[0] - GUARD_S - emg.t0) * emg.sfreq)))
    i1 = min(emg.n_samples, int(math.ceil((window[1] + GUARD_S - emg.t0) * emg.sfreq)))
    if i1 - i0 < 3:
        return ()
    rows, labels = [], []
    for muscle in muscles:
        for side in ("left", "right"):
            idx = emg.index(muscle, side)
            if idx is not None:
                rows.append(idx)
                labels.append((muscle, side))
    if not rows:
        return ()
    data = np.asarray(emg.data[rows, i0:i1], dtype=np.float64)
    clean = zero_phase(data, design.sos, sfreq=emg.sfreq, pad=design.settle_samples)
    env = emg_envelope(clean, sfreq=emg.sfreq) * 1e6
    times = emg.t0 + (i0 + np.arange(i1 - i0)) / emg.sfreq
    for gap in session.gaps:
        if gap.stream == "emg":
            env[:, (times >= gap.start) & (times <= gap.end)] = np.nan
    shown = (times >= window[0]) & (times <= window[1])
    times, env = times[shown], env[:, shown]
    out = []
    for (muscle, side), trace in zip(labels, env):
        t, v = _decimate(times, trace, max_points)
        out.append(Trace(f"{muscle.replace('_', ' ')} {side}", side, t, v))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class _Face:
    track: Any
    bilateral: dict[str, dict[str, np.ndarray]]
    rest: np.ndarray  # bool per frame
    times: np.ndarray


def _face(session: Session) -> _Face | None:
    from models.features.errors import FeatureError
    from models.features.landmarks import face_track
    from models.features.motion import landmark_measures
    from models.features.record import Recorder
    from models.features.segments import rest_intervals

    if session.motion is None or not session.motion.is_facial:
        return None
    recorder = Recorder()
    try:
        track = face_track(session.motion, recorder=recorder)
    except FeatureError:  # a face the feature code cannot track has no plots (its warnings are in the record)
        return None
    bilateral, _ = landmark_measures(track)
    times = track.t0 + np.arange(track.n_frames) / track.sfreq
    rest = np.zeros(track.n_frames, dtype=bool)
    for a, b in rest_intervals(session, recorder=recorder):
        rest |= (times >= a) & (times < b)
    if not rest.any():
        return None
    return _Face(track, bilateral, rest, times)


def _movement(face: _Face, measure: str) -> dict[str, np.ndarray]:
    """Per side: signed change of a measure from rest, or distance from the rest position, mm."""
    from models.features.landmarks import nanmedian
    from models.features.motion import landmark_displacement

    out = {}
    if measure in DISPLACEMENTS:
        landmark, planar = DISPLACEMENTS[measure]
        for side in ("left", "right"):
            trace = face.track.points.get(f"{landmark}_{side}")
            if trace is not None:
                out[side] = landmark_displacement(trace, nanmedian(trace[face.rest], axis=0), planar=planar)
        return out
    for side, v in face.bilateral.get(measure, {}).items():
        out[side] = v - nanmedian(v[face.rest], axis=0)
    return out


def task_signals(session: Session, *, parameters: dict[str, Any], max_points: int = MAX_POINTS
                 ) -> list[TaskSignals]:
    """Plot data of every protocol task the session has, in protocol order.

    Parameters
    ----------
    session : Session
    parameters : dict
        The processing record's parameters (sEMG band and notches used).
    max_points : int
        Points per trace at most.

    Returns
    -------
    list of TaskSignals
    """
    from explain.wording import MEASURE_WORDS

    windows = _windows(session)
    design = _emg_design(session, parameters) if session.emg is not None else None
    face = _face(session)
    out = []
    for task, (window, reps) in windows.items():
        title = STANDARD_PROTOCOL.task(task).title
        emg, emg_note = (), "no sEMG in this session"
        if design is not None:
            muscles, emg_note = _task_muscles(session, task)
            if muscles:
                emg = _emg_traces(session, design, window, muscles, max_points)
                emg_note = "" if emg else "no sEMG samples in this task's window"
        motion, label, motion_note = (), "", "no facial motion in this session"
        if session.motion is not None and face is None:
            motion_note = "facial landmarks could not be tracked, or no resting face"
        elif face is not None:
            measure = TASK_PRIMARY.get(task)
            if measure is None:
                motion_note = "no movement is asked for at rest"
            else:
                moves = _movement(face, measure)
                label = f"{MEASURE_WORDS.get(measure, (measure, measure))[1]} from rest (mm)"
                keep = (face.times >= window[0]) & (face.times <= window[1])
                traces = []
                for side in ("left", "right"):
                    if side in moves:
                        t, v = _decimate(face.times[keep], moves[side][keep], max_points)
                        traces.append(Trace(side, side, t, v))
                motion = tuple(traces)
                motion_note = "" if motion else f"landmarks of the {measure.replace('_', ' ')} are not tracked"
        out.append(TaskSignals(task, title, window, reps, emg, emg_note, motion, label, motion_note))
    return out


def face_panels(session: Session, table: Any, *, tasks: tuple[str, ...] = FACE_TASKS) -> list[FacePanel]:
    """Face-diagram data: landmark movement at each task's peak and target-muscle activation.

    Parameters
    ----------
    session : Session
    table : FeatureTable
        For the sEMG activation (``emg.<muscle>.rms_rest_norm_<side>.<task>``).
    tasks : tuple of str

    Returns
    -------
    list of FacePanel
        One per task the session has.
    """
    from models.features.landmarks import nanmedian

    face = _face(session)
    sides = {"affected": table.affected_side, "healthy": "right" if table.affected_side == "left" else "left"}
    out = []
    for task in tasks:
        reps = session.segments_for(task)
        if not reps:
            continue
        displacement: dict[str, tuple[float, float]] = {}
        if face is not None:
            moves = _movement(face, TASK_PRIMARY[task])
            magnitude = None
            if moves:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    magnitude = np.nanmean(np.abs(np.stack(list(moves.values()))), axis=0)
            peaks = []
            for seg in reps:
                inside = np.flatnonzero((face.times >= seg.start) & (face.times < seg.end))
                if magnitude is not None and inside.size and np.isfinite(magnitude[inside]).any():
                    peaks.append(int(inside[np.nanargmax(magnitude[inside])]))
            if peaks:
                for name, trace in face.track.points.items():
                    rest_pos = nanmedian(trace[face.rest], axis=0)
                    d = nanmedian(trace[peaks] - rest_pos, axis=0)
                    if np.isfinite(d[:2]).all():
                        displacement[name] = (float(d[0]), float(d[1]))
        activation: dict[tuple[str, str], float] = {}
        if session.emg is not None:
            for muscle in STANDARD_PROTOCOL.task(task).target_muscles:
                for op, side in sides.items():
                    value = table.get(f"emg.{muscle}.rms_rest_norm_{op}.{task}")
                    if math.isfinite(value):
                        activation[(muscle, side)] = value
        out.append(FacePanel(task, STANDARD_PROTOCOL.task(task).title, displacement, activation))
    return out
