"""Reading the mapping's inputs: the Assessment's JSON form, the FeatureTable, times and the report PDF.

The mapping works from a stored assessment (``Assessment.to_dict()``, see
docs/assessment.md); :func:`read_assessment` checks every field it uses and
names the field when one is missing or wrong. The in-memory objects
(``Assessment``, ``FeatureTable``) are accepted too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from models.features.errors import FeatureError
from models.features.table import FeatureTable
from models.predict import HEALTHY_LOOKING

from .errors import FhirMappingError
from .ids import assessment_key, check_sha256

FORMAT = "fpcds-assessment"
FORMAT_VERSION = 1
GRADES = ("I", "II", "III", "IV", "V", "VI")
OUTPUTS = ("hb_grade", "sunnybrook", "lesion", "synkinesis", "recovery_6mo", "weeks_to_recovery")
#: Subscores each rule-based scale must have when its total is given.
SUBSCORES = {"sunnybrook": ("resting", "voluntary", "synkinesis"), "eface": ("static", "dynamic", "synkinesis"),
             "house_brackmann": ("points_affected",)}
EVIDENCE_WORDS = {"fused": "sEMG and facial motion (fused)", "emg_only": "sEMG only (no facial motion)",
                  "motion_only": "facial motion only (no sEMG)"}


@dataclass(frozen=True)
class ModelInfo:
    """One model of the assessment: id, version, ONNX SHA-256, training-data SHA-256, code version."""

    id: str
    version: str
    sha256: str
    training_data_sha256: str
    code_version: str


@dataclass(frozen=True)
class AssessmentView:
    """The checked fields of one assessment's JSON form.

    Attributes
    ----------
    data : dict
        The JSON form itself.
    session_sha256 : str
    inferred_at : str
        FHIR instant of the inference.
    evidence : {'fused', 'emg_only', 'motion_only'}
    affected_side, affected_side_source : str
    statement : str
        'trained on simulated data; not clinically validated'.
    set_version, manifest_sha256 : str
        The model set.
    models : dict of str -> ModelInfo
    outputs : dict
        Model id -> output (JSON form).
    rule_based : dict or None
    warnings : tuple of (code, message)
    software : dict of str -> str
    """

    data: Mapping[str, Any]
    session_sha256: str
    inferred_at: str
    evidence: str
    affected_side: str
    affected_side_source: str
    statement: str
    set_version: str
    manifest_sha256: str
    models: dict[str, ModelInfo]
    outputs: Mapping[str, Mapping[str, Any]]
    rule_based: Mapping[str, Any] | None
    warnings: tuple[tuple[str, str], ...]
    software: Mapping[str, str]

    @property
    def key(self) -> str:
        """The assessment's key in business identifiers (see :mod:`plugin.fhir.ids`)."""
        return assessment_key(self.session_sha256, self.manifest_sha256)

    @property
    def grade_probabilities(self) -> dict[str, float]:
        return dict(self.outputs["hb_grade"]["probabilities"])

    @property
    def healthy_looking(self) -> bool:
        """P(House-Brackmann I) >= 0.5: outputs conditional on a palsy have no clinical meaning."""
        return self.grade_probabilities["I"] >= HEALTHY_LOOKING

    @property
    def evidence_words(self) -> str:
        return EVIDENCE_WORDS[self.evidence]

    def scale(self, name: str) -> Mapping[str, Any] | None:
        """A rule-based scale ('sunnybrook', 'eface', 'house_brackmann') with a finite total, else None.

        Raises
        ------
        FhirMappingError
            The scale has a total but lacks its label or a subscore.
        """
        if self.rule_based is None:
            return None
        scale = self.rule_based.get(name)
        if not isinstance(scale, Mapping) or not _finite(scale.get("total")):
            return None
        _text(scale, "label", prefix=f"rule_based.{name}.")
        for part in SUBSCORES[name]:
            _number(scale, f"subscores.{part}", prefix=f"rule_based.{name}.")
        return scale


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _get(data: Mapping[str, Any], path: str, *, prefix: str = "") -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise FhirMappingError(f"assessment field '{prefix}{path}' is missing")
        node = node[part]
    return node


def _number(data: Mapping[str, Any], path: str, *, low: float = -math.inf, high: float = math.inf,
            prefix: str = "") -> float:
    value = _get(data, path, prefix=prefix)
    if not _finite(value) or not low <= value <= high:
        raise FhirMappingError(f"assessment field '{prefix}{path}' is {value!r}; expected a number in "
                               f"[{low:g}, {high:g}]")
    return float(value)


def _text(data: Mapping[str, Any], path: str, *, prefix: str = "") -> str:
    value = _get(data, path, prefix=prefix)
    if not isinstance(value, str) or not value:
        raise FhirMappingError(f"assessment field '{prefix}{path}' is {value!r}; expected a non-empty string")
    return value


def fhir_instant(text: Any, *, field: str) -> str:
    """An ISO 8601 time with a timezone, as a FHIR instant (seconds precision at least)."""
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FhirMappingError(f"{field} is {text!r}; expected an ISO 8601 time with a timezone, "
                               "e.g. 2026-03-02T10:15:00+01:00")
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def fhir_datetime(text: Any, *, field: str) -> str:
    """A FHIR dateTime: the time with its timezone, or only the date when the timezone is unknown."""
    try:
        moment = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise FhirMappingError(f"{field} is {text!r}; expected an ISO 8601 date or time")
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _check_outputs(data: Mapping[str, Any]) -> None:
    for grade in GRADES:
        _number(data, f"outputs.hb_grade.probabilities.{grade}", low=0.0, high=1.0)
    _number(data, "outputs.hb_grade.expected_grade", low=1.0, high=6.0)
    if _get(data, "outputs.hb_grade.argmax_grade") not in GRADES:
        raise FhirMappingError(f"assessment field 'outputs.hb_grade.argmax_grade' is "
                               f"{_get(data, 'outputs.hb_grade.argmax_grade')!r}; expected one of {list(GRADES)}")
    for name in ("lesion", "synkinesis", "recovery_6mo"):
        _number(data, f"outputs.{name}.probability", low=0.0, high=1.0)
    for name, (low, high) in {"sunnybrook": (0.0, 100.0), "weeks_to_recovery": (0.0, math.inf)}.items():
        lower = _number(data, f"outputs.{name}.lower", low=low, high=high)
        value = _number(data, f"outputs.{name}.value", low=low, high=high)
        upper = _number(data, f"outputs.{name}.upper", low=low, high=high)
        if not lower <= value <= upper:
            raise FhirMappingError(f"assessment field 'outputs.{name}': lower {lower:g}, value {value:g}, upper "
                                   f"{upper:g} are not ordered lower <= value <= upper")
        _number(data, f"outputs.{name}.coverage", low=0.0, high=1.0)


def _models(data: Mapping[str, Any]) -> dict[str, ModelInfo]:
    refs = _get(data, "models")
    if not isinstance(refs, list):
        raise FhirMappingError(f"assessment field 'models' is {type(refs).__name__}; expected a list")
    out: dict[str, ModelInfo] = {}
    for index, ref in enumerate(refs):
        if not isinstance(ref, Mapping):
            raise FhirMappingError(f"assessment field 'models[{index}]' is not an object")
        fields = {}
        for name in ("id", "version", "sha256", "training_data_sha256", "code_version"):
            value = ref.get(name)
            if not isinstance(value, str) or not value:
                raise FhirMappingError(f"assessment field 'models[{index}].{name}' is {value!r}; expected a string")
            fields[name] = value
        check_sha256(fields["sha256"], field=f"assessment field 'models[{index}].sha256'")
        out[fields["id"]] = ModelInfo(**fields)
    for name in OUTPUTS:
        if name not in out:
            raise FhirMappingError(f"assessment field 'models' has no entry for the output '{name}'")
    return out


def read_assessment(assessment: Any) -> AssessmentView:
    """Check an Assessment (or its JSON form) and return the fields the mapping uses.

    Raises
    ------
    FhirMappingError
        Naming the first field that is missing or wrong.
    """
    data = assessment.to_dict() if hasattr(assessment, "to_dict") else assessment
    if not isinstance(data, Mapping):
        raise FhirMappingError(f"assessment is a {type(assessment).__name__}; expected an Assessment or its JSON "
                               "object")
    if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
        raise FhirMappingError(f"assessment has format {data.get('format')!r} version {data.get('version')!r}; "
                               f"expected {FORMAT!r} version {FORMAT_VERSION}")
    session = _get(data, "session.sha256")
    if session is None:
        raise FhirMappingError("assessment field 'session.sha256' is null; the FHIR mapping needs the session's "
                               "content hash for its business identifiers and Provenance")
    check_sha256(session, field="assessment field 'session.sha256'")
    evidence = _get(data, "evidence")
    if evidence not in EVIDENCE_WORDS:
        raise FhirMappingError(f"assessment field 'evidence' is {evidence!r}; expected one of {list(EVIDENCE_WORDS)}")
    side, source = _get(data, "session.affected_side"), _get(data, "session.affected_side_source")
    if side not in ("left", "right") or source not in ("subject", "inferred", "unknown"):
        raise FhirMappingError(f"assessment fields 'session.affected_side' / 'session.affected_side_source' are "
                               f"{side!r} / {source!r}; expected left or right / subject, inferred or unknown")
    _check_outputs(data)
    manifest = check_sha256(_get(data, "model_set.manifest_sha256"),
                            field="assessment field 'model_set.manifest_sha256'")
    rule_based = _get(data, "rule_based")
    if rule_based is not None and not isinstance(rule_based, Mapping):
        raise FhirMappingError("assessment field 'rule_based' is neither an object nor null")
    warnings = []
    for index, warning in enumerate(_get(data, "warnings")):
        if not isinstance(warning, Mapping) or not isinstance(warning.get("code"), str):
            raise FhirMappingError(f"assessment field 'warnings[{index}]' is not a {{code, message}} object")
        warnings.append((warning["code"], str(warning.get("message", ""))))
    software = _get(data, "software")
    return AssessmentView(
        data=data, session_sha256=session,
        inferred_at=fhir_instant(_get(data, "inferred_at"), field="assessment field 'inferred_at'"),
        evidence=evidence, affected_side=side, affected_side_source=source, statement=_text(data, "statement"),
        set_version=_text(data, "model_set.set_version"), manifest_sha256=manifest, models=_models(data),
        outputs=_get(data, "outputs"), rule_based=rule_based, warnings=tuple(warnings),
        software=dict(software) if isinstance(software, Mapping) else {},
    )


def read_features(features: Any, *, session_sha256: str) -> dict[str, float] | None:
    """Feature name -> value (NaN when unavailable) of a FeatureTable or its JSON form; None stays None.

    Raises
    ------
    FhirMappingError
        The table is malformed, or it belongs to another session than the assessment.
    """
    if features is None:
        return None
    table = features
    if isinstance(features, Mapping):
        try:
            table = FeatureTable.from_dict(features)
        except FeatureError as exc:
            raise FhirMappingError(f"features: {exc}") from None
    if not isinstance(table, FeatureTable):
        raise FhirMappingError(f"features is a {type(features).__name__}; expected a FeatureTable or its JSON form")
    if table.session_id is not None and table.session_id != session_sha256:
        raise FhirMappingError(f"features belong to session {table.session_id[:16]}..., the assessment to "
                               f"{session_sha256[:16]}...; expected the same session")
    return table.as_dict()


def read_pdf(pdf: Any) -> bytes | None:
    """The report PDF's bytes (None stays None); raises FhirMappingError when they are not a PDF."""
    if pdf is None:
        return None
    if not isinstance(pdf, (bytes, bytearray)) or not bytes(pdf[:5]) == b"%PDF-":
        raise FhirMappingError("report PDF does not start with '%PDF-'; expected the bytes of a PDF document")
    return bytes(pdf)
