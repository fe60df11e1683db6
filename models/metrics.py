"""Evaluation metrics (pure numpy): agreement, discrimination, calibration, intervals.

Every function takes plain arrays and returns plain floats or lists, so the
values are easy to check by hand (see tests/models/test_metrics.py).
"""

from __future__ import annotations

import math

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, *, n_classes: int) -> np.ndarray:
    """Counts, shape (n_classes, n_classes), int; rows are true classes, columns predicted (indices 0..n-1)."""
    out = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(out, (np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)), 1)
    return out


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of exact agreement."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else math.nan


def quadratic_weighted_kappa(y_true: np.ndarray, y_pred: np.ndarray, *, n_classes: int) -> float:
    """Cohen's kappa with quadratic weights ``(i - j)^2 / (n - 1)^2`` (1 = perfect, 0 = chance)."""
    observed = confusion_matrix(y_true, y_pred, n_classes=n_classes).astype(float)
    n = observed.sum()
    if n == 0:
        return math.nan
    i, j = np.indices((n_classes, n_classes))
    weights = (i - j) ** 2 / (n_classes - 1) ** 2
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    denominator = float(np.sum(weights * expected))
    if denominator == 0:
        return 1.0 if float(np.sum(weights * observed)) == 0 else math.nan
    return 1.0 - float(np.sum(weights * observed)) / denominator


def per_class_recall(y_true: np.ndarray, y_pred: np.ndarray, *, n_classes: int) -> list[float | None]:
    """Recall of each class (None for a class absent from ``y_true``)."""
    cm = confusion_matrix(y_true, y_pred, n_classes=n_classes)
    support = cm.sum(axis=1)
    return [float(cm[k, k] / support[k]) if support[k] else None for k in range(n_classes)]


def icc(y_true: np.ndarray, y_pred: np.ndarray, *, kind: str = "2,1") -> float:
    """Intraclass correlation of two raters (truth and model) over n subjects.

    Parameters
    ----------
    kind : {'2,1', '3,1'}
        ICC(2,1): two-way random effects, absolute agreement, single rater
        (Shrout & Fleiss 1979; penalises a systematic offset). ICC(3,1):
        two-way mixed, consistency.
    """
    data = np.column_stack([np.asarray(y_true, float), np.asarray(y_pred, float)])
    n, k = data.shape
    if n < 2:
        return math.nan
    grand = data.mean()
    ss_rows = k * np.sum((data.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((data.mean(axis=0) - grand) ** 2)
    ss_err = np.sum((data - grand) ** 2) - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    if kind == "3,1":
        denominator = msr + (k - 1) * mse
        return float((msr - mse) / denominator) if denominator else math.nan
    if kind == "2,1":
        denominator = msr + (k - 1) * mse + k * (msc - mse) / n
        return float((msr - mse) / denominator) if denominator else math.nan
    raise ValueError(f"ICC kind {kind!r} is unknown; expected '2,1' or '3,1'")


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half); NaN without both classes."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(score, dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    if len(pos) == 0 or len(neg) == 0:
        return math.nan
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def brier(y_true: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of a probability against 0/1 outcomes."""
    y, p = np.asarray(y_true, float), np.asarray(p, float)
    return float(np.mean((p - y) ** 2)) if len(y) else math.nan


def sensitivity_specificity(y_true: np.ndarray, p: np.ndarray, *, threshold: float = 0.5) -> tuple[float, float]:
    """(sensitivity, specificity) of ``p >= threshold``; NaN where a class is absent."""
    y = np.asarray(y_true, float)
    hit = np.asarray(p, float) >= threshold
    pos, neg = y == 1, y == 0
    sens = float(np.mean(hit[pos])) if pos.any() else math.nan
    spec = float(np.mean(~hit[neg])) if neg.any() else math.nan
    return sens, spec


def expected_calibration_error(y_true: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> float:
    """ECE with equal-width bins: sum over bins of (bin share) * |mean outcome - mean confidence|.

    Parameters
    ----------
    y_true : ndarray, shape (n,)
        Binary: 0/1 outcomes. Multiclass: class indices.
    p : ndarray, shape (n,) or (n, n_classes)
        Binary: probability of class 1 (bins over p). Multiclass: class
        probabilities; the top-label confidence is binned and compared with
        the top label's accuracy.
    """
    y = np.asarray(y_true)
    p = np.asarray(p, dtype=float)
    if len(y) == 0:
        return math.nan
    if p.ndim == 2:
        confidence = p.max(axis=1)
        outcome = (p.argmax(axis=1) == y.astype(int)).astype(float)
    else:
        confidence, outcome = p, y.astype(float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            total += sel.mean() * abs(outcome[sel].mean() - confidence[sel].mean())
    return float(total)


def coverage(y_true: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Fraction of ``y_true`` inside ``[lower, upper]``."""
    y = np.asarray(y_true, float)
    return float(np.mean((y >= lower) & (y <= upper))) if len(y) else math.nan


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error."""
    y = np.asarray(y_true, float)
    return float(np.mean(np.abs(y - np.asarray(y_pred, float)))) if len(y) else math.nan
