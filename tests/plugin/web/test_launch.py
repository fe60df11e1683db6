"""SMART EHR and standalone launch against the sandbox EHR, and the negative cases an app
conformance suite checks: each is refused with a clear page and nothing is written."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest

from plugin.smart.errors import TokenExchangeError
from plugin.web.context import fhir_client

from plugin.smart.pkce import s256_challenge
from tests.plugin.helpers import Browser, error_code, page_message, query, with_query


def test_ehr_launch_opens_the_patient_with_banner(stack, counts):
    before = counts()
    page = Browser(stack).launch(patient=0)
    assert page.status_code == 200
    assert 'id="patient-name">Ana Souza<' in page.text
    assert "Born 1979-04-12" in page.text and "SB-1001" in page.text
    after = counts()
    assert after["launches"] == before["launches"] + 1
    assert after["pending_auth"] == before["pending_auth"]


def test_authorization_request_is_smart_conformant(stack):
    browser = Browser(stack)
    launch_url = browser.app_launch_url(1)
    url = browser.authorize_url(launch_url)
    q = query(url)
    assert url.startswith(stack.urls["ehr"] + "auth/authorize?")
    assert q["response_type"] == "code"
    assert q["client_id"] == stack.client_id
    assert q["redirect_uri"] == stack.urls["app"] + "callback"
    assert q["aud"] == stack.urls["fhir"]  # aud = iss
    assert q["launch"] == query(launch_url)["launch"]
    assert q["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"])
    assert len(q["state"]) >= 43  # 256 random bits, URL-safe: well over SMART's 122
    scopes = q["scope"].split()
    assert "launch" in scopes and "openid" in scopes and "fhirUser" in scopes
    assert "patient/Patient.r" in scopes and "patient/Observation.crus" in scopes


def test_each_launch_gets_fresh_state_and_challenge(stack):
    browser = Browser(stack)
    first = query(browser.authorize_url(browser.app_launch_url(0)))
    second = query(browser.authorize_url(browser.app_launch_url(0)))
    assert first["state"] != second["state"]
    assert first["code_challenge"] != second["code_challenge"]


def test_standalone_launch_with_patient_picker(stack):
    browser = Browser(stack)
    authorize = browser.authorize_url(stack.urls["launch"] + "?iss=" + stack.urls["fhir"])
    q = query(authorize)
    assert "launch" not in q and "launch/patient" in q["scope"].split()
    picker = browser.get(authorize)
    assert picker.status_code == 200 and "asks for a patient" in picker.text
    chosen = stack.seeded.patients[3].id
    resp = browser.get(with_query(authorize, sandbox_patient=chosen))
    assert resp.status_code == 302
    page = browser.follow(resp.headers["Location"])
    assert page.status_code == 200 and "Samuel Okafor" in page.text


def test_public_client_launch(public_stack):
    browser = Browser(public_stack)
    page = browser.launch(patient=2)
    assert page.status_code == 200 and "Mei Tanaka" in page.text


def test_state_mismatch_is_refused(stack, counts):
    browser = Browser(stack)
    callback = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    before = counts()
    resp = browser.get(with_query(callback, state="x" * 43))
    assert resp.status_code == 400 and error_code(resp) == "state_mismatch"
    assert "does not belong to a launch started in this browser" in page_message(resp)
    assert "Nothing was saved or sent" in resp.text
    assert counts()["launches"] == before["launches"]


def test_missing_state_is_refused(stack, counts):
    browser = Browser(stack)
    callback = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    before = counts()
    resp = browser.get(with_query(callback, state=None))
    assert error_code(resp) == "state_mismatch"
    assert counts()["launches"] == before["launches"]


def test_state_from_another_browser_is_refused(stack, counts):
    victim, attacker = Browser(stack), Browser(stack)
    callback = victim.callback_url(victim.authorize_url(victim.app_launch_url(0)))
    before = counts()
    resp = attacker.get(callback)
    assert resp.status_code == 400 and error_code(resp) == "state_mismatch"
    assert counts()["launches"] == before["launches"]
    # the state was consumed: the victim's own callback no longer works either (single use)
    assert error_code(victim.get(callback)) == "state_mismatch"


def test_replayed_callback_is_refused(stack, counts):
    browser = Browser(stack)
    callback = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    assert browser.get(callback).status_code == 303
    before = counts()
    resp = browser.get(callback)
    assert resp.status_code == 400 and error_code(resp) == "state_mismatch"
    assert counts()["launches"] == before["launches"]


def test_reused_code_is_refused(stack, counts):
    browser = Browser(stack)
    first = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    assert browser.get(first).status_code == 303
    second = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    before = counts()
    resp = browser.get(with_query(second, code=query(first)["code"]))
    assert resp.status_code == 502 and error_code(resp) == "token_exchange_failed"
    assert "invalid_grant" in page_message(resp)
    assert counts()["launches"] == before["launches"]


@pytest.mark.parametrize("tamper, expected", [
    ({"code_challenge": None, "code_challenge_method": None}, "PKCE (S256) is required"),
    ({"code_challenge_method": "plain"}, "must be S256"),
    ({"code_challenge_method": None}, "must be S256"),
    ({"aud": "https://other.example/fhir"}, "'aud' must be this server's FHIR base URL"),
    ({"launch": "not-a-launch"}, "'launch' is missing, unknown or expired"),
])
def test_ehr_refusals_reach_the_app_as_clear_pages(stack, counts, tamper, expected):
    browser = Browser(stack)
    authorize = browser.authorize_url(browser.app_launch_url(0))
    refused = browser.get(with_query(authorize, **tamper))
    assert refused.status_code == 302
    location = refused.headers["Location"]
    assert location.startswith(stack.urls["app"] + "callback?")
    assert query(location)["error"] == "invalid_request"
    before = counts()
    resp = browser.get(location)
    assert resp.status_code == 403 and error_code(resp) == "authorization_denied"
    assert expected in page_message(resp)
    assert counts()["launches"] == before["launches"]


def test_pkce_verifier_matches_the_challenge_sent(stack):
    # the sandbox only issues tokens when S256(verifier) == challenge: a completed launch proves it
    browser = Browser(stack)
    authorize = browser.authorize_url(browser.app_launch_url(4))
    assert len(query(authorize)["code_challenge"]) == len(s256_challenge("x" * 43))
    assert browser.follow(browser.callback_url(authorize)).status_code == 200


def test_unknown_iss_is_refused_before_anything_is_stored(stack, counts):
    before = counts()
    resp = Browser(stack).get(stack.urls["launch"] + "?iss=https://ehr.evil.example/fhir&launch=abc")
    assert resp.status_code == 400 and error_code(resp) == "unknown_iss"
    assert "'https://ehr.evil.example/fhir' is not registered" in page_message(resp)
    assert counts() == before


def test_launch_without_iss_is_refused(stack, counts):
    before = counts()
    resp = Browser(stack).get(stack.urls["launch"] + "?launch=abc")
    assert resp.status_code == 400 and error_code(resp) == "bad_launch"
    assert "has no 'iss'" in page_message(resp)
    assert counts() == before


def test_narrower_scope_grant_is_refused(stack, counts, policy):
    policy.withhold_scopes = {"patient/Observation.crus"}
    before = counts()
    resp = Browser(stack).launch(patient=0)
    assert resp.status_code == 403 and error_code(resp) == "insufficient_scope"
    assert "not granted: patient/Observation.cs" in page_message(resp)
    assert counts()["launches"] == before["launches"]


def test_optional_scope_withheld_is_accepted(stack, policy):
    policy.withhold_scopes = {"patient/Condition.rs"}
    assert Browser(stack).launch(patient=0).status_code == 200


def test_expired_token_shows_clear_page(stack, counts, policy):
    policy.token_lifetime_s = 1  # expired on arrival (refresh margin 5 s)
    policy.withhold_scopes = {"online_access"}  # so no refresh token
    browser = Browser(stack)
    callback = browser.callback_url(browser.authorize_url(browser.app_launch_url(1)))
    before = counts()
    resp = browser.follow(callback)
    assert resp.status_code == 401 and error_code(resp) == "token_expired"
    assert "the EHR session of this launch has expired; open fpcds again from the patient's chart" in page_message(resp)
    after = counts()
    assert after["assessments"] == before["assessments"] and after["launches"] == before["launches"] + 1


def _age_tokens(stack, browser, page) -> str:
    """Make the app's stored access token of this launch look expired (as if time had passed)."""
    svc = stack.app.extensions["fpcds"]
    launch_id = browser.launch_path(page).split("/")[2]
    tokens = svc.sessions.tokens(launch_id)
    svc.sessions.store_tokens(launch_id, dataclasses.replace(tokens, expires_at=time.time() - 1))
    return launch_id


def test_work_continues_and_is_kept_after_token_expiry(stack, policy, session_file):
    policy.withhold_scopes = {"online_access"}  # so no refresh token
    browser = Browser(stack)
    home = browser.launch(patient=1)
    assert home.status_code == 200 and 'id="ehr-expired"' not in home.text
    _age_tokens(stack, browser, home)
    summary = browser.upload(home, "after-expiry.fpcds", session_file)
    assert summary.status_code == 200
    assert 'id="ehr-expired"' in summary.text and "Nothing is lost" in summary.text
    # relaunching for the same patient finds the imported session again
    policy.withhold_scopes = set()
    again = browser.launch(patient=1)
    assert "after-expiry.fpcds" in again.text and 'id="ehr-expired"' not in again.text


def test_token_rejected_by_the_ehr_shows_clear_page(stack, counts):
    browser = Browser(stack)
    callback = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    landing = browser.get(callback)
    assert landing.status_code == 303
    launch_id = landing.headers["Location"].split("/")[2]
    access = stack.app.extensions["fpcds"].sessions.tokens(launch_id).access_token
    stack.sandbox.extensions["sandbox"].state.token(access).revoked = True
    before = counts()
    resp = browser.follow(landing.headers["Location"])
    assert resp.status_code == 401 and error_code(resp) == "fhir_unauthorized"
    assert "the EHR rejected fpcds's access token (expired or revoked)" in page_message(resp)
    assert counts() == before


def test_expired_token_is_refreshed_once_and_rotated(stack):
    browser = Browser(stack)
    page = browser.launch(patient=0)
    assert page.status_code == 200
    svc = stack.app.extensions["fpcds"]
    launch_id = _age_tokens(stack, browser, page)
    first = svc.sessions.tokens(launch_id)
    assert first.refresh_token
    with stack.app.test_request_context():
        client = fhir_client(svc.sessions.launch(launch_id))
        assert client.read("Patient", first.patient)["id"] == first.patient
    second = svc.sessions.tokens(launch_id)
    assert second.access_token != first.access_token and not second.expired()
    assert second.refresh_token and second.refresh_token != first.refresh_token
    assert second.patient == first.patient
    # the sandbox refuses the old refresh token: it was used once and must never be used again
    with pytest.raises(TokenExchangeError, match="invalid_grant"):
        svc.smart_client(svc.config.tenants[0]).refresh(first)


def test_banner_only_when_the_ehr_asks(stack, policy):
    policy.need_patient_banner = False
    page = Browser(stack).launch(patient=0)
    assert page.status_code == 200 and 'id="patient-name"' not in page.text


@pytest.fixture
def plain_pkce_ehr():
    """An EHR whose SMART configuration offers only PKCE 'plain'."""
    from flask import Flask, jsonify

    from plugin.sandbox.serving import ServerThread

    server = ServerThread()
    app = Flask("plain-ehr")

    @app.get("/fhir/.well-known/smart-configuration")
    def config():
        return jsonify({"authorization_endpoint": f"{server.url}/auth", "token_endpoint": f"{server.url}/token",
                        "code_challenge_methods_supported": ["plain"]})

    server.serve(app)
    yield f"{server.url}/fhir"
    server.stop()


def test_ehr_without_s256_is_refused_before_any_redirect(tmp_path, plain_pkce_ehr):
    from plugin.app import create_app
    from tests.plugin.helpers import app_settings

    app = create_app(app_settings(tmp_path, iss=plain_pkce_ehr, public_url="http://127.0.0.1:5000"))
    svc = app.extensions["fpcds"]
    before = svc.sessions.counts()
    resp = app.test_client().get(f"/launch?iss={plain_pkce_ehr}&launch=abc")
    assert resp.status_code == 502
    text = resp.get_data(as_text=True)
    assert 'data-error-code="discovery_failed"' in text
    assert "does not offer PKCE S256 (code_challenge_methods_supported: plain); fpcds only launches with S256" in text
    assert "Location" not in resp.headers
    assert svc.sessions.counts() == before
