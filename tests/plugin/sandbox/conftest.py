"""Drive the sandbox authorization server directly, as a client app would."""

from __future__ import annotations

import secrets
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from plugin.smart.pkce import new_code_verifier, s256_challenge
from tests.plugin.helpers import query

SCOPE = "launch openid fhirUser online_access patient/Patient.r patient/Observation.crus"


class SandboxDriver:
    """Authorization and token requests against one stack's sandbox, with every parameter under test control."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.ehr = stack.urls["ehr"].rstrip("/")
        self.fhir = stack.urls["fhir"]
        self.redirect_uri = stack.urls["app"] + "callback"
        self.state = stack.sandbox.extensions["sandbox"].state
        self.token_url = f"{self.ehr}/auth/token"

    def new_launch(self, patient: int = 0, client_id: str | None = None) -> str:
        return self.state.new_launch(client_id=client_id or self.stack.client_id,
                                     patient=self.stack.seeded.patients[patient].id,
                                     user=self.stack.seeded.practitioner_id)

    def authorize(self, verifier: str, *, patient: int = 0, **changes) -> requests.Response:
        params = {"response_type": "code", "client_id": self.stack.client_id, "redirect_uri": self.redirect_uri,
                  "scope": SCOPE, "state": "st-" + secrets.token_urlsafe(24), "aud": self.fhir,
                  "launch": self.new_launch(patient), "code_challenge": s256_challenge(verifier),
                  "code_challenge_method": "S256"}
        params.update(changes)
        params = {k: v for k, v in params.items() if v is not None}
        return requests.get(f"{self.ehr}/auth/authorize", params=params, allow_redirects=False, timeout=10)

    def code(self, verifier: str, **changes) -> str:
        resp = self.authorize(verifier, **changes)
        assert resp.status_code == 302, resp.text
        q = query(resp.headers["Location"])
        assert "code" in q, q
        return q["code"]

    def assertion(self, **claims) -> str:
        """A private_key_jwt client assertion signed with the app's key (claims overridable)."""
        pem = (self.stack.workdir / "secrets" / "app-es384.pem").read_bytes()
        key = ECKey.import_key(pem)
        now = int(time.time())
        body = {"iss": self.stack.client_id, "sub": self.stack.client_id, "aud": self.token_url,
                "exp": now + 240, "iat": now, "jti": secrets.token_urlsafe(16)}
        body.update(claims)
        header = {"alg": "ES384", "kid": "fpcds-demo-es384", "typ": "JWT"}
        return jwt.encode(header, {k: v for k, v in body.items() if v is not None}, key, algorithms=["ES384"])

    def token(self, data: dict, *, client_auth: bool = True) -> requests.Response:
        form = dict(data)
        if client_auth:
            if self.stack.auth_method == "private_key_jwt":
                form.setdefault("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                form.setdefault("client_assertion", self.assertion())
            else:
                form.setdefault("client_id", self.stack.client_id)
        return requests.post(self.token_url, data=form, timeout=10)

    def exchange(self, code: str, verifier: str, **extra) -> requests.Response:
        return self.token({"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                           "code_verifier": verifier, **extra})

    def access_token(self, *, patient: int = 0, scope: str = SCOPE) -> dict:
        verifier = new_code_verifier()
        resp = self.exchange(self.code(verifier, patient=patient, scope=scope), verifier)
        assert resp.status_code == 200, resp.text
        return resp.json()


@pytest.fixture
def confidential(stack) -> SandboxDriver:
    return SandboxDriver(stack)


@pytest.fixture
def public(public_stack) -> SandboxDriver:
    return SandboxDriver(public_stack)
