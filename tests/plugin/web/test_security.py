"""Cookie attributes, CSP, server-side stores (encrypted, single-use, bound to a browser)."""

from __future__ import annotations

import time

import pytest
from flask import Response

from plugin.app import create_app
from plugin.config import config_from_mapping
from plugin.smart.tokens import TokenSet
from plugin.web.security import content_security_policy, set_browser_cookie
from plugin.web.services import WorkflowStep, register_step
from plugin.web.sessions import PENDING_TTL_S, PendingAuth
from plugin.web.vault import Vault, VaultError
from tests.plugin.helpers import app_settings


def test_production_cookie_works_in_a_cross_site_iframe(tmp_path):
    config = config_from_mapping(app_settings(tmp_path), environ={})
    resp = Response()
    set_browser_cookie(resp, config, "opaque")
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("__Host-fpcds-browser=opaque;")
    for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=None"):
        assert attribute in cookie
    assert "Domain" not in cookie


def test_dev_cookie_on_loopback_http(tmp_path):
    config = config_from_mapping(app_settings(tmp_path, public_url="http://127.0.0.1:5000"), environ={})
    resp = Response()
    set_browser_cookie(resp, config, "opaque")
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("fpcds-browser=opaque;") and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_csp_lists_every_tenant_origin(tmp_path):
    settings = app_settings(tmp_path)
    settings["tenants"].append({"iss": "https://b.example/fhir", "client_id": "c", "auth_method": "public",
                                "ehr_origins": ["https://b.example", "https://ehr.example.org"]})
    csp = content_security_policy(config_from_mapping(settings, environ={}))
    assert csp.endswith("frame-ancestors 'self' https://ehr.example.org https://b.example")


def test_https_responses_carry_hsts(tmp_path):
    app = create_app(app_settings(tmp_path))
    resp = app.test_client().get("/")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Test EHR" in resp.get_data(as_text=True)


@pytest.fixture
def store(tmp_path):
    return create_app(app_settings(tmp_path)).extensions["fpcds"].sessions


def _pending() -> PendingAuth:
    return PendingAuth(iss="https://ehr.example.org/fhir", kind="ehr", launch="L", scope="openid",
                       code_verifier="v" * 43)


def test_pending_authorization_is_single_use_and_bound_to_its_browser(store):
    _, browser = store.new_browser()
    _, other = store.new_browser()
    store.add_pending(browser=browser, state="S" * 43, pending=_pending())
    assert store.take_pending(browser=other, state="S" * 43) is None
    store.add_pending(browser=browser, state="T" * 43, pending=_pending())
    assert store.take_pending(browser=browser, state="T" * 43) == _pending()
    assert store.take_pending(browser=browser, state="T" * 43) is None
    assert store.counts()["pending_auth"] == 0


def test_pending_authorization_expires(store):
    _, browser = store.new_browser()
    store.add_pending(browser=browser, state="S" * 43, pending=_pending(), now=time.time() - PENDING_TTL_S - 1)
    assert store.take_pending(browser=browser, state="S" * 43) is None


def test_secrets_are_encrypted_at_rest(store):
    _, browser = store.new_browser()
    tokens = TokenSet(access_token="ACCESS-SECRET", expires_at=time.time() + 60, scope=("openid",),
                      refresh_token="REFRESH-SECRET", patient="p1")
    launch = store.create_launch(browser=browser, iss="https://ehr.example.org/fhir", client_id="c", tokens=tokens,
                                 ttl_s=60)
    store.store_banner(launch.id, {"name": "BANNER-NAME"})
    raw = b"".join(p.read_bytes() for p in store.db.path.parent.glob(store.db.path.name + "*"))
    for secret in (b"ACCESS-SECRET", b"REFRESH-SECRET", b"BANNER-NAME"):
        assert secret not in raw
    assert store.tokens(launch.id) == tokens
    assert store.launch_for_browser(launch.id, browser) == launch
    assert store.launch_for_browser(launch.id, "someone-else") is None


def test_vault_refuses_moved_or_foreign_values():
    vault = Vault(b"k" * 32)
    blob = vault.seal("secret", purpose="tokens", row="a")
    assert vault.open(blob, purpose="tokens", row="a") == "secret"
    with pytest.raises(VaultError, match="the stored tokens cannot be decrypted"):
        vault.open(blob, purpose="tokens", row="b")
    with pytest.raises(VaultError):
        Vault(b"j" * 32).open(blob, purpose="tokens", row="a")


def test_refresh_claim_is_exclusive(store):
    _, browser = store.new_browser()
    tokens = TokenSet(access_token="a", expires_at=0, scope=(), refresh_token="r", patient="p1")
    launch = store.create_launch(browser=browser, iss="https://ehr.example.org/fhir", client_id="c", tokens=tokens,
                                 ttl_s=60)
    assert store.claim_refresh(launch.id)
    assert not store.claim_refresh(launch.id)
    store.store_tokens(launch.id, tokens)
    assert store.claim_refresh(launch.id)


def test_workflow_steps_register_once(tmp_path):
    app = create_app(app_settings(tmp_path))
    step = WorkflowStep("test-step", "Test", "workflow.assessment")
    register_step(app, step)
    assert app.extensions["fpcds"].steps[-1] == step
    with pytest.raises(ValueError, match="workflow step 'test-step' is registered twice"):
        register_step(app, step)
