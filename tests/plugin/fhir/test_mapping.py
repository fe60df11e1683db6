"""Assessment -> FHIR transaction Bundle: structure, statuses, identifiers, determinism, honesty, errors.

Fast and without Java: resources are parsed with the fhir.resources R4B
models (structure), and the logic is checked directly. Validation against the
fpcds profiles with the HAPI validator is in tests/conformance/test_mapping_conformance.py.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any, Iterator

import pytest
from fhir.resources.R4B.bundle import Bundle

from models.careplan import ClinicalFacts
from plugin.fhir import ids
from plugin.fhir.errors import FhirMappingError
from plugin.fhir.mapping import Approval, CarePlanReview, assessment_bundle, bundle_json
from tests.models.assessment_cases import INFERRED_AT, make_assessment, simulated_table

PDF = b"%PDF-1.4\n% fpcds test report\n%%EOF\n"
APPROVAL = Approval("Practitioner/dr-1", "2026-03-02T10:31:00+01:00")
RECORDED = "2026-03-02T10:15:00+01:00"
STATEMENT = "trained on simulated data; not clinically validated"
AI_TYPES = ("Observation", "DiagnosticReport", "CarePlan")


@pytest.fixture(scope="module")
def palsy():
    return simulated_table("bell", days_since_onset=2.0)


@pytest.fixture(scope="module")
def palsy_assessment(palsy):
    return make_assessment(palsy, grade="IV", synkinesis=0.7)


def _bundle(assessment, table, **options) -> dict[str, Any]:
    options.setdefault("recorded_at", RECORDED)
    return assessment_bundle(assessment, patient="p-1", features=table, **options)


def _resources(bundle: dict, resource_type: str | None = None) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if resource_type in (None, e["resource"]["resourceType"])]


def _one(bundle: dict, resource_type: str) -> dict:
    found = _resources(bundle, resource_type)
    assert len(found) == 1, f"{len(found)} {resource_type}"
    return found[0]


def _by_output(bundle: dict) -> dict[str, dict]:
    out = {}
    for resource in _resources(bundle):
        for identifier in resource.get("identifier", []):
            if identifier["system"] == ids.SID_OUTPUT:
                out[identifier["value"].split("/", 1)[1]] = resource
    return out


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _diff(a: Any, b: Any, path: str = "") -> set[str]:
    """Paths (list indices generalised to []) where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = set()
        for key in a.keys() | b.keys():
            if key not in a or key not in b:
                out.add(f"{path}.{key}")
            else:
                out |= _diff(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return set().union(*(_diff(x, y, f"{path}[]") for x, y in zip(a, b))) if a else set()
    return set() if a == b else {path}


# ------------------------------------------------------------ structure
def test_bundle_is_a_valid_r4_transaction_of_conditional_creates(palsy, palsy_assessment) -> None:
    bundle = _bundle(palsy_assessment, palsy, report_pdf=PDF, approval=APPROVAL)
    Bundle.model_validate(bundle)  # every resource parses with the R4B models
    assert bundle["type"] == "transaction"
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", u) for u in urls)
    for entry in bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        assert request["method"] == "POST" and request["url"] == resource["resourceType"]
        if resource["resourceType"] == "Provenance":
            report = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
            assert request["ifNoneExist"] == f"target={report['fullUrl']}"
        else:
            identifier = resource["identifier"][0]
            condition = f"identifier={identifier['system']}|{identifier['value']}"
            shared = resource["resourceType"] == "Device" or identifier["system"] == ids.SID_MODEL_CARD
            if shared:  # the model set's Device and card serve every patient
                assert request["ifNoneExist"] == condition
            else:  # matched within the patient only
                assert request["ifNoneExist"] == f"{condition}&patient=Patient/p-1"
        for reference in _references(resource):
            assert reference in urls or reference in ("Patient/p-1", "Practitioner/dr-1"), reference
    counts = [r["resourceType"] for r in _resources(bundle)]
    assert counts[:3] == ["DocumentReference", "DocumentReference", "Device"]
    assert counts[-3:] == ["DiagnosticReport", "CarePlan", "Provenance"]


def test_ai_resources_carry_the_label_profiles_and_the_statement(palsy, palsy_assessment) -> None:
    bundle = _bundle(palsy_assessment, palsy, report_pdf=PDF)
    for resource in _resources(bundle):
        assert resource["meta"]["profile"][0].startswith(ids.CANONICAL + "/StructureDefinition/fpcds-")
        assert STATEMENT in resource["text"]["div"], resource["resourceType"]
        label = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "AIAST",
                 "display": "Artificial Intelligence asserted"}
        assert (label in resource["meta"].get("security", [])) == (resource["resourceType"] in AI_TYPES)
    for observation in _resources(bundle, "Observation"):
        assert any(STATEMENT in n["text"] for n in observation["note"])
        assert observation["device"]["reference"] == next(
            e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Device")
    assert STATEMENT in _one(bundle, "DiagnosticReport")["conclusion"]
    assert any(STATEMENT in n["text"] for n in _one(bundle, "Device")["note"])


def test_device_and_model_card_identify_every_model(palsy, palsy_assessment) -> None:
    data = palsy_assessment.to_dict()
    bundle = _bundle(data, palsy)
    device = _one(bundle, "Device")
    assert device["identifier"][0] == {"system": ids.SID_MODEL,
                                       "value": f"fpcds-models@0.1.0/{data['model_set']['manifest_sha256']}"}
    versions = {v["type"]["text"]: v for v in device["version"]}
    for model in data["models"]:
        entry = versions[f"model {model['id']}"]
        assert entry["value"] == model["version"] and entry["component"]["value"] == model["sha256"]
    card = next(r for r in _resources(bundle, "DocumentReference") if r["type"]["coding"][0]["code"] == "model-card")
    assert device["extension"][0]["valueReference"]["reference"] == next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"] is card)
    text = base64.b64decode(card["content"][0]["attachment"]["data"]).decode()
    assert STATEMENT.capitalize() in text
    for model in data["models"]:
        assert model["sha256"] in text and model["training_data_sha256"] in text


def test_full_model_cards_are_added_to_the_model_card(palsy, palsy_assessment) -> None:
    cards = {"lesion": {"model_id": "lesion", "version": "0.1.0", "title": "Central vs peripheral lesion",
                        "conditional": "conditional on a facial palsy", "metrics": {"auc": 0.912345},
                        "training": {"n_sessions": 2400}}}
    bundle = _bundle(palsy_assessment, palsy, model_cards=cards)
    card = next(r for r in _resources(bundle, "DocumentReference") if r["type"]["coding"][0]["code"] == "model-card")
    text = base64.b64decode(card["content"][0]["attachment"]["data"]).decode()
    assert "## lesion: Central vs peripheral lesion" in text
    assert "- metrics: auc 0.912" in text and "- training: n_sessions 2400" in text


def test_session_record_and_provenance_carry_the_session_hash(palsy, palsy_assessment) -> None:
    bundle = _bundle(palsy_assessment, palsy, approval=APPROVAL)
    session = next(r for r in _resources(bundle, "DocumentReference")
                   if r["type"]["coding"][0]["code"] == "session-record")
    sha = palsy_assessment.session_sha256
    assert session["identifier"] == [{"system": ids.SID_SESSION, "value": sha}]
    assert session["context"]["period"]["start"] == RECORDED
    provenance = _one(bundle, "Provenance")
    entity = provenance["entity"][0]
    assert entity["role"] == "derivation" and entity["what"]["identifier"]["value"] == sha
    assert [a["type"]["coding"][0]["code"] for a in provenance["agent"]] == ["author", "verifier"]
    assert provenance["agent"][1]["who"] == {"reference": "Practitioner/dr-1"}
    ai = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] in AI_TYPES]
    assert sorted(t["reference"] for t in provenance["target"]) == sorted(ai)


# ------------------------------------------------------------ identifiers and determinism
def test_identifiers_derive_from_session_model_set_and_output(palsy, palsy_assessment) -> None:
    data = palsy_assessment.to_dict()
    key = f"{data['session']['sha256'][:16]}-{data['model_set']['manifest_sha256'][:16]}"
    outputs = _by_output(_bundle(data, palsy))
    assert {"hb-grade/model", "hb-grade/rules", "sunnybrook/model", "sunnybrook/rules", "eface/rules",
            "central-palsy-probability", "synkinesis-probability", "recovery-prognosis", "report",
            "care-plan", "asymmetry-brow/brow_raise", "semg-rms-ratio/zygomaticus/smile_open",
            "semg-median-frequency/zygomaticus/left/smile_open"} <= set(outputs)
    for output, resource in outputs.items():
        assert resource["identifier"][0]["value"] == f"{key}/{output}"


def test_same_assessment_gives_byte_identical_bundles(palsy, palsy_assessment) -> None:
    live = bundle_json(_bundle(palsy_assessment, palsy, report_pdf=PDF, approval=APPROVAL))
    stored = json.loads(palsy_assessment.to_json())
    again = bundle_json(_bundle(stored, json.loads(palsy.to_json()), report_pdf=PDF, approval=APPROVAL))
    assert live == again
    other = simulated_table("bell", days_since_onset=2.0, seed=4)
    different = _bundle(make_assessment(other, grade="IV", synkinesis=0.7), other)
    shared = {e["resource"]["resourceType"] for e in json.loads(live)["entry"]
              if e["fullUrl"] in {d["fullUrl"] for d in different["entry"]}}
    # another session shares only what belongs to the model set: the Device and its model card
    assert shared == {"Device", "DocumentReference"}
    assert _one(different, "Device") == _one(json.loads(live), "Device")


# ------------------------------------------------------------ approval
def test_before_approval_everything_is_preliminary_or_a_proposal(palsy, palsy_assessment) -> None:
    bundle = _bundle(palsy_assessment, palsy)
    assert {o["status"] for o in _resources(bundle, "Observation")} == {"preliminary"}
    report = _one(bundle, "DiagnosticReport")
    assert report["status"] == "preliminary" and "resultsInterpreter" not in report
    assert report["issued"] == INFERRED_AT and "PRELIMINARY: not yet reviewed" in report["conclusion"]
    plan = _one(bundle, "CarePlan")
    assert (plan["status"], plan["intent"]) == ("draft", "proposal")
    assert {a["detail"]["status"] for a in plan["activity"]} == {"not-started"}
    assert [a["type"]["coding"][0]["code"] for a in _one(bundle, "Provenance")["agent"]] == ["author"]


def test_approval_changes_exactly_the_review_state(palsy, palsy_assessment) -> None:
    before = _bundle(palsy_assessment, palsy, report_pdf=PDF)
    after = _bundle(palsy_assessment, palsy, report_pdf=PDF, approval=APPROVAL)
    assert [e["fullUrl"] for e in before["entry"]] == [e["fullUrl"] for e in after["entry"]]
    changed: dict[str, set[str]] = {}
    for a, b in zip(before["entry"], after["entry"]):
        paths = _diff(a, b)
        if paths:
            changed.setdefault(a["resource"]["resourceType"], set()).update(paths)
    assert changed == {
        "Observation": {".resource.status"},
        "DiagnosticReport": {".resource.status", ".resource.issued", ".resource.resultsInterpreter",
                             ".resource.conclusion", ".resource.text.div"},
        "CarePlan": {".resource.status", ".resource.intent", ".resource.activity[].detail.status",
                     ".resource.text.div", ".resource.title", ".resource.description"},
        "Provenance": {".resource.recorded", ".resource.agent", ".resource.text.div"},
    }
    report = _one(after, "DiagnosticReport")
    assert report["status"] == "final" and report["resultsInterpreter"] == [{"reference": "Practitioner/dr-1"}]
    assert report["issued"] == "2026-03-02T10:31:00+01:00"
    assert "Reviewed and approved by Practitioner/dr-1 at 2026-03-02T10:31:00+01:00" in report["conclusion"]
    plan = _one(after, "CarePlan")
    assert (plan["status"], plan["intent"]) == ("active", "plan")
    assert {a["detail"]["status"] for a in plan["activity"]} == {"scheduled"}
    proposed = _one(before, "CarePlan")
    assert "proposal" in proposed["title"] and "draft" in proposed["description"]
    assert "proposal" not in plan["title"] and "draft" not in plan["description"]  # no proposal wording once approved
    assert plan["description"].startswith("Approved plan: ")
    assert _one(after, "Provenance")["recorded"] == "2026-03-02T10:31:00+01:00"


# ------------------------------------------------------------ content
def test_rule_based_scores_stand_beside_model_outputs(palsy, palsy_assessment) -> None:
    data = palsy_assessment.to_dict()
    outputs = _by_output(_bundle(data, palsy))
    model, rules = outputs["hb-grade/model"], outputs["hb-grade/rules"]
    assert model["method"]["coding"][0]["code"] == "fusion-model"
    assert rules["method"]["coding"][0]["code"] == "rule-based-grading"
    assert model["valueCodeableConcept"]["coding"][0]["code"] == "HB-IV"
    hb = data["rule_based"]["house_brackmann"]
    roman = ("I", "II", "III", "IV", "V", "VI")[int(hb["total"]) - 1]
    assert rules["valueCodeableConcept"]["coding"][0]["code"] == f"HB-{roman}"
    assert rules["component"][0]["valueQuantity"]["value"] == hb["subscores"]["points_affected"]
    assert {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"] for c in model["component"]} == {
        "hb-grade-probability": 70.0, "hb-expected-grade": round(data["outputs"]["hb_grade"]["expected_grade"], 2)}
    sb = data["rule_based"]["sunnybrook"]
    rule_sb = outputs["sunnybrook/rules"]
    assert rule_sb["valueQuantity"]["value"] == sb["total"]
    assert [c["valueQuantity"]["value"] for c in rule_sb["component"]] == [
        sb["subscores"][k] for k in ("resting", "voluntary", "synkinesis")]
    estimate = outputs["sunnybrook/model"]
    assert estimate["valueQuantity"]["value"] == 50.0
    assert estimate["component"][0]["valueRange"]["low"]["value"] == 40.0
    assert estimate["component"][0]["code"]["text"] == "80% prediction interval"
    prognosis = outputs["recovery-prognosis"]
    assert [c["valueQuantity"]["value"] for c in prognosis["component"]] == [70.0, 4.0, 9.0, 20.0]
    report = _one(_bundle(data, palsy), "DiagnosticReport")
    assert "House-Brackmann grade IV by model" in report["conclusion"]
    assert f"measured form: {hb['label']}" in report["conclusion"]


def test_measures_come_from_the_feature_table(palsy, palsy_assessment) -> None:
    outputs = _by_output(_bundle(palsy_assessment, palsy))
    brow = outputs["asymmetry-brow/brow_raise"]
    assert brow["valueQuantity"] == {"value": round(palsy["motion.brow_height.asym_mm.brow_raise"], 2), "unit": "mm",
                                     "system": "http://unitsofmeasure.org", "code": "mm"}
    assert brow["component"][1]["valueQuantity"]["value"] == round(palsy["motion.brow_height.asym_pct.brow_raise"], 1)
    assert outputs["asymmetry-smile-angle/smile_open"]["valueQuantity"]["code"] == "deg"
    ratio = outputs["semg-rms-ratio/zygomaticus/smile_open"]
    assert ratio["valueQuantity"]["value"] == round(palsy["emg.zygomaticus.rms_ratio.smile_open"], 3)
    assert ratio["bodySite"]["coding"][0]["code"] == "zygomaticus"
    affected = palsy.affected_side
    healthy = "right" if affected == "left" else "left"
    mdf = outputs[f"semg-median-frequency/zygomaticus/{affected}/smile_open"]
    assert mdf["valueQuantity"]["value"] == round(palsy["emg.zygomaticus.mdf_affected.smile_open"], 1)
    hf = outputs[f"semg-hf-fraction/zygomaticus/{healthy}/smile_open"]
    assert hf["valueQuantity"] == {"value": round(100 * palsy["emg.zygomaticus.hf_fraction_healthy.smile_open"], 1),
                                   "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    assert hf["component"][1]["valueCodeableConcept"]["coding"][0]["code"] == healthy
    # without features: scores and model outputs only
    bare = assessment_bundle(palsy_assessment, patient="p-1")
    assert not [o for o in _by_output(bare) if o.startswith(("asymmetry-", "semg-"))]


def test_emg_only_and_motion_only_map_honestly() -> None:
    emg = simulated_table("bell", modalities=("emg",))
    bundle = _bundle(make_assessment(emg, grade="IV"), emg)
    outputs = _by_output(bundle)
    assert not [o for o in outputs if o.startswith("asymmetry-")] and "eface/rules" not in outputs
    assert "sunnybrook/rules" not in outputs and any(o.startswith("semg-") for o in outputs)
    report = _one(bundle, "DiagnosticReport")
    assert "sEMG only (no facial motion)" in report["conclusion"] and "The session has no facial motion" in report[
        "conclusion"]
    assert all("evidence: sEMG only" in o["method"]["text"] for o in _resources(bundle, "Observation")
               if o["method"]["coding"][0]["code"] == "fusion-model")
    motion = simulated_table("bell", modalities=("motion",))
    outputs = _by_output(_bundle(make_assessment(motion, grade="IV"), motion))
    assert not [o for o in outputs if o.startswith("semg-")] and "eface/rules" in outputs


def test_healthy_face_has_no_plan_and_no_conditional_outputs() -> None:
    table = simulated_table("healthy", days_since_onset=None)
    bundle = _bundle(make_assessment(table, grade="I", grade_p=0.8), table)
    outputs = _by_output(bundle)
    assert "care-plan" not in outputs and not _resources(bundle, "CarePlan")
    assert "central-palsy-probability" not in outputs and "recovery-prognosis" not in outputs
    report = _one(bundle, "DiagnosticReport")
    assert [c["coding"][0]["code"] for c in report["conclusionCode"]] == ["no-palsy-detected"]
    assert "No facial palsy detected" in report["conclusion"]


def test_central_palsy_gets_the_urgent_plan_and_never_rehabilitation() -> None:
    table = simulated_table("central", days_since_onset=1.0, onset_severity=0.7)
    bundle = _bundle(make_assessment(table, grade="III", central=0.9, synkinesis=0.9), table)
    plan = _one(bundle, "CarePlan")
    assert plan["category"][0]["coding"][0]["code"] == "central-palsy-pathway"
    codes = [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]]
    assert codes[0] == "urgent-stroke-referral" and "neuromuscular-retraining" not in codes
    urgent = plan["activity"][0]["detail"]
    assert urgent["scheduledPeriod"] == {"start": RECORDED} and urgent["kind"] == "ServiceRequest"
    assert urgent["description"].startswith("EMERGENCY") and "When: immediately." in urgent["description"]
    unknown_time = _one(_bundle(make_assessment(table, central=0.9), table, recorded_at=None), "CarePlan")
    assert unknown_time["activity"][0]["detail"]["scheduledString"] == "immediately"
    assert "P(central palsy) = 90%" in urgent["reasonCode"][0]["text"]
    central = _by_output(bundle)["central-palsy-probability"]
    assert urgent["reasonReference"][0]["reference"] == next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"] is central)
    report = _one(bundle, "DiagnosticReport")
    assert [c["coding"][0]["code"] for c in report["conclusionCode"]] == ["central-palsy-suspected",
                                                                          "synkinesis-present"]
    assert central["interpretation"][0]["coding"][0]["code"] == "POS"


def test_care_plan_activities_carry_rules_numbers_and_schedules(palsy, palsy_assessment) -> None:
    plan = _one(_bundle(palsy_assessment, palsy), "CarePlan")
    details = {a["detail"]["code"]["coding"][0]["code"]: a["detail"] for a in plan["activity"]}
    steroids = details["oral-corticosteroids"]
    assert steroids["kind"] == "MedicationRequest" and "age = 45 years" in steroids["reasonCode"][0]["text"]
    assert steroids["scheduledPeriod"] == {"start": "2026-03-02T10:15:00+01:00", "end": "2026-03-03T10:15:00+01:00"}
    assert "AAO-HNS" in steroids["description"] and steroids["description"].startswith("Time-critical.")
    review = details["reassessment"]["scheduledTiming"]
    assert review["repeat"] == {"boundsPeriod": {"start": "2026-03-21T10:15:00+01:00"}, "frequency": 1,
                                "period": 4.0, "periodUnit": "wk"}
    assert "neuromuscular-retraining" in details and "reasonReference" in details["neuromuscular-retraining"]
    assert plan["supportingInfo"][0]["reference"].startswith("urn:uuid:")


def test_clinical_facts_override_the_features(palsy, palsy_assessment) -> None:
    plan = _one(_bundle(palsy_assessment, palsy, clinical=ClinicalFacts(age_years=12.0, days_since_onset=1.0)),
                "CarePlan")
    assert "oral-corticosteroids" not in [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]]
    assert any("the patient is 12 years old" in n["text"] for n in plan["note"])


def test_report_pdf_and_times(palsy, palsy_assessment) -> None:
    report = _one(_bundle(palsy_assessment, palsy, report_pdf=PDF, report_created="2026-03-02T09:28:00Z"),
                  "DiagnosticReport")
    form = report["presentedForm"][0]
    assert base64.b64decode(form["data"]) == PDF and form["contentType"] == "application/pdf"
    assert form["creation"] == "2026-03-02T09:28:00+00:00"
    assert "presentedForm" not in _one(_bundle(palsy_assessment, palsy), "DiagnosticReport")
    naive = _bundle(palsy_assessment, palsy, recorded_at="2026-03-02T10:15:00")
    assert {o["effectiveDateTime"] for o in _resources(naive, "Observation")} == {"2026-03-02"}
    unknown = _bundle(palsy_assessment, palsy, recorded_at=None)
    observation = _resources(unknown, "Observation")[0]
    assert observation["effectiveDateTime"] == INFERRED_AT
    assert any("recording time of the session is unknown" in n["text"] for n in observation["note"])


# ------------------------------------------------------------ errors
def _broken(assessment, edit) -> dict:
    data = copy.deepcopy(assessment.to_dict())
    edit(data)
    return data


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="fpcds-feature-table"),
         "assessment has format 'fpcds-feature-table' version 1; expected 'fpcds-assessment' version 1"),
        (lambda d: d["session"].update(sha256=None), "assessment field 'session.sha256' is null"),
        (lambda d: d["session"].update(sha256="abc"), "assessment field 'session.sha256' is 'abc'; expected a SHA-256"),
        (lambda d: d["outputs"].pop("lesion"), "assessment field 'outputs.lesion.probability' is missing"),
        (lambda d: d["outputs"]["synkinesis"].update(probability=2.0),
         r"assessment field 'outputs.synkinesis.probability' is 2.0; expected a number in \[0, 1\]"),
        (lambda d: d["outputs"]["sunnybrook"].update(lower=70.0),
         "assessment field 'outputs.sunnybrook': lower 70, value 50, upper 60 are not ordered"),
        (lambda d: d["models"].pop(0), "assessment field 'models' has no entry for the output 'hb_grade'"),
        (lambda d: d.update(inferred_at="2026-03-02T09:27:10"),
         "assessment field 'inferred_at' is '2026-03-02T09:27:10'; expected an ISO 8601 time with a timezone"),
        (lambda d: d.update(evidence="both"), "assessment field 'evidence' is 'both'"),
        (lambda d: d["rule_based"]["sunnybrook"]["subscores"].pop("resting"),
         "assessment field 'rule_based.sunnybrook.subscores.resting' is missing"),
        (lambda d: d["rule_based"]["eface"]["subscores"].update(dynamic=None),
         r"assessment field 'rule_based.eface.subscores.dynamic' is None; expected a number"),
    ],
)
def test_malformed_assessments_name_the_field(palsy_assessment, edit, message) -> None:
    with pytest.raises(FhirMappingError, match=message):
        assessment_bundle(_broken(palsy_assessment, edit), patient="p-1")


def test_bad_inputs_are_refused_with_their_names(palsy, palsy_assessment) -> None:
    with pytest.raises(FhirMappingError, match="patient 'a b' is not a FHIR id"):
        assessment_bundle(palsy_assessment, patient="a b")
    with pytest.raises(FhirMappingError, match="approver 'Patient/x' is not a reference to a clinician"):
        assessment_bundle(palsy_assessment, patient="p", approval=Approval("Patient/x", APPROVAL.time))
    with pytest.raises(FhirMappingError, match="approval time is 'yesterday'; expected an ISO 8601 time"):
        assessment_bundle(palsy_assessment, patient="p", approval=Approval("Practitioner/x", "yesterday"))
    with pytest.raises(FhirMappingError, match="approval time 2026-03-02T08:00:00\\+00:00 is before the inference"):
        assessment_bundle(palsy_assessment, patient="p", approval=Approval("Practitioner/x", "2026-03-02T08:00:00Z"))
    with pytest.raises(FhirMappingError, match="approval is a tuple; expected"):
        assessment_bundle(palsy_assessment, patient="p", approval=("Practitioner/x", APPROVAL.time))
    with pytest.raises(FhirMappingError, match="report PDF does not start with '%PDF-'"):
        assessment_bundle(palsy_assessment, patient="p", report_pdf=b"<html>")
    with pytest.raises(FhirMappingError, match="recorded_at is 'soon'; expected an ISO 8601 date or time"):
        assessment_bundle(palsy_assessment, patient="p", recorded_at="soon")
    with pytest.raises(FhirMappingError, match="report_created is '2026-03-02'; expected an ISO 8601 time with"):
        assessment_bundle(palsy_assessment, patient="p", report_created="2026-03-02")
    other = simulated_table("bell", days_since_onset=2.0, seed=5)
    with pytest.raises(FhirMappingError, match="features belong to session .*; expected the same session"):
        assessment_bundle(palsy_assessment, patient="p", features=other)
    with pytest.raises(FhirMappingError, match="features: not a feature table"):
        assessment_bundle(palsy_assessment, patient="p", features={"format": "x"})
    with pytest.raises(FhirMappingError, match="model card 'lesion' \\(version '9'\\) does not match"):
        assessment_bundle(palsy_assessment, patient="p", model_cards={"lesion": {"model_id": "lesion", "version": "9"}})
    with pytest.raises(FhirMappingError, match="assessment is a str; expected an Assessment or its JSON object"):
        assessment_bundle("{}", patient="p")


def _plan(bundle: dict) -> dict | None:
    plans = _resources(bundle, "CarePlan")
    return plans[0] if plans else None


def test_clinician_review_removes_activities_and_records_the_note(palsy, palsy_assessment) -> None:
    proposed = _plan(_bundle(palsy_assessment, palsy, approval=APPROVAL))
    codes = [a["detail"]["code"]["coding"][0]["code"] for a in proposed["activity"]]
    assert len(codes) >= 2
    review = CarePlanReview(removed=(codes[0],), note="Patient prefers follow-up in the local clinic.")
    bundle = _bundle(palsy_assessment, palsy, approval=APPROVAL, review=review)
    plan = _plan(bundle)
    assert [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]] == codes[1:]
    notes = " ".join(n["text"] for n in plan["note"])
    assert "Practitioner/dr-1 removed from the proposed plan" in notes
    assert "Clinician's note (Practitioner/dr-1): Patient prefers follow-up in the local clinic." in notes
    assert plan["status"] == "active" and plan["intent"] == "plan"
    # the review is part of what was approved: the same review gives the same bundle
    assert bundle == _bundle(palsy_assessment, palsy, approval=APPROVAL, review=review)


def test_declining_every_activity_writes_no_care_plan_and_says_so(palsy, palsy_assessment) -> None:
    proposed = _plan(_bundle(palsy_assessment, palsy, approval=APPROVAL))
    codes = tuple(a["detail"]["code"]["coding"][0]["code"] for a in proposed["activity"])
    bundle = _bundle(palsy_assessment, palsy, approval=APPROVAL, review=CarePlanReview(removed=codes, note="Watchful waiting."))
    assert _plan(bundle) is None
    report = _one(bundle, "DiagnosticReport")
    assert "(the proposed plan was declined)" in report["conclusion"]
    assert "Clinician's note (Practitioner/dr-1): Watchful waiting." in report["conclusion"]
    provenance = _one(bundle, "Provenance")
    expected = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] in ("Observation", "DiagnosticReport")]
    assert sorted(t["reference"] for t in provenance["target"]) == sorted(expected)


def test_bad_reviews_are_refused(palsy, palsy_assessment) -> None:
    with pytest.raises(FhirMappingError, match="removes no-such-activity, which the proposed plan does not hold"):
        _bundle(palsy_assessment, palsy, approval=APPROVAL, review=CarePlanReview(removed=("no-such-activity",)))


def test_a_central_plan_keeps_its_urgent_work_up_or_is_declined_whole() -> None:
    table = simulated_table("central", days_since_onset=0.5)
    central = make_assessment(table, grade="IV", central=0.95)
    plan = _one(_bundle(central, table, approval=APPROVAL), "CarePlan")
    codes = [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]]
    assert codes[0] == "urgent-stroke-referral" and len(codes) >= 2
    assert plan["title"].startswith("Suspected central facial palsy") and "URGENT stroke work-up" in plan["description"]
    with pytest.raises(FhirMappingError, match="can only be removed by declining the whole plan"):
        _bundle(central, table, approval=APPROVAL, review=CarePlanReview(removed=("urgent-stroke-referral",)))
    declined = _bundle(central, table, approval=APPROVAL, review=CarePlanReview(removed=tuple(codes)))
    assert not _resources(declined, "CarePlan")


def test_a_review_needs_an_approval_and_bounded_text(palsy, palsy_assessment) -> None:
    with pytest.raises(FhirMappingError, match="a care plan review comes with an approval"):
        _bundle(palsy_assessment, palsy, review=CarePlanReview(note="x"))
    with pytest.raises(FhirMappingError, match="at most 2000 characters"):
        CarePlanReview(note="x" * 2001)
    with pytest.raises(FhirMappingError, match="expected activity codes"):
        CarePlanReview(removed="eye-protection")  # a string, not a tuple of codes
