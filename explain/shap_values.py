"""Exact TreeSHAP values of a deployed model, computed on the artifact that made the prediction.

A deployed head is an ONNX file whose ``raw`` output is the sum of the trees
of one or more LightGBM boosters, saved as model text beside it
(:mod:`models.export`). :func:`tree_shap`

1. loads those boosters from their files and checks each file's SHA-256
   against the model card inside the (manifest-verified) ONNX file;
2. runs the ONNX model in onnxruntime and the boosters natively on the rows
   being explained and requires their raw outputs to agree within
   :data:`TOLERANCE`, which proves the native boosters are the deployed model
   on these inputs;
3. computes exact TreeSHAP values with LightGBM's ``pred_contrib`` (path-
   dependent TreeSHAP on the raw margin, the algorithm behind
   ``shap.TreeExplainer(booster)`` with its defaults; both give the same
   numbers), one set per raw column;
4. checks additivity against onnxruntime: base value + sum of the values
   equals the ONNX ``raw`` output within :data:`TOLERANCE`, and mapping that
   sum through the head's calibration (:func:`models.export.output_from_raw`)
   reproduces the ONNX ``output`` within :data:`TOLERANCE`.

Everything here is in *raw space*: multiclass class margins (before
temperature and softmax), binary margins (before Platt scaling), interval
quantiles in the head's target space. :mod:`explain.explanation` maps them
linearly into the documented display spaces.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.errors import ModelIntegrityError
from models.export import output_from_raw

from .errors import ExplanationError

#: Largest difference allowed between LightGBM and onnxruntime, and for additivity (raw and output spaces).
TOLERANCE = 1e-6
#: Parsed boosters by the SHA-256 of their verified text (parsing costs more than hashing).
_PARSED: OrderedDict[str, Any] = OrderedDict()
_MAX_PARSED = 64
METHOD = ("exact TreeSHAP (path-dependent, raw margin output) of the LightGBM boosters saved with the deployed "
          "ONNX model, computed with LightGBM pred_contrib")


@dataclass(frozen=True, eq=False)
class RawShap:
    """TreeSHAP values of one model on some rows, in raw space.

    Attributes
    ----------
    values : ndarray, shape (n_rows, n_raw, n_features), float64
        Contribution of each feature to each raw column.
    base : ndarray, shape (n_rows, n_raw), float64
        Expected raw value (the same for every row).
    onnx_raw : ndarray, shape (n_rows, n_raw), float64
        onnxruntime's ``raw`` output.
    onnx_output : ndarray, shape (n_rows, n_outputs), float64
        onnxruntime's ``output``.
    native_difference : float
        Largest |LightGBM raw - ONNX raw|.
    additivity_error : ndarray, shape (n_rows, n_raw), float64
        ``|base + sum(values) - onnx_raw|``.
    output_error : float
        Largest |calibrated(base + sum(values)) - ONNX output|.
    boosters : tuple of dict
        ``{name, file, sha256}`` of the boosters used, in raw-column order.
    """

    values: np.ndarray
    base: np.ndarray
    onnx_raw: np.ndarray
    onnx_output: np.ndarray
    native_difference: float
    additivity_error: np.ndarray
    output_error: float
    boosters: tuple[dict[str, str], ...]


def verified_boosters(model: Any) -> list[Any]:
    """The LightGBM boosters of a loaded model, each read once and checked against its card's SHA-256.

    Parameters
    ----------
    model : models.registry.LoadedModel

    Returns
    -------
    list of lightgbm.Booster
        In raw-column order. A booster is parsed once per process and
        reused while its file's bytes hash to the same value.

    Raises
    ------
    ModelIntegrityError
        A booster file is missing or differs from the hash in the model card.
    """
    import lightgbm as lgb

    out = []
    for entry in model.card.boosters:
        path = model.booster_files.get(entry["name"])
        if path is None or not path.is_file():
            raise ModelIntegrityError(str(path or entry["file"]), f"booster {entry['name']!r} of model "
                                                                  f"{model.id!r} is missing")
        data = path.read_bytes()
        found = hashlib.sha256(data).hexdigest()
        if found != entry["sha256"]:
            raise ModelIntegrityError(str(path), f"SHA-256 {found} differs from the model card's {entry['sha256']}; "
                                                 "the booster is not the one exported with the ONNX model")
        booster = _PARSED.get(found)
        if booster is None:
            booster = lgb.Booster(model_str=data.decode("utf-8"))
            _PARSED[found] = booster
            while len(_PARSED) > _MAX_PARSED:
                _PARSED.popitem(last=False)
        else:
            _PARSED.move_to_end(found)
        out.append(booster)
    return out


def _contributions(booster: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n_rows, n_features = x.shape
    k = int(booster.num_model_per_iteration())
    contrib = np.asarray(booster.predict(x, pred_contrib=True, num_threads=1), dtype=np.float64)
    if contrib.shape != (n_rows, k * (n_features + 1)):
        raise ExplanationError(f"LightGBM pred_contrib returned shape {contrib.shape}; expected "
                               f"({n_rows}, {k * (n_features + 1)})")
    contrib = contrib.reshape(n_rows, k, n_features + 1)
    return contrib[:, :, :n_features], contrib[:, :, n_features]


def tree_shap(model: Any, x: np.ndarray, *, tolerance: float = TOLERANCE) -> RawShap:
    """Exact TreeSHAP values of every raw column of ``model`` on rows ``x``.

    Parameters
    ----------
    model : models.registry.LoadedModel
        A verified, loaded head.
    x : ndarray, shape (n_features,) or (n_rows, n_features), float64
        Inputs in the order of ``model.feature_names``; NaN where unavailable.
    tolerance : float
        Allowed |LightGBM - ONNX| and additivity error, in raw and output space.

    Returns
    -------
    RawShap

    Raises
    ------
    ExplanationError
        ``x`` has the wrong width, or the values do not add up to the ONNX output.
    ModelIntegrityError
        The boosters are not the deployed model (hash or output mismatch).
    """
    x = np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float64)))
    n_features = len(model.feature_names)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ExplanationError(f"model {model.id!r} takes {n_features} features; the input has shape {x.shape}")
    boosters = verified_boosters(model)
    onnx_raw, onnx_output = model.predict(x)
    onnx_raw = np.asarray(onnx_raw, dtype=np.float64)
    onnx_output = np.asarray(onnx_output, dtype=np.float64)
    # one thread: a single row costs microseconds, starting a thread pool milliseconds
    native = np.concatenate([np.asarray(b.predict(x, raw_score=True, num_threads=1), dtype=np.float64)
                             .reshape(len(x), -1) for b in boosters], axis=1)
    if native.shape != onnx_raw.shape:
        raise ModelIntegrityError(str(model.path), f"LightGBM gives {native.shape[1]} raw columns, ONNX "
                                                   f"{onnx_raw.shape[1]}")
    native_difference = float(np.max(np.abs(native - onnx_raw))) if native.size else 0.0
    if not native_difference <= tolerance:
        raise ModelIntegrityError(str(model.path), f"LightGBM boosters and onnxruntime differ by "
                                                   f"{native_difference:.3g} (> {tolerance:g}) on the explained "
                                                   "inputs; they are not the same model")
    parts = [_contributions(b, x) for b in boosters]
    values = np.concatenate([v for v, _ in parts], axis=1)
    base = np.concatenate([b for _, b in parts], axis=1)
    total = base + values.sum(axis=2)
    additivity = np.abs(total - onnx_raw)
    worst = float(np.max(additivity)) if additivity.size else 0.0
    if not worst <= tolerance:
        raise ExplanationError(f"model {model.id!r}: base value + SHAP values differ from the ONNX raw output by "
                               f"{worst:.3g} (> {tolerance:g}); the explanation does not add up")
    calibrated = output_from_raw(model.head, total, model.card.calibration)
    output_error = float(np.max(np.abs(calibrated - onnx_output))) if onnx_output.size else 0.0
    if not output_error <= tolerance:
        raise ExplanationError(f"model {model.id!r}: the calibrated sum of the SHAP values differs from the ONNX "
                               f"output by {output_error:.3g} (> {tolerance:g})")
    files = tuple({"name": e["name"], "file": e["file"], "sha256": e["sha256"]} for e in model.card.boosters)
    return RawShap(values, base, onnx_raw, onnx_output, native_difference, additivity, output_error, files)
