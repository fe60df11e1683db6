"""run_assessment (no Flask): the files it leaves, that they equal what ``fpcds assess --report --audit`` computes,
subject facts from the chart, failures named by the session's title; load_results and its integrity checks."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import pytest

from acquisition.errors import SessionFileError, SessionValidationError
from acquisition.native import file_sha256, write_session
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from explain.audit import read_audit_record, verify_audit_record
from explain.report import Patient
from plugin.cli.assess import assess_file
from plugin.web.results import STAGES, ResultsError, is_complete, load_results, run_assessment
from plugin.web.results.files import read_report
from plugin.web.results.job import apply_subject_overrides

CONTEXT = {"fhirUser": "Practitioner/doc-1", "patient": "pat-1", "iss": "https://ehr.example.org/fhir",
           "encounter": None}
OVERRIDES = {"fdi_physical": 72.5, "fdi_social": 60.0}


def simulated_session():
    """A left Bell's palsy, one repetition per task (about 47 s)."""
    patient = make_patient(condition="bell", onset_severity=0.7, days_since_onset=5.0, age=45.0, seed=14)
    return simulate_session(patient, seed=14, options=SimulationOptions(repetitions=1, rest_s=1.5))


@pytest.fixture(scope="module")
def session_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("job-session") / "session.fpcds"
    write_session(simulated_session(), path)
    return path


@pytest.fixture(scope="module")
def done(tmp_path_factory, session_file):
    """One assessment with FDI scores from the chart; (folder, payload, stages reported)."""
    folder = tmp_path_factory.mktemp("job-assessment")
    stored = folder / "session.fpcds"
    shutil.copy(session_file, stored)
    stages: list[str] = []
    payload = run_assessment(folder, stored, patient=Patient("Ana Souza", "SB-1001", "1979-04-12"), context=CONTEXT,
                             subject_overrides=OVERRIDES, progress=stages.append, session_title="clinic-visit.fpcds")
    return folder, payload, stages


@pytest.fixture
def copy(done, tmp_path) -> Path:
    """A private copy of the assessed folder, for tests that damage it."""
    target = tmp_path / "assessment"
    shutil.copytree(done[0], target)
    return target


# ----------------------------------------------------------------------------------------------- results
def test_every_stage_is_reported_in_order(done):
    assert done[2] == [name for name, _ in STAGES]


def test_files_are_written_with_the_hashes_the_step_records(done):
    folder, payload, _ = done
    assert is_complete(folder)
    for name in ("assessment.json", "features.json", "explanation.json", "report.pdf", "audit.json", "results.json"):
        assert file_sha256(folder / name) == payload["files"][name], name
    assert not list(folder.glob("*.partial"))
    assert payload["session"]["title"] == "clinic-visit.fpcds"
    assert set(payload["models"]) == {"hb_grade", "sunnybrook", "lesion", "synkinesis", "recovery_6mo",
                                      "weeks_to_recovery"}
    assert payload["model_set"]["statement"] == "trained on simulated data; not clinically validated"
    assert set(payload["timings_s"]) == {name for name, _ in STAGES}
    json.dumps(payload, allow_nan=False)  # what add_step stores


def test_outputs_equal_the_command_line_assessment_of_the_same_data(done):
    folder, payload, _ = done
    stored = json.loads((folder / "assessment.json").read_text())
    cli = assess_file(str(folder / "assessed-session.fpcds")).assessment.to_dict()
    assert stored["outputs"] == cli["outputs"]
    assert stored["rule_based"] == cli["rule_based"]
    assert stored["session"]["sha256"] == payload["session"]["content_sha256"] == cli["session"]["sha256"]


def test_subject_facts_from_the_chart_replace_the_sessions_and_are_recorded(done, session_file):
    folder, payload, _ = done
    assert payload["subject_overrides"] == {"fdi_physical": {"value": 72.5, "recorded": 66.4},
                                            "fdi_social": {"value": 60.0, "recorded": 71.2}}
    features = {f["name"]: f["value"] for f in json.loads((folder / "features.json").read_text())["features"]}
    assert features["clinical.fdi_physical"] == 72.5 and features["clinical.fdi_social"] == 60.0
    assert payload["session"]["file"] == "assessed-session.fpcds"
    assert file_sha256(folder / "session.fpcds") == file_sha256(session_file), "the imported session is untouched"
    page = json.loads((folder / "results.json").read_text())
    assert page["subject_overrides"] == payload["subject_overrides"]


def test_the_audit_record_verifies_and_holds_the_launch_context(done):
    folder, payload, _ = done
    record = read_audit_record(folder / "audit.json")
    assert record.id == payload["audit_id"]
    assert record.context == {"fhirUser": "Practitioner/doc-1", "patient": "pat-1",
                              "iss": "https://ehr.example.org/fhir"}
    assert record.report["sha256"] == payload["files"]["report.pdf"]
    assert Path(record.session["path"]).name == "assessed-session.fpcds"
    assert "Ana Souza" not in (folder / "audit.json").read_text()
    check = verify_audit_record(record, report_path=folder / "report.pdf")
    assert check.identical, [c.line() for c in check.differences]


def test_results_json_holds_the_assessments_numbers_and_additive_explanations(done):
    folder, _, _ = done
    page = json.loads((folder / "results.json").read_text())
    a = json.loads((folder / "assessment.json").read_text())
    hb = a["outputs"]["hb_grade"]
    assert page["summary"]["hb_grade"]["grade"] == hb["argmax_grade"]
    assert page["summary"]["hb_grade"]["probabilities"] == hb["probabilities"]
    assert page["summary"]["sunnybrook"]["value"] == a["outputs"]["sunnybrook"]["value"]
    assert page["summary"]["weeks_to_recovery"]["upper"] == a["outputs"]["weeks_to_recovery"]["upper"]
    assert page["summary"]["lesion"]["central"] == a["outputs"]["lesion"]["probability"]
    assert page["summary"]["affected_side"] == a["session"]["affected_side"]
    explanation = json.loads((folder / "explanation.json").read_text())
    models = {m["model"]: m for m in page["explanation"]["models"]}
    assert list(models) == list(a["outputs"])
    for model_id, model in models.items():
        assert [o["name"] for o in model["outputs"]][0] == model["primary"]
        assert {o["name"] for o in model["outputs"]} == set(explanation["models"][model_id]["outputs"])
        for out in model["outputs"]:
            total = out["base_value"] + sum(b["contribution"] for b in out["bars"]) + out["rest"]["contribution"]
            assert math.isclose(total, out["value"], abs_tol=1e-9), (model_id, out["name"])
            assert out["value"] == explanation["models"][model_id]["outputs"][out["name"]]["value"]
            assert 0 < len(out["bars"]) <= 8
            assert all(b["sentence"][1:].startswith(b["label"][1:]) for b in out["bars"]), "worded as the report"
            assert math.isclose(sum(s["share"] for s in out["by_modality"]), 1.0, abs_tol=1e-9)
    assert page["report"]["summary"]["status"].startswith("PRELIMINARY")
    assert page["report"]["summary"]["headline"].startswith("Left peripheral facial palsy, House-Brackmann grade")


def test_load_results_gives_the_approval_step_what_it_needs(done):
    folder, payload, _ = done
    stored = load_results(folder)
    assert stored.assessment == json.loads((folder / "assessment.json").read_text())
    assert stored.feature_table().get("clinical.fdi_physical") == 72.5
    assert stored.report_pdf.startswith(b"%PDF-") and stored.report_path == folder / "report.pdf"
    assert stored.audit.id == payload["audit_id"] and stored.audit_path == folder / "audit.json"
    assert stored.session_title == "clinic-visit.fpcds"
    assert stored.recorded_at is None  # simulated sessions carry no recording time
    assert stored.report_created == stored.audit.times["report"]
    assert stored.subject_overrides["fdi_social"] == {"value": 60.0, "recorded": 71.2}


def test_load_results_accepts_an_audit_record_updated_by_later_steps(copy):
    record = read_audit_record(copy / "audit.json")
    record.with_approval("Practitioner/doc-1", at="2026-11-25T12:00:00+00:00").write(copy / "audit.json")
    assert load_results(copy).audit.approver == "Practitioner/doc-1"


# ----------------------------------------------------------------------------------------------- errors
def test_load_results_without_results_says_so(tmp_path):
    with pytest.raises(ResultsError, match=r"^results\.json: is missing from the stored results$"):
        load_results(tmp_path)
    assert not is_complete(tmp_path)


def test_load_results_refuses_an_altered_report(copy):
    (copy / "report.pdf").write_bytes(b"%PDF-1.4 forged")
    with pytest.raises(ResultsError, match=r"^report\.pdf: has SHA-256 [0-9a-f]{64}; results\.json recorded "
                                           r"[0-9a-f]{64}: the file was changed after the assessment$"):
        load_results(copy)
    with pytest.raises(ResultsError, match=r"^report\.pdf: has SHA-256 .* the file was changed after the assessment"):
        read_report(copy)


def test_load_results_refuses_a_missing_file(copy):
    (copy / "features.json").unlink()
    with pytest.raises(ResultsError, match=r"^features\.json: is missing from the stored results$"):
        load_results(copy)


def test_load_results_refuses_an_edited_audit_record(copy):
    data = json.loads((copy / "audit.json").read_text())
    data["outputs"]["hb_grade"]["argmax_grade"] = "I"
    (copy / "audit.json").write_text(json.dumps(data))
    with pytest.raises(ResultsError, match=r"^audit\.json: record_sha256 [0-9a-f]{64} does not match"):
        load_results(copy)


def test_load_results_refuses_the_audit_record_of_another_assessment(copy):
    record = read_audit_record(copy / "audit.json")
    dataclasses.replace(record, id="00000000-0000-0000-0000-000000000000").write(copy / "audit.json")
    with pytest.raises(ResultsError, match=r"^audit\.json: is record 00000000-0000-0000-0000-000000000000; "
                                           r"results\.json belongs to record "):
        load_results(copy)


def test_load_results_refuses_a_results_file_of_another_format(copy):
    (copy / "results.json").write_text('{"format": "something-else", "version": 1}')
    with pytest.raises(ResultsError, match=r"^results\.json: is not a results file: 'format' is not 'fpcds-results'$"):
        load_results(copy)
    (copy / "results.json").write_text("{not json")
    with pytest.raises(ResultsError, match=r"^results\.json: is not valid JSON"):
        load_results(copy)


def test_a_session_that_cannot_be_read_is_named_by_its_title(session_file, tmp_path):
    broken = tmp_path / "session.fpcds"
    data = bytearray(session_file.read_bytes())
    data[len(data) // 2: len(data) // 2 + 4096] = bytes(b ^ 0xFF for b in data[len(data) // 2: len(data) // 2 + 4096])
    broken.write_bytes(bytes(data))
    stages: list[str] = []
    with pytest.raises(SessionFileError, match=r"^visit\.fpcds: content hash mismatch: header says [0-9a-f]{64}, "
                                               r"data hashes to [0-9a-f]{64}$"):
        run_assessment(tmp_path, broken, patient=Patient(), context={}, subject_overrides=None,
                       progress=stages.append, session_title="visit.fpcds")
    assert stages == ["session"]
    assert not is_complete(tmp_path)
    with pytest.raises(SessionFileError, match=r"^gone\.fpcds: no such file$"):
        run_assessment(tmp_path, tmp_path / "gone.fpcds", patient=Patient(), context={}, subject_overrides=None,
                       progress=stages.append)


def test_subject_overrides_are_validated_by_the_subject():
    session = simulated_session()
    with pytest.raises(SessionValidationError, match=r"^subject fdi_physical is 150; expected a number in \[0, 100\]$"):
        apply_subject_overrides(session, {"fdi_physical": 150})
    with pytest.raises(SessionValidationError, match=r"^subject override 'fdi_total' is not a subject fact; "
                                                     r"expected one of age, sex, days_since_onset"):
        apply_subject_overrides(session, {"fdi_total": 50.0})
    same, changed = apply_subject_overrides(session, {"age": session.subject.age})
    assert same is session and changed == {}


def test_a_rejected_override_fails_before_anything_is_written(session_file, tmp_path):
    stored = tmp_path / "session.fpcds"
    shutil.copy(session_file, stored)
    with pytest.raises(SessionValidationError, match=r"^subject sex is 'unknown'; expected one of "):
        run_assessment(tmp_path, stored, patient=Patient(), context={}, subject_overrides={"sex": "unknown"},
                       progress=lambda stage: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.fpcds"]
