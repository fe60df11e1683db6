"""What the FHIR mapping writes conforms to the fpcds profiles and survives a real server round trip.

Assessments come from real simulated sessions (simulator -> features ->
models): with the real predictor (the shipped model set, or, while that is
not built, a small set trained here as tests/models does), and, to reach
every House-Brackmann grade and a certain central palsy, with the model
outputs set on real rule-based scores (tests/models/assessment_cases.py).
Every bundle is validated by the HAPI validator with the fpcds profiles
(zero errors, only known warnings) and written to the HAPI FHIR JPA server.
"""

from __future__ import annotations

import base64
import copy
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from acquisition.native import content_hash
from acquisition.simulate import make_patient, simulate_session
from conformance.fhir_server import HapiFhirServer
from conformance.validator import FhirValidator, errors
from models.features import extract_features
from models.predict import assess_table
from plugin.fhir.mapping import Approval, assessment_bundle
from tests.conformance.test_examples import KNOWN_WARNINGS
from tests.models.assessment_cases import FAST, make_assessment, simulated_table

pytestmark = pytest.mark.java

PATIENT = "mapping-patient"
CLINICIAN = "mapping-clinician"
RECORDED = "2026-03-02T10:15:00+01:00"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
TYPES = ("Observation", "DiagnosticReport", "CarePlan", "Device", "DocumentReference", "Provenance")

#: Simulated patients assessed by the real predictor: (patient facts, modalities).
PREDICTED: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "healthy": ({"condition": "healthy", "days_since_onset": None}, ("emg", "motion")),
    "mild": ({"condition": "bell", "onset_severity": 0.3, "days_since_onset": 2.0}, ("emg", "motion")),
    "severe": ({"condition": "bell", "onset_severity": 0.95, "days_since_onset": 1.0}, ("emg", "motion")),
    "synkinesis": ({"condition": "bell", "onset_severity": 0.9, "days_since_onset": 150.0, "synkinesis": 0.9},
                   ("emg", "motion")),
    "central": ({"condition": "central", "onset_severity": 0.8, "days_since_onset": 1.0}, ("emg", "motion")),
    "emg-only": ({"condition": "bell", "onset_severity": 0.6, "days_since_onset": 10.0}, ("emg",)),
    "motion-only": ({"condition": "bell", "onset_severity": 0.6, "days_since_onset": 10.0}, ("motion",)),
}


@pytest.fixture(scope="module")
def model_set(tmp_path_factory):
    from models.registry import DEFAULT_DIR, MANIFEST, load_models

    if (Path(DEFAULT_DIR) / MANIFEST).is_file():
        return load_models()
    from models.dataset import build_cache, load_cache
    from models.train import train_models
    from tests.models.conftest import FAST as FAST_TRAINING
    from tests.models.conftest import SMALL

    root = tmp_path_factory.mktemp("mapping-models")
    build_cache(SMALL, root / "cohort.npz", jobs=2)
    train_models(load_cache(root / "cohort.npz"), root / "set", options=FAST_TRAINING)
    return load_models(root / "set")


@pytest.fixture(scope="module")
def cards(model_set) -> dict[str, Any]:
    """The full model cards of the model set, by model id."""
    return {model_id: model.card for model_id, model in model_set.models.items()}


@pytest.fixture(scope="module")
def predicted(model_set) -> dict[str, tuple[Any, Any]]:
    """name -> (assessment, feature table) by the real predictor."""
    out = {}
    for seed, (name, (facts, modalities)) in enumerate(PREDICTED.items(), start=21):
        session = simulate_session(make_patient(seed=seed, **facts), seed=seed, options=FAST)
        if modalities != ("emg", "motion"):
            session = session.select(modalities=list(modalities))
        table = extract_features(session, session_id=content_hash(session))
        out[name] = (assess_table(table, models=model_set, modalities=session.modalities), table)
    return out


def _forced() -> dict[str, tuple[Any, Any]]:
    """Every House-Brackmann grade and a certain central palsy, on real sessions and rule-based scores."""
    palsy = simulated_table("bell", onset_severity=0.7, days_since_onset=2.0, seed=31)
    out = {f"grade-{g}": (make_assessment(palsy, grade=g, grade_p=0.75, synkinesis=0.6 if g == "III" else 0.2),
                          palsy) for g in ("I", "II", "III", "IV", "V", "VI")}
    central = simulated_table("central", onset_severity=0.8, days_since_onset=1.0, seed=32)
    out["forced-central"] = (make_assessment(central, grade="III", central=0.93, synkinesis=0.8), central)
    return out


def _bundle(assessment, table, *, approved: bool, cards: dict[str, Any] | None = None) -> dict[str, Any]:
    """The bundle; once approved, by the clinician at the time of the inference."""
    approval = Approval(f"Practitioner/{CLINICIAN}", assessment.inferred_at) if approved else None
    return assessment_bundle(assessment, patient=PATIENT, features=table, recorded_at=RECORDED,
                             report_pdf=PDF if approved else None, approval=approval, model_cards=cards)


def _unknown_warnings(issues) -> list:
    return [i for i in issues if i.severity == "warning"
            and not any(p.search(i.message) for p in KNOWN_WARNINGS.values())]


def _resource(bundle: dict, resource_type: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type)


# ------------------------------------------------------------ validation
@pytest.mark.parametrize("approved", [False, True], ids=["proposed", "approved"])
def test_every_predicted_variant_validates(fhir_validator: FhirValidator, predicted, cards, approved: bool) -> None:
    names = list(predicted)
    bundles = [_bundle(*predicted[n], approved=approved, cards=cards) for n in names]
    issues = fhir_validator.validate(bundles)
    found = errors(issues) + _unknown_warnings(issues)
    assert not found, "\n".join(f"{names[i.resource]}: {i}" for i in found)
    evidence = {n: predicted[n][0].evidence for n in names}
    assert evidence["emg-only"] == "emg_only" and evidence["motion-only"] == "motion_only"
    card = next(e["resource"] for e in bundles[0]["entry"]
                if e["resource"].get("type", {}).get("coding", [{}])[0].get("code") == "model-card")
    text = base64.b64decode(card["content"][0]["attachment"]["data"]).decode()
    assert all(f"## {model_id}: {c.title}" in text for model_id, c in cards.items())


@pytest.mark.parametrize("approved", [False, True], ids=["proposed", "approved"])
def test_every_grade_and_the_central_plan_validate(fhir_validator: FhirValidator, approved: bool) -> None:
    cases = _forced()
    names = list(cases)
    bundles = [_bundle(*cases[n], approved=approved) for n in names]
    issues = fhir_validator.validate(bundles)
    found = errors(issues) + _unknown_warnings(issues)
    assert not found, "\n".join(f"{names[i.resource]}: {i}" for i in found)
    plan = _resource(bundles[names.index("forced-central")], "CarePlan")
    assert plan["activity"][0]["detail"]["code"]["coding"][0]["code"] == "urgent-stroke-referral"
    grades = [next(e["resource"]["valueCodeableConcept"]["coding"][0]["code"] for e in b["entry"]
                   if e["resource"].get("identifier", [{}])[0].get("value", "").endswith("/hb-grade/model"))
              for b in bundles[:6]]
    assert grades == ["HB-I", "HB-II", "HB-III", "HB-IV", "HB-V", "HB-VI"]


def test_the_validator_rejects_what_the_profiles_forbid(fhir_validator: FhirValidator) -> None:
    """Negative controls: the checks above can fail."""
    assessment, table = _forced()["forced-central"]
    bundle = _bundle(assessment, table, approved=False)
    plan = _resource(bundle, "CarePlan")
    rehab = copy.deepcopy(plan["activity"][0])
    rehab["detail"]["code"]["coding"][0].update(code="neuromuscular-retraining", display="Facial neuromuscular "
                                                "retraining")
    plan["activity"].append(rehab)
    plan["status"] = "active"
    sunnybrook = next(e["resource"] for e in bundle["entry"]
                      if e["resource"].get("identifier", [{}])[0].get("value", "").endswith("/sunnybrook/rules"))
    sunnybrook["valueQuantity"]["value"] += 7
    messages = "\n".join(str(i) for i in errors(fhir_validator.validate(bundle)))
    assert "fpcds-cp-1" in messages and "fpcds-cp-3" in messages and "fpcds-sb-1" in messages


# ------------------------------------------------------------ server round trip
def _get(server: HapiFhirServer, path: str) -> dict[str, Any]:
    response = requests.get(f"{server.base_url}/{path}", headers=FHIR_JSON, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _post(server: HapiFhirServer, bundle: dict[str, Any]) -> requests.Response:
    return requests.post(server.base_url, json=bundle, headers=FHIR_JSON, timeout=180)


def _counts(server: HapiFhirServer) -> dict[str, int]:
    return {t: _get(server, f"{t}?_summary=count")["total"] for t in TYPES}


def _locations(response: requests.Response) -> list[str]:
    return ["/".join(e["response"]["location"].split("/")[:2]) for e in response.json()["entry"]]


def _all_references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _all_references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _all_references(v)]
    return []


@pytest.fixture(scope="module")
def ehr(fhir_server: HapiFhirServer) -> HapiFhirServer:
    """The server with the patient and the approving clinician."""
    for resource in ({"resourceType": "Patient", "id": PATIENT, "name": [{"family": "Mapping", "given": ["Test"]}]},
                     {"resourceType": "Practitioner", "id": CLINICIAN, "name": [{"family": "Approver"}]}):
        response = requests.put(f"{fhir_server.base_url}/{resource['resourceType']}/{resource['id']}", json=resource,
                                headers=FHIR_JSON, timeout=60)
        assert response.status_code in (200, 201), response.text
    return fhir_server


@pytest.fixture(scope="module")
def written(ehr: HapiFhirServer, predicted) -> tuple[dict[str, Any], list[str]]:
    """The approved bundle of the severe palsy, posted once: (bundle, 'Type/id' per entry)."""
    bundle = _bundle(*predicted["severe"], approved=True)
    response = _post(ehr, bundle)
    assert response.status_code == 200, response.text
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["201 Created"] * len(bundle["entry"])
    return bundle, _locations(response)


def test_round_trip_resolves_every_reference(ehr: HapiFhirServer, written) -> None:
    bundle, locations = written
    by_url = dict(zip((e["fullUrl"] for e in bundle["entry"]), locations))
    allowed = set(locations) | {f"Patient/{PATIENT}", f"Practitioner/{CLINICIAN}"}
    stored = {}
    for entry, location in zip(bundle["entry"], locations):
        resource = _get(ehr, location)
        stored[location] = resource
        assert resource.get("identifier") == entry["resource"].get("identifier")
        for reference in _all_references(resource):
            assert reference in allowed, f"{location} refers to {reference}"
    report = stored[by_url[next(e["fullUrl"] for e in bundle["entry"]
                                if e["resource"]["resourceType"] == "DiagnosticReport")]]
    observations = [loc for e, loc in zip(bundle["entry"], locations) if e["resource"]["resourceType"] == "Observation"]
    assert [r["reference"] for r in report["result"]] == observations
    assert report["status"] == "final" and report["resultsInterpreter"][0]["reference"] == f"Practitioner/{CLINICIAN}"
    provenance = next(r for r in stored.values() if r["resourceType"] == "Provenance")
    device = next(loc for loc in locations if loc.startswith("Device/"))
    assert provenance["agent"][0]["who"]["reference"] == device
    assert provenance["agent"][1]["who"]["reference"] == f"Practitioner/{CLINICIAN}"
    session = stored[provenance["entity"][0]["what"]["reference"]]
    assert session["identifier"][0]["value"] == bundle["entry"][0]["resource"]["identifier"][0]["value"]
    plan = next((r for r in stored.values() if r["resourceType"] == "CarePlan"), None)
    if plan is not None:
        assert (plan["status"], plan["intent"]) == ("active", "plan")
        for activity in plan["activity"]:
            for reference in activity["detail"].get("reasonReference", []):
                assert stored[reference["reference"]]["resourceType"] == "Observation"


def test_stored_resources_still_conform(ehr: HapiFhirServer, written, fhir_validator: FhirValidator) -> None:
    _, locations = written
    found = errors(fhir_validator.validate([_get(ehr, loc) for loc in locations]))
    assert not found, "\n".join(str(i) for i in found)


def test_posting_again_creates_nothing(ehr: HapiFhirServer, written, predicted) -> None:
    bundle, locations = written
    before = _counts(ehr)
    # a retried write-back: the bundle is built again from the same assessment
    response = _post(ehr, _bundle(*predicted["severe"], approved=True))
    assert response.status_code == 200, response.text
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["200 OK"] * len(locations)
    assert _locations(response) == locations
    assert _counts(ehr) == before
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if "identifier" in resource:
            identifier = resource["identifier"][0]
            hits = _get(ehr, f"{resource['resourceType']}?identifier={identifier['system']}|{identifier['value']}"
                             "&_summary=count")["total"]
            assert hits == 1, identifier["value"]


def test_another_assessment_shares_only_the_model_set(ehr: HapiFhirServer, written, predicted) -> None:
    _, locations = written
    bundle = _bundle(*predicted["mild"], approved=True)
    response = _post(ehr, bundle)
    assert response.status_code == 200, response.text
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    shared = [i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Device"
              or e["resource"].get("type", {}).get("coding", [{}])[0].get("code") == "model-card"]
    assert len(shared) == 2 and all(statuses[i] == "200 OK" for i in shared)
    assert all(s == "201 Created" for i, s in enumerate(statuses) if i not in shared)
    assert [_locations(response)[i] for i in shared] == [locations[i] for i in shared]


@pytest.mark.parametrize("breakage", ["invalid status", "reference to a missing patient"])
def test_a_transaction_with_one_invalid_entry_leaves_nothing(ehr: HapiFhirServer, written, predicted,
                                                             breakage: str) -> None:
    before = _counts(ehr)
    bundle = _bundle(*predicted["synkinesis"], approved=True)
    last = bundle["entry"][-2]["resource"]  # the entry before the Provenance
    if breakage == "invalid status":
        last["status"] = "not-a-status"
    else:
        last["subject"] = {"reference": "Patient/no-such-patient"}
    response = _post(ehr, bundle)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert _counts(ehr) == before
    first = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    identifier = first["identifier"][0]
    assert _get(ehr, f"Observation?identifier={identifier['system']}|{identifier['value']}&_summary=count")[
        "total"] == 0
    assert re.match(r"[0-9a-f]{16}-[0-9a-f]{16}/", identifier["value"])
