"""Round trips against a real HAPI FHIR JPA server (R4, in-memory H2).

The write-back is one transaction Bundle with urn:uuid references and
conditional creates on business identifiers: it resolves every reference,
creates nothing twice when posted again, and is all-or-nothing.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
import requests

from conformance.fhir_server import HapiFhirServer
from conformance.validator import FhirValidator, errors
from tests.conformance.fhir_examples import (
    GRADED_WRITE_BACK,
    business_identifier,
    references,
    transaction,
)

pytestmark = pytest.mark.java

FHIR_JSON = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
RESOURCE_TYPES = ("Observation", "DiagnosticReport", "CarePlan", "Device", "DocumentReference", "Provenance")


def _get(server: HapiFhirServer, path: str) -> dict[str, Any]:
    response = requests.get(f"{server.base_url}/{path}", headers=FHIR_JSON, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _post(server: HapiFhirServer, bundle: dict[str, Any]) -> requests.Response:
    return requests.post(server.base_url, json=bundle, headers=FHIR_JSON, timeout=120)


def _count(server: HapiFhirServer, resource_type: str) -> int:
    return _get(server, f"{resource_type}?_summary=count")["total"]


def _counts(server: HapiFhirServer) -> dict[str, int]:
    return {t: _count(server, t) for t in RESOURCE_TYPES}


@pytest.fixture(scope="module")
def ehr(fhir_server: HapiFhirServer, examples: dict[str, Any]) -> HapiFhirServer:
    """The server with the patient and the clinician the EHR already has."""
    for rid in ("patient-graded", "example-clinician"):
        resource = examples[rid]
        response = requests.put(
            f"{fhir_server.base_url}/{resource['resourceType']}/{rid}", json=resource, headers=FHIR_JSON, timeout=60
        )
        assert response.status_code in (200, 201), response.text
    return fhir_server


@pytest.fixture(scope="module")
def written(ehr: HapiFhirServer, examples: dict[str, Any]) -> dict[str, str]:
    """Post the approved assessment once; return example id -> 'Type/server-id'."""
    response = _post(ehr, transaction(examples, GRADED_WRITE_BACK))
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["response"]["status"] for e in entries] == ["201 Created"] * len(GRADED_WRITE_BACK)
    return {
        rid: "/".join(e["response"]["location"].split("/")[:2]) for rid, e in zip(GRADED_WRITE_BACK, entries)
    }


def test_capability_statement_offers_transactions_and_conditional_create(fhir_server: HapiFhirServer) -> None:
    capability = _get(fhir_server, "metadata")
    assert capability["fhirVersion"] == "4.0.1"
    rest = capability["rest"][0]
    assert {"code": "transaction"} in rest["interaction"]
    by_type = {r["type"]: r for r in rest["resource"]}
    for resource_type in RESOURCE_TYPES:
        assert by_type[resource_type]["conditionalCreate"] is True


def test_transaction_resolves_every_reference(
    ehr: HapiFhirServer, written: dict[str, str], examples: dict[str, Any]
) -> None:
    ids = set(written.values())
    for rid, location in written.items():
        stored = _get(ehr, location)
        assert business_identifier(stored) == business_identifier(examples[rid])
        for reference in references(stored):
            assert not reference.startswith("urn:uuid:"), f"{location} kept the bundle-local reference {reference}"
            # Each reference points at a resource of this write or one the EHR had.
            assert reference in ids or reference in ("Patient/patient-graded", "Practitioner/example-clinician"), (
                f"{location} refers to {reference}"
            )
            _get(ehr, reference)
    report = _get(ehr, written["graded-report-final"])
    assert [r["reference"] for r in report["result"]] == [
        written[r["reference"].split("/")[1]] for r in examples["graded-report-final"]["result"]
    ]
    provenance = _get(ehr, written["graded-provenance"])
    assert provenance["agent"][0]["who"]["reference"] == written["fpcds-grading-model"]
    assert provenance["entity"][0]["what"]["reference"] == written["session-graded"]
    device = _get(ehr, written["fpcds-grading-model"])
    assert device["extension"][0]["valueReference"]["reference"] == written["fpcds-grading-model-card"]


def test_stored_resources_still_conform(
    ehr: HapiFhirServer, written: dict[str, str], fhir_validator: FhirValidator
) -> None:
    stored = [_get(ehr, location) for location in written.values()]
    found = errors(fhir_validator.validate(stored))
    assert not found, "\n".join(str(i) for i in found)


def test_posting_again_creates_nothing(ehr: HapiFhirServer, written: dict[str, str], examples: dict[str, Any]) -> None:
    before = _counts(ehr)
    # A retried approval: same content, new urn:uuids.
    response = _post(ehr, transaction(examples, GRADED_WRITE_BACK))
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    assert [e["response"]["status"] for e in entries] == ["200 OK"] * len(GRADED_WRITE_BACK)
    assert ["/".join(e["response"]["location"].split("/")[:2]) for e in entries] == list(written.values())
    assert _counts(ehr) == before
    for rid in GRADED_WRITE_BACK:
        found = business_identifier(examples[rid])
        if found is not None:
            system, value = found
            resource_type = examples[rid]["resourceType"]
            hits = _get(ehr, f"{resource_type}?identifier={system}|{value}&_summary=count")["total"]
            assert hits == 1, f"{rid}: {hits} copies"


def _fresh_copy(examples: dict[str, Any]) -> dict[str, Any]:
    """The examples with new business identifiers (a different assessment)."""
    assessment = str(uuid.uuid4())
    out = copy.deepcopy(examples)
    for resource in out.values():
        found = resource.get("identifier", [])
        for identifier in [found] if isinstance(found, dict) else found:  # QuestionnaireResponse: 0..1
            if identifier.get("system", "").endswith("/assessment-output"):
                identifier["value"] = assessment + "/" + identifier["value"].split("/", 1)[1]
    return out


@pytest.mark.parametrize(
    "breakage",
    ["reference to a missing patient", "invalid status code"],
)
def test_transaction_with_one_invalid_entry_leaves_nothing(
    ehr: HapiFhirServer, written: dict[str, str], examples: dict[str, Any], breakage: str
) -> None:
    before = _counts(ehr)
    fresh = _fresh_copy(examples)
    bundle = transaction(fresh, GRADED_WRITE_BACK)
    last = bundle["entry"][GRADED_WRITE_BACK.index("graded-care-plan-approved")]["resource"]
    if breakage == "reference to a missing patient":
        last["subject"] = {"reference": "Patient/no-such-patient"}
    else:
        last["status"] = "not-a-status"
    response = _post(ehr, bundle)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert _counts(ehr) == before
    system, value = business_identifier(bundle["entry"][GRADED_WRITE_BACK.index("graded-hb-grade")]["resource"])
    assert _get(ehr, f"Observation?identifier={system}|{value}&_summary=count")["total"] == 0
