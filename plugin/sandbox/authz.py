"""The sandbox EHR's SMART authorization server, built on Authlib's OAuth 2 server components.

Endpoints (under the sandbox's public URL):

* ``/auth/authorize``: authorization code flow with PKCE **S256 only**
  (missing challenge, missing method or ``plain`` are refused), ``aud`` must
  be the sandbox FHIR base, ``launch`` must name a live launch context for
  this client (EHR launch); with ``launch/patient`` and no launch, a patient
  picker is shown (standalone launch).
* ``/auth/token``: code exchange and refresh; public clients (``none``) and
  ``private_key_jwt`` (RS384/ES384, ``aud`` = token URL, at most five minutes,
  ``jti`` never reused, keys from the client's JWKS URL). A code is single
  use (a second use revokes what it issued); refresh tokens are rotated.
  The response carries ``patient``, ``encounter``, ``need_patient_banner``,
  ``smart_style_url`` and, with ``openid fhirUser``, a signed ``id_token``.
* ``/auth/introspect``: RFC 7662 token introspection.
* ``/auth/jwks``: the key that signs id_tokens.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Callable

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Error, grants
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from ..smart.scopes import split_scopes
from .state import AuthorizationCode, SandboxClient, SandboxState, Token

ASSERTION_ALGS = ["RS384", "ES384"]
MAX_ASSERTION_LIFETIME_S = 300


class S256Only(CodeChallenge):
    """PKCE as SMART requires it: a challenge on every authorization request, method S256, never plain."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (S256) is required")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        return super().validate_code_challenge(grant, redirect_uri)


class SmartCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "private_key_jwt"]

    def save_authorization_code(self, code: str, request) -> None:
        ctx = g.smart_context
        state: SandboxState = current_app.extensions["sandbox"].state
        state.save_code(AuthorizationCode(
            code=code, client_id=request.client.get_client_id(), redirect_uri=request.payload.redirect_uri,
            scope=request.scope, code_challenge=request.payload.data.get("code_challenge"),
            code_challenge_method=request.payload.data.get("code_challenge_method"), user=ctx["user"],
            patient=ctx.get("patient"), encounter=ctx.get("encounter"), nonce=request.payload.data.get("nonce"),
        ))

    def query_authorization_code(self, code: str, client) -> AuthorizationCode | None:
        return current_app.extensions["sandbox"].state.code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        current_app.extensions["sandbox"].state.use_code(authorization_code.code)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.user


class SmartRefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "private_key_jwt"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        return current_app.extensions["sandbox"].state.by_refresh(refresh_token)

    def authenticate_user(self, refresh_token: Token) -> str:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        current_app.extensions["sandbox"].state.revoke_refresh(refresh_token.refresh_token)


class SmartClientAssertion(JWTBearerClientAssertion):
    """private_key_jwt as SMART profiles it (RS384/ES384, five minutes at most, single-use ``jti``)."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, token_url: str, state: SandboxState, *, timeout: float = 5.0) -> None:
        super().__init__(leeway=30)
        self._token_url = token_url
        self._state = state
        self._timeout = timeout

    def get_audiences(self) -> list[str]:
        return [self._token_url]

    def validate_jti(self, claims, jti) -> bool:
        return self._state.use_jti(str(claims["sub"]), str(jti), float(claims["exp"]))

    def resolve_client_public_key(self, client: SandboxClient) -> KeySet:
        if client.jwks:
            return KeySet.import_key_set(client.jwks)
        if not client.jwks_uri:
            raise InvalidClientError(description="the client has no registered JWKS")
        try:
            resp = requests.get(client.jwks_uri, timeout=self._timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
            return KeySet.import_key_set(resp.json())
        except (requests.RequestException, ValueError, JoseError):
            raise InvalidClientError(description="the client's JWKS cannot be fetched") from None

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGS)
        except JoseError as exc:
            raise InvalidClientError(description=f"client assertion rejected: {exc.description or exc.error}") from None
        claims = token.claims
        self.verify_claims(claims)
        if float(claims["exp"]) - time.time() > MAX_ASSERTION_LIFETIME_S + self.leeway:
            raise InvalidClientError(description="client assertion lives longer than five minutes")
        return claims


class SmartIntrospection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

    def query_token(self, token_string: str, token_type_hint: str | None):
        state: SandboxState = current_app.extensions["sandbox"].state
        if token_type_hint == "refresh_token":
            return state.by_refresh(token_string)
        return state.token(token_string) or state.by_refresh(token_string)

    def check_permission(self, token, client, request) -> bool:
        return client.auth_method == "client_secret_basic" or token.client_id == client.get_client_id()

    def introspect_token(self, token: Token) -> dict[str, Any]:
        out = {"active": True, "client_id": token.client_id, "token_type": "Bearer", "scope": token.scope,
               "sub": token.user, "exp": int(token.issued_at + token.expires_in), "iat": int(token.issued_at)}
        if token.patient:
            out["patient"] = token.patient
        return out


class SandboxAuth:
    """The Authlib server of one sandbox app, and what it signs id_tokens with."""

    def __init__(self, app: Flask, *, state: SandboxState, issuer: str, fhir_base: str,
                 user_reference: Callable[[str], str]) -> None:
        self.state = state
        self.issuer = issuer
        self.fhir_base = fhir_base
        self.user_reference = user_reference
        self.id_key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(6), "alg": "RS256", "use": "sig"},
                                          private=True)
        self.server = AuthorizationServer()
        self.server.init_app(app, query_client=state.client, save_token=self._save_token)
        self.server.register_token_generator("default", self._generate_token)
        self.server.register_grant(SmartCodeGrant, [S256Only(required=True)])
        self.server.register_grant(SmartRefreshGrant)
        self.server.register_client_auth_method("private_key_jwt", SmartClientAssertion(self.token_url, state))
        self.server.register_endpoint(SmartIntrospection)

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/auth/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/auth/token"

    @property
    def introspect_url(self) -> str:
        return f"{self.issuer}/auth/introspect"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/auth/jwks"

    def smart_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url,
            "authorization_endpoint": self.authorize_url,
            "token_endpoint": self.token_url,
            "introspection_endpoint": self.introspect_url,
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "scopes_supported": ["openid", "fhirUser", "launch", "launch/patient", "online_access", "offline_access",
                                 "patient/*.cruds", "user/*.cruds", "patient/*.read", "patient/*.write"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "capabilities": ["launch-ehr", "launch-standalone", "client-public", "client-confidential-asymmetric",
                             "context-ehr-patient", "context-standalone-patient", "context-banner", "context-style",
                             "permission-patient", "permission-user", "permission-v1", "permission-v2",
                             "permission-offline", "permission-online", "sso-openid-connect", "authorize-post"],
        }

    def _generate_token(self, *, grant_type, client, user, scope, expires_in, include_refresh_token):
        scopes = split_scopes(scope)
        lifetime = client.policy.token_lifetime_s
        token = {"token_type": "Bearer", "access_token": secrets.token_urlsafe(32), "expires_in": lifetime,
                 "scope": scope}
        if include_refresh_token and ({"online_access", "offline_access"} & set(scopes)):
            token["refresh_token"] = secrets.token_urlsafe(40)
        return token

    def _id_token(self, client: SandboxClient, user: str, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user, "aud": client.client_id, "iat": now, "exp": now + 300,
                  "fhirUser": self.user_reference(user)}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": self.id_key.kid}, claims, self.id_key, algorithms=["RS256"])

    def _save_token(self, token: dict[str, Any], request) -> None:
        client: SandboxClient = request.client
        code: AuthorizationCode | None = getattr(request, "authorization_code", None)
        previous: Token | None = getattr(request, "refresh_token", None)
        source = code or previous
        assert source is not None
        record = Token(
            access_token=token["access_token"], client_id=client.client_id, scope=token["scope"], user=source.user,
            patient=source.patient, encounter=source.encounter, issued_at=time.time(),
            expires_in=int(token["expires_in"]), refresh_token=token.get("refresh_token"),
            code=code.code if code else (previous.code if previous else None),
        )
        self.state.save_token(record)
        scopes = set(split_scopes(token["scope"]))
        if record.patient:
            token["patient"] = record.patient
        if record.encounter:
            token["encounter"] = record.encounter
        token["need_patient_banner"] = client.policy.need_patient_banner
        if client.policy.smart_style_url:
            token["smart_style_url"] = client.policy.smart_style_url
        if code is not None and {"openid", "fhirUser"} <= scopes:
            token["id_token"] = self._id_token(client, record.user, code.nonce)


def _error(server: AuthorizationServer, error: OAuth2Error, *, redirect_uri: str | None, state: str | None):
    error.redirect_uri = redirect_uri
    error.state = state
    return server.handle_error_response(request, error)


def build_blueprint(auth: SandboxAuth, *, practitioner: str, patients: Callable[[], list[dict[str, Any]]]) -> Blueprint:
    """The ``/auth/*`` views of the sandbox authorization server."""
    bp = Blueprint("sandbox_auth", __name__, url_prefix="/auth")

    @bp.route("/authorize", methods=["GET", "POST"])
    def authorize():
        try:
            grant = auth.server.get_consent_grant(end_user=practitioner)
        except OAuth2Error as exc:
            return auth.server.handle_error_response(request, exc)
        data = request.values
        redirect_uri = data.get("redirect_uri") or grant.request.client.get_default_redirect_uri()
        state = data.get("state")
        if not state:
            return _error(auth.server, InvalidRequestError("Missing 'state'"), redirect_uri=redirect_uri, state=None)
        if data.get("aud", "").rstrip("/") != auth.fhir_base:
            return _error(auth.server, InvalidRequestError("'aud' must be this server's FHIR base URL"),
                          redirect_uri=redirect_uri, state=state)
        scopes = split_scopes(data.get("scope"))
        client: SandboxClient = grant.request.client
        context: dict[str, Any] = {"user": practitioner}
        if "launch" in scopes or data.get("launch"):
            ctx = auth.state.launch(data.get("launch", ""), client.client_id)
            if ctx is None:
                return _error(auth.server, InvalidRequestError("'launch' is missing, unknown or expired"),
                              redirect_uri=redirect_uri, state=state)
            context.update(patient=ctx.patient, encounter=ctx.encounter, user=ctx.user)
        elif "launch/patient" in scopes:
            chosen = data.get("sandbox_patient")
            choices = patients()
            if not chosen:
                return render_template("sandbox/picker.html", patients=choices, params=[
                    (k, v) for k, v in request.args.items(multi=True) if k != "sandbox_patient"], client=client)
            if chosen not in {p["id"] for p in choices}:
                return _error(auth.server, InvalidRequestError("unknown patient chosen"), redirect_uri=redirect_uri,
                              state=state)
            context["patient"] = chosen
        g.smart_context = context
        return auth.server.create_authorization_response(grant=grant, grant_user=context["user"])

    @bp.post("/token")
    def token():
        return auth.server.create_token_response()

    @bp.post("/introspect")
    def introspect():
        return auth.server.create_endpoint_response(SmartIntrospection.ENDPOINT_NAME)

    @bp.get("/jwks")
    def jwks():
        return jsonify({"keys": [auth.id_key.as_dict(private=False)]})

    return bp
