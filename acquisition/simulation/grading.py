"""Ground-truth clinical labels of a simulated patient, derived from its latent nerve function.

The labels are what an expert rater would assign to the simulated face:
House-Brackmann from the measured form (brow + commissure movement as a
percentage of the healthy side; shared/docs/clinical.md), Sunnybrook item by
item (Ross et al. 1996), synkinesis present when clinically noticeable, and
the recovery outcome from the patient's survival draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .patient import Patient

#: HB measured-form percentage bands (clinical.md): I 100%, II 76-99, III 51-75,
#: IV 26-50, V 1-25, VI 0. A healthy face's own asymmetry stays within grade I.
HB_LOWER_BOUNDS = ((97.0, 1), (76.0, 2), (51.0, 3), (26.0, 4), (5.0, 5))
#: Synkinesis strength from which it is clinically noticeable (labelled 1).
SYNKINESIS_NOTICEABLE = 0.3
#: Sunnybrook voluntary expressions and the branches that drive them.
SUNNYBROOK_ITEMS = {
    "brow_lift": ("temporal",),
    "gentle_eye_closure": ("zygomatic",),
    "open_mouth_smile": ("zygomatic", "buccal"),
    "snarl": ("buccal",),
    "lip_pucker": ("buccal", "marginal_mandibular"),
}
#: Relative synkinesis visibility per expression (eye narrowing on smile most).
SYNKINESIS_WEIGHT = {"brow_lift": 0.4, "gentle_eye_closure": 0.8, "open_mouth_smile": 1.0, "snarl": 0.7,
                     "lip_pucker": 0.9}


def hb_grade_from_percent(percent: float) -> int:
    """House-Brackmann grade (1-6) from movement as % of the healthy side."""
    for bound, grade in HB_LOWER_BOUNDS:
        if percent >= bound:
            return grade
    return 6


def grade_labels(patient: "Patient") -> dict:
    """Labels of a patient (the columns of labels.csv beyond identifiers)."""
    healthy = patient.condition == "healthy"
    f = patient.function["left" if healthy else patient.affected_side]
    percent = 100.0 if healthy else 100.0 * (f["temporal"] + f["zygomatic"]) / 2.0
    grade = 1 if healthy else hb_grade_from_percent(percent)
    synk = 0 if healthy else int(patient.synkinesis >= SYNKINESIS_NOTICEABLE)
    if synk and grade < 3:
        grade = 3  # HB III: "noticeable synkinesis"
    s = 0.0 if healthy else patient.severity
    rest_eye = int(s > 0.4)
    rest_cheek = 0 if s < 0.25 else (1 if s < 0.7 else 2)
    rest_mouth = int(s > 0.4)
    resting = 5 * (rest_eye + rest_cheek + rest_mouth)
    voluntary_items = {}
    synkinesis_items = {}
    for item, branches in SUNNYBROOK_ITEMS.items():
        fi = sum(f[b] for b in branches) / len(branches)
        voluntary_items[item] = 1 + int(round(4 * fi))
        synkinesis_items[item] = int(round(3 * patient.synkinesis * SYNKINESIS_WEIGHT[item]))
    voluntary = 4 * sum(voluntary_items.values())
    synkinesis = sum(synkinesis_items.values())
    composite = max(0, voluntary - resting - synkinesis)
    weeks = patient.weeks_to_recovery
    return {
        "hb_grade": grade,
        "hb_percent": round(percent, 2),
        "sunnybrook_composite": composite,
        "sunnybrook_resting": resting,
        "sunnybrook_voluntary": voluntary,
        "sunnybrook_synkinesis": synkinesis,
        "lesion": patient.lesion,
        "affected_side": patient.affected_side,
        "synkinesis": synk,
        "recovered_6mo": int(weeks <= 26.0),
        "weeks_to_recovery": round(weeks, 3),
    }
