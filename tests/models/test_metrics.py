"""Evaluation metrics on hand-made examples whose values are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models import metrics as M


def test_confusion_matrix_counts_rows_true_columns_predicted():
    cm = M.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], n_classes=3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert M.per_class_recall([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], n_classes=4) == [0.5, 1.0, 2 / 3, None]
    assert M.accuracy([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0]) == pytest.approx(4 / 6)


def test_quadratic_weighted_kappa_by_hand():
    # 3 classes, weights (i-j)^2/4; observed [[1,1,0],[0,1,0],[1,0,2]], n = 6
    # row sums 2,1,3; column sums 2,2,2 -> expected E_ij = r_i c_j / 6 = r_i / 3
    # sum w*O = 1*0.25 + 1*1 (the (2,0) cell) = 1.25
    # sum w*E = (2/3)(0+.25+1) + (1/3)(.25+0+.25) + 1*(1+.25+0) = 5/6 + 1/6 + 1.25 = 2.25
    y_true, y_pred = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0]
    assert M.quadratic_weighted_kappa(y_true, y_pred, n_classes=3) == pytest.approx(1 - 1.25 / 2.25)
    assert M.quadratic_weighted_kappa([0, 1, 2], [0, 1, 2], n_classes=3) == 1.0
    # a rater who always says the same grade agrees no better than chance
    assert M.quadratic_weighted_kappa([0, 1, 2, 1], [1, 1, 1, 1], n_classes=3) == pytest.approx(0.0)


def test_icc_by_hand():
    # truth 1..5, model = truth + 1 (a constant offset): perfect consistency, imperfect agreement
    truth = np.array([1.0, 2, 3, 4, 5])
    model = truth + 1
    assert M.icc(truth, model, kind="3,1") == pytest.approx(1.0)
    # MSR = 2 * var-of-row-means = 2 * sum((m_i - 3.5)^2)/4 = 2*10/4 = 5; MSE = 0; MSC = 5*(0.5^2*2)/1 = 2.5
    # ICC(2,1) = (5 - 0) / (5 + 0 + 2*(2.5 - 0)/5) = 5 / 6
    assert M.icc(truth, model, kind="2,1") == pytest.approx(5 / 6)
    assert M.icc(truth, truth, kind="2,1") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="ICC kind '1,1' is unknown"):
        M.icc(truth, model, kind="1,1")


def test_auc_counts_ties_as_one_half():
    assert M.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert M.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert math.isnan(M.roc_auc([1, 1], [0.2, 0.3]))


def test_expected_calibration_error_by_hand():
    # bin [0.2, 0.3): p = 0.2, 0.2, outcomes 0, 1 -> |0.5 - 0.2| = 0.3, share 0.5
    # bin [0.9, 1.0]: p = 0.9, 0.9, outcomes 1, 1 -> |1 - 0.9| = 0.1, share 0.5
    assert M.expected_calibration_error([0, 1, 1, 1], [0.2, 0.2, 0.9, 0.9]) == pytest.approx(0.2)
    # multiclass: top-label confidence 0.6 and 0.8 (bins 6 and 8), first right, second wrong
    p = np.array([[0.6, 0.4], [0.2, 0.8]])
    assert M.expected_calibration_error([0, 0], p) == pytest.approx(0.5 * 0.4 + 0.5 * 0.8)
    assert M.expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0


def test_coverage_mae_brier_and_sensitivity():
    assert M.coverage([1, 2, 3, 4], [0, 2.5, 3, 0], [1, 3, 3, 3.9]) == pytest.approx(0.5)
    assert M.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert M.brier([0, 1], [0.2, 0.6]) == pytest.approx((0.04 + 0.16) / 2)
    sens, spec = M.sensitivity_specificity([1, 1, 1, 0, 0], [0.9, 0.5, 0.2, 0.6, 0.1])
    assert (sens, spec) == (pytest.approx(2 / 3), pytest.approx(0.5))
