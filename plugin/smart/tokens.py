"""The token response of a SMART authorization server, parsed and checked.

A :class:`TokenSet` is held server-side only (encrypted at rest by the web
store); its ``repr`` never shows a token.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .errors import IdTokenError, TokenExchangeError
from .scopes import split_scopes

ID_TOKEN_ALGS = ["RS256", "RS384", "ES256", "ES384"]


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint granted for one launch.

    Attributes
    ----------
    expires_at : float
        Unix time (s) after which the access token is no longer valid.
    scope : tuple of str
        The scopes actually granted (may be narrower than requested).
    """

    access_token: str = field(repr=False)
    expires_at: float
    scope: tuple[str, ...]
    refresh_token: str | None = field(default=None, repr=False)
    patient: str | None = None
    encounter: str | None = None
    fhir_context: tuple[dict[str, Any], ...] = ()
    need_patient_banner: bool = False
    smart_style_url: str | None = None
    fhir_user: str | None = None
    id_token: str | None = field(default=None, repr=False)

    def expired(self, *, margin_s: float = 0.0, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at - margin_s

    def to_json(self) -> str:
        data = asdict(self)
        data["scope"] = list(self.scope)
        data["fhir_context"] = list(self.fhir_context)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "TokenSet":
        data = json.loads(text)
        data["scope"] = tuple(data["scope"])
        data["fhir_context"] = tuple(data.get("fhir_context") or ())
        return cls(**data)


def parse_token_response(body: Any, *, requested_scope: str, now: float | None = None,
                         previous: TokenSet | None = None) -> TokenSet:
    """Check a token response and turn it into a :class:`TokenSet`.

    Parameters
    ----------
    body : dict
        The JSON of the token response.
    requested_scope : str
        Used when the response has no ``scope`` (RFC 6749: then it equals the request).
    previous : TokenSet, optional
        For a refresh: launch context (patient, encounter ...) carried over when
        the refresh response does not repeat it.

    Raises
    ------
    TokenExchangeError
        No access token, a token type other than Bearer, or a malformed field.
    """
    if not isinstance(body, dict):
        raise TokenExchangeError("the token endpoint answered something that is not a JSON object")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenExchangeError("the token response has no access_token")
    if str(body.get("token_type", "")).lower() != "bearer":
        raise TokenExchangeError(f"the token response has token_type {body.get('token_type')!r}; expected Bearer")
    expires_in = body.get("expires_in", 3600)
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or expires_in <= 0:
        raise TokenExchangeError(f"the token response has expires_in {expires_in!r}; expected a positive number of seconds")
    scope = body.get("scope") if isinstance(body.get("scope"), str) else requested_scope
    ctx = body.get("fhirContext") or []
    if not isinstance(ctx, list) or not all(isinstance(c, dict) for c in ctx):
        raise TokenExchangeError("the token response has a fhirContext that is not a list of objects")
    refresh = body.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise TokenExchangeError("the token response has an empty or non-string refresh_token")

    def pick(name: str, attr: str):
        value = body.get(name)
        if value is None and previous is not None:
            return getattr(previous, attr)
        return value

    patient = pick("patient", "patient")
    if patient is not None and not isinstance(patient, str):
        raise TokenExchangeError("the token response has a patient that is not a string id")
    encounter = pick("encounter", "encounter")
    banner = body.get("need_patient_banner")
    if banner is None:
        banner = previous.need_patient_banner if previous else False
    return TokenSet(
        access_token=access,
        expires_at=(now if now is not None else time.time()) + float(expires_in),
        scope=split_scopes(scope),
        refresh_token=refresh,
        patient=patient,
        encounter=encounter if isinstance(encounter, str) else None,
        fhir_context=tuple(ctx) if ctx else (previous.fhir_context if previous else ()),
        need_patient_banner=bool(banner),
        smart_style_url=pick("smart_style_url", "smart_style_url"),
        fhir_user=previous.fhir_user if previous else None,
        id_token=body.get("id_token") if isinstance(body.get("id_token"), str) else None,
    )


def verify_id_token(id_token: str, *, jwks_uri: str, issuer: str | None, client_id: str, timeout: float,
                    http: requests.Session | None = None) -> dict[str, Any]:
    """Verify an OpenID Connect id_token against the EHR's JWKS and return its claims.

    Checks the signature (asymmetric algorithms only), ``iss`` (when the
    server publishes its issuer), ``aud`` = our client id and ``exp``.

    Raises
    ------
    IdTokenError
    """
    http = http or requests.Session()
    try:
        resp = http.get(jwks_uri, timeout=timeout, headers={"Accept": "application/json"})
        resp.raise_for_status()
        keys = KeySet.import_key_set(resp.json())
    except (requests.RequestException, ValueError, JoseError) as exc:
        raise IdTokenError(f"the EHR's signing keys ({jwks_uri}) cannot be loaded ({type(exc).__name__})") from None
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGS)
        options: dict[str, Any] = {"aud": {"essential": True, "value": client_id}, "exp": {"essential": True}}
        if issuer:
            options["iss"] = {"essential": True, "value": issuer}
        jwt.JWTClaimsRegistry(leeway=60, **options).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise IdTokenError(f"the id_token does not verify: {getattr(exc, 'description', None) or type(exc).__name__}") from None
    return dict(token.claims)
