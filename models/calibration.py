"""Post-hoc calibration that stays a simple map of the raw model output (so SHAP on the raw output explains it).

* :func:`fit_platt` - binary: ``p = sigmoid(a * margin + b)`` by maximum likelihood.
* :func:`fit_temperature` - multiclass: ``p = softmax(margin / T)`` by maximum likelihood.
* :func:`fit_conformal_offset` - intervals: one offset added to the upper and
  subtracted from the lower quantile estimate so that the calibration split
  reaches the nominal coverage (conformalized quantile regression).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax

from .errors import TrainingError


def fit_platt(margin: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling of a raw binary margin.

    Parameters
    ----------
    margin : ndarray, shape (n,)
        Raw scores (log-odds before calibration).
    y : ndarray, shape (n,)
        0/1 labels.

    Returns
    -------
    (a, b) : (float, float)
        Slope and intercept in logit space.
    """
    margin = np.asarray(margin, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(np.unique(y)) < 2:
        raise TrainingError(f"Platt scaling needs both classes in the calibration split; found only {np.unique(y)}")

    def nll(params: np.ndarray) -> float:
        z = params[0] * margin + params[1]
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 1e-3 * params[0] ** 2)

    def grad(params: np.ndarray) -> np.ndarray:
        r = expit(params[0] * margin + params[1]) - y
        return np.array([np.sum(r * margin) + 2e-3 * params[0], np.sum(r)])

    result = minimize(nll, np.array([1.0, 0.0]), jac=grad, method="L-BFGS-B")
    a, b = (float(v) for v in result.x)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise TrainingError("Platt scaling did not converge")
    return a, b


def fit_temperature(margin: np.ndarray, y: np.ndarray) -> float:
    """Temperature of a multiclass margin.

    Parameters
    ----------
    margin : ndarray, shape (n, n_classes)
    y : ndarray, shape (n,)
        Class indices.

    Returns
    -------
    float
        T > 0; probabilities are ``softmax(margin / T)``.
    """
    margin = np.asarray(margin, dtype=float)
    idx = np.asarray(y, dtype=int)

    def nll(log_t: float) -> float:
        logp = log_softmax(margin / math.exp(log_t), axis=1)
        return float(-np.mean(logp[np.arange(len(idx)), idx]))

    result = minimize_scalar(nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded")
    return float(math.exp(result.x))


def fit_conformal_offset(lower: np.ndarray, upper: np.ndarray, y: np.ndarray, *, coverage: float) -> float:
    """Conformal offset for a quantile interval.

    Parameters
    ----------
    lower, upper : ndarray, shape (n,)
        Quantile estimates on the calibration split (target space).
    y : ndarray, shape (n,)
        True values (target space).
    coverage : float
        Nominal coverage in (0, 1).

    Returns
    -------
    float
        Offset q: the interval ``[lower - q, upper + q]`` covers the
        calibration targets at the finite-sample-corrected level.
    """
    scores = np.maximum(np.asarray(lower) - y, np.asarray(y) - np.asarray(upper))
    n = len(scores)
    if n == 0:
        raise TrainingError("conformal calibration needs at least one calibration session")
    level = min(1.0, math.ceil((n + 1) * coverage) / n)
    return float(np.quantile(scores, level, method="higher"))
