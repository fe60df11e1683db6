"""The sandbox FHIR endpoint: bearer tokens, scopes and the patient compartment in front of sekmet-fhir."""

from __future__ import annotations

import uuid

import requests

from plugin.sandbox.fhir_proxy import OAUTH_URIS


def _get(driver, path, token=None, **params):
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{driver.fhir}/{path}", params=params, headers=headers, timeout=10)


def _post(driver, path, body, token):
    return requests.post(f"{driver.fhir}/{path}" if path else driver.fhir, json=body, timeout=10,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json"})


def _obs(patient):
    return {"resourceType": "Observation", "status": "final", "code": {"text": "proxy test"},
            "subject": {"reference": f"Patient/{patient}"}}


def test_metadata_is_public_and_names_the_oauth_endpoints(public):
    meta = _get(public, "metadata").json()
    ext = meta["rest"][0]["security"]["extension"][0]
    assert ext["url"] == OAUTH_URIS
    assert {e["url"]: e["valueUri"] for e in ext["extension"]}["token"] == public.token_url


def test_bearer_token_required(public):
    resp = _get(public, f"Patient/{public.stack.seeded.patients[0].id}")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = _get(public, f"Patient/{public.stack.seeded.patients[0].id}", token="nope")
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_scopes_are_enforced(public):
    token = public.access_token(scope="launch patient/Patient.r")["access_token"]
    resp = _get(public, "Observation", token)
    assert resp.status_code == 403 and 'error="insufficient_scope"' in resp.headers["WWW-Authenticate"]
    assert resp.json()["issue"][0]["diagnostics"] == "the token's scopes do not allow 's' on Observation"


def test_v1_scopes_are_understood(public):
    body = public.access_token(patient=1, scope="launch patient/Patient.read patient/Observation.read")
    assert _get(public, f"Patient/{body['patient']}", body["access_token"]).status_code == 200
    assert _get(public, "Observation", body["access_token"]).status_code == 200
    assert _post(public, "Observation", _obs(body["patient"]), body["access_token"]).status_code == 403


def test_patient_compartment(public):
    body = public.access_token(patient=1, scope="launch patient/Patient.rs patient/Observation.crus")
    token, patient = body["access_token"], body["patient"]
    other = public.stack.seeded.patients[0].id
    bundle = _get(public, "Observation", token).json()
    assert bundle["entry"] and all(e["resource"]["subject"]["reference"] == f"Patient/{patient}" for e in bundle["entry"])
    assert _get(public, "Observation", token, patient=other).status_code == 403
    assert _get(public, f"Patient/{other}", token).status_code == 403
    assert [e["resource"]["id"] for e in _get(public, "Patient", token).json()["entry"]] == [patient]
    assert _post(public, "Observation", _obs(other), token).status_code == 403
    created = _post(public, "Observation", _obs(patient), token)
    assert created.status_code == 201
    assert created.headers["Location"].startswith(public.fhir + "/Observation/")


def test_transactions_are_checked_entry_by_entry(public):
    body = public.access_token(patient=1)
    token, patient = body["access_token"], body["patient"]
    other = public.stack.seeded.patients[0].id

    def tx(*resources):
        return {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": r,
             "request": {"method": "POST", "url": r["resourceType"]}} for r in resources]}

    assert _post(public, "", tx(_obs(patient), _obs(other)), token).status_code == 403
    ok = _post(public, "", tx(_obs(patient), _obs(patient)), token)
    assert ok.status_code == 200 and len(ok.json()["entry"]) == 2
    assert _post(public, "", {"resourceType": "Patient"}, token).status_code == 400


def test_user_scopes_reach_other_patients(public):
    body = public.access_token(patient=1, scope="launch user/Patient.rs")
    other = public.stack.seeded.patients[0].id
    assert _get(public, f"Patient/{other}", body["access_token"]).status_code == 200


def test_fhir_store_down_gives_503(public, public_stack):
    token = public.access_token()["access_token"]
    proxy = public_stack.sandbox.extensions["sandbox"].proxy
    upstream, proxy.upstream = proxy.upstream, "http://127.0.0.1:9/fhir"
    try:
        resp = _get(public, "Observation", token)
    finally:
        proxy.upstream = upstream
    assert resp.status_code == 503 and resp.json()["issue"][0]["code"] == "transient"
