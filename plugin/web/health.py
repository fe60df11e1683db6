"""``/healthz`` (the process answers) and ``/readyz`` (configuration, storage, models and EHRs are usable)."""

from __future__ import annotations

import functools
import os
import tempfile

from flask import Blueprint, Flask, jsonify

from acquisition.errors import FpcdsError

from ..smart.discovery import discover
from ..smart.errors import DiscoveryError
from .services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _storage_ok() -> tuple[bool, str]:
    svc = services()
    try:
        fd, path = tempfile.mkstemp(dir=svc.config.instance_dir, prefix=".readyz-")
        os.write(fd, b"ok")
        os.close(fd)
        os.unlink(path)
    except OSError as exc:
        return False, f"instance directory not writable ({exc.strerror})"
    if not svc.db.writable():
        return False, "database not writable"
    return True, "ok"


@functools.lru_cache(maxsize=1)
def _verified_models() -> str:
    """Load the shipped model set with every hash checked (once per process: a failure is not cached)."""
    from models.registry import load_models

    models = load_models()
    return (f"model set {models.manifest.get('set_version')} (manifest {models.manifest_sha256[:16]}): "
            f"{len(models.models)} models verified")


def _models_ok() -> tuple[bool, str]:
    try:
        return True, _verified_models()
    except FpcdsError as exc:
        return False, str(exc)


@bp.get("/readyz")
def readyz():
    svc = services()
    checks: dict[str, dict[str, str | bool]] = {"config": {"ok": True, "detail": svc.config.source}}
    ok, detail = _storage_ok()
    checks["storage"] = {"ok": ok, "detail": detail}
    ok, detail = _models_ok()
    checks["models"] = {"ok": ok, "detail": detail}
    if svc.config.readyz_checks_ehr:
        for tenant in svc.config.tenants:
            try:
                discover(tenant.iss, timeout=min(5.0, svc.config.fhir_timeout_s), http=svc.http)
                checks[f"ehr:{tenant.name}"] = {"ok": True, "detail": "SMART configuration reachable"}
            except DiscoveryError as exc:
                checks[f"ehr:{tenant.name}"] = {"ok": False, "detail": str(exc)}
    ready = all(bool(c["ok"]) for c in checks.values())
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
