"""Audit records: what they hold, and `fpcds audit verify` finding a changed input or model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from acquisition.native import write_session
from explain.audit import AuditRecord, read_audit_record, verify_audit_record
from explain.errors import AuditError
from explain.pipeline import assess_with_report
from explain.report import Patient
from plugin.cli import main
from tests.explain.conftest import simulated


def _assess(path: Path, model_dir: Path, tmp: Path, **kwargs):
    from acquisition.native import stored_hash
    from acquisition.readers import read_any
    from models.features import extract_features
    from models.predict import assess_table
    from models.registry import load_models

    models = load_models(model_dir)
    session = read_any(path)
    table = extract_features(session, session_id=stored_hash(path))
    assessment = assess_table(table, models=models, modalities=session.modalities)
    return assess_with_report(session, table, models, assessment, session_path=path, powerline="auto",
                              report_path=tmp / "report.pdf", audit_path=tmp / "audit.json", **kwargs)


@pytest.fixture(scope="module")
def recorded(severe_file, model_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    session = tmp / "severe.fpcds"
    shutil.copy(severe_file, session)
    done = _assess(session, model_dir, tmp, patient=Patient("Jane Q. Testpatient", "MRN-000042"),
                   context={"fhirUser": "Practitioner/7", "patient": "Patient/42", "iss": "https://ehr.example/fhir"})
    return tmp, done


def test_the_record_holds_what_reproduces_the_result(recorded):
    tmp, done = recorded
    data = json.loads((tmp / "audit.json").read_text())
    assert data["format"] == "fpcds-audit-record" and data["version"] == 1
    assert data["session"]["name"] == "severe.fpcds" and len(data["session"]["file_sha256"]) == 64
    assert data["features"]["options"]["powerline"] == "auto"
    assert data["features"]["parameters"]["emg.bandpass_hz"] == [20.0, 450.0]
    items = {i["id"]: i for i in data["models"]["items"]}
    assert set(items) == set(data["outputs"])
    for item in items.values():
        assert len(item["onnx_sha256"]) == 64 and len(item["training_data_sha256"]) == 64
        assert len(item["inputs"]) == len(item["feature_names"])
    assert data["thresholds"]["rules_version"] == "fpcds-rules-1"
    assert set(data["explanation"]["outputs"]) == {o.key for o in done.explanation.outputs}
    assert data["explanation"]["values_sha256"] == done.explanation.values_sha256()
    assert data["report"]["sha256"] == __import__("hashlib").sha256((tmp / "report.pdf").read_bytes()).hexdigest()
    assert data["times"]["inference"] and data["times"]["report"] and data["times"]["approval"] is None
    assert data["context"] == {"fhirUser": "Practitioner/7", "patient": "Patient/42",
                               "iss": "https://ehr.example/fhir"}
    for key in ("code_version", "lightgbm", "onnxruntime", "shap", "reportlab", "numpy"):
        assert data["software"][key]


def test_the_record_carries_no_patient_name(recorded):
    tmp, _ = recorded
    text = (tmp / "audit.json").read_text()
    assert "Testpatient" not in text and "MRN-000042" not in text


def test_verify_passes_unchanged(recorded, capsys):
    tmp, _ = recorded
    assert main(["audit", "verify", str(tmp / "audit.json"), "--report", str(tmp / "report.pdf")]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("IDENTICAL: ")
    result = verify_audit_record(read_audit_record(tmp / "audit.json"), report_path=tmp / "report.pdf")
    assert result.identical
    statuses = {c.field: c.status for c in result.checks}
    assert statuses["report.sha256"] == "identical"
    assert statuses["outputs.hb_grade"] == "identical"
    assert statuses["explanation.hb_grade/I"] == "identical"


def test_verify_detects_a_changed_session_file(recorded, tmp_path, capsys):
    tmp, _ = recorded
    changed = tmp_path / "severe.fpcds"
    session = simulated("severe")
    write_session(session.crop(0.0, session.duration - 1.0), changed)
    assert main(["audit", "verify", str(tmp / "audit.json"), "--session", str(changed)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT    session.file_sha256: recorded" in out
    assert "DIFFERENT    session.content_sha256" in out
    assert out.strip().splitlines()[-1].startswith("DIFFERENT (")


def test_verify_detects_a_changed_model_file(recorded, model_dir, tmp_path, capsys):
    tmp, _ = recorded
    models = tmp_path / "models"
    shutil.copytree(model_dir, models)
    onnx = models / "lesion.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    assert main(["audit", "verify", str(tmp / "audit.json"), "--model", str(models)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT    models.lesion.onnx.sha256" in out
    assert "DIFFERENT    models.load" in out and "refusing it" in out
    assert "not checked  outputs: the model set could not be loaded" in out


def _resign_shifted(models_dir: Path, model_id: str, shift: float) -> None:
    """Shift every leaf of the first tree of a binary model and re-export it consistently (cards, manifest)."""
    import dataclasses
    import hashlib

    import lightgbm as lgb

    from models.export import build_onnx, write_model
    from models.registry import load_models, read_manifest, write_manifest

    loaded = load_models(models_dir)[model_id]
    entry = loaded.card.boosters[0]
    path = models_dir / entry["file"]
    lines = path.read_text().split("\n")
    first = lines.index("Tree=0")
    leaf = next(i for i in range(first, len(lines)) if lines[i].startswith("leaf_value="))
    values = [float(v) + shift for v in lines[leaf].split("=", 1)[1].split()]
    lines[leaf] = "leaf_value=" + " ".join(repr(v) for v in values)
    # the header's per-tree byte sizes no longer hold: without them LightGBM parses the trees in sequence
    lines = [line for line in lines if not line.startswith("tree_sizes=")]
    path.write_text("\n".join(lines))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    card = dataclasses.replace(loaded.card, boosters=[{**entry, "sha256": sha}])
    onnx_file = write_model(build_onnx(loaded.head, [lgb.Booster(model_file=str(path))], card), models_dir,
                            loaded.head)
    manifest = read_manifest(models_dir)
    manifest["models"][model_id]["onnx"] = onnx_file
    manifest["models"][model_id]["boosters"][0]["sha256"] = sha
    write_manifest(models_dir, manifest["models"], training=manifest["training"], version=manifest["set_version"])


def test_verify_detects_a_consistently_re_signed_model(recorded, model_dir, tmp_path, capsys):
    """A changed model whose cards and manifest were re-signed loads; its outputs and SHAP values then differ."""
    tmp, _ = recorded
    models = tmp_path / "models"
    shutil.copytree(model_dir, models)
    _resign_shifted(models, "lesion", 0.5)
    result = verify_audit_record(read_audit_record(tmp / "audit.json"), model_dir=models)
    status = {c.field: c.status for c in result.checks}
    assert not result.identical
    assert status["models.lesion.onnx.sha256"] == "different"
    assert status["models.manifest_sha256"] == "different"
    assert "models.load" not in status
    assert status["outputs.lesion"] == "different" and status["outputs.hb_grade"] == "identical"
    assert status["explanation.lesion/central"] == "different"
    assert status["explanation.hb_grade/I"] == "identical"


def test_an_edited_record_is_refused(recorded, tmp_path):
    tmp, _ = recorded
    data = json.loads((tmp / "audit.json").read_text())
    data["outputs"]["lesion"]["probability"] = 0.99
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    with pytest.raises(AuditError, match="record was changed after it was written"):
        read_audit_record(path)
    assert main(["audit", "verify", str(path)]) == 2


@pytest.mark.parametrize("content, message", [
    ("not json", "is not valid JSON"),
    ('{"format": "something-else"}', "not an audit record: 'format' is not 'fpcds-audit-record'"),
    ('{"format": "fpcds-audit-record", "version": 9}', "audit record version 9; this software reads 1"),
    ('{"format": "fpcds-audit-record", "version": 1, "id": "x"}', "field 'created_at' is missing; expected str"),
])
def test_malformed_records_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(AuditError, match=message):
        read_audit_record(path)


def test_a_missing_record_is_refused(tmp_path, capsys):
    assert main(["audit", "verify", str(tmp_path / "nope.json")]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_a_moved_session_file_needs_the_session_option(recorded, tmp_path):
    tmp, _ = recorded
    data = json.loads((tmp / "audit.json").read_text())
    record = AuditRecord.from_dict(data)
    moved = AuditRecord(**{**record.__dict__, "session": {**record.session, "path": str(tmp_path / "gone.fpcds")}})
    with pytest.raises(AuditError, match=r"gone.fpcds: session file does not exist; pass --session PATH"):
        verify_audit_record(moved)


def test_approval_and_write_back_are_recorded(recorded):
    _, done = recorded
    approved = done.audit.with_approval("Practitioner/7", at="2026-03-02T11:00:00+00:00")
    written = approved.with_write([{"reference": "DiagnosticReport/5", "version": "1"}],
                                  at="2026-03-02T11:00:05+00:00")
    assert written.approver == "Practitioner/7"
    assert written.times["approval"] == "2026-03-02T11:00:00+00:00"
    assert written.fhir == {"written": [{"reference": "DiagnosticReport/5", "version": "1"}]}
    assert written.record_sha256 != done.audit.record_sha256
    assert AuditRecord.from_dict(written.to_dict()).record_sha256 == written.record_sha256
    with pytest.raises(AuditError, match="approver: is empty"):
        done.audit.with_approval(" ")


def test_care_plan_edits_are_recorded_with_the_approval(recorded):
    _, done = recorded
    code = done.audit.care_plan["activities"][0]  # a severe palsy: a plan is proposed
    approved = done.audit.with_approval("Practitioner/7", review={"removed": [code], "note": "local clinic"})
    assert approved.care_plan["review"] == {"removed": [code], "note": "local clinic"}
    assert {k: v for k, v in approved.care_plan.items() if k != "review"} == done.audit.care_plan
    assert AuditRecord.from_dict(approved.to_dict()).care_plan["review"]["note"] == "local clinic"
    healthy = AuditRecord(**{**done.audit.__dict__, "care_plan": None})
    with pytest.raises(AuditError, match="review: given, but the record holds no proposed care plan"):
        healthy.with_approval("Practitioner/7", review={"removed": [], "note": "n"})


def test_unknown_context_keys_are_refused(severe_file, model_dir, tmp_path):
    with pytest.raises(AuditError, match=r"context: has unknown keys \['token'\]"):
        _assess(severe_file, model_dir, tmp_path, context={"token": "secret"})
