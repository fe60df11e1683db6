"""Per-side measures and their orientation into features.

The signal code measures each side separately (left and right zygomaticus
RMS during a smile, left and right brow height at rest ...) into a
:class:`Measures`. Once the affected side is known, :func:`orient` turns
them into the catalogue's features (affected, healthy, ratio, asymmetry) by
the recipes of :mod:`models.features.names`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from acquisition.anatomy import Side, other_side

from .names import Recipe


@dataclass
class Measures:
    """Measures by key: bilateral ones per side, midline/clinical ones single.

    Attributes
    ----------
    sided : dict
        ``key -> {'left': value, 'right': value}`` (a side may be missing).
    single : dict
        ``key -> value`` for midline and clinical measures.
    """

    sided: dict[str, dict[str, float]] = field(default_factory=dict)
    single: dict[str, float] = field(default_factory=dict)

    def put(self, key: str, side: Side, value: float) -> None:
        """Store the value of ``key`` on ``side`` (NaN-valued entries are kept out)."""
        if value is not None and math.isfinite(value):
            self.sided.setdefault(key, {})[side] = float(value)

    def put_single(self, key: str, value: float | None) -> None:
        """Store a midline or clinical value (None/NaN kept out)."""
        if value is not None and math.isfinite(value):
            self.single[key] = float(value)

    def get(self, key: str, side: Side) -> float:
        """Value of ``key`` on ``side`` or NaN."""
        return self.sided.get(key, {}).get(side, math.nan)

    def update(self, other: Measures) -> None:
        """Merge ``other`` into this one (its values win)."""
        for key, sides in other.sided.items():
            self.sided.setdefault(key, {}).update(sides)
        self.single.update(other.single)


def _apply(recipe: Recipe, m: Measures, affected: Side) -> float:
    if recipe.op == "value":
        return m.single.get(recipe.source, math.nan) * recipe.scale
    aff = m.get(recipe.source, affected)
    hea = m.get(recipe.source, other_side(affected))
    if recipe.op == "affected":
        out = aff
    elif recipe.op == "healthy":
        out = hea
    elif recipe.op == "diff":
        out = aff - hea
    elif recipe.op == "asym_abs":
        out = abs(aff - hea)
    elif recipe.op in ("ratio", "asym_pct"):
        if not abs(hea) > recipe.min_denominator:
            return math.nan
        out = aff / hea if recipe.op == "ratio" else 100.0 * abs(aff - hea) / abs(hea)
    else:  # pragma: no cover - recipes are made in names.py
        raise ValueError(f"unknown recipe op {recipe.op!r}")
    return out * recipe.scale


def orient(measures: Measures, recipes: dict[str, Recipe], names: tuple[str, ...], *, affected: Side) -> np.ndarray:
    """Compute features from measures with the affected side given.

    Parameters
    ----------
    measures : Measures
    recipes : dict
        Feature name -> Recipe.
    names : tuple of str
        Which features, in output order.
    affected : {'left', 'right'}

    Returns
    -------
    ndarray, shape (len(names),), float64
        NaN where a measure is missing.
    """
    return np.array([_apply(recipes[n], measures, affected) for n in names], dtype=np.float64)
