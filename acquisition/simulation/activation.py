"""Task activation: which muscles (and facial actions) each protocol task drives, and their time courses.

Levels are fractions of maximal voluntary contraction. Primary movers follow
acquisition/protocol.py; secondary co-contractions reflect normal facial
physiology (e.g. orbicularis oculi joins a big smile: the Duchenne smile).
"""

from __future__ import annotations

import numpy as np

#: task -> {muscle: level}
TASK_MUSCLES: dict[str, dict[str, float]] = {
    "rest": {},
    "brow_raise": {"frontalis_medial": 0.9, "frontalis_lateral": 0.9},
    "gentle_eye_closure": {"orbicularis_oculi": 0.35},
    "tight_eye_closure": {"orbicularis_oculi": 0.95, "corrugator": 0.7, "depressor_supercilii": 0.6,
                          "zygomaticus": 0.15},
    "snarl": {"levator_labii": 0.85, "corrugator": 0.4, "orbicularis_oculi": 0.2},
    "smile_closed": {"zygomaticus": 0.55, "orbicularis_oculi": 0.1},
    "smile_open": {"zygomaticus": 0.95, "levator_labii": 0.4, "orbicularis_oculi": 0.25},
    "pucker": {"orbicularis_oris": 0.9, "mentalis": 0.3},
    "eee": {"depressor_anguli_oris": 0.8, "mentalis": 0.5, "zygomaticus": 0.2},
    "cheek_puff": {"orbicularis_oris": 0.6, "depressor_anguli_oris": 0.2},
}

#: Synkinesis: the affected side's involuntary co-activation, as (muscle, level
#: per unit synkinesis) during tasks whose target muscles are elsewhere.
OCULAR_SYNKINESIS = ("orbicularis_oculi", 0.55)  # eye narrowing during mouth movements
ORAL_SYNKINESIS = {"zygomaticus": 0.35, "orbicularis_oris": 0.3, "depressor_anguli_oris": 0.25, "mentalis": 0.3}
MOUTH_TASKS = ("smile_closed", "smile_open", "pucker", "eee", "cheek_puff", "snarl")
EYE_TASKS = ("gentle_eye_closure", "tight_eye_closure")

#: Rise/fall time of a voluntary contraction, s.
RISE_S = 0.25


def task_envelope(times: np.ndarray, start: float, end: float, *, delay: float = 0.0,
                  rise: float = RISE_S) -> np.ndarray:
    """Smooth on/off envelope (raised-cosine ramps) of one task repetition.

    Parameters
    ----------
    times : ndarray, shape (n,)
        Seconds.
    start, end : float
        Segment bounds, s.
    delay : float
        Extra onset delay, s (central palsy on the affected side).
    rise : float
        Ramp duration, s.

    Returns
    -------
    ndarray, shape (n,)
        In [0, 1].
    """
    on = start + delay
    up = np.clip((times - on) / rise, 0.0, 1.0)
    down = np.clip((end - times) / rise, 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))) * (times >= on) * (times <= end)


def synkinetic_levels(task: str, level_by_muscle: dict[str, float], synkinesis: float) -> dict[str, float]:
    """Involuntary co-activation added on the affected side during ``task``."""
    extra: dict[str, float] = {}
    if synkinesis <= 0:
        return extra
    if task in MOUTH_TASKS:
        muscle, gain = OCULAR_SYNKINESIS
        extra[muscle] = gain * synkinesis
    if task in EYE_TASKS:
        for muscle, gain in ORAL_SYNKINESIS.items():
            extra[muscle] = gain * synkinesis
    return {m: v for m, v in extra.items() if v > level_by_muscle.get(m, 0.0)}
