"""``/healthz`` and ``/readyz``."""

from __future__ import annotations

import shutil

from plugin.app import create_app
from tests.plugin.helpers import app_settings


def test_healthz(tmp_path):
    app = create_app(app_settings(tmp_path))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_ready_when_storage_and_ehr_are_usable(stack):
    resp = stack.app.test_client().get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["storage"] == {"ok": True, "detail": "ok"}
    assert body["checks"]["ehr:Sandbox EHR"]["ok"] is True


def test_readyz_not_ready_when_the_ehr_cannot_be_reached(tmp_path):
    app = create_app(app_settings(tmp_path, iss="http://127.0.0.1:9/fhir", public_url="http://127.0.0.1:5000"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    check = resp.get_json()["checks"]["ehr:Test EHR"]
    assert check["ok"] is False
    assert check["detail"] == "the EHR at http://127.0.0.1:9/fhir cannot be reached (ConnectionError)"


def test_readyz_can_skip_the_ehr_check(tmp_path):
    app = create_app(app_settings(tmp_path, iss="http://127.0.0.1:9/fhir", public_url="http://127.0.0.1:5000",
                                  readyz_checks_ehr=False))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 200 and set(resp.get_json()["checks"]) == {"config", "storage"}


def test_readyz_not_ready_when_storage_is_gone(tmp_path):
    app = create_app(app_settings(tmp_path, readyz_checks_ehr=False))
    instance = tmp_path / "instance"
    shutil.rmtree(instance)
    instance.write_text("not a directory")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["storage"]["detail"].startswith("instance directory not writable")
