"""The Explanation: per-output SHAP values of the deployed models for one assessment.

:func:`explain_assessment` explains every raw output column of every model
that produced an :class:`~models.assessment.Assessment`, on the exact
feature vector the model saw (:attr:`Assessment.inputs`), with the model
whose ONNX SHA-256 the assessment records (:mod:`explain.shap_values`).

Output spaces
-------------
Values are computed in raw space (the sum of the trees) and shown in a
*display space* that is a linear map of it, so contributions scale exactly
and still add up: ``display = scale * raw + offset`` for the base value and
``scale * raw`` for each contribution.

* House-Brackmann (multiclass, softmax with temperature T): one output per
  grade, the calibrated class logit ``margin_k / T``; the probabilities are
  the softmax of the six logits. Each grade is explained in its own logit;
  shap's ``model_output='probability'`` is not used because on multiclass
  LightGBM it explains a per-class sigmoid, not this softmax.
* Binary heads (Platt scaling ``sigmoid(a * margin + b)``): the calibrated
  log-odds ``a * margin + b``.
* Interval heads: the lower, point and upper estimates in the head's target
  space (Sunnybrook: points; weeks to recovery: ``log(1 + weeks)``), the
  bounds shifted by the conformal offset. The published value then keeps
  the bounds on either side of the point, maps back from the target space
  and clips to the scale's range; those last steps are not linear and are
  outside the explained space.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

import numpy as np

from acquisition.native import canonical_json

from .errors import ExplanationError
from .shap_values import METHOD, TOLERANCE, tree_shap

FORMAT = "fpcds-explanation"
PART_LABELS = {"lower": "lower bound", "point": "point estimate", "upper": "upper bound", "q10": "10% quantile",
               "q50": "median", "q90": "90% quantile"}
FORMAT_VERSION = 1


def _num(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Contribution:
    """One feature's contribution to one output.

    Attributes
    ----------
    name : str
        Feature name (catalogue).
    value : float
        The feature's value in ``unit`` (NaN when unavailable: the model took its missing-value branch).
    unit : str
    modality : {'clinical', 'emg', 'motion'}
    contribution : float
        SHAP value in the output's display space.
    """

    name: str
    value: float
    unit: str
    modality: str
    contribution: float


@dataclass(frozen=True, eq=False)
class OutputExplanation:
    """SHAP values of one output column of one model.

    Attributes
    ----------
    model_id : str
    name : str
        Column name: a grade ('IV'), the binary event ('central') or the
        interval part ('lower', 'point', 'upper', 'q10', 'q50', 'q90').
    title : str
    space : str
        The display space in words, with its calibration constants.
    unit : str
        Unit of the display space ('logit', 'log-odds', 'points', 'log(1+wk)').
    scale, offset : float
        ``display = scale * raw + offset`` (offset applies to the base value only).
    raw_base : float
        Expected raw value (SHAP base value in raw space).
    raw_values : ndarray, shape (n_features,), float64
        SHAP values in raw space.
    onnx_raw : float
        onnxruntime's raw output for this column.
    published : float
        The published output of this column (probability or interval bound).
    published_label : str
        What ``published`` is, e.g. ``'P(grade IV)'``.
    additivity_error : float
        ``|raw_base + sum(raw_values) - onnx_raw|``.
    features : tuple of (name, unit, modality)
    feature_values : ndarray, shape (n_features,), float64
    """

    model_id: str
    name: str
    title: str
    space: str
    unit: str
    scale: float
    offset: float
    raw_base: float
    raw_values: np.ndarray
    onnx_raw: float
    published: float
    published_label: str
    additivity_error: float
    features: tuple[tuple[str, str, str], ...]
    feature_values: np.ndarray

    @property
    def key(self) -> str:
        """``'<model id>/<column>'``."""
        return f"{self.model_id}/{self.name}"

    @property
    def base_value(self) -> float:
        """Base value in the display space."""
        return self.scale * self.raw_base + self.offset

    @property
    def values(self) -> np.ndarray:
        """SHAP values in the display space, shape (n_features,)."""
        return self.scale * self.raw_values

    @property
    def value(self) -> float:
        """The explained output in the display space (base value + sum of the values)."""
        return self.base_value + float(np.sum(self.values))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f[0] for f in self.features)

    def contributions(self) -> list[Contribution]:
        """Every feature's contribution, in model input order."""
        return [Contribution(n, float(v), u, m, float(c))
                for (n, u, m), v, c in zip(self.features, self.feature_values, self.values)]

    def top(self, n: int = 10) -> list[Contribution]:
        """The ``n`` largest contributions by magnitude (ties keep input order)."""
        order = sorted(self.contributions(), key=lambda c: -abs(c.contribution))
        return order[:n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "space": self.space, "unit": self.unit, "scale": self.scale, "offset": self.offset,
            "raw_base": self.raw_base, "raw_values": [float(v) for v in self.raw_values],
            "base_value": self.base_value, "values": [float(v) for v in self.values], "value": self.value,
            "onnx_raw": self.onnx_raw, "published": _num(self.published), "published_label": self.published_label,
            "additivity_error": self.additivity_error,
        }


@dataclass(frozen=True, eq=False)
class ModelExplanation:
    """SHAP values of every output column of one deployed model.

    Attributes
    ----------
    model_id, title, kind, version : str
    sha256 : str
        SHA-256 of the ONNX file (as recorded in the assessment).
    boosters : tuple of dict
        ``{name, file, sha256}`` of the LightGBM boosters explained.
    outputs : tuple of OutputExplanation
        One per raw column.
    primary : str
        Name of the headline output: the most probable grade, the binary
        event, the interval's point estimate.
    conditional : str
        The condition under which the model's output has its meaning ('' if none).
    calibration : dict
        As in the model card.
    native_difference : float
        Largest |LightGBM raw - ONNX raw| on the explained input.
    output_error : float
        Largest |calibrated sum of SHAP values - ONNX output|.
    """

    model_id: str
    title: str
    kind: str
    version: str
    sha256: str
    boosters: tuple[dict[str, str], ...]
    outputs: tuple[OutputExplanation, ...]
    primary: str
    conditional: str
    calibration: dict[str, Any]
    native_difference: float
    output_error: float

    def output(self, name: str) -> OutputExplanation:
        """The output column called ``name``."""
        for out in self.outputs:
            if out.name == name:
                return out
        raise ExplanationError(f"model {self.model_id!r} has no explained output {name!r}; outputs: "
                               f"{[o.name for o in self.outputs]}")

    @property
    def primary_output(self) -> OutputExplanation:
        return self.output(self.primary)

    @property
    def features(self) -> tuple[tuple[str, str, str], ...]:
        return self.outputs[0].features

    @property
    def feature_values(self) -> np.ndarray:
        return self.outputs[0].feature_values

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title, "kind": self.kind, "version": self.version, "sha256": self.sha256,
            "boosters": [dict(b) for b in self.boosters], "primary": self.primary, "conditional": self.conditional,
            "calibration": dict(self.calibration), "native_vs_onnx_max_abs_diff": self.native_difference,
            "output_max_abs_error": self.output_error,
            "features": [{"name": n, "unit": u, "modality": m, "value": _num(v)}
                         for (n, u, m), v in zip(self.features, self.feature_values)],
            "outputs": {o.name: o.to_dict() for o in self.outputs},
        }


@dataclass(frozen=True, eq=False)
class Explanation:
    """SHAP explanations of every model output of one assessment.

    Attributes
    ----------
    session_sha256 : str or None
    affected_side : {'left', 'right'}
    affected_side_source : {'subject', 'inferred', 'unknown'}
    models : dict of str -> ModelExplanation
    method : str
    tolerance : float
        Additivity and LightGBM-vs-ONNX tolerance that every output met.
    computed_at : str
        UTC time, ISO 8601.
    context : dict of str -> float
        Every feature value of the session (the FeatureTable), used to word
        contributions with their healthy-side counterparts (not serialised).
    """

    session_sha256: str | None
    affected_side: str
    affected_side_source: str
    models: dict[str, ModelExplanation]
    method: str
    tolerance: float
    computed_at: str
    context: dict[str, float] = field(default_factory=dict, repr=False)

    def __getitem__(self, model_id: str) -> ModelExplanation:
        try:
            return self.models[model_id]
        except KeyError:
            raise ExplanationError(f"the explanation has no model {model_id!r}; models: {list(self.models)}") from None

    @property
    def outputs(self) -> tuple[OutputExplanation, ...]:
        """Every explained output of every model."""
        return tuple(o for m in self.models.values() for o in m.outputs)

    @property
    def max_additivity_error(self) -> float:
        return max((o.additivity_error for o in self.outputs), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (NaN feature values as null)."""
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "method": self.method, "tolerance": self.tolerance,
            "computed_at": self.computed_at, "session_sha256": self.session_sha256,
            "affected_side": self.affected_side, "affected_side_source": self.affected_side_source,
            "max_additivity_error": self.max_additivity_error,
            "models": {k: m.to_dict() for k, m in self.models.items()},
        }

    def values_sha256(self) -> str:
        """SHA-256 of the raw base values and SHAP values of every output (canonical JSON, model and column order)."""
        data = {mid: {o.name: {"raw_base": o.raw_base, "raw_values": [float(v) for v in o.raw_values]}
                      for o in m.outputs} for mid, m in self.models.items()}
        return hashlib.sha256(canonical_json(data)).hexdigest()


# ----------------------------------------------------------------- building
def _columns(model: Any, output_row: np.ndarray) -> list[dict[str, Any]]:
    """Per raw column: name, title, space, unit, scale, offset, published value and label."""
    head, cal = model.head, model.card.calibration
    if head.kind == "multiclass":
        t = float(cal["temperature"])
        return [{"name": c, "title": f"{head.title} {c}", "unit": "logit", "scale": 1.0 / t, "offset": 0.0,
                 "space": f"calibrated logit of grade {c}: class margin / T (T = {t:.4g}); the grade probabilities "
                          "are the softmax of the six logits",
                 "published": float(output_row[k]), "published_label": f"P(grade {c})"}
                for k, c in enumerate(head.classes)]
    if head.kind == "binary":
        a, b = float(cal["a"]), float(cal["b"])
        event = head.classes[1]
        return [{"name": event, "title": head.title, "unit": "log-odds", "scale": a, "offset": b,
                 "space": f"calibrated log-odds of '{event}': a x margin + b (Platt scaling, a = {a:.4g}, "
                          f"b = {b:.4g}); P = sigmoid(log-odds)",
                 "published": float(output_row[0]), "published_label": f"P({event})"}]
    q = float(cal["offset"])
    target = "log(1 + weeks)" if head.transform == "log1p" else head.unit
    unit = "log(1+wk)" if head.transform == "log1p" else head.unit
    names = model.card.output_columns
    shifts = (-q, 0.0, q)
    words = ("lower quantile estimate minus the conformal offset", "point estimate",
             "upper quantile estimate plus the conformal offset")
    return [{"name": n, "title": f"{head.title}, {n}", "unit": unit, "scale": 1.0, "offset": s,
             "space": f"{w} (offset {q:.4g}) in {target}, before ordering, back-transform and clipping",
             "published": float(output_row[j]), "published_label": f"{PART_LABELS.get(n, n)} ({head.unit})"}
            for j, (n, s, w) in enumerate(zip(names, shifts, words))]


def _primary(kind: str, columns: list[dict[str, Any]]) -> str:
    if kind == "multiclass":
        return max(columns, key=lambda c: c["published"])["name"]
    if kind == "binary":
        return columns[0]["name"]
    return columns[1]["name"]


def explain_model(model: Any, x: np.ndarray, *, expected_sha256: str | None = None,
                  expected_raw: tuple[float, ...] | None = None, tolerance: float = TOLERANCE) -> ModelExplanation:
    """Explain every raw output column of one loaded model on one input row.

    Parameters
    ----------
    model : models.registry.LoadedModel
    x : ndarray, shape (n_features,), float64
        The model's input, in ``model.feature_names`` order.
    expected_sha256 : str, optional
        The ONNX SHA-256 that made the prediction; refused when ``model`` differs.
    expected_raw : tuple of float, optional
        The raw output that was published; refused when ``model`` does not reproduce it.
    tolerance : float

    Returns
    -------
    ModelExplanation
    """
    if expected_sha256 is not None and model.sha256 != expected_sha256:
        raise ExplanationError(f"model {model.id!r}: the prediction was made by ONNX SHA-256 {expected_sha256}, "
                               f"the model given is {model.sha256}; explain the model that made the prediction")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ExplanationError(f"model {model.id!r}: expected one input row, shape (n_features,); got {x.shape}")
    shap = tree_shap(model, x[None, :], tolerance=tolerance)
    raw = shap.onnx_raw[0]
    if expected_raw is not None:
        expected = np.asarray(expected_raw, dtype=np.float64)
        if expected.shape != raw.shape or not float(np.max(np.abs(expected - raw))) <= tolerance:
            raise ExplanationError(f"model {model.id!r}: its raw output {raw.tolist()} on the recorded input differs "
                                   f"from the published raw output {list(expected_raw)}")
    card = model.card
    features = tuple(zip(card.feature_names, card.feature_units, card.feature_modalities))
    columns = _columns(model, shap.onnx_output[0])
    outputs = tuple(
        OutputExplanation(model.id, c["name"], c["title"], c["space"], c["unit"], c["scale"], c["offset"],
                          float(shap.base[0, j]), shap.values[0, j].copy(), float(raw[j]), c["published"],
                          c["published_label"], float(shap.additivity_error[0, j]), features, x.copy())
        for j, c in enumerate(columns)
    )
    return ModelExplanation(model.id, card.title, card.kind, card.version, model.sha256, shap.boosters, outputs,
                            _primary(card.kind, columns), card.conditional, dict(card.calibration),
                            shap.native_difference, shap.output_error)


def explain_assessment(assessment: Any, models: Any, *, table: Any = None,
                       tolerance: float = TOLERANCE) -> Explanation:
    """Explain every output of an assessment on the models that made it.

    Parameters
    ----------
    assessment : models.assessment.Assessment
        As returned by :func:`models.predict.assess` (it carries the input vectors).
    models : models.registry.ModelSet
        The verified model set the assessment was made with.
    table : FeatureTable or mapping, optional
        All feature values of the session, for wording contributions with
        their counterparts (e.g. the healthy side's value).
    tolerance : float

    Returns
    -------
    Explanation

    Raises
    ------
    ExplanationError
        The assessment lacks input vectors, or a model differs from the one recorded.
    """
    refs = {r.id: r for r in assessment.models}
    explained: dict[str, ModelExplanation] = {}
    for model_id, output in assessment.outputs.items():
        x = assessment.inputs.get(model_id)
        if x is None:
            raise ExplanationError(f"the assessment has no input vector for model {model_id!r}; explain the "
                                   "Assessment returned by models.predict (its JSON form does not carry inputs)")
        ref = refs.get(model_id)
        if ref is None:
            raise ExplanationError(f"the assessment lists no model reference for output {model_id!r}")
        explained[model_id] = explain_model(models[model_id], x, expected_sha256=ref.sha256,
                                            expected_raw=tuple(output.raw), tolerance=tolerance)
    context: dict[str, float] = {}
    if table is not None:
        context = dict(table.as_dict()) if hasattr(table, "as_dict") else {k: float(v) for k, v in table.items()}
    return Explanation(assessment.session_sha256, assessment.affected_side, assessment.affected_side_source,
                       explained, METHOD, tolerance, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       context)


def feature_context(explanation: Explanation) -> Mapping[str, float]:
    """Feature values available for wording: the session's table, completed by every model's inputs."""
    values = dict(explanation.context)
    for m in explanation.models.values():
        for (name, _, _), v in zip(m.features, m.feature_values):
            values.setdefault(name, float(v))
    return values
