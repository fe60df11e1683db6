"""The sandbox authorization server: SMART launch rules, PKCE S256, client authentication, refresh,
introspection."""

from __future__ import annotations

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from plugin.smart.pkce import new_code_verifier
from tests.plugin.helpers import query


def _error(resp) -> dict:
    assert resp.status_code == 302, resp.text
    return query(resp.headers["Location"])


def test_smart_configuration(confidential):
    doc = requests.get(confidential.fhir + "/.well-known/smart-configuration", timeout=5).json()
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"none", "private_key_jwt"}
    assert {"launch-ehr", "launch-standalone", "permission-v2", "context-banner"} <= set(doc["capabilities"])


def test_token_response_carries_launch_context(confidential, stack):
    body = confidential.access_token(patient=2)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["patient"] == stack.seeded.patients[2].id
    assert body["need_patient_banner"] is True
    assert body["refresh_token"]  # online_access requested
    keys = KeySet.import_key_set(requests.get(confidential.ehr + "/auth/jwks", timeout=5).json())
    claims = jwt.decode(body["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["aud"] == stack.client_id and claims["iss"] == confidential.ehr
    assert claims["fhirUser"] == f"{confidential.fhir}/Practitioner/{stack.seeded.practitioner_id}"


def test_no_refresh_token_without_online_or_offline_access(public):
    body = public.access_token(scope="launch patient/Patient.r")
    assert "refresh_token" not in body and "id_token" not in body


@pytest.mark.parametrize("changes, description", [
    ({"code_challenge": None, "code_challenge_method": None}, "Missing 'code_challenge': PKCE (S256) is required"),
    ({"code_challenge_method": "plain"}, "'code_challenge_method' must be S256"),
    ({"code_challenge": "short"}, "Invalid 'code_challenge'"),
    ({"aud": None}, "'aud' must be this server's FHIR base URL"),
    ({"aud": "https://evil.example/fhir"}, "'aud' must be this server's FHIR base URL"),
    ({"launch": "unknown"}, "'launch' is missing, unknown or expired"),
    ({"launch": None}, "'launch' is missing, unknown or expired"),
    ({"state": None}, "Missing 'state'"),
])
def test_authorize_refusals_redirect_with_error(public, changes, description):
    q = _error(public.authorize(new_code_verifier(), **changes))
    assert q["error"] == "invalid_request"
    assert q["error_description"] == description
    assert "code" not in q


def test_launch_of_another_client_is_refused(public, stack):
    other = public.new_launch(client_id="someone-else")
    q = _error(public.authorize(new_code_verifier(), launch=other))
    assert q["error_description"] == "'launch' is missing, unknown or expired"


def test_unregistered_redirect_uri_is_not_redirected_to(public):
    resp = public.authorize(new_code_verifier(), redirect_uri="https://evil.example/callback")
    assert resp.status_code == 400 and "Location" not in resp.headers
    assert resp.json()["error"] == "invalid_request"


def test_unknown_client_is_refused(public):
    resp = public.authorize(new_code_verifier(), client_id="nobody")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_wrong_or_missing_verifier_is_refused(public):
    verifier = new_code_verifier()
    resp = public.exchange(public.code(verifier), new_code_verifier())
    assert resp.status_code == 400 and resp.json() == {"error": "invalid_grant",
                                                       "error_description": "Code challenge failed."}
    resp = public.exchange(public.code(verifier), None)
    assert resp.status_code == 400 and resp.json()["error_description"] == "Missing 'code_verifier'"


def test_reused_code_is_refused_and_revokes_its_tokens(public, stack):
    verifier = new_code_verifier()
    code = public.code(verifier)
    first = public.exchange(code, verifier)
    assert first.status_code == 200
    token = first.json()["access_token"]
    patient = first.json()["patient"]
    read = lambda: requests.get(f"{public.fhir}/Patient/{patient}", headers={"Authorization": f"Bearer {token}"},
                                timeout=5)
    assert read().status_code == 200
    again = public.exchange(code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert read().status_code == 401


def test_public_client_must_name_itself(public):
    verifier = new_code_verifier()
    resp = public.exchange(public.code(verifier), verifier)
    assert resp.status_code == 200
    resp = public.token({"grant_type": "authorization_code", "code": public.code(verifier),
                         "redirect_uri": public.redirect_uri, "code_verifier": verifier}, client_auth=False)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_private_key_jwt_is_required_of_the_confidential_client(confidential):
    verifier = new_code_verifier()
    code = confidential.code(verifier)
    resp = confidential.token({"grant_type": "authorization_code", "code": code, "client_id": confidential.stack.client_id,
                               "redirect_uri": confidential.redirect_uri, "code_verifier": verifier},
                              client_auth=False)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


@pytest.mark.parametrize("claims, description", [
    ({"aud": "https://elsewhere.example/token"}, "aud"),
    ({"exp": int(time.time()) + 3600}, "client assertion lives longer than five minutes"),
    ({"exp": int(time.time()) - 600}, "expired"),
    ({"sub": "fpcds-demo", "iss": "other"}, "Issuer and Subject MUST match."),
    ({"jti": None}, "Missing JWT ID."),
])
def test_bad_client_assertions_are_refused(confidential, claims, description):
    verifier = new_code_verifier()
    resp = confidential.exchange(confidential.code(verifier), verifier,
                                 client_assertion=confidential.assertion(**claims))
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"
    assert description in resp.json()["error_description"]


def test_client_assertion_jti_is_single_use(confidential):
    assertion = confidential.assertion()
    verifier = new_code_verifier()
    assert confidential.exchange(confidential.code(verifier), verifier, client_assertion=assertion).status_code == 200
    resp = confidential.exchange(confidential.code(verifier), verifier, client_assertion=assertion)
    assert resp.status_code == 400 and resp.json()["error_description"] == "JWT ID is used before."


def test_client_assertion_with_hmac_is_refused(confidential):
    from joserfc.jwk import OctKey
    now = int(time.time())
    forged = jwt.encode({"alg": "HS256"}, {"iss": confidential.stack.client_id, "sub": confidential.stack.client_id,
                                           "aud": confidential.token_url, "exp": now + 60, "jti": "x"},
                        OctKey.import_key("k" * 32), algorithms=["HS256"])
    verifier = new_code_verifier()
    resp = confidential.exchange(confidential.code(verifier), verifier, client_assertion=forged)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_refresh_rotates_and_old_refresh_token_is_refused(confidential):
    first = confidential.access_token()
    refreshed = confidential.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["refresh_token"] != first["refresh_token"] and body["patient"] == first["patient"]
    reused = confidential.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_introspection(confidential):
    body = confidential.access_token(patient=1)
    resp = requests.post(confidential.ehr + "/auth/introspect", timeout=5, data={
        "token": body["access_token"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": confidential.assertion(aud=confidential.ehr + "/auth/token")})
    assert resp.status_code == 200
    info = resp.json()
    assert info["active"] is True and info["patient"] == body["patient"] and "patient/Patient.r" in info["scope"]
    resp = requests.post(confidential.ehr + "/auth/introspect", timeout=5, data={
        "token": "unknown", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": confidential.assertion()})
    assert resp.json() == {"active": False}


def test_standalone_picker_refuses_unknown_patient(public):
    q = _error(public.authorize(new_code_verifier(), launch=None,
                                scope="launch/patient openid patient/Patient.r", sandbox_patient="nobody"))
    assert q["error_description"] == "unknown patient chosen"
