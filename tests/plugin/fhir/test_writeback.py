"""Write-back against a real FHIR server (sekmet-fhir): complete, once, atomic, and honest about what it did."""

from __future__ import annotations

import copy

import pytest
import requests

from plugin.fhir.client import FhirClient, FhirUnprocessable, FhirUnreachable
from plugin.fhir.errors import FhirMappingError
from plugin.fhir.mapping import Approval, assessment_bundle
from plugin.fhir.writeback import WriteResult, find_written, supports_transaction, write_bundle
from plugin.sandbox.fhir_server import FhirServerProcess, free_port
from tests.models.assessment_cases import make_assessment, simulated_table

APPROVAL = Approval("Practitioner/dr-1", "2030-01-01T09:00:00+00:00")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with FhirServerProcess(tmp_path_factory.mktemp("writeback-fhir")) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    return FhirClient(server.base_url, token=None, timeout=30)


@pytest.fixture(scope="module")
def palsy():
    table = simulated_table("bell", days_since_onset=3.0)
    return table, make_assessment(table, grade="III", synkinesis=0.2)


def _patient(server) -> str:
    resp = requests.post(f"{server.base_url}/Patient", json={"resourceType": "Patient", "name": [{"family": "Test"}]},
                         headers={"Content-Type": "application/fhir+json"}, timeout=10)
    resp.raise_for_status()
    return resp.json()["id"]


def _bundle(palsy, patient: str) -> dict:
    table, assessment = palsy
    return assessment_bundle(assessment, patient=patient, features=table, approval=APPROVAL)


def _count(server, rtype: str, **params) -> int:
    resp = requests.get(f"{server.base_url}/{rtype}", params={**params, "_summary": "count"}, timeout=10)
    return resp.json()["total"]


def test_server_capabilities_offer_transactions(client):
    assert supports_transaction(client.capabilities())
    assert not supports_transaction({"rest": [{"mode": "server", "interaction": [{"code": "batch"}]}]})


def test_transaction_writes_everything_once_and_a_retry_writes_nothing(server, client, palsy):
    patient = _patient(server)
    bundle = _bundle(palsy, patient)
    first = write_bundle(client, bundle)
    assert first.mode == "transaction"
    assert first.created == len(bundle["entry"])
    assert [r.resource_type for r in first.resources] == [e["resource"]["resourceType"] for e in bundle["entry"]]
    report = next(r for r in first.resources if r.resource_type == "DiagnosticReport")
    assert report.title == "Facial palsy assessment report"
    assert {r.title for r in first.resources if r.resource_type == "Provenance"} == {"Provenance"}
    stored = client.read("DiagnosticReport", report.id)
    assert stored["status"] == "final" and stored["subject"]["reference"] == f"Patient/{patient}"
    assert all(ref["reference"].startswith("Observation/") for ref in stored["result"])  # urn:uuid resolved

    again = write_bundle(client, bundle)
    assert again.mode == "already-written" and again.created == 0
    assert [r.reference for r in again.resources] == [r.reference for r in first.resources]
    assert _count(server, "Provenance", target=report.reference) == 1
    assert _count(server, "DiagnosticReport", patient=f"Patient/{patient}") == 1
    assert WriteResult.from_dict(first.to_dict()) == first


def test_a_rejected_transaction_writes_nothing(server, client, palsy):
    patient = _patient(server)
    bundle = _bundle(palsy, patient)
    broken = copy.deepcopy(bundle)
    observation = next(e for e in broken["entry"] if e["resource"]["resourceType"] == "Observation")
    observation["resource"]["subject"] = "not a Reference"
    with pytest.raises(FhirUnprocessable):
        write_bundle(client, broken)
    assert _count(server, "Observation", patient=f"Patient/{patient}") == 0
    assert _count(server, "DiagnosticReport", patient=f"Patient/{patient}") == 0
    assert find_written(client, bundle) is None


def test_sequential_creates_resolve_references_and_complete_an_interrupted_write(server, client, palsy):
    patient = _patient(server)
    bundle = _bundle(palsy, patient)
    n = len(bundle["entry"])
    broken = copy.deepcopy(bundle)
    broken["entry"][n // 2]["resource"]["effectiveDateTime"] = {"not": "a date"}  # refused half-way
    with pytest.raises(FhirUnprocessable):
        write_bundle(client, broken, mode="sequential")
    assert find_written(client, bundle) is None  # no report, no Provenance yet

    done = write_bundle(client, bundle, mode="sequential")
    assert done.mode == "sequential"
    assert done.created == n - n // 2  # the entries before the failure were kept, not duplicated
    provenance = client.read("Provenance", done.resources[-1].id)
    report = next(r for r in done.resources if r.resource_type == "DiagnosticReport")
    assert {"reference": report.reference} in provenance["target"]
    assert all(not t["reference"].startswith("urn:") for t in provenance["target"])

    repeat = write_bundle(client, bundle, mode="sequential", check_first=False)
    assert repeat.created == 0  # every step is conditional, the Provenance's target included
    assert [r.reference for r in repeat.resources] == [r.reference for r in done.resources]


def test_the_same_session_for_two_patients_never_links_their_records(server, client, palsy):
    a, b = _patient(server), _patient(server)
    first = write_bundle(client, _bundle(palsy, a))
    second = write_bundle(client, _bundle(palsy, b))
    shared = {r.reference for r in first.resources} & {r.reference for r in second.resources}
    kinds = {ref.split("/")[0] for ref in shared}
    assert kinds == {"Device", "DocumentReference"}  # the model set's Device and model card only
    for r in second.resources:
        if r.resource_type in ("Observation", "DiagnosticReport", "CarePlan"):
            assert client.read(r.resource_type, r.id)["subject"]["reference"] == f"Patient/{b}"


def test_bad_bundles_and_unreachable_servers_are_named(client, palsy):
    with pytest.raises(FhirMappingError, match="needs a transaction Bundle"):
        write_bundle(client, {"resourceType": "Bundle", "type": "batch", "entry": []})
    bundle = _bundle(palsy, "p-1")
    del bundle["entry"][0]["request"]["ifNoneExist"]
    with pytest.raises(FhirMappingError, match="entry 0 is not a conditional create"):
        write_bundle(client, bundle)
    with pytest.raises(ValueError, match="write mode 'fast'"):
        write_bundle(client, _bundle(palsy, "p-1"), mode="fast")
    down = FhirClient(f"http://127.0.0.1:{free_port()}/fhir", token=None, timeout=2)
    with pytest.raises(FhirUnreachable, match="cannot be reached"):
        write_bundle(down, _bundle(palsy, "p-1"))
