"""Audit records: everything needed to reproduce one assessment, and their verification.

An :class:`AuditRecord` (JSON, format ``fpcds-audit-record`` version 1,
docs/audit.md) holds the input session's file and content SHA-256 and path,
the model set (directory, manifest hash, per model the ONNX and LightGBM
hashes, training-data hash, code version and the exact input vector), the
feature-extraction options and parameters, the rule and care-plan
thresholds, every output, the SHAP base values and values of every output,
the report PDF's hash, software versions, times (capture, inference,
explanation, report, approval, write), the approver and the optional SMART
context (fhirUser, patient, iss) and FHIR ids written. It holds no patient
name. ``record_sha256`` is the SHA-256 of the canonical JSON of everything
else, so an edited record is detected.

:func:`verify_audit_record` reads the stored inputs again, recomputes the
features, the assessment, the care-plan proposal and the explanation, and
compares them with the record field by field.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from acquisition.errors import FpcdsError
from acquisition.native import canonical_json, file_sha256

from .errors import AuditError

FORMAT = "fpcds-audit-record"
FORMAT_VERSION = 1
#: Numbers are compared with |a - b| <= ABS_TOL + REL_TOL * |b|.
ABS_TOL = 1e-9
REL_TOL = 1e-9
STATUSES = ("identical", "different", "not checked", "note")
SOFTWARE = ("numpy", "scipy", "lightgbm", "onnxruntime", "onnx", "shap", "reportlab")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _clean(value: Any) -> Any:
    """JSON-ready copy: tuples to lists, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) or hasattr(value, "dtype"):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


def software_versions() -> dict[str, str]:
    """fpcds, its code version, Python and the libraries that compute features, models, SHAP and the PDF."""
    from models.card import code_version

    out = {"python": platform.python_version(), "code_version": code_version()}
    for dist in ("fpcds", *SOFTWARE):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def thresholds() -> dict[str, Any]:
    """Versions and thresholds of the rules applied after the models."""
    from models import careplan
    from models.features.scores import RULES_VERSION
    from models.predict import HEALTHY_LOOKING

    return {
        "rules_version": RULES_VERSION,
        "care_plan_rules_version": careplan.RULES_VERSION,
        "healthy_looking_p_grade_I": HEALTHY_LOOKING,
        "central_suspected": careplan.CENTRAL_SUSPECTED,
        "synkinesis_present": careplan.SYNKINESIS_PRESENT,
        "explanation_tolerance": None,
    }


@dataclass(frozen=True)
class AuditRecord:
    """One assessment's audit record (see the module docstring and docs/audit.md).

    Attributes
    ----------
    id : str
    created_at : str
    session, features, models, thresholds, outputs, rule_based, explanation, software, times : dict
    warnings : list of dict
    care_plan : dict or None
    report : dict or None
        ``{file, sha256, bytes}`` of the report PDF.
    approver : str or None
    context : dict
        Optional SMART context: ``fhirUser``, ``patient``, ``iss``, ``encounter``.
    fhir : dict or None
        ``{written: [{reference, version}]}`` once written back.
    """

    id: str
    created_at: str
    session: dict[str, Any]
    features: dict[str, Any]
    models: dict[str, Any]
    thresholds: dict[str, Any]
    outputs: dict[str, Any]
    rule_based: dict[str, Any]
    warnings: list[dict[str, str]]
    care_plan: dict[str, Any] | None
    explanation: dict[str, Any]
    report: dict[str, Any] | None
    software: dict[str, str]
    times: dict[str, str | None]
    approver: str | None = None
    context: dict[str, str | None] = field(default_factory=dict)
    fhir: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        """Every field but the record hash, JSON-ready."""
        data: dict[str, Any] = {"format": FORMAT, "version": FORMAT_VERSION}
        for f in fields(self):
            data[f.name] = _clean(getattr(self, f.name))
        return data

    @property
    def record_sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.body())).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "record_sha256": self.record_sha256}

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, sort_keys=False)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the record as JSON (atomically: a temporary file renamed)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".partial")
        tmp.write_text(self.to_json() + "\n")
        tmp.replace(path)
        return path

    def with_report(self, pdf: bytes, *, file: str, created_at: str) -> AuditRecord:
        """A copy holding the report's hash, size and time."""
        return replace(self, report={"file": Path(file).name, "sha256": hashlib.sha256(pdf).hexdigest(),
                                     "bytes": len(pdf)}, times={**self.times, "report": created_at})

    def with_approval(self, approver: str, *, at: str | None = None,
                      review: dict[str, Any] | None = None) -> AuditRecord:
        """A copy recording the clinician's approval, and their care-plan edits as ``care_plan.review``.

        ``review`` is ``{"removed": [activity codes], "note": str or None}``.
        """
        if not approver or not str(approver).strip():
            raise AuditError("approver", "is empty; expected the approving clinician (name or FHIR reference)")
        plan = self.care_plan
        if review is not None:
            if plan is None:
                raise AuditError("review", "given, but the record holds no proposed care plan")
            plan = {**plan, "review": {"removed": list(review.get("removed") or []), "note": review.get("note")}}
        return replace(self, approver=str(approver), care_plan=plan, times={**self.times, "approval": at or _now()})

    def with_write(self, written: Iterable[dict[str, str]], *, at: str | None = None) -> AuditRecord:
        """A copy recording the FHIR resources written (``{reference, version}`` each)."""
        items = [{"reference": str(w["reference"]), "version": None if w.get("version") is None
                  else str(w["version"])} for w in written]
        return replace(self, fhir={"written": items}, times={**self.times, "write": at or _now()})

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "audit record") -> AuditRecord:
        """Rebuild and check a record; raises AuditError naming ``source`` and the field."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AuditError(source, f"not an audit record: 'format' is not {FORMAT!r}")
        if data.get("version") != FORMAT_VERSION:
            raise AuditError(source, f"audit record version {data.get('version')!r}; this software reads "
                                     f"{FORMAT_VERSION}")
        kinds = {"id": str, "created_at": str, "session": dict, "features": dict, "models": dict,
                 "thresholds": dict, "outputs": dict, "rule_based": dict, "warnings": list, "explanation": dict,
                 "software": dict, "times": dict}
        for name, kind in kinds.items():
            if not isinstance(data.get(name), kind):
                found = "missing" if name not in data else type(data[name]).__name__
                raise AuditError(source, f"field {name!r} is {found}; expected {kind.__name__}")
        for name in ("file_sha256", "content_sha256", "path", "name"):
            if name not in data["session"]:
                raise AuditError(source, f"field 'session.{name}' is missing")
        if not isinstance(data["models"].get("items"), list) or "directory" not in data["models"]:
            raise AuditError(source, "field 'models' lacks 'directory' and the 'items' list")
        for name in ("care_plan", "report"):
            if name not in data:
                raise AuditError(source, f"field {name!r} is missing (null when there is none)")
        record = cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data and f.name != "context"},
                     context=data.get("context") or {})
        stored = data.get("record_sha256")
        if stored != record.record_sha256:
            raise AuditError(source, f"record_sha256 {stored} does not match the record's content "
                                     f"({record.record_sha256}): the record was changed after it was written")
        return record


def read_audit_record(path: str | os.PathLike[str]) -> AuditRecord:
    """Read and check an audit record file."""
    path = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise AuditError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AuditError(path, f"is not valid JSON ({exc})") from None
    return AuditRecord.from_dict(data, source=path)


# ------------------------------------------------------------------ building
def _model_items(assessment: Any, models: Any) -> list[dict[str, Any]]:
    items = []
    refs = {r.id: r for r in assessment.models}
    for model_id in assessment.outputs:
        loaded = models[model_id]
        ref = refs[model_id]
        items.append({
            "id": model_id, "version": ref.version, "onnx_file": loaded.path.name, "onnx_sha256": ref.sha256,
            "boosters": [{"name": b["name"], "file": b["file"], "sha256": b["sha256"]} for b in loaded.card.boosters],
            "training_data_sha256": ref.training_data_sha256, "code_version": ref.code_version,
            "feature_names": list(loaded.feature_names), "inputs": _clean(list(assessment.inputs[model_id])),
        })
    return items


def _explanation_block(explanation: Any) -> dict[str, Any]:
    return {
        "method": explanation.method, "tolerance": explanation.tolerance, "computed_at": explanation.computed_at,
        "values_sha256": explanation.values_sha256(), "max_additivity_error": explanation.max_additivity_error,
        "outputs": {o.key: {"space": o.space, "unit": o.unit, "scale": o.scale, "offset": o.offset,
                            "raw_base": o.raw_base, "raw_values": [float(v) for v in o.raw_values],
                            "onnx_raw": o.onnx_raw, "additivity_error": o.additivity_error}
                    for o in explanation.outputs},
    }


def _rule_based(assessment: Any) -> dict[str, Any]:
    return _rule_based_dict(assessment.rule_based)


def _rule_based_dict(rb: dict[str, Any] | None) -> dict[str, Any]:
    rb = rb or {}
    return {k: {"total": rb[k]["total"], "label": rb[k]["label"]}
            for k in ("house_brackmann", "sunnybrook", "eface") if rb.get(k)} | \
        {"rules_version": rb.get("rules_version")}


def _care_plan(assessment: Any, table: Any, session: Any) -> dict[str, Any] | None:
    from models.careplan import ClinicalFacts, propose_care_plan

    from .report.context import session_time

    plan = propose_care_plan(assessment, facts=ClinicalFacts.from_features(table, session_time=session_time(session)))
    if plan is None:
        return None
    return {"pathway": plan.pathway, "activities": list(plan.codes), "rules_version": plan.rules_version}


def build_audit_record(
    *,
    session_path: str | os.PathLike[str],
    session: Any,
    table: Any,
    assessment: Any,
    explanation: Any,
    models: Any,
    powerline: float | str | None,
    record_id: str | None = None,
    context: dict[str, str | None] | None = None,
    created_at: str | None = None,
) -> AuditRecord:
    """The audit record of one assessment (no report yet: see :meth:`AuditRecord.with_report`).

    Parameters
    ----------
    session_path : path
        The session file that was read.
    session : Session
    table : FeatureTable
    assessment : Assessment
    explanation : Explanation
    models : ModelSet
        The verified set that made the assessment.
    powerline : float, 'auto' or None
        The powerline option the features were extracted with.
    record_id : str, optional
        Default: a new UUID.
    context : dict, optional
        SMART context: ``fhirUser``, ``patient``, ``iss``, ``encounter`` (any subset).
    created_at : str, optional
        Default: now (UTC).

    Returns
    -------
    AuditRecord
    """
    path = Path(session_path).resolve()
    if not path.is_file():
        raise AuditError(str(path), "session file does not exist; the audit record must name the file read")
    unknown = set(context or {}) - {"fhirUser", "patient", "iss", "encounter"}
    if unknown:
        raise AuditError("context", f"has unknown keys {sorted(unknown)}; expected fhirUser, patient, iss, encounter")
    from .explanation import ExplanationError

    if explanation.session_sha256 != assessment.session_sha256:
        raise ExplanationError(f"the explanation is of session {explanation.session_sha256}, the assessment of "
                               f"{assessment.session_sha256}")
    limits = thresholds()
    limits["explanation_tolerance"] = explanation.tolerance
    return AuditRecord(
        id=record_id or str(uuid.uuid4()),
        created_at=created_at or _now(),
        session={"name": path.name, "path": str(path), "file_sha256": file_sha256(path),
                 "content_sha256": assessment.session_sha256, "modalities": list(assessment.modalities),
                 "recorded_at": getattr(session, "recorded_at", None), "protocol": getattr(session, "protocol", None)},
        features={"options": {"powerline": powerline, "band_hz": table.record.parameters.get("emg.bandpass_hz")},
                  "parameters": dict(table.record.parameters), "rules_version": (assessment.rule_based or {}).get(
                      "rules_version"), "affected_side": table.affected_side,
                  "affected_side_source": table.affected_side_source,
                  "warnings": [{"code": w.code, "message": w.message} for w in table.warnings]},
        models={"directory": str(Path(models.directory).resolve()), "set_version": models.version,
                "manifest_sha256": models.manifest_sha256, "items": _model_items(assessment, models)},
        thresholds=limits,
        outputs={k: v.to_dict() for k, v in assessment.outputs.items()},
        rule_based=_rule_based(assessment),
        warnings=[{"code": w.code, "message": w.message} for w in assessment.warnings],
        care_plan=_care_plan(assessment, table, session),
        explanation=_explanation_block(explanation),
        report=None,
        software=software_versions(),
        times={"capture": getattr(session, "recorded_at", None), "inference": assessment.inferred_at,
               "explanation": explanation.computed_at, "report": None, "approval": None, "write": None},
        context={k: v for k, v in (context or {}).items() if v is not None},
    )


# ------------------------------------------------------------------ verification
@dataclass(frozen=True)
class FieldCheck:
    """One compared field.

    Attributes
    ----------
    field : str
        Dotted path in the record, e.g. ``'outputs.hb_grade'``.
    status : {'identical', 'different', 'not checked', 'note'}
        ``note``: an environment difference (software versions) that does not by itself change the result.
    recorded, found : str
        Short forms of both values (or why the field was not checked).
    """

    field: str
    status: str
    recorded: str = ""
    found: str = ""

    def line(self) -> str:
        """One line for a person."""
        if self.status == "identical":
            return f"identical    {self.field}"
        if self.status == "not checked":
            return f"not checked  {self.field}: {self.found}"
        label = "DIFFERENT  " if self.status == "different" else "note       "
        return f"{label}  {self.field}: recorded {self.recorded}; found {self.found}"


@dataclass(frozen=True)
class Verification:
    """The result of :func:`verify_audit_record`.

    Attributes
    ----------
    checks : tuple of FieldCheck
    """

    checks: tuple[FieldCheck, ...]

    @property
    def identical(self) -> bool:
        """True when no checked field differs."""
        return not any(c.status == "different" for c in self.checks)

    @property
    def differences(self) -> tuple[FieldCheck, ...]:
        return tuple(c for c in self.checks if c.status == "different")

    def to_dict(self) -> dict[str, Any]:
        return {"identical": self.identical, "checks": [c.__dict__ for c in self.checks]}


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(_clean(value), sort_keys=True, allow_nan=False) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _close(a: Any, b: Any) -> bool:
    """Deep equality with the numeric tolerance (None == None, NaN stored as None)."""
    a, b = _clean(a), _clean(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= ABS_TOL + REL_TOL * abs(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    a, b = _clean(a), _clean(b)
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b or not _close(a[k], b[k]):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not _close(x, y):
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path or 'value'}: {_short(a, 60)} vs {_short(b, 60)}"


class _Checks:
    def __init__(self) -> None:
        self.items: list[FieldCheck] = []

    def compare(self, name: str, recorded: Any, found: Any, *, note: bool = False) -> bool:
        same = _close(recorded, found)
        if same:
            self.items.append(FieldCheck(name, "identical"))
        else:
            detail = _first_difference(recorded, found) if isinstance(_clean(recorded), (dict, list)) else ""
            self.items.append(FieldCheck(name, "note" if note else "different",
                                         _short(recorded) if not detail else f"{_short(recorded, 60)}",
                                         _short(found) if not detail else f"{_short(found, 60)} (first: {detail})"))
        return same

    def skip(self, name: str, why: str) -> None:
        self.items.append(FieldCheck(name, "not checked", "", why))


def _resolve(recorded: str, override: str | os.PathLike[str] | None, what: str, option: str) -> Path:
    path = Path(override) if override is not None else Path(recorded)
    if not path.exists():
        hint = "" if override is not None else f"; pass {option} PATH"
        raise AuditError(str(path), f"{what} does not exist{hint}")
    return path


def verify_audit_record(
    record: AuditRecord,
    *,
    session_path: str | os.PathLike[str] | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    report_path: str | os.PathLike[str] | None = None,
) -> Verification:
    """Recompute an assessment from the record's stored inputs and compare, field by field.

    Parameters
    ----------
    record : AuditRecord
    session_path : path, optional
        The session file (default: the recorded path).
    model_dir : path, optional
        The model directory (default: the recorded directory).
    report_path : path, optional
        The report PDF, to check its SHA-256.

    Returns
    -------
    Verification

    Raises
    ------
    AuditError
        The session file or the model directory cannot be found.
    """
    from acquisition.native import content_hash
    from acquisition.readers import read_any
    from models.errors import ModelError
    from models.features import extract_features
    from models.predict import assess_table
    from models.registry import MANIFEST, load_models

    from .explanation import explain_assessment

    checks = _Checks()
    s = record.session
    spath = _resolve(s["path"], session_path, "session file", "--session")
    checks.compare("session.file_sha256", s["file_sha256"], file_sha256(spath))
    session = read_any(spath)
    digest = content_hash(session)
    checks.compare("session.content_sha256", s["content_sha256"], digest)

    m = record.models
    mdir = _resolve(m["directory"], model_dir, "model directory", "--model")
    manifest = mdir / MANIFEST
    checks.compare("models.manifest_sha256", m["manifest_sha256"],
                   file_sha256(manifest) if manifest.is_file() else "missing")
    for item in m["items"]:
        for label, file, sha in [("onnx", item["onnx_file"], item["onnx_sha256"])] + \
                [(f"boosters.{b['name']}", b["file"], b["sha256"]) for b in item["boosters"]]:
            path = mdir / file
            checks.compare(f"models.{item['id']}.{label}.sha256", sha, file_sha256(path) if path.is_file()
                           else f"missing file {path}")
    try:
        models = load_models(mdir, heads=tuple(i["id"] for i in m["items"]))
    except ModelError as exc:
        checks.items.append(FieldCheck("models.load", "different", "a verified model set", str(exc)))
        models = None
    options = record.features["options"]
    table = extract_features(session, powerline=options.get("powerline"), session_id=digest)
    checks.compare("features.parameters", record.features["parameters"], dict(table.record.parameters))
    checks.compare("features.rules_version", record.features["rules_version"],
                   table.scores.rules_version if table.scores else None)
    checks.compare("features.affected_side",
                   [record.features["affected_side"], record.features["affected_side_source"]],
                   [table.affected_side, table.affected_side_source])
    checks.compare("features.warnings", [w["code"] for w in record.features["warnings"]],
                   [w.code for w in table.warnings])
    checks.compare("rule_based", record.rule_based,
                   _rule_based_dict(table.scores.to_dict() if table.scores is not None else None))
    if models is None:
        for name in ("features.inputs", "outputs", "warnings", "care_plan", "explanation"):
            checks.skip(name, "the model set could not be loaded (see models.load)")
    else:
        _check_results(checks, record, session, table, models, assess_table, explain_assessment)
    if report_path is not None:
        recorded = (record.report or {}).get("sha256")
        checks.compare("report.sha256", recorded, file_sha256(report_path))
    else:
        checks.skip("report.sha256", "no report file given (--report PDF)")
    found = software_versions()
    for key, value in sorted(record.software.items()):
        checks.compare(f"software.{key}", value, found.get(key, "not installed"), note=True)
    return Verification(tuple(checks.items))


def _check_results(checks: _Checks, record: AuditRecord, session: Any, table: Any, models: Any,
                   assess_table: Any, explain_assessment: Any) -> None:
    assessment = assess_table(table, models=models, modalities=session.modalities)
    for item in record.models["items"]:
        ref = next((r for r in assessment.models if r.id == item["id"]), None)
        checks.compare(f"models.{item['id']}.training_data_sha256", item["training_data_sha256"],
                       ref.training_data_sha256 if ref else None)
        checks.compare(f"features.inputs.{item['id']}", item["inputs"],
                       list(assessment.inputs.get(item["id"], [])))
    found_outputs = {k: v.to_dict() for k, v in assessment.outputs.items()}
    for model_id, recorded in record.outputs.items():
        checks.compare(f"outputs.{model_id}", recorded, found_outputs.get(model_id))
    checks.compare("warnings", [w["code"] for w in record.warnings], [w.code for w in assessment.warnings])
    checks.compare("care_plan", record.care_plan, _care_plan(assessment, table, session))
    try:
        explanation = explain_assessment(assessment, models, table=table,
                                         tolerance=float(record.explanation.get("tolerance", 1e-6)))
    except FpcdsError as exc:  # an integrity or additivity failure is itself the finding
        checks.items.append(FieldCheck("explanation", "different", "an explanation that adds up", str(exc)))
        return
    found = _explanation_block(explanation)["outputs"]
    for key, recorded in record.explanation["outputs"].items():
        now = found.get(key)
        checks.compare(f"explanation.{key}", {k: recorded[k] for k in ("raw_base", "raw_values")},
                       None if now is None else {k: now[k] for k in ("raw_base", "raw_values")})
    checks.compare("explanation.values_sha256", record.explanation["values_sha256"], explanation.values_sha256(),
                   note=True)
