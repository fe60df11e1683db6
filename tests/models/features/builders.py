"""Constructed sessions with known answers for the feature tests.

Motion: the real neutral face (:func:`acquisition.face_mesh.neutral_face`)
with clinical landmarks displaced by known millimetres per task (no noise
unless asked), so excursions, asymmetries and delays are known exactly.
EMG: band-limited noise whose amplitude follows the same task profile.
"""

from __future__ import annotations

import numpy as np

from acquisition.face_mesh import LANDMARKS, neutral_face
from acquisition.protocol import STANDARD_PROTOCOL
from acquisition.session import EmgBlock, EmgChannel, MotionBlock, Segment, Session, Subject

SIDE_SIGN = {"left": 1.0, "right": -1.0}
MOUTH_TASKS = ("snarl", "smile_closed", "smile_open", "pucker", "eee", "cheek_puff")
#: task -> {landmark stem: (lateral, up, out) mm} at full (healthy) movement.
TASK_MOVES: dict[str, dict[str, tuple[float, float, float]]] = {
    "rest": {},
    "brow_raise": {"brow_mid": (0, 10, 0), "brow_inner": (0, 8, 0), "brow_outer": (0, 8, 0)},
    "gentle_eye_closure": {"upper_lid": (0, -8, 0)},
    "tight_eye_closure": {"upper_lid": (0, -9.5, 0), "lower_lid": (0, 0.5, 0), "brow_mid": (0, -3, 0)},
    "snarl": {"ala": (0, 4, 0), "upper_lip": (0, 4, 0)},
    "smile_closed": {"commissure": (4, 4, 0)},
    "smile_open": {"commissure": (5, 6, 0)},
    "pucker": {"commissure": (-8, 0, 6)},
    "eee": {"lower_lip": (1, -4, 0), "commissure": (3, -1, 0)},
    "cheek_puff": {"cheek": (4, 0, 6)},
}
#: Muscles recorded by default and the default task amplitude (V RMS).
MUSCLES = ("zygomaticus", "orbicularis_oculi", "frontalis_medial", "orbicularis_oris")
TASK_RMS_V = 60e-6
FLOOR_RMS_V = 2e-6


def schedule(*, start: float = 1.0, hold: float = 3.0, pause: float = 2.0, reps: int = 3,
             tasks: tuple[str, ...] = STANDARD_PROTOCOL.task_names) -> list[Segment]:
    """Protocol segments laid out from ``start`` (s)."""
    out, t = [], start
    for task in tasks:
        for rep in range(1, reps + 1):
            out.append(Segment(task, t, t + hold, rep))
            t += hold + pause
    return out


def profile(times: np.ndarray, start: float, end: float, *, delay: float = 0.0, rise: float = 0.25) -> np.ndarray:
    """0 -> 1 raised-cosine ramp from ``start + delay``, back to 0 at ``end`` (s)."""
    up = np.clip((times - start - delay) / rise, 0, 1)
    down = np.clip((end - times) / rise, 0, 1)
    return (0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))) * (times >= start + delay)


def band_noise(rng: np.random.Generator, n: int, sfreq: float, low: float = 30.0, high: float = 300.0) -> np.ndarray:
    """Unit-RMS Gaussian noise with a flat spectrum between ``low`` and ``high`` Hz."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sfreq)
    spec[(f < low) | (f > high)] = 0
    x = np.fft.irfft(spec, n)
    return x / np.sqrt(np.mean(x**2))


def constructed_motion(segments: list[Segment], *, duration: float, fps: float = 60.0, affected: str = "left",
                       weakness: float = 0.5, delay_s: float = 0.0, ocular_synk_mm: float = 0.0,
                       jitter_mm: float = 0.0, seed: int = 0) -> MotionBlock:
    """478-point mesh in mm moving through ``segments``; the affected side moves ``1 - weakness`` as far."""
    face = np.asarray(neutral_face(), dtype=np.float64)
    n = int(round(duration * fps))
    times = np.arange(n) / fps
    frames = np.repeat(face[None], n, axis=0)
    for seg in segments:
        for side in ("left", "right"):
            gain = 1 - weakness if side == affected else 1.0
            delay = delay_s if side == affected and seg.task not in ("brow_raise",) else 0.0
            prof = profile(times, seg.start, seg.end, delay=delay)
            for stem, (lat, up, out) in TASK_MOVES[seg.task].items():
                idx = LANDMARKS[f"{stem}_{side}"]
                frames[:, idx] += gain * prof[:, None] * np.array([lat * SIDE_SIGN[side], up, out])
            if side == affected and seg.task in MOUTH_TASKS and ocular_synk_mm:
                frames[:, LANDMARKS[f"upper_lid_{side}"], 1] -= ocular_synk_mm * prof
        if seg.task == "smile_open":
            prof = profile(times, seg.start, seg.end)
            for name in ("lower_lip_mid", "inner_lower_lip_mid"):
                frames[:, LANDMARKS[name], 1] -= 6.0 * prof
    if jitter_mm:
        frames += np.random.default_rng(seed).normal(0, jitter_mm, frames.shape)
    return MotionBlock(frames.astype(np.float32), fps, "mediapipe478", "mm")


def constructed_emg(segments: list[Segment], *, duration: float, sfreq: float = 2000.0, affected: str = "left",
                    weakness: float = 0.5, delay_s: float = 0.0, ocular_synk: float = 0.0,
                    muscles: tuple[str, ...] = MUSCLES, powerline: float | None = 50.0, seed: int = 0) -> EmgBlock:
    """sEMG of ``muscles`` on both sides; target muscles burst in their tasks (affected side weaker)."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * sfreq))
    times = np.arange(n) / sfreq
    channels, rows = [], []
    for side in ("left", "right"):
        for muscle in muscles:
            amp = np.full(n, FLOOR_RMS_V)
            gain = 1 - weakness if side == affected else 1.0
            for seg in segments:
                delay = delay_s if side == affected else 0.0
                targets = STANDARD_PROTOCOL.task(seg.task).target_muscles
                if muscle in targets:
                    amp += gain * TASK_RMS_V * profile(times, seg.start, seg.end, delay=delay)
                elif (muscle == "orbicularis_oculi" and side == affected and seg.task in MOUTH_TASKS
                      and ocular_synk):
                    amp += ocular_synk * TASK_RMS_V * profile(times, seg.start, seg.end, delay=delay)
            x = amp * band_noise(rng, n, sfreq)
            if powerline:
                x += 3e-6 * np.sin(2 * np.pi * powerline * times + rng.uniform(0, 6))
            rows.append(x)
            channels.append(EmgChannel(f"{muscle} {side}", muscle, side))
    return EmgBlock(np.array(rows, dtype=np.float32), sfreq, tuple(channels))


def constructed_session(*, emg: bool = True, motion: bool = True, affected: str = "left", weakness: float = 0.5,
                        delay_s: float = 0.0, ocular_synk: float = 0.0, known_side: bool = False,
                        tasks: tuple[str, ...] = STANDARD_PROTOCOL.task_names, reps: int = 2,
                        fps: float = 60.0, sfreq: float = 2000.0, seed: int = 0, **subject) -> Session:
    """A full constructed session (EMG and/or motion) with protocol segments."""
    segments = schedule(tasks=tasks, reps=reps)
    duration = segments[-1].end + 2.0
    emg_block = constructed_emg(segments, duration=duration, sfreq=sfreq, affected=affected, weakness=weakness,
                                delay_s=delay_s, ocular_synk=ocular_synk, seed=seed) if emg else None
    motion_block = constructed_motion(segments, duration=duration, fps=fps, affected=affected, weakness=weakness,
                                      delay_s=delay_s, ocular_synk_mm=4.0 * ocular_synk, seed=seed) if motion else None
    facts = {"age": 50, "sex": "male", "days_since_onset": 10}
    facts.update(subject)
    if known_side:
        facts["affected_side"] = affected
    return Session(emg=emg_block, motion=motion_block, segments=tuple(segments), subject=Subject(**facts))
