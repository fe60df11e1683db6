"""Synthetic facial motion: 478-point face mesh in mm driven by per-side nerve function.

The face is the real neutral mesh of :func:`acquisition.face_mesh.neutral_face`
(mouth closed and relaxed by the ``rest`` correction below), scaled per
subject. Each facial *action* is a smooth displacement field anchored on the
clinical landmarks (Gaussian fall-off, regional masks, side weight by a
sigmoid across the midline). A frame is::

    X(t) = X_rest + sum_{action, side} level(t) * f_side(branch) * g_side * D_action,side
           + rigid head motion + tracking jitter

Amplitudes at full function (mm): brow lift 10, full lid closure (upper lid
to lower lid), commissure 8 up / 6 lateral in smiling (an HB-measured
normal face scores 8/8: >= 10 mm brow + commissure movement), lip pucker
9 mm medial per corner, lower-lip depression 4 mm on "eee".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..face_mesh import LANDMARKS, neutral_face
from .activation import EYE_TASKS, MOUTH_TASKS, task_envelope
from .patient import Patient

IRIS = np.arange(468, 478)
SIDE_SIGN = {"left": 1.0, "right": -1.0}


@dataclass(frozen=True)
class Action:
    """One facial action: displacement anchors and the branch that drives it."""

    name: str
    branch: str | None
    #: (landmark stem or midline name, (lateral, up, out) mm, radius mm)
    anchors: tuple[tuple[str, tuple[float, float, float], float], ...]
    region: str = "all"


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("brow_up", "temporal",
               (("brow_mid", (0.0, 10.0, 0.0), 22.0), ("brow_inner", (0.0, 7.0, 0.0), 14.0),
                ("brow_outer", (0.0, 7.0, 0.0), 14.0)), region="above_eyes"),
        Action("brow_down", "temporal",
               (("brow_inner", (-2.0, -4.0, 0.0), 14.0), ("brow_mid", (0.0, -3.0, 0.0), 16.0)), region="above_eyes"),
        Action("eye_close", "zygomatic", (), region="lids"),
        Action("cheek_up", "zygomatic", (("cheek", (1.0, 3.0, 2.0), 18.0),)),
        Action("smile", "zygomatic",
               (("commissure", (6.0, 8.0, -2.0), 14.0), ("cheek", (1.0, 3.0, 2.0), 18.0)), region="below_eyes"),
        Action("lip_raise", "buccal",
               (("upper_lip", (0.0, 3.0, 0.0), 10.0), ("ala", (0.0, 3.0, 0.0), 9.0)), region="below_eyes"),
        Action("lower_lip_drop", "marginal_mandibular",
               (("lower_lip", (0.0, -5.0, 0.0), 12.0),), region="below_mouth_line"),
        Action("pucker", "buccal",
               (("commissure", (-9.0, 0.0, 6.0), 12.0), ("upper_lip", (-3.0, 0.0, 6.0), 10.0),
                ("lower_lip", (-3.0, 0.0, 6.0), 10.0)), region="below_eyes"),
        Action("eee", "marginal_mandibular",
               (("lower_lip", (2.0, -4.0, 0.0), 10.0), ("commissure", (4.0, -1.0, 0.0), 10.0)),
               region="below_mouth_line"),
        Action("cheek_puff", "buccal", (("cheek", (5.0, 0.0, 6.0), 22.0),), region="below_eyes"),
    )
}

#: task -> {action: level}
TASK_ACTIONS: dict[str, dict[str, float]] = {
    "rest": {},
    "brow_raise": {"brow_up": 1.0},
    "gentle_eye_closure": {"eye_close": 1.0},
    "tight_eye_closure": {"eye_close": 1.0, "brow_down": 1.0, "cheek_up": 1.0},
    "snarl": {"lip_raise": 1.0, "brow_down": 0.4},
    "smile_closed": {"smile": 0.75},
    "smile_open": {"smile": 1.0, "lip_raise": 0.5, "lower_lip_drop": 1.0, "cheek_up": 0.5},
    "pucker": {"pucker": 1.0},
    "eee": {"eee": 1.0},
    "cheek_puff": {"cheek_puff": 1.0},
}
#: Synkinetic movement per unit synkinesis: eye narrowing during mouth tasks,
#: mouth-corner pull during eye closure (clinical.md: "eye narrowing on smile").
OCULAR_SYNKINESIS_LEVEL = 0.45
ORAL_SYNKINESIS_LEVEL = 0.4
#: Resting asymmetry from loss of tone on the affected side (per unit severity):
#: brow ptosis and commissure droop (Sunnybrook resting items).
REST_DROOP = {"brow_up": -0.3, "smile": -0.35}
HEAD_ROTATION_DEG = 0.7
HEAD_TRANSLATION_MM = 1.0
JITTER_MM = 0.25


def _side_weight(x: np.ndarray, side: str) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-SIDE_SIGN[side] * x / 2.0))


def _region_mask(face: np.ndarray, region: str) -> np.ndarray:
    y = face[:, 1]
    iris_y = face[LANDMARKS["iris_center_left"], 1]
    mouth_y = face[LANDMARKS["commissure_left"], 1]
    if region == "above_eyes":
        return np.clip((y - (iris_y + 8.0)) / 6.0, 0.0, 1.0)
    if region == "below_eyes":
        return np.clip(((iris_y - 12.0) - y) / 6.0, 0.0, 1.0)
    if region == "below_mouth_line":
        return np.clip(((mouth_y + 4.0) - y) / 4.0, 0.0, 1.0)
    return np.ones(len(face))


def _lid_field(face: np.ndarray, side: str) -> np.ndarray:
    """Upper lid down to the lower lid (full closure), lower lid up a little."""
    upper = face[LANDMARKS[f"upper_lid_{side}"]]
    lower = face[LANDMARKS[f"lower_lid_{side}"]]
    outer = face[LANDMARKS[f"eye_outer_{side}"]]
    inner = face[LANDMARKS[f"eye_inner_{side}"]]
    centre_x = (outer[0] + inner[0]) / 2
    half_width = abs(outer[0] - inner[0]) / 2
    fissure = upper[1] - lower[1]
    dx = (face[:, 0] - centre_x) / half_width
    profile = np.clip(1.0 - dx**4, 0.0, 1.0)
    field = np.zeros_like(face)
    above = (face[:, 1] > lower[1] + 1.0) & (face[:, 1] < upper[1] + 7.0)
    falloff = np.exp(-((face[:, 1] - upper[1]) ** 2) / (2 * 4.0**2))
    weight = np.where(above, profile * falloff, 0.0)
    field[:, 1] -= (fissure - 1.0) * weight
    field[:, 0] += (lower[0] - upper[0]) * weight  # the lid closes onto the lower lid
    below = (face[:, 1] <= lower[1] + 1.0) & (face[:, 1] > lower[1] - 6.0)
    field[:, 1] += np.where(below, 1.0 * profile * np.exp(-((face[:, 1] - lower[1]) ** 2) / (2 * 3.0**2)), 0.0)
    return field


def action_field(face: np.ndarray, action: Action, side: str) -> np.ndarray:
    """Displacement of every point for ``action`` on ``side`` at full level, shape (478, 3), mm."""
    if action.region == "lids":
        field = _lid_field(face, side)
    else:
        field = np.zeros_like(face)
        for stem, (lateral, up, out), radius in action.anchors:
            name = f"{stem}_{side}"
            anchor = face[LANDMARKS[name]]
            d2 = np.sum((face - anchor) ** 2, axis=1)
            w = np.exp(-d2 / (2 * radius**2))
            field += w[:, None] * np.array([lateral * SIDE_SIGN[side], up, out])
        field *= _region_mask(face, action.region)[:, None]
    field *= _side_weight(face[:, 0], side)[:, None]
    field[IRIS] = 0.0
    return field


def rest_face(patient: Patient, rng: np.random.Generator) -> np.ndarray:
    """The subject's face at rest in mm, shape (478, 3): scaled, relaxed, with resting asymmetry."""
    base = np.asarray(neutral_face(), dtype=np.float64) * rng.normal(1.0, 0.04)
    face = base.copy()
    # the reference photograph smiles with parted lips: relax and close the mouth
    for side in ("left", "right"):
        face += -0.45 * action_field(base, ACTIONS["smile"], side)
    inner_gap = base[LANDMARKS["inner_upper_lip_mid"], 1] - base[LANDMARKS["inner_lower_lip_mid"], 1]
    d2 = np.sum((base - base[LANDMARKS["inner_lower_lip_mid"]]) ** 2, axis=1)
    below = base[:, 1] < base[LANDMARKS["inner_upper_lip_mid"], 1] - 0.5
    face[:, 1] += np.where(below, (inner_gap - 0.3) * np.exp(-d2 / (2 * 14.0**2)), 0.0)
    # healthy faces are not symmetric; palsy adds droop on the affected side
    for side in ("left", "right"):
        for name in ("brow_up", "smile"):
            level = rng.normal(0.0, 0.05)
            if side == patient.affected_side:
                level += REST_DROOP[name] * patient.severity
            face += level * action_field(base, ACTIONS[name], side)
    return face


def _rotations(angles_deg: np.ndarray) -> np.ndarray:
    """Rotation matrices Rz @ Ry @ Rx for (n, 3) angles in degrees, shape (n, 3, 3)."""
    ax, ay, az = np.radians(angles_deg).T
    one, zero = np.ones_like(ax), np.zeros_like(ax)
    rx = np.stack([one, zero, zero, zero, np.cos(ax), -np.sin(ax), zero, np.sin(ax), np.cos(ax)], -1)
    ry = np.stack([np.cos(ay), zero, np.sin(ay), zero, one, zero, -np.sin(ay), zero, np.cos(ay)], -1)
    rz = np.stack([np.cos(az), -np.sin(az), zero, np.sin(az), np.cos(az), zero, zero, zero, one], -1)
    return rz.reshape(-1, 3, 3) @ ry.reshape(-1, 3, 3) @ rx.reshape(-1, 3, 3)


def synthesize_motion(
    patient: Patient,
    segments: list[tuple[str, int, float, float]],
    *,
    sfreq: float,
    duration: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Simulate the face mesh over time.

    Returns
    -------
    ndarray, shape (n_frames, 478, 3), float32
        Head-fixed frame (+x patient's left, +y up, +z out of the face), mm,
        with small residual rigid head motion and tracking jitter.
    """
    n = int(round(duration * sfreq))
    times = np.arange(n) / sfreq
    rest = rest_face(patient, rng)
    base = np.asarray(neutral_face(), dtype=np.float64)
    names, fields = [], []
    for action in ACTIONS.values():
        for side in ("left", "right"):
            names.append((action, side))
            fields.append(action_field(base, action, side).reshape(-1))
    basis = np.stack(fields)  # (n_fields, 478 * 3)
    levels = np.zeros((n, len(names)))
    for k, (action, side) in enumerate(names):
        affected = side == patient.affected_side
        f = 1.0 if action.branch is None else patient.function[side][action.branch]
        gain = patient.motion_gain[side] * f
        lower_face = action.branch not in ("temporal", None)
        delay = patient.central_delay_s if (affected and lower_face) else 0.0
        rise = 0.25 * (1.0 + 1.5 * patient.severity) if affected else 0.25
        for task, _rep, start, end in segments:
            level = TASK_ACTIONS.get(task, {}).get(action.name, 0.0)
            if affected and patient.synkinesis > 0:
                if task in MOUTH_TASKS and action.name == "eye_close":
                    level = max(level, OCULAR_SYNKINESIS_LEVEL * patient.synkinesis)
                if task in EYE_TASKS and action.name == "smile":
                    level = max(level, ORAL_SYNKINESIS_LEVEL * patient.synkinesis)
            if level > 0:
                levels[:, k] += level * gain * task_envelope(times, start, end, delay=delay, rise=rise)
    frames = rest.reshape(1, -1) + levels @ basis
    frames = frames.reshape(n, 478, 3)
    # residual rigid head motion: slow random walk, then tracking jitter
    knots = max(2, int(duration / 4) + 2)
    knot_t = np.linspace(0, duration, knots)
    rot = np.stack([np.interp(times, knot_t, rng.normal(0, HEAD_ROTATION_DEG, knots)) for _ in range(3)], axis=1)
    shift = np.stack([np.interp(times, knot_t, rng.normal(0, HEAD_TRANSLATION_MM, knots)) for _ in range(3)], axis=1)
    pivot = np.array([0.0, -40.0, -60.0])
    rotations = _rotations(rot)  # (n, 3, 3)
    frames = np.matmul(frames - pivot, rotations.transpose(0, 2, 1)) + pivot + shift[:, None, :]
    frames += rng.normal(0.0, JITTER_MM, frames.shape)
    return frames.astype(np.float32)
