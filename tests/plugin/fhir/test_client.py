"""The FHIR client against the sandbox EHR's FHIR endpoint (real server, real tokens)."""

from __future__ import annotations

import uuid

import pytest

from plugin.fhir.client import (FhirClient, FhirForbidden, FhirNotFound, FhirServerError, FhirUnauthorized,
                                FhirUnprocessable, FhirUnreachable)
from tests.plugin.helpers import Browser


@pytest.fixture(scope="module")
def tokens(stack):
    browser = Browser(stack)
    page = browser.launch(patient=1)
    return stack.app.extensions["fpcds"].sessions.tokens(browser.launch_path(page).split("/")[2])


@pytest.fixture
def client(stack, tokens):
    return FhirClient(stack.urls["fhir"], token=tokens.access_token, timeout=10)


def _observation(patient: str) -> dict:
    return {"resourceType": "Observation", "status": "preliminary", "code": {"text": "fpcds client test"},
            "subject": {"reference": f"Patient/{patient}"}, "valueString": "ok"}


def test_read_and_search_in_the_patient_compartment(client, tokens):
    patient = client.read("Patient", tokens.patient)
    assert patient["id"] == tokens.patient and patient["name"][0]["family"] == "Berg"
    observations = client.search("Observation", {"code:text": "House-Brackmann"})
    assert observations and all(o["subject"]["reference"].endswith(tokens.patient) for o in observations)
    conditions = client.search("Condition", {})
    assert [c["code"]["coding"][0]["code"] for c in conditions] == ["193093009"]


def test_capabilities(client):
    assert client.capabilities()["fhirVersion"] == "4.0.1"


def test_other_patient_is_forbidden(client, stack, tokens):
    other = stack.seeded.patients[0].id
    with pytest.raises(FhirForbidden, match="answered HTTP 403 to a read of Patient") as info:
        client.read("Patient", other)
    assert other not in str(info.value) and tokens.access_token not in str(info.value)
    with pytest.raises(FhirForbidden):
        client.search("Observation", {"patient": other})
    with pytest.raises(FhirForbidden):
        client.create(_observation(other))


def test_missing_and_bad_tokens_are_unauthorized(stack, tokens):
    with pytest.raises(FhirUnauthorized, match="answered HTTP 401 to a read of Patient"):
        FhirClient(stack.urls["fhir"], token=None, timeout=5).read("Patient", tokens.patient)
    with pytest.raises(FhirUnauthorized) as info:
        FhirClient(stack.urls["fhir"], token="forged-token", timeout=5).read("Patient", tokens.patient)
    assert info.value.status == 401 and "forged-token" not in str(info.value)


def test_not_found(client):
    with pytest.raises(FhirNotFound, match="answered HTTP 404 to a read of Observation") as info:
        client.read("Observation", "does-not-exist")
    assert info.value.outcome["resourceType"] == "OperationOutcome"


def test_unreachable():
    with pytest.raises(FhirUnreachable, match=r"the FHIR server http://127\.0\.0\.1:9/fhir cannot be reached for "
                                              r"a read of Patient \(ConnectionError\)"):
        FhirClient("http://127.0.0.1:9/fhir", token="t", timeout=2).read("Patient", "x")


def test_create_and_invalid_content(client, tokens):
    created = client.create(_observation(tokens.patient))
    assert created["id"] and created["status"] == "preliminary"
    bad = _observation(tokens.patient)
    bad["valueQuantity"] = {"value": "not a number"}  # a second value[x], of the wrong type
    with pytest.raises(FhirUnprocessable, match="answered HTTP 4.. to a create of Observation: ") as info:
        client.create(bad)
    assert info.value.outcome is not None


def test_transaction_with_conditional_create_is_idempotent(client, tokens):
    ident = f"urn:fpcds:test|{uuid.uuid4()}"
    obs = _observation(tokens.patient)
    obs["identifier"] = [{"system": ident.split("|")[0], "value": ident.split("|")[1]}]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{
        "fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": obs,
        "request": {"method": "POST", "url": "Observation", "ifNoneExist": f"identifier={ident}"}}]}
    first = client.transaction(bundle)
    second = client.transaction(bundle)
    assert first["type"] == "transaction-response"
    loc1 = first["entry"][0]["response"]["location"].split("/_history")[0]
    loc2 = second["entry"][0]["response"]["location"].split("/_history")[0]
    assert loc1 == loc2
    assert loc1.startswith(client.base_url + "/Observation/")  # upstream URLs rewritten to the EHR's base


def test_search_follows_next_pages_through_the_proxy(client, tokens):
    for n in range(5):
        client.create({**_observation(tokens.patient), "valueString": f"page test {n}"})
    one_page = client.search("Observation", {"code:text": "fpcds client test", "_count": "2"})
    assert len(one_page) == 2  # by default, the first page only
    every = client.search("Observation", {"code:text": "fpcds client test", "_count": "2"}, max_pages=50)
    assert len(every) >= 5 and len({o["id"] for o in every}) == len(every)
    assert {o["subject"]["reference"] for o in every} == {f"Patient/{tokens.patient}"}
    assert len(client.search("Observation", {"code:text": "fpcds client test", "_count": "2"}, max_pages=2)) == 4


def test_a_next_page_outside_the_fhir_base_is_not_followed():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            seen.append(self.headers.get("Authorization"))
            body = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": [],
                               "link": [{"relation": "next", "url": "http://elsewhere.example/fhir/Observation?p=2"}]})
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = FhirClient(f"http://127.0.0.1:{server.server_port}/fhir", token="secret-token", timeout=5)
        assert client.search("Observation", {}) == []  # one page asked: the link is not even looked at
        with pytest.raises(FhirServerError, match="next page outside its base; it was not followed"):
            client.search("Observation", {}, max_pages=3)
    finally:
        server.shutdown()
    assert seen == ["Bearer secret-token", "Bearer secret-token"]  # only ever sent to the FHIR base
