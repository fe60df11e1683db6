"""Evaluation reports: metrics of every head, the modality ablation, targets and the prognosis oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models import metrics as M
from models.evaluate import evaluate, predict_matrix, prognosis_oracle


def test_report_has_every_metric_and_the_ablation(models, cohort):
    report = evaluate(models, cohort)
    m = report["metrics"]
    assert m["hb_grade"]["n"] == len(cohort)
    assert np.sum(m["hb_grade"]["confusion_matrix"]["counts"]) == len(cohort)
    assert set(m["hb_grade"]["per_grade_recall"]) == {"I", "II", "III", "IV", "V", "VI"}
    lesion = cohort.column("lesion")
    assert m["lesion"]["n"] == int(np.sum(lesion > 0)) == m["weeks_to_recovery"]["n"]
    for key in ("sensitivity", "specificity", "auc", "ece"):
        assert 0 <= m["synkinesis"][key] <= 1
    for key in ("brier", "auc", "ece"):
        assert 0 <= m["recovery_6mo"][key] <= 1
    assert m["sunnybrook"]["icc_2_1"] <= 1
    assert set(report["ablation"]) == {"fused", "emg", "motion", "emg_masked", "motion_masked"}
    assert set(report["targets"]) == {"hb_quadratic_weighted_kappa", "lesion_auc", "weeks_to_recovery_mae"}
    for target in report["targets"].values():
        assert target["met"] in (True, False)
        assert (target["shortfall"] is None) == target["met"]


def test_report_numbers_are_the_metrics_of_the_predictions(models, cohort):
    report = evaluate(models, cohort)
    out = predict_matrix(models, cohort.names, cohort.x["fused"])
    y = cohort.column("hb_grade").astype(int) - 1
    pred = out["hb_grade"][1].argmax(axis=1)
    assert report["metrics"]["hb_grade"]["quadratic_weighted_kappa"] == pytest.approx(
        M.quadratic_weighted_kappa(y, pred, n_classes=6), abs=1e-4)
    palsy = cohort.column("lesion") > 0
    weeks = cohort.column("weeks_to_recovery")[palsy]
    assert report["metrics"]["weeks_to_recovery"]["mae_median_weeks"] == pytest.approx(
        M.mae(weeks, out["weeks_to_recovery"][1][palsy, 1]), abs=1e-4)
    # masking the motion features of the fused vector is what "emg_masked" reports
    from models.features import feature_specs

    x = cohort.x["fused"].copy()
    x[:, [i for i, s in enumerate(feature_specs()) if s.modality == "motion"]] = np.nan
    masked = predict_matrix(models, cohort.names, x)["hb_grade"][1].argmax(axis=1)
    assert report["ablation"]["emg_masked"]["hb_accuracy"] == pytest.approx(M.accuracy(y, masked), abs=1e-4)


def test_oracle_uses_the_simulators_latent_truth(cohort):
    oracle = prognosis_oracle(cohort)
    assert oracle["available"] and oracle["n"] == int(np.sum(cohort.column("lesion") > 0))
    # knowing the hidden degeneration leaves only the log-normal spread (sd 0.1): about 8% of the weeks
    weeks = cohort.column("weeks_to_recovery")[cohort.column("lesion") > 0]
    assert oracle["latent"]["weeks_to_recovery_mae"] == pytest.approx(0.08 * np.mean(weeks), rel=0.35)
    assert math.isfinite(oracle["observable"]["weeks_to_recovery_mae"])


def test_oracle_is_unavailable_for_non_simulated_cohorts(cohort):
    foreign = cohort.subset(np.arange(len(cohort)))
    object.__setattr__(foreign, "labels", tuple({**r, "patient_id": f"site-{i}"} for i, r in enumerate(foreign.labels)))
    assert prognosis_oracle(foreign)["available"] is False
