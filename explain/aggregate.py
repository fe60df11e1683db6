"""Aggregating SHAP values: per modality (sEMG, facial motion, clinical facts) and per facial region.

SHAP values add, so the sum over a group of features is the group's
contribution to the output (in the output's display space). Shares are of
the summed magnitudes, so groups pushing in opposite directions both count.

Regions are read from feature names (:mod:`models.features.names`): the
muscle of an sEMG feature (Fridlund & Cacioppo placements) or the landmark
measure of a motion feature. Clinical facts, the masseter (a trigeminal
control muscle) and whole-recording counts belong to no facial region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .explanation import OutputExplanation

REGIONS: tuple[str, ...] = ("forehead/brow", "eye", "mid-face/nose", "mouth", "lower lip/chin")
NOT_REGIONAL = "not regional"
MODALITY_GROUPS: tuple[str, ...] = ("emg", "motion", "clinical")
MODALITY_TITLES = {"emg": "sEMG", "motion": "facial motion", "clinical": "clinical facts"}

#: sEMG muscle -> facial region (None: not a facial-region muscle).
MUSCLE_REGIONS: dict[str, str | None] = {
    "frontalis_medial": "forehead/brow",
    "frontalis_lateral": "forehead/brow",
    "corrugator": "forehead/brow",
    "depressor_supercilii": "forehead/brow",
    "orbicularis_oculi": "eye",
    "levator_labii": "mid-face/nose",
    "zygomaticus": "mouth",
    "orbicularis_oris": "mouth",
    "depressor_anguli_oris": "lower lip/chin",
    "mentalis": "lower lip/chin",
    "masseter": None,
}

#: Landmark measure -> facial region.
MEASURE_REGIONS: dict[str, str] = {
    "brow_height": "forehead/brow",
    "mrd1": "eye",
    "mrd2": "eye",
    "fissure": "eye",
    "ocular_synkinesis": "eye",
    "nasolabial": "mid-face/nose",
    "cheek_displacement": "mid-face/nose",
    "commissure": "mouth",
    "commissure_height": "mouth",
    "smile_angle": "mouth",
    "commissure_displacement": "mouth",
    "dental_show": "mouth",
    "mouth_width": "mouth",
    "oral_synkinesis": "mouth",
    "lower_lip": "lower lip/chin",
}


def feature_region(name: str) -> str | None:
    """The facial region a feature describes, or None (clinical facts, masseter, whole-recording counts).

    Parameters
    ----------
    name : str
        Catalogue feature name, e.g. ``'emg.zygomaticus.rms_ratio.smile_open'``.

    Returns
    -------
    str or None
        One of :data:`REGIONS`.
    """
    parts = name.split(".")
    if len(parts) < 2:
        return None
    modality, group = parts[0], parts[1]
    if modality == "emg":
        first = group.split("-")[0]  # muscle pairs of long recordings: the first (involuntary) muscle
        return MUSCLE_REGIONS.get(first)
    if modality == "motion":
        return MEASURE_REGIONS.get(group)
    return None


@dataclass(frozen=True)
class Share:
    """The contribution of a group of features to one output.

    Attributes
    ----------
    group : str
        Modality or region.
    total : float
        Signed sum of the group's SHAP values (display space).
    magnitude : float
        Sum of their absolute values.
    share : float
        ``magnitude`` / the magnitude of all features (0 when nothing contributes).
    n_features : int
        Features of the model in the group.
    """

    group: str
    total: float
    magnitude: float
    share: float
    n_features: int


def _shares(output: OutputExplanation, keys: list[str], order: Iterable[str]) -> tuple[Share, ...]:
    values = output.values
    grand = float(np.sum(np.abs(values)))
    out = []
    for group in order:
        mask = np.array([k == group for k in keys], dtype=bool)
        mag = float(np.sum(np.abs(values[mask]))) if mask.any() else 0.0
        out.append(Share(group, float(np.sum(values[mask])) if mask.any() else 0.0, mag,
                         mag / grand if grand > 0 else 0.0, int(mask.sum())))
    return tuple(out)


def by_modality(output: OutputExplanation) -> tuple[Share, ...]:
    """Contribution per modality, in the order of :data:`MODALITY_GROUPS`."""
    return _shares(output, [m for _, _, m in output.features], MODALITY_GROUPS)


def by_region(output: OutputExplanation) -> tuple[Share, ...]:
    """Contribution per facial region (:data:`REGIONS`), then the features of no region."""
    keys = [feature_region(n) or NOT_REGIONAL for n, _, _ in output.features]
    return _shares(output, keys, (*REGIONS, NOT_REGIONAL))
