"""Calibration maps recover known parameters and reach the nominal coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, softmax

from models.calibration import fit_conformal_offset, fit_platt, fit_temperature
from models.errors import TrainingError


def test_platt_recovers_slope_and_intercept():
    rng = np.random.default_rng(0)
    margin = rng.normal(0, 2, 20000)
    y = (rng.random(margin.size) < expit(0.5 * margin - 0.7)).astype(float)
    a, b = fit_platt(margin, y)
    assert a == pytest.approx(0.5, abs=0.03) and b == pytest.approx(-0.7, abs=0.05)


def test_platt_needs_both_classes():
    with pytest.raises(TrainingError, match="needs both classes in the calibration split"):
        fit_platt(np.array([0.1, 0.2]), np.array([1.0, 1.0]))


def test_temperature_recovers_overconfidence():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 1.5, (20000, 4))
    y = np.array([rng.choice(4, p=p) for p in softmax(true_logits, axis=1)])
    # a model three times too confident
    assert fit_temperature(3.0 * true_logits, y) == pytest.approx(3.0, rel=0.05)


def test_conformal_offset_reaches_coverage_on_exchangeable_data():
    rng = np.random.default_rng(2)
    y_cal, y_test = rng.normal(0, 1, 2000), rng.normal(0, 1, 20000)
    # quantile estimates that are too narrow (+/- 0.5 instead of +/- 1.28)
    q = fit_conformal_offset(np.full(2000, -0.5), np.full(2000, 0.5), y_cal, coverage=0.8)
    assert q == pytest.approx(1.28 - 0.5, abs=0.08)
    covered = np.mean((y_test >= -0.5 - q) & (y_test <= 0.5 + q))
    assert covered == pytest.approx(0.8, abs=0.02)
    # too wide intervals get a negative offset
    assert fit_conformal_offset(np.full(2000, -3.0), np.full(2000, 3.0), y_cal, coverage=0.8) < 0


def test_conformal_offset_needs_data():
    with pytest.raises(TrainingError, match="at least one calibration session"):
        fit_conformal_offset(np.array([]), np.array([]), np.array([]), coverage=0.8)
