"""``fpcds assess SESSION --patient ID --fhir-bundle OUT``: the Bundle write-back would send, from the shipped models."""

from __future__ import annotations

import json

from acquisition.native import write_session
from acquisition.simulate import make_patient, simulate_session
from plugin.cli import main
from tests.models.assessment_cases import FAST


def test_assess_writes_a_preliminary_transaction_bundle(tmp_path, capsys):
    patient = make_patient(condition="bell", affected_side="left", onset_severity=0.7, days_since_onset=10, seed=3)
    session = tmp_path / "visit.fpcds"
    digest = write_session(simulate_session(patient, seed=3, options=FAST), session)
    out = tmp_path / "bundle.json"
    assert main(["assess", str(session), "--patient", "p-1", "--fhir-bundle", str(out), "--json"]) == 0
    assessment = json.loads(capsys.readouterr().out)
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Observation", "DiagnosticReport", "Device", "Provenance"} <= kinds
    assert all(e["request"]["method"] == "POST" and "ifNoneExist" in e["request"] for e in bundle["entry"])
    report = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
    assert report["status"] == "preliminary" and report["subject"]["reference"] == "Patient/p-1"
    assert digest in json.dumps(bundle) and assessment["session"]["sha256"] == digest
    # the same session and models give the same business identifiers, so a retry creates nothing new
    again = tmp_path / "again.json"
    assert main(["assess", str(session), "--patient", "p-1", "--fhir-bundle", str(again)]) == 0

    def conditions(b):
        return sorted(e["request"]["ifNoneExist"] for e in b["entry"] if "identifier=" in e["request"]["ifNoneExist"])

    assert conditions(json.loads(again.read_text())) == conditions(bundle) != []


def test_fhir_bundle_needs_a_patient(tmp_path, capsys):
    assert main(["assess", str(tmp_path / "x.fpcds"), "--fhir-bundle", str(tmp_path / "b.json")]) == 2
    assert "--fhir-bundle needs --patient" in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()
