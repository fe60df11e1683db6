"""Token responses and id_token verification."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt

from plugin.smart.errors import IdTokenError, TokenExchangeError
from plugin.smart.tokens import TokenSet, parse_token_response, verify_id_token


def _body(**changes):
    body = {"access_token": "AT", "token_type": "Bearer", "expires_in": 300, "scope": "launch patient/Patient.r",
            "patient": "p1", "encounter": "e1", "need_patient_banner": True, "refresh_token": "RT",
            "fhirContext": [{"reference": "Encounter/e1"}]}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_parse_full_response():
    tokens = parse_token_response(_body(), requested_scope="ignored", now=1000.0)
    assert tokens.access_token == "AT" and tokens.refresh_token == "RT"
    assert tokens.expires_at == 1300.0
    assert tokens.scope == ("launch", "patient/Patient.r")
    assert tokens.patient == "p1" and tokens.encounter == "e1" and tokens.need_patient_banner
    assert tokens.fhir_context == ({"reference": "Encounter/e1"},)
    assert tokens.expired(now=1296.0, margin_s=5) and not tokens.expired(now=1290.0, margin_s=5)


def test_scope_defaults_to_the_request():
    assert parse_token_response(_body(scope=None), requested_scope="a b").scope == ("a", "b")


@pytest.mark.parametrize("changes, message", [
    ({"access_token": None}, "has no access_token"),
    ({"token_type": "mac"}, "token_type 'mac'; expected Bearer"),
    ({"expires_in": -1}, "expires_in -1; expected a positive number of seconds"),
    ({"expires_in": "soon"}, "expires_in 'soon'"),
    ({"patient": 5}, "patient that is not a string id"),
    ({"fhirContext": "Encounter/1"}, "fhirContext that is not a list of objects"),
    ({"refresh_token": ""}, "empty or non-string refresh_token"),
])
def test_bad_responses(changes, message):
    with pytest.raises(TokenExchangeError, match=message):
        parse_token_response(_body(**changes), requested_scope="")


def test_refresh_response_keeps_launch_context():
    first = parse_token_response(_body(), requested_scope="")
    second = parse_token_response({"access_token": "AT2", "token_type": "bearer", "expires_in": 60},
                                  requested_scope="launch", previous=first)
    assert second.patient == "p1" and second.encounter == "e1" and second.need_patient_banner
    assert second.refresh_token is None


def test_json_round_trip_and_repr():
    tokens = parse_token_response(_body(), requested_scope="")
    assert TokenSet.from_json(tokens.to_json()) == tokens
    assert "AT" not in repr(tokens) and "RT" not in repr(tokens)


def _id_token(stack, **claims):
    auth = stack.sandbox.extensions["sandbox"].auth
    now = int(time.time())
    base = {"iss": auth.issuer, "sub": "u", "aud": stack.client_id, "iat": now, "exp": now + 60,
            "fhirUser": "Practitioner/1"}
    base.update(claims)
    return jwt.encode({"alg": "RS256", "kid": auth.id_key.kid}, base, auth.id_key, algorithms=["RS256"]), auth


def test_id_token_verifies_against_the_ehr_jwks(stack):
    token, auth = _id_token(stack)
    claims = verify_id_token(token, jwks_uri=auth.jwks_url, issuer=auth.issuer, client_id=stack.client_id, timeout=5)
    assert claims["fhirUser"] == "Practitioner/1"


@pytest.mark.parametrize("claims, message", [
    ({"aud": "someone-else"}, "the id_token does not verify"),
    ({"iss": "https://evil.example"}, "the id_token does not verify"),
    ({"exp": int(time.time()) - 3600}, "the id_token does not verify"),
])
def test_id_token_refusals(stack, claims, message):
    token, auth = _id_token(stack, **claims)
    with pytest.raises(IdTokenError, match=message):
        verify_id_token(token, jwks_uri=auth.jwks_url, issuer=auth.issuer, client_id=stack.client_id, timeout=5)


def test_id_token_signed_by_another_key(stack):
    from joserfc.jwk import RSAKey
    other = RSAKey.generate_key(2048, parameters={"kid": "other"}, private=True)
    auth = stack.sandbox.extensions["sandbox"].auth
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": "other"}, {"iss": auth.issuer, "aud": stack.client_id, "exp": now + 60},
                       other, algorithms=["RS256"])
    with pytest.raises(IdTokenError, match="the id_token does not verify"):
        verify_id_token(token, jwks_uri=auth.jwks_url, issuer=auth.issuer, client_id=stack.client_id, timeout=5)


def test_id_token_keys_unreachable():
    with pytest.raises(IdTokenError, match=r"signing keys \(http://127\.0\.0\.1:9/jwks\) cannot be loaded"):
        verify_id_token("a.b.c", jwks_uri="http://127.0.0.1:9/jwks", issuer=None, client_id="c", timeout=2)
