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
    assert body["checks"]["models"]["ok"] is True and "6 models verified" in body["checks"]["models"]["detail"]


def test_readyz_not_ready_when_a_model_file_is_damaged(tmp_path, monkeypatch):
    from models import registry
    from plugin.web import health

    damaged = tmp_path / "damaged-models"
    shutil.copytree(registry.DEFAULT_DIR, damaged)
    onnx = damaged / "lesion.onnx"
    onnx.write_bytes(onnx.read_bytes()[:-1] + bytes([onnx.read_bytes()[-1] ^ 1]))
    monkeypatch.setattr(registry, "DEFAULT_DIR", damaged)
    health._verified_models.cache_clear()
    try:
        app = create_app(app_settings(tmp_path, readyz_checks_ehr=False))
        resp = app.test_client().get("/readyz")
    finally:
        health._verified_models.cache_clear()
    assert resp.status_code == 503
    check = resp.get_json()["checks"]["models"]
    assert check["ok"] is False and "lesion.onnx" in check["detail"] and "sha" in check["detail"].lower()


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
    assert resp.status_code == 200 and set(resp.get_json()["checks"]) == {"config", "storage", "models"}


def test_readyz_not_ready_when_storage_is_gone(tmp_path):
    app = create_app(app_settings(tmp_path, readyz_checks_ehr=False))
    instance = tmp_path / "instance"
    shutil.rmtree(instance)
    instance.write_text("not a directory")
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["storage"]["detail"].startswith("instance directory not writable")
