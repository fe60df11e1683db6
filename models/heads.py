"""The model heads: what each shipped model predicts, for whom, and in which output space.

One head is one ONNX file (and its LightGBM boosters). Its ``raw`` output is
the sum of the trees (what SHAP explains exactly); its ``output`` is a
documented, monotone map of ``raw``:

* ``multiclass`` (House-Brackmann): ``output = softmax(raw / T)`` over grades
  I-VI (temperature scaling, one Mul before the Softmax).
* ``binary``: ``output = sigmoid(a * raw + b)`` (Platt scaling on the raw
  margin, Mul and Add before the Sigmoid).
* ``interval`` (Sunnybrook composite, weeks to recovery): three boosters give
  ``raw = [lower, point, upper]`` in the head's target space; the lower and
  upper quantile estimates are widened (or narrowed) by one conformal offset
  fitted on the calibration split, kept on either side of the point, mapped
  back from the target space and clipped to the scale's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dataset import FeatureCache

HB_GRADES = ("I", "II", "III", "IV", "V", "VI")
#: Nominal coverage of the reported intervals (10% and 90% quantiles).
INTERVAL_COVERAGE = 0.8
INTERVAL_QUANTILES = (0.1, 0.9)


@dataclass(frozen=True)
class Head:
    """One predicted quantity.

    Attributes
    ----------
    id : str
        Model id and file stem (``hb_grade.onnx``).
    kind : {'multiclass', 'binary', 'interval'}
    label : str
        The labels.csv column it learns.
    population : {'all', 'palsy'}
        Training sessions: everyone, or patients with a palsy (lesion
        peripheral or central).
    title : str
    output : str
        What the ``output`` columns mean (the documented output space).
    conditional : str
        The condition under which the output has its stated meaning ('' if none).
    classes : tuple of str
        Class names (multiclass) or (negative, positive) (binary).
    point_objective : {'regression', 'median'}
        Interval heads: the point booster's loss (squared error or the 50% quantile).
    transform : {'identity', 'log1p'}
        Interval heads: the space the boosters work in.
    bounds : (float, float)
        Interval heads: the range the outputs are clipped to.
    unit : str
    resolution : float
        Interval heads: the label's step (1 point for the integer-valued
        Sunnybrook composite; 0 for continuous labels). Quantile boosters are
        trained on labels dithered by +/- half a step, so that a quantile
        falling on a tie (e.g. many composites of exactly 100) can still be
        learnt.
    """

    id: str
    kind: str
    label: str
    population: str
    title: str
    output: str
    conditional: str = ""
    classes: tuple[str, ...] = ()
    point_objective: str = "regression"
    transform: str = "identity"
    bounds: tuple[float, float] = (-math.inf, math.inf)
    unit: str = "1"
    resolution: float = 0.0

    @property
    def boosters(self) -> tuple[str, ...]:
        """Names of the LightGBM boosters, in the order of the ``raw`` columns."""
        return ("lower", "point", "upper") if self.kind == "interval" else ("model",)

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.kind == "multiclass" else (3 if self.kind == "interval" else 1)

    def rows(self, cache: FeatureCache) -> np.ndarray:
        """Positions of the sessions this head trains and is evaluated on (label known, population)."""
        y = self.target(cache)
        keep = np.isfinite(y)
        if self.population == "palsy":
            lesion = cache.column("lesion")
            keep &= np.isin(lesion, (1.0, 2.0))
        return np.flatnonzero(keep)

    def target(self, cache: FeatureCache) -> np.ndarray:
        """Training target per session, shape (n_sessions,), float64 (NaN when unknown).

        Multiclass: class index 0-5 (grade - 1); binary: 0/1; interval: the
        label in the head's target space.
        """
        y = cache.column(self.label)
        if self.id == "lesion":
            return np.where(np.isfinite(y), (y == 2.0).astype(float), np.nan)
        if self.kind == "multiclass":
            return y - 1.0
        if self.kind == "interval":
            return self.forward(y)
        return y

    def forward(self, y: np.ndarray) -> np.ndarray:
        """Label space -> target space."""
        return np.log1p(y) if self.transform == "log1p" else np.asarray(y, dtype=float)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Target space -> label space."""
        return np.expm1(z) if self.transform == "log1p" else np.asarray(z, dtype=float)


HEADS: dict[str, Head] = {
    h.id: h
    for h in (
        Head("hb_grade", "multiclass", "hb_grade", "all", "House-Brackmann grade",
             "probabilities of grades I-VI (sum to 1)", classes=HB_GRADES),
        Head("sunnybrook", "interval", "sunnybrook_composite", "all", "Sunnybrook composite score",
             "[lower, point, upper]: 10% quantile, mean and 90% quantile of the composite (0-100), "
             "the interval conformally calibrated to 80% coverage", bounds=(0.0, 100.0), unit="points",
             resolution=1.0),
        Head("lesion", "binary", "lesion", "palsy", "Central (supranuclear) vs peripheral lesion",
             "probability that the palsy is central (1 - probability of peripheral)",
             conditional="conditional on a facial palsy being present: trained on palsy patients only, "
                         "it has no meaning for a healthy face",
             classes=("peripheral", "central")),
        Head("synkinesis", "binary", "synkinesis", "all", "Synkinesis",
             "probability of clinically noticeable synkinesis", classes=("absent", "present")),
        Head("recovery_6mo", "binary", "recovered_6mo", "palsy", "Complete recovery by 6 months",
             "probability of complete recovery within 26 weeks of onset",
             conditional="conditional on a facial palsy: trained on palsy patients only",
             classes=("not recovered", "recovered")),
        Head("weeks_to_recovery", "interval", "weeks_to_recovery", "palsy", "Weeks from onset to complete recovery",
             "[q10, q50, q90]: 10%, 50% and 90% quantiles of the weeks from onset to complete recovery, "
             "the 10-90% interval conformally calibrated to 80% coverage",
             conditional="conditional on a facial palsy: trained on palsy patients only",
             point_objective="median", transform="log1p", bounds=(0.0, 520.0), unit="wk"),
    )
}
