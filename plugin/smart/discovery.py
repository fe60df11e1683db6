"""SMART discovery: ``{iss}/.well-known/smart-configuration``, with the deprecated
CapabilityStatement ``oauth-uris`` extension as a fallback.

The result is checked before any redirect is made: the endpoints must be
absolute https URLs (http only when the issuer itself is on loopback),
PKCE ``S256`` must be offered and ``plain`` must not be.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from .errors import DiscoveryError
from .scopes import is_v2_scope

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class SmartConfiguration:
    """What an EHR's authorization server offers (the parts fpcds uses)."""

    iss: str
    authorization_endpoint: str
    token_endpoint: str
    issuer: str | None = None
    jwks_uri: str | None = None
    introspection_endpoint: str | None = None
    capabilities: frozenset[str] = frozenset()
    scopes_supported: tuple[str, ...] = ()
    code_challenge_methods_supported: tuple[str, ...] = ()
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    token_endpoint_auth_signing_alg_values_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    source: str = "well-known"
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def prefers_v1_scopes(self) -> bool:
        """True when the server says it knows only SMART v1 scopes."""
        if "permission-v2" in self.capabilities:
            return False
        if "permission-v1" in self.capabilities:
            return True
        if self.scopes_supported:
            v2 = any(is_v2_scope(s) for s in self.scopes_supported)
            v1 = any(s.endswith((".read", ".write", ".*")) for s in self.scopes_supported)
            return v1 and not v2
        return False


def _check_endpoint(iss: str, name: str, url: Any) -> str:
    if not isinstance(url, str) or not url:
        raise DiscoveryError(f"the SMART configuration of {iss} has no {name}")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    iss_host = urlsplit(iss).hostname
    if parts.scheme == "http" and parts.hostname in LOOPBACK and iss_host in LOOPBACK:
        return url
    raise DiscoveryError(f"the SMART configuration of {iss} gives {name} {url!r}; expected an absolute https URL")


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def parse_smart_configuration(iss: str, doc: Any) -> SmartConfiguration:
    """Validate a ``.well-known/smart-configuration`` document.

    Raises
    ------
    DiscoveryError
        Endpoints missing or not absolute https, or PKCE S256 not offered (or plain offered).
    """
    if not isinstance(doc, dict):
        raise DiscoveryError(f"the SMART configuration of {iss} is not a JSON object")
    methods = _tuple(doc.get("code_challenge_methods_supported"))
    if "S256" not in methods:
        raise DiscoveryError(
            f"the EHR at {iss} does not offer PKCE S256 (code_challenge_methods_supported: "
            f"{', '.join(methods) or 'missing'}); fpcds only launches with S256"
        )
    if "plain" in methods:
        raise DiscoveryError(f"the EHR at {iss} offers PKCE method 'plain', which SMART forbids; fpcds refuses it")
    return SmartConfiguration(
        iss=iss,
        authorization_endpoint=_check_endpoint(iss, "authorization_endpoint", doc.get("authorization_endpoint")),
        token_endpoint=_check_endpoint(iss, "token_endpoint", doc.get("token_endpoint")),
        issuer=doc.get("issuer") if isinstance(doc.get("issuer"), str) else None,
        jwks_uri=_check_endpoint(iss, "jwks_uri", doc["jwks_uri"]) if doc.get("jwks_uri") else None,
        introspection_endpoint=doc.get("introspection_endpoint") if isinstance(doc.get("introspection_endpoint"), str) else None,
        capabilities=frozenset(_tuple(doc.get("capabilities"))),
        scopes_supported=_tuple(doc.get("scopes_supported")),
        code_challenge_methods_supported=methods,
        token_endpoint_auth_methods_supported=_tuple(doc.get("token_endpoint_auth_methods_supported")),
        token_endpoint_auth_signing_alg_values_supported=_tuple(doc.get("token_endpoint_auth_signing_alg_values_supported")),
        grant_types_supported=_tuple(doc.get("grant_types_supported")),
        source="well-known",
        raw=doc,
    )


def parse_capability_statement(iss: str, doc: Any) -> SmartConfiguration:
    """Read the OAuth endpoints from a CapabilityStatement's ``oauth-uris`` extension (deprecated fallback)."""
    if not isinstance(doc, dict) or doc.get("resourceType") != "CapabilityStatement":
        raise DiscoveryError(f"{iss}/metadata is not a CapabilityStatement")
    uris: dict[str, str] = {}
    for rest in doc.get("rest") or []:
        for ext in ((rest.get("security") or {}).get("extension") or []):
            if ext.get("url") == OAUTH_URIS:
                for sub in ext.get("extension") or []:
                    if isinstance(sub.get("valueUri"), str):
                        uris[sub.get("url")] = sub["valueUri"]
    if not uris:
        raise DiscoveryError(f"the EHR at {iss} publishes no SMART configuration (neither .well-known nor oauth-uris)")
    return SmartConfiguration(
        iss=iss,
        authorization_endpoint=_check_endpoint(iss, "authorize", uris.get("authorize")),
        token_endpoint=_check_endpoint(iss, "token", uris.get("token")),
        introspection_endpoint=uris.get("introspect"),
        code_challenge_methods_supported=("S256",),
        source="CapabilityStatement",
        raw=doc,
    )


def discover(iss: str, *, timeout: float, http: requests.Session | None = None) -> SmartConfiguration:
    """Fetch and validate the SMART configuration of the FHIR server ``iss``.

    Parameters
    ----------
    iss : str
        The FHIR base URL (already checked against the tenant allowlist).
    timeout : float
        Seconds per HTTP request.

    Raises
    ------
    DiscoveryError
        The EHR cannot be reached, answers neither document, or offers something unacceptable.
    """
    http = http or requests.Session()
    base = iss.rstrip("/")
    try:
        resp = http.get(f"{base}/.well-known/smart-configuration", headers={"Accept": "application/json"},
                        timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise DiscoveryError(f"the EHR at {iss} cannot be reached ({type(exc).__name__})") from None
    if resp.status_code == 200:
        try:
            doc = resp.json()
        except ValueError:
            raise DiscoveryError(f"{base}/.well-known/smart-configuration is not JSON") from None
        return parse_smart_configuration(iss, doc)
    if resp.status_code not in (404, 410):
        raise DiscoveryError(f"{base}/.well-known/smart-configuration answered HTTP {resp.status_code}")
    try:
        meta = http.get(f"{base}/metadata", headers={"Accept": "application/fhir+json"}, timeout=timeout,
                        allow_redirects=False)
    except requests.RequestException as exc:
        raise DiscoveryError(f"the EHR at {iss} cannot be reached ({type(exc).__name__})") from None
    if meta.status_code != 200:
        raise DiscoveryError(f"the EHR at {iss} has no .well-known/smart-configuration and /metadata answered HTTP {meta.status_code}")
    try:
        doc = meta.json()
    except ValueError:
        raise DiscoveryError(f"{base}/metadata is not JSON") from None
    return parse_capability_statement(iss, doc)


class DiscoveryCache:
    """Discovered configurations per issuer, kept for ``ttl_s`` seconds (thread-safe)."""

    def __init__(self, *, ttl_s: float = 300.0) -> None:
        self.ttl_s = ttl_s
        self._items: dict[str, tuple[float, SmartConfiguration]] = {}
        self._lock = threading.Lock()

    def get(self, iss: str, *, timeout: float, http: requests.Session | None = None) -> SmartConfiguration:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(iss)
            if hit and now - hit[0] < self.ttl_s:
                return hit[1]
        config = discover(iss, timeout=timeout, http=http)
        with self._lock:
            self._items[iss] = (now, config)
        return config

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
