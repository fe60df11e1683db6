"""Discovery: .well-known/smart-configuration, CapabilityStatement fallback, refusals."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify

from plugin.sandbox.serving import ServerThread
from plugin.smart.discovery import (DiscoveryCache, SmartConfiguration, discover, parse_capability_statement,
                                    parse_smart_configuration)
from plugin.smart.errors import DiscoveryError

ISS = "https://ehr.example/fhir"


def _doc(**changes):
    doc = {"authorization_endpoint": "https://ehr.example/auth", "token_endpoint": "https://ehr.example/token",
           "code_challenge_methods_supported": ["S256"], "capabilities": ["launch-ehr", "permission-v2"]}
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_well_known_from_the_sandbox(stack):
    smart = discover(stack.urls["fhir"], timeout=5)
    assert smart.source == "well-known"
    assert smart.authorization_endpoint == stack.urls["ehr"] + "auth/authorize"
    assert smart.token_endpoint == stack.urls["ehr"] + "auth/token"
    assert smart.jwks_uri and "S256" in smart.code_challenge_methods_supported
    assert not smart.prefers_v1_scopes


@pytest.mark.parametrize("changes, message", [
    ({"code_challenge_methods_supported": None}, "does not offer PKCE S256 (code_challenge_methods_supported: missing)"),
    ({"code_challenge_methods_supported": ["plain"]}, "does not offer PKCE S256 (code_challenge_methods_supported: plain)"),
    ({"code_challenge_methods_supported": ["S256", "plain"]}, "offers PKCE method 'plain', which SMART forbids"),
    ({"token_endpoint": None}, "has no token_endpoint"),
    ({"authorization_endpoint": "http://ehr.example/auth"}, "gives authorization_endpoint 'http://ehr.example/auth'; expected an absolute https URL"),
    ({"authorization_endpoint": "/auth"}, "expected an absolute https URL"),
])
def test_unacceptable_configurations(changes, message):
    with pytest.raises(DiscoveryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_smart_configuration(ISS, _doc(**changes))


def test_v1_preference():
    assert parse_smart_configuration(ISS, _doc(capabilities=["permission-v1"])).prefers_v1_scopes
    assert not parse_smart_configuration(ISS, _doc(capabilities=["permission-v1", "permission-v2"])).prefers_v1_scopes
    only_v1 = _doc(capabilities=[], scopes_supported=["patient/*.read", "openid"])
    assert parse_smart_configuration(ISS, only_v1).prefers_v1_scopes
    assert not parse_smart_configuration(ISS, _doc(capabilities=[])).prefers_v1_scopes


def test_capability_statement_of_the_sandbox(stack):
    import requests
    meta = requests.get(stack.urls["fhir"] + "/metadata", timeout=5).json()
    smart = parse_capability_statement(stack.urls["fhir"], meta)
    assert smart.source == "CapabilityStatement"
    assert smart.token_endpoint == stack.urls["ehr"] + "auth/token"


def test_capability_statement_without_oauth_uris():
    with pytest.raises(DiscoveryError, match="publishes no SMART configuration"):
        parse_capability_statement(ISS, {"resourceType": "CapabilityStatement", "rest": [{}]})
    with pytest.raises(DiscoveryError, match="is not a CapabilityStatement"):
        parse_capability_statement(ISS, {"resourceType": "Patient"})


@pytest.fixture
def legacy_ehr():
    """An EHR that only has the deprecated CapabilityStatement discovery."""
    server = ServerThread()
    base = server.url
    app = Flask("legacy")

    @app.get("/fhir/metadata")
    def metadata():
        return jsonify({"resourceType": "CapabilityStatement", "rest": [{"security": {"extension": [{
            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
            "extension": [{"url": "authorize", "valueUri": f"{base}/authorize"},
                          {"url": "token", "valueUri": f"{base}/token"}]}]}}]})

    @app.get("/broken/.well-known/smart-configuration")
    def broken():
        return "oops", 500

    server.serve(app)
    yield base
    server.stop()


def test_capability_statement_fallback(legacy_ehr):
    smart = discover(f"{legacy_ehr}/fhir", timeout=5)
    assert smart.source == "CapabilityStatement"
    assert smart.authorization_endpoint == f"{legacy_ehr}/authorize"


def test_discovery_errors(legacy_ehr):
    with pytest.raises(DiscoveryError, match=r"/broken/\.well-known/smart-configuration answered HTTP 500"):
        discover(f"{legacy_ehr}/broken", timeout=5)
    with pytest.raises(DiscoveryError, match=r"has no \.well-known/smart-configuration and /metadata answered HTTP 404"):
        discover(f"{legacy_ehr}/nothing", timeout=5)
    with pytest.raises(DiscoveryError, match=r"the EHR at http://127\.0\.0\.1:9/fhir cannot be reached \(ConnectionError\)"):
        discover("http://127.0.0.1:9/fhir", timeout=2)


def test_cache_reuses_results(stack):
    cache = DiscoveryCache(ttl_s=60)
    first = cache.get(stack.urls["fhir"], timeout=5)
    assert cache.get(stack.urls["fhir"], timeout=5) is first
    assert isinstance(first, SmartConfiguration)
