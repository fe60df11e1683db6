"""The Assessment: rule-based scores, model outputs, model ids and hashes, input hash and warnings of one session.

Its JSON form (:meth:`Assessment.to_dict`) is a public interface, documented
in docs/assessment.md and described by the JSON Schema
``models/assessment.schema.json`` (:func:`assessment_schema`). The explainer,
the report and the FHIR mapping read it; they also find, on the Python
object, the exact feature vector each model saw (:attr:`Assessment.inputs`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .card import STATEMENT

FORMAT = "fpcds-assessment"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent / "assessment.schema.json"
#: Evidence levels: which signal modalities the outputs rest on.
EVIDENCE = {("emg", "motion"): "fused", ("emg",): "emg_only", ("motion",): "motion_only"}


def _num(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class GradeOutput:
    """House-Brackmann grade.

    Attributes
    ----------
    model : str
        Model id.
    probabilities : dict of str -> float
        Grade (I-VI) -> probability; sums to 1.
    expected_grade : float
        Sum of grade number (1-6) x probability (the ordinal summary).
    argmax_grade : str
        The most probable grade.
    raw : tuple of float
        Raw class margins (before temperature scaling and softmax).
    """

    model: str
    probabilities: dict[str, float]
    expected_grade: float
    argmax_grade: str
    raw: tuple[float, ...]

    @property
    def argmax_probability(self) -> float:
        return self.probabilities[self.argmax_grade]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "grade", "model": self.model, "probabilities": dict(self.probabilities),
                "expected_grade": self.expected_grade, "argmax_grade": self.argmax_grade,
                "argmax_probability": self.argmax_probability, "raw": list(self.raw)}


@dataclass(frozen=True)
class ProbabilityOutput:
    """A binary outcome.

    Attributes
    ----------
    model : str
    event : str
        What ``probability`` is the probability of (the positive class).
    probability : float
        In [0, 1].
    probabilities : dict of str -> float
        Both classes.
    conditional_on : str or None
        The condition under which the probability has its meaning.
    raw : tuple of float
        Raw margin (log-odds before Platt scaling).
    """

    model: str
    event: str
    probability: float
    probabilities: dict[str, float]
    conditional_on: str | None
    raw: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "probability", "model": self.model, "event": self.event, "probability": self.probability,
                "probabilities": dict(self.probabilities), "conditional_on": self.conditional_on,
                "raw": list(self.raw)}


@dataclass(frozen=True)
class IntervalOutput:
    """A quantity with an interval.

    Attributes
    ----------
    model : str
    value : float
        Point estimate (mean or median, see ``point``).
    lower, upper : float
        Interval bounds (10% and 90% quantiles, conformally calibrated).
    coverage : float
        Nominal coverage of [lower, upper].
    point : {'mean', 'median'}
    unit : str
    conditional_on : str or None
    raw : tuple of float
        Raw booster outputs [lower, point, upper] in the model's target space.
    """

    model: str
    value: float
    lower: float
    upper: float
    coverage: float
    point: str
    unit: str
    conditional_on: str | None
    raw: tuple[float, ...]

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "interval", "model": self.model, "value": self.value, "lower": self.lower,
                "upper": self.upper, "coverage": self.coverage, "point": self.point, "unit": self.unit,
                "conditional_on": self.conditional_on, "raw": list(self.raw)}


@dataclass(frozen=True)
class ModelRef:
    """Identity of a model used: id, version, ONNX SHA-256, training-data hash, code version."""

    id: str
    version: str
    sha256: str
    training_data_sha256: str
    code_version: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AssessmentWarning:
    """A reason to read the outputs with care (code is stable, message is for people)."""

    code: str
    message: str


@dataclass(frozen=True, eq=False)
class Assessment:
    """Everything the models say about one session.

    Attributes
    ----------
    session_sha256 : str or None
        Content hash of the input session.
    modalities : tuple of str
        Signal streams the session had ('emg', 'motion').
    affected_side, affected_side_source : str
        As decided by the feature code.
    features_available : dict of str -> int
        Number of features with a value per modality.
    rule_based : dict or None
        The rule-based scores (:meth:`models.features.Scores.to_dict`).
    outputs : dict of str -> GradeOutput, IntervalOutput or ProbabilityOutput
        Keyed by model id.
    model_set : dict
        ``set_version``, ``manifest_sha256``, ``statement``.
    models : tuple of ModelRef
    warnings : tuple of AssessmentWarning
    inferred_at : str
        UTC time of inference, ISO 8601.
    software : dict
        Versions of fpcds and onnxruntime.
    inputs : dict of str -> ndarray, shape (n_features,)
        The feature vector each model received (not serialised).
    """

    session_sha256: str | None
    modalities: tuple[str, ...]
    affected_side: str
    affected_side_source: str
    features_available: dict[str, int]
    rule_based: dict[str, Any] | None
    outputs: dict[str, GradeOutput | IntervalOutput | ProbabilityOutput]
    model_set: dict[str, str]
    models: tuple[ModelRef, ...]
    warnings: tuple[AssessmentWarning, ...]
    inferred_at: str
    software: dict[str, str]
    inputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def evidence(self) -> str:
        """'fused', 'emg_only' or 'motion_only'."""
        return EVIDENCE[tuple(m for m in ("emg", "motion") if m in self.modalities)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the documented public interface)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "statement": STATEMENT,
            "inferred_at": self.inferred_at,
            "session": {"sha256": self.session_sha256, "modalities": list(self.modalities),
                        "affected_side": self.affected_side, "affected_side_source": self.affected_side_source,
                        "features_available": dict(self.features_available)},
            "evidence": self.evidence,
            "rule_based": self.rule_based,
            "outputs": {k: v.to_dict() for k, v in self.outputs.items()},
            "model_set": dict(self.model_set),
            "models": [m.to_dict() for m in self.models],
            "warnings": [{"code": w.code, "message": w.message} for w in self.warnings],
            "software": dict(self.software),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON (no NaN literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def assessment_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :meth:`Assessment.to_dict`."""
    return json.loads(SCHEMA_PATH.read_text())
