"""The SMART OAuth client: authorization URL, private_key_jwt assertions, token errors."""

from __future__ import annotations

import time

import pytest
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from plugin.config import SigningKey, Tenant
from plugin.smart.client import ASSERTION_LIFETIME_S, SmartClient, SmartPrivateKeyJWT
from plugin.smart.discovery import parse_smart_configuration
from plugin.smart.errors import TokenExchangeError
from plugin.smart.keys import generate_pem, private_jwk, public_jwks
from plugin.smart.pkce import new_code_verifier, new_state, s256_challenge
from plugin.smart.scopes import REQUESTED_SCOPES, REQUIRED_SCOPES
from plugin.smart.tokens import TokenSet
from tests.plugin.helpers import query

ISS = "https://ehr.example/fhir"
SMART = parse_smart_configuration(ISS, {
    "authorization_endpoint": "https://ehr.example/auth", "token_endpoint": "https://ehr.example/token",
    "code_challenge_methods_supported": ["S256"], "capabilities": ["permission-v2"]})


def _tenant(method="public", key_id=None) -> Tenant:
    return Tenant("EHR", ISS, "fpcds", method, key_id, (), REQUESTED_SCOPES, REQUIRED_SCOPES)


def test_authorization_url():
    client = SmartClient(_tenant(), SMART, redirect_uri="https://app.example/callback", signing_key=None, timeout=5)
    verifier, state = new_code_verifier(), new_state()
    scope = " ".join(client.scopes(standalone=False))
    q = query(client.authorization_url(state=state, code_verifier=verifier, scope=scope, launch="L1"))
    assert q == {"response_type": "code", "client_id": "fpcds", "redirect_uri": "https://app.example/callback",
                 "scope": scope, "state": state, "code_challenge": s256_challenge(verifier),
                 "code_challenge_method": "S256", "aud": ISS, "launch": "L1"}


def test_random_values():
    assert len({new_state() for _ in range(50)}) == 50
    verifier = new_code_verifier()
    assert 43 <= len(verifier) <= 128
    # RFC 7636 appendix B example
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_v1_scopes_for_v1_servers():
    v1 = parse_smart_configuration(ISS, {**SMART.raw, "capabilities": ["permission-v1"]})
    client = SmartClient(_tenant(), v1, redirect_uri="https://app.example/callback", signing_key=None, timeout=5)
    scopes = client.scopes(standalone=True)
    assert "launch/patient" in scopes and "patient/Observation.write" in scopes
    assert not any(s.endswith((".r", ".cu", ".crus")) for s in scopes)


def test_private_key_jwt_needs_a_key():
    with pytest.raises(ValueError, match="uses private_key_jwt but no signing key was given"):
        SmartClient(_tenant("private_key_jwt", "k"), SMART, redirect_uri="x", signing_key=None, timeout=5)


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_client_assertion_claims(alg):
    key = SigningKey("kid-1", alg, generate_pem(alg))
    auth = SmartPrivateKeyJWT(SMART.token_endpoint, key=key)
    session = OAuth2Session(client_id="fpcds", client_secret=private_jwk(key))
    assertions = [auth.sign(session, SMART.token_endpoint) for _ in range(2)]
    keys = KeySet.import_key_set(public_jwks((key,)))
    decoded = [jwt.decode(a, keys, algorithms=[alg]) for a in assertions]
    header, claims = decoded[0].header, decoded[0].claims
    assert header["alg"] == alg and header["kid"] == "kid-1"
    assert claims["iss"] == claims["sub"] == "fpcds"
    assert claims["aud"] == SMART.token_endpoint
    assert 0 < claims["exp"] - time.time() <= ASSERTION_LIFETIME_S
    assert decoded[0].claims["jti"] != decoded[1].claims["jti"]


def test_public_jwks_has_no_private_parts():
    keys = (SigningKey("a", "ES384", generate_pem("ES384")), SigningKey("b", "RS384", generate_pem("RS384")))
    jwks = public_jwks(keys)
    assert [k["kid"] for k in jwks["keys"]] == ["a", "b"]
    for k in jwks["keys"]:
        assert "d" not in k and k["key_ops"] == ["verify"] and k["use"] == "sig"


def test_token_endpoint_unreachable():
    smart = parse_smart_configuration("http://127.0.0.1:9/fhir", {
        "authorization_endpoint": "http://127.0.0.1:9/auth", "token_endpoint": "http://127.0.0.1:9/token",
        "code_challenge_methods_supported": ["S256"]})
    client = SmartClient(_tenant(), smart, redirect_uri="https://app.example/callback", signing_key=None, timeout=2)
    with pytest.raises(TokenExchangeError, match=r"token endpoint cannot be reached \(ConnectionError\)"):
        client.exchange_code(code="c", code_verifier=new_code_verifier(), scope="openid")


def test_refresh_without_refresh_token():
    client = SmartClient(_tenant(), SMART, redirect_uri="x", signing_key=None, timeout=2)
    with pytest.raises(TokenExchangeError, match="there is no refresh token for this launch"):
        client.refresh(TokenSet(access_token="a", expires_at=0, scope=()))


def test_refresh_against_the_sandbox_rotates_the_token(public_stack):
    from tests.plugin.helpers import Browser
    browser = Browser(public_stack)
    page = browser.launch(patient=0)
    svc = public_stack.app.extensions["fpcds"]
    launch_id = browser.launch_path(page).split("/")[2]
    old = svc.sessions.tokens(launch_id)
    client = svc.smart_client(svc.config.tenants[0])
    new = client.refresh(old)
    assert new.access_token != old.access_token
    assert new.refresh_token and new.refresh_token != old.refresh_token
    assert new.patient == old.patient and new.scope == old.scope
    with pytest.raises(TokenExchangeError, match="invalid_grant"):
        client.refresh(old)
