"""Training: feature cache -> one LightGBM model per head, calibrated, exported to ONNX with its card.

Procedure (documented in every card's ``training`` entry):

1. Patient-level split into train / validation / calibration (default
   70/15/15 %), stratified by lesion and synkinesis, decided by a hash of
   (seed, patient id) so it does not depend on row order.
2. Modality dropout: every session contributes three rows, its fused,
   sEMG-only and motion-only feature vectors (real extractions, see
   :mod:`models.dataset`), so single-modality sessions are assessed honestly.
3. Feature selection per head: a first LightGBM on every available feature
   of the allowed modalities ranks features by gain on the training split;
   the top ``n_features`` (48; 96 for the Sunnybrook composite), with at
   least a quarter from each signal modality, are kept.
4. The final boosters are trained on the selected features with early
   stopping on the validation split (quantile boosters of a discrete label
   on dithered labels, see :attr:`models.heads.Head.resolution`).
5. Calibration on the calibration split: temperature (House-Brackmann),
   Platt scaling (binary heads), conformal offset (intervals).
6. Export to ONNX (double precision) checked against LightGBM, and a
   manifest with every file's SHA-256.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import metrics as M
from .calibration import fit_conformal_offset, fit_platt, fit_temperature
from .card import ModelCard, code_version, library_versions
from .dataset import VARIANTS, FeatureCache, catalogue_hash
from .errors import TrainingError
from .export import INPUT_NAME, build_onnx, output_from_raw, verify_export, write_boosters, write_model
from .heads import HEADS, INTERVAL_COVERAGE, INTERVAL_QUANTILES, Head
from .onnx_trees import native_raw

MODELS_VERSION = "1.0"
SPLITS = ("train", "validation", "calibration")
SIGNAL_MODALITIES = ("emg", "motion")
#: Early stopping: an iteration counts as better only when the validation loss drops by more than this.
MIN_DELTA = 1e-4


@dataclass(frozen=True)
class TrainOptions:
    """Training settings (recorded in every card).

    Attributes
    ----------
    seed : int
        Seeds the split and LightGBM.
    fractions : (float, float, float)
        Train / validation / calibration shares of the patients.
    modalities : tuple of str
        Signal modalities the models may use (clinical facts always): both
        for the fused models, one for a modality-specific ablation model.
    n_features : int
        Features kept per head ...
    n_features_by_head : tuple of (str, int)
        ... except these heads (the Sunnybrook composite sums many items and
        gains from more: held-out MAE 2.9 -> 2.7 points with 96 features).
    learning_rate, num_leaves, max_rounds, early_stopping : LightGBM settings.
    threads : int
        LightGBM threads.
    """

    seed: int = 20251125
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    modalities: tuple[str, ...] = SIGNAL_MODALITIES
    n_features: int = 48
    n_features_by_head: tuple[tuple[str, int], ...] = (("sunnybrook", 96),)
    learning_rate: float = 0.08
    num_leaves: int = 15
    max_rounds: int = 1500
    early_stopping: int = 100
    threads: int = 2

    def __post_init__(self) -> None:
        if len(self.fractions) != 3 or min(self.fractions) <= 0 or abs(sum(self.fractions) - 1) > 1e-9:
            raise TrainingError(f"split fractions {self.fractions} must be three positive shares summing to 1")
        bad = set(self.modalities) - set(SIGNAL_MODALITIES)
        if not self.modalities or bad:
            raise TrainingError(f"modalities {self.modalities} must be a non-empty subset of {SIGNAL_MODALITIES}")
        if self.n_features < 2:
            raise TrainingError(f"n_features is {self.n_features}; expected at least 2")

    @property
    def variants(self) -> tuple[str, ...]:
        """The feature-vector variants used as training rows (modality dropout)."""
        return VARIANTS if set(self.modalities) == set(SIGNAL_MODALITIES) else tuple(self.modalities)


# ------------------------------------------------------------------ splits
def _unit_hash(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "little") / 2**64


def split_patients(cache: FeatureCache, *, seed: int, fractions: tuple[float, float, float]) -> dict[str, np.ndarray]:
    """Session positions per split; all sessions of a patient share a split.

    Returns
    -------
    dict
        ``{'train': rows, 'validation': rows, 'calibration': rows}``, int arrays.
    """
    pids = cache.patient_ids
    lesion = cache.column("lesion")
    synk = cache.column("synkinesis")
    first: dict[str, tuple[float, float]] = {}
    for pid, les, syn in zip(pids, lesion, synk):
        first.setdefault(pid, (les, syn))
    strata: dict[tuple[float, float], list[str]] = {}
    for pid, key in first.items():
        strata.setdefault(key, []).append(pid)
    assignment: dict[str, int] = {}
    bounds = np.cumsum(fractions)
    for members in strata.values():
        members.sort(key=lambda p: _unit_hash(seed, p))
        offset = _unit_hash(seed, f"stratum:{members[0]}")  # spreads small strata over the splits
        for i, pid in enumerate(members):
            position = ((i + offset) / len(members)) % 1.0
            assignment[pid] = int(np.searchsorted(bounds, position, side="right"))
    which = np.array([min(assignment[p], 2) for p in pids])
    return {name: np.flatnonzero(which == k) for k, name in enumerate(SPLITS)}


# ------------------------------------------------------------------ LightGBM
def _params(head: Head, booster: str, options: TrainOptions, n_rows: int, *, lr: float) -> dict[str, Any]:
    params: dict[str, Any] = {
        "learning_rate": lr, "num_leaves": options.num_leaves,
        "min_data_in_leaf": int(min(20, max(3, n_rows // 60))), "feature_fraction": 0.7,
        "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "max_bin": 255,
        "seed": options.seed, "deterministic": True, "force_row_wise": True, "num_threads": options.threads,
        "verbose": -1, "use_missing": True, "zero_as_missing": False,
    }
    if head.kind == "multiclass":
        params.update(objective="multiclass", num_class=len(head.classes), metric="multi_logloss")
    elif head.kind == "binary":
        params.update(objective="binary", metric="binary_logloss")
    elif booster == "point" and head.point_objective == "regression":
        params.update(objective="regression", metric="l2")
    else:
        alpha = {"lower": INTERVAL_QUANTILES[0], "upper": INTERVAL_QUANTILES[1], "point": 0.5}[booster]
        params.update(objective="quantile", alpha=alpha, metric="quantile")
    return params


def _fit(params: dict[str, Any], x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray,
         names: list[str], *, rounds: int, patience: int):  # -> lightgbm.Booster
    import lightgbm as lgb

    train = lgb.Dataset(x, y, feature_name=names, free_raw_data=True)
    valid = lgb.Dataset(xv, yv, reference=train)
    booster = lgb.train(params, train, num_boost_round=rounds, valid_sets=[valid],
                        callbacks=[lgb.early_stopping(patience, verbose=False, min_delta=MIN_DELTA)])
    best = booster.best_iteration or booster.current_iteration()
    # a fresh booster holding exactly the kept iterations: what is saved, exported and explained
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))


def _dither(y: np.ndarray, step: float, *, seed: int) -> np.ndarray:
    """Labels plus uniform noise of +/- half a step (breaks ties for quantile boosting)."""
    return y + np.random.default_rng([seed, 17]).uniform(-step / 2, step / 2, len(y))


def _stack(cache: FeatureCache, rows: np.ndarray, variants: tuple[str, ...], names: list[str],
           y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([cache.matrix(v, names)[rows] for v in variants])
    return x, np.tile(y[rows], len(variants))


def _candidates(cache: FeatureCache, rows: np.ndarray, options: TrainOptions) -> list[str]:
    from models.features import feature_specs

    allowed = {"clinical", *options.modalities}
    out = []
    for i, spec in enumerate(feature_specs()):
        if spec.modality not in allowed:
            continue
        column = np.concatenate([cache.x[v][rows, i] for v in options.variants])
        finite = column[np.isfinite(column)]
        if len(finite) >= 5 and np.ptp(finite) > 0:
            out.append(spec.name)
    if not out:
        raise TrainingError("no feature has at least 5 distinct-valued training rows; the cohort is too small")
    return out


def select_features(head: Head, cache: FeatureCache, split: dict[str, np.ndarray], y: np.ndarray,
                    options: TrainOptions) -> tuple[list[str], dict[str, float]]:
    """Rank the candidate features by gain of a quick model; keep the top ones.

    The number kept is ``options.n_features`` unless ``options.n_features_by_head`` names the head.

    Returns
    -------
    names : list of str
        Kept features, in catalogue order.
    gains : dict
        Gain share of every kept feature in the ranking model.
    """
    from models.features import feature_specs

    modality = {s.name: s.modality for s in feature_specs()}
    candidates = _candidates(cache, split["train"], options)
    booster_name = "point" if head.kind == "interval" else "model"
    x, yy = _stack(cache, split["train"], options.variants, candidates, y)
    xv, yv = _stack(cache, split["validation"], options.variants, candidates, y)
    params = _params(head, booster_name, options, len(x), lr=0.1)
    params["feature_fraction"] = 0.5
    ranking = _fit(params, x, yy, xv, yv, candidates, rounds=400, patience=30)
    gain = ranking.feature_importance(importance_type="gain")
    order = [candidates[i] for i in np.argsort(-gain, kind="stable") if gain[i] > 0]
    wanted = dict(options.n_features_by_head).get(head.id, options.n_features)
    k = min(wanted, len(order))
    kept = order[:k]
    if len(options.modalities) > 1:
        floor = max(1, wanted // 4)
        for m in options.modalities:
            have = sum(modality[n] == m for n in kept)
            extra = [n for n in order[k:] if modality[n] == m][: max(0, floor - have)]
            kept += extra
    if not kept:
        raise TrainingError(f"{head.id}: no feature carries information on the training split")
    total = float(gain.sum()) or 1.0
    kept_set = set(kept)
    gains = {name: float(g / total) for name, g in zip(candidates, gain) if name in kept_set}
    catalogue_order = {n: i for i, n in enumerate(s.name for s in feature_specs())}
    return sorted(kept, key=catalogue_order.__getitem__), gains


# ------------------------------------------------------------------ heads
def _head_metrics(head: Head, y: np.ndarray, out: np.ndarray) -> dict[str, float]:
    if head.kind == "multiclass":
        pred = out.argmax(axis=1)
        return {"accuracy": M.accuracy(y, pred),
                "quadratic_weighted_kappa": M.quadratic_weighted_kappa(y, pred, n_classes=len(head.classes)),
                "ece": M.expected_calibration_error(y, out)}
    if head.kind == "binary":
        p = out[:, 0]
        return {"auc": M.roc_auc(y, p), "brier": M.brier(y, p), "ece": M.expected_calibration_error(y, p)}
    truth = head.inverse(y)
    return {"mae": M.mae(truth, out[:, 1]), "coverage": M.coverage(truth, out[:, 0], out[:, 2]),
            "mean_width": float(np.mean(out[:, 2] - out[:, 0]))}


def _calibrate(head: Head, raw: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    if head.kind == "multiclass":
        return {"method": "temperature", "temperature": fit_temperature(raw, y),
                "space": "softmax(raw / temperature)"}
    if head.kind == "binary":
        a, b = fit_platt(raw[:, 0], y)
        return {"method": "platt", "a": a, "b": b, "space": "sigmoid(a * raw + b)"}
    offset = fit_conformal_offset(raw[:, 0], raw[:, 2], y, coverage=INTERVAL_COVERAGE)
    return {"method": "conformal", "offset": offset, "coverage": INTERVAL_COVERAGE,
            "quantiles": list(INTERVAL_QUANTILES), "transform": head.transform, "bounds": list(head.bounds),
            "space": "raw columns [lower, point, upper] in the target space; output = clip(inverse(["
                     "min(lower - offset, point), point, max(upper + offset, point)]))"}


def _check_classes(head: Head, y: np.ndarray, split: dict[str, np.ndarray]) -> None:
    if head.kind != "binary":
        return
    for name, rows in split.items():
        values = set(np.unique(y[rows]).tolist())
        if values != {0.0, 1.0}:
            raise TrainingError(f"{head.id}: the {name} split has only class(es) {sorted(values)} of "
                                f"{head.label}; the cohort is too small or too uniform for this head")


@dataclass
class TrainedHead:
    """A trained head before it is written: boosters, selected features, calibration, metrics."""

    head: Head
    boosters: list[Any]
    features: list[str]
    gains: dict[str, float]
    calibration: dict[str, Any]
    metrics: dict[str, Any]
    sizes: dict[str, int]


def train_head(head: Head, cache: FeatureCache, split: dict[str, np.ndarray], options: TrainOptions) -> TrainedHead:
    """Select features, train, calibrate and score one head (nothing written)."""
    y = head.target(cache)
    population = set(head.rows(cache).tolist())
    hsplit = {k: np.array([r for r in rows if r in population], dtype=int) for k, rows in split.items()}
    for name, rows in hsplit.items():
        if len(rows) < 3:
            raise TrainingError(f"{head.id}: the {name} split has {len(rows)} labelled sessions; expected >= 3")
    _check_classes(head, y, hsplit)
    features, gains = select_features(head, cache, hsplit, y, options)
    x, yy = _stack(cache, hsplit["train"], options.variants, features, y)
    xv, yv = _stack(cache, hsplit["validation"], options.variants, features, y)
    boosters = []
    for name in head.boosters:
        params = _params(head, name, options, len(x), lr=options.learning_rate)
        target = yy
        if params["objective"] == "quantile" and head.resolution > 0:
            target = head.forward(_dither(head.inverse(yy), head.resolution, seed=options.seed))
        boosters.append(_fit(params, x, target, xv, yv, features, rounds=options.max_rounds,
                             patience=options.early_stopping))
    xc, yc = _stack(cache, hsplit["calibration"], options.variants, features, y)
    calibration = _calibrate(head, native_raw(boosters, xc), yc)
    scores: dict[str, Any] = {}
    for split_name, rows in (("validation", hsplit["validation"]), ("calibration", hsplit["calibration"])):
        for variant in options.variants:
            out = output_from_raw(head, native_raw(boosters, cache.matrix(variant, features)[rows]), calibration)
            scores.setdefault(split_name, {})[variant] = _head_metrics(head, y[rows], out)
    sizes = {f"{k}_sessions": int(len(v)) for k, v in hsplit.items()}
    sizes["training_rows"] = int(len(x))
    return TrainedHead(head, boosters, features, gains, calibration, scores, sizes)


# ------------------------------------------------------------------ writing
def _write_head(trained: TrainedHead, out_dir: Path, training: dict[str, Any], x_check: np.ndarray) -> dict[str, Any]:
    import lightgbm as lgb

    from models.features import feature_specs

    head = trained.head
    spec = {s.name: s for s in feature_specs()}
    files = write_boosters(head, trained.boosters, out_dir)
    # export exactly what was saved
    boosters = [lgb.Booster(model_file=str(out_dir / f["file"])) for f in files]
    card = ModelCard(
        model_id=head.id, version=f"{MODELS_VERSION}+data.{training['data_sha256'][:8]}", title=head.title,
        kind=head.kind, input_name=INPUT_NAME, feature_names=list(trained.features),
        feature_units=[spec[n].unit for n in trained.features],
        feature_modalities=[spec[n].modality for n in trained.features],
        outputs={"raw": f"sum of the trees of boosters {list(head.boosters)} (columns {_raw_columns(head)}); "
                        "SHAP values of the boosters add up to it",
                 "output": head.output},
        output_columns=_output_columns(head), conditional=head.conditional, calibration=trained.calibration,
        boosters=files,
        training={**training, **trained.sizes, "population": head.population, "label": head.label,
                  "selected_feature_gain_share": trained.gains},
        metrics=trained.metrics, code_version=training["code_version"], library_versions=library_versions(),
        catalogue_sha256=training["catalogue_sha256"],
    )
    model = build_onnx(head, boosters, card)
    diff = verify_export(head, model, boosters, card, x_check, path=str(out_dir / f"{head.id}.onnx"))
    onnx_file = write_model(model, out_dir, head)
    return {"title": head.title, "kind": head.kind, "version": card.version, "onnx": onnx_file,
            "boosters": [{k: f[k] for k in ("name", "file", "sha256")} for f in files],
            "onnx_vs_lightgbm_max_abs_diff": diff, "n_features": len(trained.features)}


def _raw_columns(head: Head) -> list[str]:
    if head.kind == "multiclass":
        return [f"margin_{c}" for c in head.classes]
    if head.kind == "binary":
        return ["margin"]
    return [f"{b}_{head.transform}" for b in head.boosters]


def _output_columns(head: Head) -> list[str]:
    if head.kind == "multiclass":
        return [f"p_{c}" for c in head.classes]
    if head.kind == "binary":
        return [f"p_{head.classes[1]}"]
    return ["q10", "q50", "q90"] if head.point_objective == "median" else ["lower", "point", "upper"]


def train_models(
    cache: FeatureCache,
    out_dir: str | Path,
    *,
    options: TrainOptions = TrainOptions(),
    heads: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Train every head on ``cache`` and write the model set to ``out_dir``.

    Parameters
    ----------
    cache : FeatureCache
        Labelled feature vectors (:func:`models.dataset.build_cache`).
    out_dir : path
        Created (or emptied of a previous model set); receives one ``<head>.onnx``
        per head, the LightGBM model texts and ``manifest.json``.
    options : TrainOptions
    heads : tuple of str, optional
        Head ids to train (default: all of :data:`models.heads.HEADS`).
    progress : callable, optional
        Receives one line per step.

    Returns
    -------
    Path
        The manifest.
    """
    from .registry import MANIFEST, write_manifest

    selected = tuple(HEADS) if heads is None else heads
    unknown = [h for h in selected if h not in HEADS]
    if unknown:
        raise TrainingError(f"unknown head(s) {unknown}; expected some of {list(HEADS)}")
    if len(cache) < 10:
        raise TrainingError(f"the cohort has {len(cache)} sessions; training needs at least 10")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if (out / MANIFEST).exists():
        for old in list(out.glob("*.onnx")) + list(out.glob("*.lgb.txt")) + [out / MANIFEST]:
            old.unlink()
    split = split_patients(cache, seed=options.seed, fractions=options.fractions)
    training = {
        "data_sha256": cache.data_hash(), "source": cache.meta.get("source", ""),
        "n_sessions": len(cache), "n_patients": int(len(set(cache.patient_ids.tolist()))),
        "split_patients": {k: int(len(set(cache.patient_ids[v].tolist()))) for k, v in split.items()},
        "options": asdict(options), "variants": list(options.variants), "modality_dropout": len(options.variants) > 1,
        "code_version": code_version(), "catalogue_sha256": catalogue_hash(),
    }
    entries = {}
    for head_id in selected:
        head = HEADS[head_id]
        if progress:
            progress(f"training {head_id} ({head.kind}, population {head.population})")
        trained = train_head(head, cache, split, options)
        x_check = cache.matrix("fused", trained.features)[split["validation"]]
        entries[head_id] = _write_head(trained, out, training, x_check)
        if progress:
            fused = trained.metrics["validation"].get("fused", trained.metrics["validation"][options.variants[0]])
            progress(f"  {head_id}: {len(trained.features)} features, trees "
                     f"{[b.num_trees() for b in trained.boosters]}, validation "
                     + ", ".join(f"{k} {v:.3f}" for k, v in fused.items() if isinstance(v, float) and math.isfinite(v)))
    return write_manifest(out, entries, training=training, version=MODELS_VERSION)
