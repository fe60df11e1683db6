"""The EHR-like pages of the sandbox: the patient list and a chart that launches the app in an iframe.

Opening a chart creates a launch context (patient, clinician) for the
registered app and embeds ``<launch_url>?iss=<fhir base>&launch=<id>`` in an
iframe: the EHR launch as a real EHR does it.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template

from .state import SandboxClient, SandboxState


def build_blueprint(*, state: SandboxState, fhir_base: str, practitioner: str,
                    patients: Callable[[], list[dict[str, Any]]]) -> Blueprint:
    bp = Blueprint("sandbox_ehr", __name__, template_folder="templates")

    def launchable() -> list[SandboxClient]:
        return [c for c in state.clients.values() if c.launch_url]

    @bp.get("/")
    def patient_list():
        return render_template("sandbox/patients.html", patients=patients(), clients=launchable(), fhir_base=fhir_base)

    @bp.get("/ehr/Patient/<patient_id>/launch/<client_id>")
    def chart(patient_id: str, client_id: str):
        chosen = next((p for p in patients() if p["id"] == patient_id), None)
        client = state.client(client_id)
        if chosen is None or client is None or not client.launch_url:
            abort(404)
        launch = state.new_launch(client_id=client.client_id, patient=patient_id, user=practitioner)
        src = f"{client.launch_url}?{urlencode({'iss': fhir_base, 'launch': launch})}"
        return render_template("sandbox/chart.html", patient=chosen, client=client, app_src=src)

    return bp
