"""``fpcds fhir-bundle``: a stored assessment (+ features, session, report, approval) -> transaction Bundle file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from acquisition.native import content_hash, write_session
from acquisition.simulate import make_patient, simulate_session
from models.features import extract_features
from plugin.cli import main
from tests.models.assessment_cases import FAST, make_assessment, simulated_table

RECORDED = "2026-03-02T10:15:00+01:00"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """An assessment with its feature table, a report PDF and the session file it was made from."""
    root = tmp_path_factory.mktemp("fhir-bundle")
    patient = make_patient(condition="bell", onset_severity=0.6, days_since_onset=2.0, seed=8)
    session = dataclasses.replace(simulate_session(patient, seed=8, options=FAST), recorded_at=RECORDED)
    table = extract_features(session, session_id=content_hash(session))
    out = {"session": root / "visit.fpcds", "assessment": root / "assessment.json", "features": root / "features.json",
           "report": root / "report.pdf", "other": root / "other.json", "text": root / "notes.txt"}
    write_session(session, out["session"])
    out["assessment"].write_text(make_assessment(table, grade="IV").to_json(indent=2))
    out["features"].write_text(table.to_json())
    out["report"].write_bytes(b"%PDF-1.4\n% fpcds\n%%EOF\n")
    other = simulated_table("bell", seed=9)
    out["other"].write_text(make_assessment(other).to_json())
    out["text"].write_text("not json")
    return out


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["fhir-bundle", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_approved_bundle_with_features_and_report(files, tmp_path, capsys) -> None:
    out = tmp_path / "bundle.json"
    status, stdout, _ = _run(capsys, str(files["assessment"]), "--patient", "pat-77", "--features",
                             str(files["features"]), "--report", str(files["report"]), "--approve", "--approver",
                             "Practitioner/dr-9", "--approved-at", "2026-03-02T10:40:00+01:00", "--out", str(out))
    assert status == 0
    bundle = json.loads(out.read_text())
    resources = [e["resource"] for e in bundle["entry"]]
    report = next(r for r in resources if r["resourceType"] == "DiagnosticReport")
    assert report["status"] == "final" and report["resultsInterpreter"] == [{"reference": "Practitioner/dr-9"}]
    assert report["presentedForm"][0]["contentType"] == "application/pdf"
    assert any(r["resourceType"] == "Observation" and r["code"]["coding"][0]["code"] == "asymmetry-brow"
               for r in resources)
    assert f"wrote {out}: transaction of {len(resources)} entries" in stdout
    assert "DiagnosticReport final, CarePlan active/plan" in stdout and "pat-77" not in stdout


def test_session_file_gives_recording_time_title_and_measures(files, tmp_path, capsys) -> None:
    out = tmp_path / "bundle.json"
    status, stdout, _ = _run(capsys, str(files["assessment"]), "--patient", "Patient/pat-77", "--session",
                             str(files["session"]), "--out", str(out))
    assert status == 0 and "DiagnosticReport preliminary, CarePlan draft/proposal" in stdout
    resources = [e["resource"] for e in json.loads(out.read_text())["entry"]]
    record = resources[0]
    assert record["content"][0]["attachment"]["title"] == "visit.fpcds"
    assert record["context"]["period"]["start"] == RECORDED
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    assert {o["effectiveDateTime"] for o in observations} == {RECORDED}
    assert any(o["code"]["coding"][0]["code"] == "semg-rms-ratio" for o in observations)
    # the same inputs write the same bytes
    again = tmp_path / "again.json"
    assert _run(capsys, str(files["assessment"]), "--patient", "Patient/pat-77", "--session", str(files["session"]),
                "--out", str(again))[0] == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--approve"], r"--approve needs --approver Practitioner/<id>"),
        (["--approver", "Practitioner/x"], "--approver and --approved-at are only meaningful with --approve"),
        (["--report", "ASSESSMENT"], "the report is not a PDF"),
        (["--features", "TEXT"], "the feature table is not valid JSON"),
        (["--features", "MISSING"], "cannot read the feature table"),
        (["--session", "SESSION", "--assessment-from", "OTHER"], "differs from the assessment's"),
        (["--approve", "--approver", "Practitioner/x", "--approved-at", "2020-01-01T00:00:00Z"],
         "is before the inference"),
    ],
)
def test_bad_input_exits_2_with_one_line(files, tmp_path, capsys, extra, message) -> None:
    names = {"ASSESSMENT": files["assessment"], "TEXT": files["text"], "MISSING": tmp_path / "missing.json",
             "SESSION": files["session"]}
    assessment = files["assessment"]
    if "--assessment-from" in extra:
        assessment = files["other"]
        extra = extra[:-2]
    argv = [str(assessment), "--patient", "p", "--out", str(tmp_path / "b.json")]
    argv += [str(names.get(a, a)) for a in extra]
    status, _, stderr = _run(capsys, *argv)
    assert status == 2
    assert stderr.startswith("fpcds fhir-bundle: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert not (tmp_path / "b.json").exists()
