"""The sandbox EHR as one Flask app: authorization server, FHIR endpoint and EHR pages."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import Flask

from ..web import logsafe
from . import authz, ehr, fhir_proxy
from .seed import SeedResult
from .state import SandboxClient, SandboxState


@dataclass(frozen=True)
class SandboxSettings:
    """Where the sandbox is reached and what it serves.

    Attributes
    ----------
    public_url : str
        The sandbox's own origin, e.g. ``http://127.0.0.1:8801``; the FHIR base (``iss``) is ``public_url + "/fhir"``.
    fhir_upstream : str
        The real FHIR server behind the sandbox FHIR endpoint.
    seeded : SeedResult
        The simulated clinician and patients on that server.
    clients : tuple of SandboxClient
        Registered apps (and resource servers allowed to introspect).
    """

    public_url: str
    fhir_upstream: str
    seeded: SeedResult
    clients: tuple[SandboxClient, ...]

    @property
    def fhir_base(self) -> str:
        return f"{self.public_url.rstrip('/')}/fhir"


def create_sandbox_app(settings: SandboxSettings) -> Flask:
    """Build the sandbox EHR app; its state is in ``app.extensions["sandbox"]``."""
    logsafe.install()
    app = Flask(__name__, template_folder="templates")
    state = SandboxState()
    for client in settings.clients:
        state.add_client(client)
    fhir_base = settings.fhir_base
    practitioner = settings.seeded.practitioner_id
    auth = authz.SandboxAuth(app, state=state, issuer=settings.public_url.rstrip("/"), fhir_base=fhir_base,
                             user_reference=lambda user: f"{fhir_base}/Practitioner/{user}")
    proxy = fhir_proxy.FhirProxy(auth, upstream=settings.fhir_upstream, public_base=fhir_base)

    def patients() -> list[dict[str, Any]]:
        return [{"id": p.id, "mrn": p.mrn, "name": p.name, "gender": p.gender, "birth_date": p.birth_date}
                for p in settings.seeded.patients]

    app.extensions["sandbox"] = SimpleNamespace(state=state, auth=auth, proxy=proxy, settings=settings)
    app.register_blueprint(authz.build_blueprint(auth, practitioner=practitioner, patients=patients))
    app.register_blueprint(fhir_proxy.build_blueprint(proxy))
    app.register_blueprint(ehr.build_blueprint(state=state, fhir_base=fhir_base, practitioner=practitioner,
                                               patients=patients, fhir_upstream=settings.fhir_upstream))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
