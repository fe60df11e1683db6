"""The EHR-like pages of the sandbox: the patient list, a chart that launches the app in an iframe, and
the patient's record as the EHR holds it.

Opening a chart creates a launch context (patient, clinician) for the
registered app and embeds ``<launch_url>?iss=<fhir base>&launch=<id>`` in an
iframe: the EHR launch as a real EHR does it. The record page lists what is
in the FHIR server for the patient (reports, care plans, questionnaire
responses, observations), read directly from the server as the EHR itself
would: the place to see what an app wrote back.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

import requests
from flask import Blueprint, abort, render_template

from .state import SandboxClient, SandboxState


#: What the record page lists, in order: (resource type, heading).
RECORD_TYPES: tuple[tuple[str, str], ...] = (
    ("DiagnosticReport", "Reports"), ("CarePlan", "Care plans"),
    ("QuestionnaireResponse", "Questionnaire responses"), ("Observation", "Observations"),
)


def _record_row(resource: dict[str, Any]) -> dict[str, str]:
    """Date, title, status and a short text of one resource, for the record page."""
    concept = resource.get("code") or {}
    title = (resource.get("title") or concept.get("text")
             or next((c.get("display") for c in concept.get("coding") or [] if c.get("display")), None)
             or resource.get("questionnaire") or resource["resourceType"])
    when = (resource.get("effectiveDateTime") or resource.get("authored") or resource.get("created")
            or resource.get("issued") or (resource.get("meta") or {}).get("lastUpdated") or "")
    value = resource.get("valueCodeableConcept", {}).get("text") or resource.get("valueString") or ""
    if "valueQuantity" in resource:
        q = resource["valueQuantity"]
        value = f"{q.get('value')} {q.get('unit', '')}".strip()
    text = resource.get("conclusion") or resource.get("description") or value
    return {"id": f"{resource['resourceType']}/{resource.get('id', '')}", "when": str(when)[:19], "title": str(title),
            "status": str(resource.get("status", "")), "text": str(text)}


def build_blueprint(*, state: SandboxState, fhir_base: str, practitioner: str,
                    patients: Callable[[], list[dict[str, Any]]], fhir_upstream: str) -> Blueprint:
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

    @bp.get("/ehr/Patient/<patient_id>/record")
    def record(patient_id: str):
        chosen = next((p for p in patients() if p["id"] == patient_id), None)
        if chosen is None:
            abort(404)
        sections = []
        for rtype, heading in RECORD_TYPES:
            resp = requests.get(f"{fhir_upstream.rstrip('/')}/{rtype}", timeout=15,
                                params={"patient": patient_id, "_count": "500"},
                                headers={"Accept": "application/fhir+json"})
            resp.raise_for_status()
            rows = [_record_row(e["resource"]) for e in resp.json().get("entry") or [] if "resource" in e]
            sections.append({"type": rtype, "heading": heading,
                             "rows": sorted(rows, key=lambda r: r["when"], reverse=True)})
        return render_template("sandbox/record.html", patient=chosen, sections=sections, clients=launchable())

    return bp
