"""Per-task facial motion measures of a session, per side.

Rest values are medians over the rest stretches. For each repetition of an
active task, the *peak* is the frame where the task's primary measure
(:data:`~models.features.names.TASK_PRIMARY`) is furthest from rest, summed
over both sides; every measure is read there (median of +/- 50 ms) and its
excursion is peak minus rest. Kinematics follow the primary measure's
distance from rest from 0.5 s before the cue to the end of the repetition.
Repetitions are combined by their median.

Synkinesis from landmark co-movement: in mouth tasks, eye narrowing
(fraction of the resting fissure) and its correlation with the mouth
movement; in eye and brow tasks, commissure displacement and its
correlation with the eye/brow movement.
"""

from __future__ import annotations

import math

import numpy as np

from acquisition.session import Session

from .errors import FeatureError
from .landmarks import FaceTrack, face_track, nanmedian
from .measures import Measures
from .motion import KINEMATICS_LOWPASS_HZ, landmark_displacement, landmark_measures, landmark_velocity, movement_onset
from .names import OCULAR_SYNKINESIS_TASKS, ORAL_SYNKINESIS_TASKS, TASK_PRIMARY
from .record import Recorder
from .segments import rest_intervals, task_intervals

#: Kinematics start this long before the cue, s.
LEAD_S = 0.5
#: Half-width of the window around the peak frame, s.
PEAK_HALF_WINDOW_S = 0.05
#: Onset = last upward crossing of this fraction of the peak movement.
ONSET_FRACTION = 0.2
#: Smallest movement (mm) that has an onset.
MIN_MOVEMENT_MM = 0.5
#: Repetitions with a larger fraction of lost frames are skipped.
MAX_LOST_FRACTION = 0.5

_SIDES = ("left", "right")


def _frames(track: FaceTrack, start: float, end: float) -> slice:
    return slice(track.frame(start), max(track.frame(end), track.frame(start) + 1))


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 5:
        return math.nan
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = math.sqrt(float((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else math.nan


def motion_measures(session: Session, *, recorder: Recorder) -> Measures:
    """Per-task, per-side landmark measures of a session.

    Parameters
    ----------
    session : Session
        Must have facial motion.
    recorder : Recorder

    Returns
    -------
    Measures
        Empty (with a warning) when the motion has no facial landmarks or no rest.
    """
    out = Measures()
    motion = session.motion
    if motion is None:
        raise ValueError("session has no motion")  # callers check first
    try:
        track = face_track(motion, recorder=recorder)
    except FeatureError as exc:
        recorder.warn("motion.not_facial", f"motion features are unavailable: {exc}")
        return out
    bilateral, midline = landmark_measures(track)
    rest_frames = np.zeros(track.n_frames, dtype=bool)
    for a, b in rest_intervals(session, recorder=recorder):
        rest_frames[_frames(track, a, b)] = True
    if not rest_frames.any():
        recorder.warn("motion.no_rest", "no rest stretch in the motion: landmark measures need a resting face")
        return out
    recorder.step(
        "Landmark measures (Emotrics definitions) were taken at rest (median) and at each task's peak, the frame "
        f"where the task's primary measure is furthest from rest (median of +/- {PEAK_HALF_WINDOW_S * 1000:g} ms); "
        "excursion is peak minus rest and asymmetry is |left - right| in mm and as a percentage of the healthy "
        f"side. Kinematics come from the primary measure's distance from rest, low-passed at "
        f"{KINEMATICS_LOWPASS_HZ:g} Hz (zero phase) and differentiated; onset is the last upward crossing of "
        f"{ONSET_FRACTION:g} of the peak movement.",
        **{"motion.sfreq_hz": track.sfreq, "motion.peak_half_window_s": PEAK_HALF_WINDOW_S,
           "motion.kinematics_lowpass_hz": KINEMATICS_LOWPASS_HZ, "motion.onset_fraction": ONSET_FRACTION})

    rest_value = {m: {s: float(nanmedian(v[rest_frames], axis=0)) for s, v in sides.items()}
                  for m, sides in bilateral.items()}
    for m, sides in rest_value.items():
        for s, v in sides.items():
            out.put(f"motion.{m}.rest", s, v)
    for m, v in midline.items():
        out.put_single(f"motion.{m}.rest", float(nanmedian(v[rest_frames], axis=0)))
    # movement away from rest for every bilateral measure, plus displacement measures
    movement: dict[str, dict[str, np.ndarray]] = {
        m: {s: np.abs(v - rest_value[m][s]) for s, v in sides.items()} for m, sides in bilateral.items()}
    for name, landmark, planar in (("commissure_displacement", "commissure", True),
                                   ("cheek_displacement", "cheek", False)):
        for s in _SIDES:
            key = f"{landmark}_{s}"
            if key in track.points:
                trace = track.points[key]
                rest_pos = nanmedian(trace[rest_frames], axis=0)
                movement.setdefault(name, {})[s] = landmark_displacement(trace, rest_pos, planar=planar)
    displacement_measures = ("commissure_displacement", "cheek_displacement")
    half = max(1, int(round(PEAK_HALF_WINDOW_S * track.sfreq)))
    # every trace read at the peak, as rows of one matrix: one median per repetition
    rows: list[tuple[str, str, float]] = []  # (measure key, side, value subtracted)
    traces: list[np.ndarray] = []
    for m, sides in bilateral.items():
        for side, v in sides.items():
            rows.append((f"motion.{m}.peak", side, 0.0))
            traces.append(v)
            rows.append((f"motion.{m}.excursion", side, rest_value[m][side]))
            traces.append(v)
    for m in displacement_measures:
        for side, v in movement.get(m, {}).items():
            rows.append((f"motion.{m}.excursion", side, 0.0))
            traces.append(v)
    for m, v in midline.items():
        rows.append((f"motion.{m}.excursion", "mid", out.single.get(f"motion.{m}.rest", math.nan)))
        traces.append(v)
    matrix = np.stack(traces) if traces else np.zeros((0, track.n_frames))
    offsets = np.array([r[2] for r in rows])
    warned_primary: set[str] = set()

    for task, reps in task_intervals(session, recorder=recorder).items():
        if task == "rest" or not reps:
            continue
        primary = TASK_PRIMARY[task]
        per_rep: dict[tuple[str, str], list[float]] = {}

        def add(key: str, side: str, value: float) -> None:
            if math.isfinite(value):
                per_rep.setdefault((key, side), []).append(value)

        for start, end in reps:
            sl = _frames(track, start, end)
            if primary in movement:
                combined = np.nansum([movement[primary][s][sl] for s in movement[primary]], axis=0)
                lost = np.all([~np.isfinite(movement[primary][s][sl]) for s in movement[primary]], axis=0)
            else:
                combined, lost = np.zeros(sl.stop - sl.start), np.zeros(sl.stop - sl.start, dtype=bool)
                if task not in warned_primary:
                    warned_primary.add(task)
                    recorder.warn("motion.no_primary", f"the landmarks for {primary} are missing: the peak of "
                                  f"task {task!r} is taken at the middle of each repetition")
                combined[(sl.stop - sl.start) // 2] = 1.0
            if lost.size == 0 or lost.mean() > MAX_LOST_FRACTION:
                recorder.warn("motion.lost", f"face tracking lost in task {task!r} at {start:.2f}-{end:.2f} s; "
                              "repetition skipped")
                continue
            combined = np.where(lost, -np.inf, combined)
            peak = sl.start + int(np.argmax(combined))
            win = slice(max(0, peak - half), min(track.n_frames, peak + half + 1))
            block = matrix[:, win]
            if np.isfinite(block).all():
                at_peak = np.median(block, axis=1) - offsets
            else:
                at_peak = nanmedian(block, axis=1) - offsets
            for (key, side, _), value in zip(rows, at_peak.tolist()):
                add(f"{key}.{task}", side, value)
            # kinematics of the primary movement
            kin = _frames(track, start - LEAD_S, end)
            lead = (sl.start - kin.start) / track.sfreq
            for s, v in movement.get(primary, {}).items():
                pos, vel, acc = landmark_velocity(v[kin], sfreq=track.sfreq)
                onset, peak_t = movement_onset(pos, sfreq=track.sfreq, fraction=ONSET_FRACTION,
                                               min_rise=MIN_MOVEMENT_MM)
                if math.isfinite(onset):
                    add(f"motion.{primary}.onset.{task}", s, onset - lead)
                    add(f"motion.{primary}.time_to_peak.{task}", s, peak_t - onset)
                if np.isfinite(vel).all():
                    add(f"motion.{primary}.peak_velocity.{task}", s, float(np.max(np.abs(vel))))
                    add(f"motion.{primary}.peak_acceleration.{task}", s, float(np.max(np.abs(acc))))
            # synkinesis by landmark co-movement
            if task in OCULAR_SYNKINESIS_TASKS and "fissure" in bilateral:
                for s, v in bilateral["fissure"].items():
                    rest_f = rest_value["fissure"][s]
                    if rest_f > 0 and np.isfinite(v[win]).any():
                        add(f"motion.ocular_synkinesis.narrowing.{task}", s,
                            (rest_f - float(np.nanmedian(v[win]))) / rest_f)
                    if s in movement.get(primary, {}):
                        add(f"motion.ocular_synkinesis.comovement.{task}", s,
                            _corr(rest_f - v[sl], movement[primary][s][sl]))
            if task in ORAL_SYNKINESIS_TASKS and "commissure_displacement" in movement:
                for s, v in movement["commissure_displacement"].items():
                    if np.isfinite(v[win]).any():
                        add(f"motion.oral_synkinesis.displacement.{task}", s, float(np.nanmedian(v[win])))
                    if s in movement.get(primary, {}):
                        add(f"motion.oral_synkinesis.comovement.{task}", s, _corr(v[sl], movement[primary][s][sl]))
        for (key, side), values in per_rep.items():
            if side == "mid":
                out.put_single(key, float(np.median(values)))
            else:
                out.put(key, side, float(np.median(values)))  # type: ignore[arg-type]
    return out
