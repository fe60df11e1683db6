"""Evaluation of a model set on a labelled cohort, with the modality ablation and a prognosis oracle.

Metrics (see :mod:`models.metrics`): House-Brackmann accuracy, quadratic
weighted kappa, per-grade recall, confusion matrix, top-label ECE; Sunnybrook
MAE, ICC(2,1) and ICC(3,1), interval coverage; central-vs-peripheral AUC on
palsy patients; synkinesis sensitivity and specificity at p >= 0.5;
prognosis Brier score, AUC and ECE of recovery by 6 months, MAE of the median
weeks to recovery and coverage of the 10-90% interval (palsy patients).

Ablation: the same fused models applied to

* ``fused`` - the whole session;
* ``emg`` / ``motion`` - features extracted from the sEMG alone / motion alone
  (what a single-modality recording gives; see :mod:`models.dataset`);
* ``emg_masked`` / ``motion_masked`` - the fused feature vector with the other
  modality's features set to NaN;

and, when given, modality-specific model sets (trained with
``TrainOptions(modalities=('emg',))`` etc.) on their own modality.

The oracles (:func:`prognosis_oracle`, simulated cohorts only) show how
much of a prognosis error is the simulator's and how much the model's: one
knows each patient's hidden axonal degeneration (its MAE is the floor for any
model), one knows the latent severity course but not the degeneration.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import metrics as M
from .dataset import FeatureCache
from .heads import HB_GRADES
from .registry import ModelSet

#: Targets of the issue, checked on the fused variant.
TARGETS = {"hb_quadratic_weighted_kappa": (">=", 0.90), "lesion_auc": (">=", 0.95),
           "weeks_to_recovery_mae": ("<=", 1.2)}


def _masked(cache: FeatureCache, drop: str) -> np.ndarray:
    from models.features import feature_specs

    x = cache.x["fused"].copy()
    x[:, [i for i, s in enumerate(feature_specs()) if s.modality == drop]] = np.nan
    return x


def predict_matrix(models: ModelSet, names: tuple[str, ...], x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Raw and output of every head for feature rows ``x`` (columns ``names``)."""
    index = {n: i for i, n in enumerate(names)}
    out = {}
    for model_id, model in models.models.items():
        cols = [index[n] for n in model.feature_names]
        out[model_id] = model.predict(x[:, cols])
    return out


def _r(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 4)


def head_metrics(cache: FeatureCache, predictions: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """All metrics of one prediction run (one variant) on ``cache``."""
    result: dict[str, Any] = {}
    lesion = cache.column("lesion")
    palsy = np.isin(lesion, (1.0, 2.0))
    if "hb_grade" in predictions:
        y = cache.column("hb_grade") - 1
        keep = np.isfinite(y)
        p = predictions["hb_grade"][1][keep]
        yt, yp = y[keep].astype(int), p.argmax(axis=1)
        n = len(HB_GRADES)
        expected = p @ np.arange(1, n + 1)
        result["hb_grade"] = {
            "n": int(keep.sum()), "accuracy": _r(M.accuracy(yt, yp)),
            "quadratic_weighted_kappa": _r(M.quadratic_weighted_kappa(yt, yp, n_classes=n)),
            "within_one_grade": _r(float(np.mean(np.abs(yt - yp) <= 1))) if len(yt) else None,
            "expected_grade_mae": _r(M.mae(yt + 1, expected)),
            "per_grade_recall": dict(zip(HB_GRADES, [_r(v) if v is not None else None
                                                     for v in M.per_class_recall(yt, yp, n_classes=n)])),
            "confusion_matrix": {"rows_true_cols_predicted": list(HB_GRADES),
                                 "counts": M.confusion_matrix(yt, yp, n_classes=n).tolist()},
            "ece": _r(M.expected_calibration_error(yt, p)),
        }
    if "sunnybrook" in predictions:
        y = cache.column("sunnybrook_composite")
        keep = np.isfinite(y)
        out = predictions["sunnybrook"][1][keep]
        result["sunnybrook"] = {
            "n": int(keep.sum()), "mae": _r(M.mae(y[keep], out[:, 1])),
            "icc_2_1": _r(M.icc(y[keep], out[:, 1], kind="2,1")), "icc_3_1": _r(M.icc(y[keep], out[:, 1], kind="3,1")),
            "interval_coverage": _r(M.coverage(y[keep], out[:, 0], out[:, 2])),
            "mean_interval_width": _r(float(np.mean(out[:, 2] - out[:, 0]))) if keep.any() else None,
        }
    if "lesion" in predictions:
        keep = palsy
        y = (lesion[keep] == 2.0).astype(float)
        p = predictions["lesion"][1][keep, 0]
        result["lesion"] = {"n": int(keep.sum()), "n_central": int(y.sum()), "auc": _r(M.roc_auc(y, p)),
                            "brier": _r(M.brier(y, p)), "ece": _r(M.expected_calibration_error(y, p)),
                            "accuracy_at_0.5": _r(M.accuracy(y, p >= 0.5))}
    if "synkinesis" in predictions:
        y = cache.column("synkinesis")
        keep = np.isfinite(y)
        p = predictions["synkinesis"][1][keep, 0]
        sens, spec = M.sensitivity_specificity(y[keep], p, threshold=0.5)
        result["synkinesis"] = {"n": int(keep.sum()), "n_positive": int(np.nansum(y[keep])),
                                "sensitivity": _r(sens), "specificity": _r(spec), "auc": _r(M.roc_auc(y[keep], p)),
                                "brier": _r(M.brier(y[keep], p)), "ece": _r(M.expected_calibration_error(y[keep], p))}
    if "recovery_6mo" in predictions:
        y = cache.column("recovered_6mo")
        keep = palsy & np.isfinite(y)
        p = predictions["recovery_6mo"][1][keep, 0]
        result["recovery_6mo"] = {"n": int(keep.sum()), "n_recovered": int(y[keep].sum()),
                                  "brier": _r(M.brier(y[keep], p)), "auc": _r(M.roc_auc(y[keep], p)),
                                  "ece": _r(M.expected_calibration_error(y[keep], p))}
    if "weeks_to_recovery" in predictions:
        y = cache.column("weeks_to_recovery")
        keep = palsy & np.isfinite(y)
        out = predictions["weeks_to_recovery"][1][keep]
        err = np.abs(out[:, 1] - y[keep])
        result["weeks_to_recovery"] = {
            "n": int(keep.sum()), "mae_median_weeks": _r(M.mae(y[keep], out[:, 1])),
            "median_absolute_error": _r(float(np.median(err))) if len(err) else None,
            "interval_coverage_10_90": _r(M.coverage(y[keep], out[:, 0], out[:, 2])),
            "mean_interval_width": _r(float(np.mean(out[:, 2] - out[:, 0]))) if keep.any() else None,
        }
    return result


def _summary(metrics: dict[str, Any]) -> dict[str, float | None]:
    pick = {
        "hb_quadratic_weighted_kappa": ("hb_grade", "quadratic_weighted_kappa"),
        "hb_accuracy": ("hb_grade", "accuracy"),
        "sunnybrook_mae": ("sunnybrook", "mae"),
        "sunnybrook_icc_2_1": ("sunnybrook", "icc_2_1"),
        "lesion_auc": ("lesion", "auc"),
        "synkinesis_sensitivity": ("synkinesis", "sensitivity"),
        "synkinesis_specificity": ("synkinesis", "specificity"),
        "recovery_6mo_auc": ("recovery_6mo", "auc"),
        "recovery_6mo_brier": ("recovery_6mo", "brier"),
        "weeks_to_recovery_mae": ("weeks_to_recovery", "mae_median_weeks"),
        "weeks_interval_width": ("weeks_to_recovery", "mean_interval_width"),
        "sunnybrook_interval_width": ("sunnybrook", "mean_interval_width"),
        "hb_ece": ("hb_grade", "ece"),
    }
    return {k: metrics.get(a, {}).get(b) for k, (a, b) in pick.items()}


def evaluate(
    models: ModelSet,
    cache: FeatureCache,
    *,
    specific: dict[str, ModelSet] | None = None,
    oracle: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """Evaluate ``models`` on ``cache`` (fused, single-modality and masked variants).

    Parameters
    ----------
    models : ModelSet
    cache : FeatureCache
        A held-out labelled cohort.
    specific : dict, optional
        ``{'emg': ModelSet, 'motion': ModelSet}``: modality-specific models,
        evaluated on their modality's features.
    oracle : bool
        Add :func:`prognosis_oracle`.
    seed : int
        Seeds the oracle's folds.

    Returns
    -------
    dict
        JSON-ready: ``cohort``, ``model_set``, ``metrics`` (fused), ``ablation``,
        ``targets`` and optionally ``oracle``.
    """
    runs = {
        "fused": cache.x["fused"], "emg": cache.x["emg"], "motion": cache.x["motion"],
        "emg_masked": _masked(cache, "motion"), "motion_masked": _masked(cache, "emg"),
    }
    per_variant = {name: head_metrics(cache, predict_matrix(models, cache.names, x)) for name, x in runs.items()}
    ablation = {name: _summary(m) for name, m in per_variant.items()}
    for modality, model_set in (specific or {}).items():
        metrics = head_metrics(cache, predict_matrix(model_set, cache.names, cache.x[modality]))
        per_variant[f"{modality}_specific_model"] = metrics
        ablation[f"{modality}_specific_model"] = _summary(metrics)
    fused = ablation["fused"]
    targets = {}
    for key, (op, bound) in TARGETS.items():
        value = fused.get(key)
        met = None if value is None else (value >= bound if op == ">=" else value <= bound)
        targets[key] = {"target": f"{op} {bound}", "value": value, "met": met,
                        "shortfall": None if met in (None, True) else _r(abs(value - bound))}
    lesion = cache.column("lesion")
    report: dict[str, Any] = {
        "cohort": {"source": cache.meta.get("source", ""), "data_sha256": cache.data_hash(), "n_sessions": len(cache),
                   "n_patients": int(len(set(cache.patient_ids.tolist()))),
                   "lesions": {k: int(np.sum(lesion == i))
                               for i, k in enumerate(("healthy", "peripheral", "central"))}},
        "model_set": {"set_version": models.version, "manifest_sha256": models.manifest_sha256,
                      "training_data_sha256": models.manifest.get("training", {}).get("data_sha256"),
                      "statement": models.manifest.get("statement")},
        "metrics": per_variant["fused"],
        "ablation": ablation,
        "ablation_details": {k: v for k, v in per_variant.items() if k != "fused"},
        "targets": targets,
    }
    if oracle:
        report["oracle"] = prognosis_oracle(cache, seed=seed)
    return report


def _latent_patients(rows: tuple[dict[str, str], ...]) -> list[Any] | None:
    """The simulator's Patient behind each row (from the patient id ``S<seed>-P<n>``), or None if not simulated."""
    from acquisition.simulate import cohort_patient

    out = []
    for row in rows:
        pid = row.get("patient_id", "")
        try:
            seed_text, index_text = pid[1:].split("-P")
            patient = cohort_patient(int(seed_text), int(index_text) - 1)
        except (ValueError, IndexError):
            return None
        if str(patient.seed) != row.get("seed", str(patient.seed)):
            return None
        out.append(patient)
    return out


def _latent_median_weeks(patient: Any) -> float:
    from acquisition.simulation.patient import RECOVERY_FACTOR, RECOVERY_MEDIAN_WEEKS

    median = RECOVERY_MEDIAN_WEEKS[0] + RECOVERY_MEDIAN_WEEKS[1] * patient.degeneration**2
    if patient.age > 60:
        median *= RECOVERY_FACTOR["age_over_60"]
    return median * RECOVERY_FACTOR.get(patient.condition, 1.0)


def prognosis_oracle(cache: FeatureCache, *, seed: int = 0, folds: int = 5) -> dict[str, Any]:
    """How well prognosis can be done at all on this simulated cohort (the simulator's limit).

    Two oracles, on the palsy patients:

    * ``latent`` - knows the simulator's hidden axonal degeneration, age and
      condition, i.e. the median of each patient's recovery-time
      distribution; what remains is the simulator's log-normal spread
      (sd 0.1 in log weeks). Its MAE is the floor for any model.
    * ``observable`` - a median regression (5-fold cross-validation) on
      onset severity, current severity, days since onset, age and condition:
      a perfect reading of the face and the clinical facts without the sEMG
      signs of degeneration.

    Returns ``{'available': False, ...}`` for cohorts that are not simulated.
    """
    import lightgbm as lgb
    from scipy.stats import norm

    from acquisition.simulation.patient import RECOVERY_LOG_SD

    rows = cache.labels
    lesion = cache.column("lesion")
    y = cache.column("weeks_to_recovery")
    keep = np.flatnonzero(np.isin(lesion, (1.0, 2.0)) & np.isfinite(y))
    patients = _latent_patients(tuple(rows[i] for i in keep))
    if patients is None or not len(keep):
        return {"available": False, "reason": "the cohort is not a simulated one (patient ids S<seed>-P<n>)"}
    yk = y[keep]
    median = np.array([_latent_median_weeks(p) for p in patients])
    recovered = cache.column("recovered_6mo")[keep]
    p_recovered = norm.cdf((np.log(26.0) - np.log(median)) / RECOVERY_LOG_SD)
    cond = [p.condition for p in patients]
    x = np.column_stack([[p.onset_severity for p in patients], [p.severity for p in patients],
                         [p.days_since_onset for p in patients], [p.age for p in patients]]
                        + [np.array([c == k for c in cond], dtype=float) for k in ("ramsay_hunt", "trauma", "central")])
    fold = np.random.default_rng(seed).permutation(len(keep)) % folds
    pred = np.empty(len(keep))
    params = {"objective": "quantile", "alpha": 0.5, "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 10,
              "verbose": -1, "seed": seed, "deterministic": True, "num_threads": 1}
    for k in range(folds):
        train, test = fold != k, fold == k
        booster = lgb.train(params, lgb.Dataset(x[train], np.log1p(yk[train])), num_boost_round=600)
        pred[test] = np.expm1(booster.predict(x[test]))
    return {
        "available": True, "n": int(len(keep)),
        "latent": {"inputs": ["degeneration (hidden)", "age", "condition"],
                   "weeks_to_recovery_mae": _r(M.mae(yk, median)),
                   "recovery_6mo_auc": _r(M.roc_auc(recovered, p_recovered)),
                   "recovery_6mo_brier": _r(M.brier(recovered, p_recovered))},
        "observable": {"inputs": ["onset_severity", "severity", "days_since_onset", "age", "condition"],
                       "weeks_to_recovery_mae": _r(M.mae(yk, pred))},
    }
