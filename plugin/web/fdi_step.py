"""The Facial Disability Index step: the patient's FDI filled in, written to the EHR, and read back.

``GET /app/<launch_id>/fdi`` shows the questionnaire, rendered from the FDI
Questionnaire (:mod:`plugin.fhir.fdi`), with a choice of who fills it in
(the patient, or a clinician on the patient's behalf). ``POST`` checks that
every item is answered (one message per missing item; nothing is kept or
sent otherwise), keeps the QuestionnaireResponse locally
(:mod:`plugin.web.fdi_store`) and writes it to the EHR with a conditional
create on its business identifier; the page then moves to the patient
overview. When the write fails (EHR down, token expired, scope refused) the
response stays pending with the reason and ``POST .../fdi/retry`` sends the
same resource again, so it is created once however often it is retried.

:func:`latest_fdi` is what the models read: the newest FDI of the launch's
patient from the EHR (a search by patient and questionnaire, sorted here by
``authored``) together with responses not yet written; when the EHR cannot
be searched it falls back to the local copies and :func:`fdi_overview` says
so. The patient overview shows it (``fdi_home.html``).
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from flask import Blueprint, Flask, current_app, g, redirect, request, url_for

from ..fhir.client import FhirClientError
from ..fhir.errors import FhirMappingError
from ..fhir.fdi import (SID_RESPONSE, FdiScores, answers_from_codes, authored_instant, load_questionnaire,
                        questionnaire_response, scores_from_response)
from ..smart.errors import SmartError
from .context import ehr_problem_text, fhir_client, render_page, requires_launch
from .assess_step import register_subject_source
from .fdi_store import FdiRecord, FdiStore
from .sessions import Launch

bp = Blueprint("fdi_step", __name__, url_prefix="/app/<launch_id>/fdi")
log = logging.getLogger("fpcds.fdi")

#: Who fills in the questionnaire: form value -> label.
FILLED_BY = {"patient": "The patient", "clinician": "A clinician, on the patient's behalf"}
_PERSON = re.compile(r"(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-.]{1,64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class FdiOverview:
    """What fpcds knows about the launch's patient's FDI.

    Attributes
    ----------
    latest : FdiScores or None
        The newest response (EHR or local), None when there is none.
    ehr_problem : str or None
        Why the EHR could not be searched; then ``latest`` comes from the local copies.
    pending : tuple of FdiRecord
        Responses kept locally that the EHR does not have yet.
    unreadable : int
        Responses to the FDI in the EHR that could not be scored (left out).
    failure : str or None
        Set (with a log reference) when the overview itself failed unexpectedly (:func:`home_overview`).
    """

    latest: FdiScores | None
    ehr_problem: str | None
    pending: tuple[FdiRecord, ...]
    unreadable: int = 0
    failure: str | None = None


def fdi_store() -> FdiStore:
    return current_app.extensions["fpcds_fdi"]


def user_reference(launch: Launch) -> str | None:
    """The signed-in user (``fhirUser``) as ``Type/id`` (relative when on the launch's FHIR server); None if unknown."""
    user = (launch.fhir_user or "").strip()
    base = launch.iss.rstrip("/") + "/"
    if user.startswith(base):
        user = user[len(base):]
    return user if _PERSON.fullmatch(user) else None


def _is_patients(qr: Mapping[str, Any], launch: Launch) -> bool:
    ref = str((qr.get("subject") or {}).get("reference") or "")
    return ref in (f"Patient/{launch.patient}", f"{launch.iss.rstrip('/')}/Patient/{launch.patient}")


def _from_ehr(launch: Launch) -> tuple[list[FdiScores], set[str], int]:
    """Scores of the patient's FDI responses in the EHR, their identifiers, and how many could not be scored."""
    q = load_questionnaire()
    found = fhir_client(launch).search("QuestionnaireResponse", {
        "patient": f"Patient/{launch.patient}", "questionnaire": q.canonical, "_count": "100"})
    scores, identifiers, unreadable = [], set(), 0
    for qr in found:
        # a server may ignore a search parameter: keep only this patient's responses to the FDI
        if not _is_patients(qr, launch) or str(qr.get("questionnaire", "")).partition("|")[0] != q.url:
            continue
        try:
            scores.append(scores_from_response(qr))
        except FhirMappingError:
            unreadable += 1
            continue
        ident = qr.get("identifier") or {}
        if isinstance(ident, dict) and ident.get("system") == SID_RESPONSE:
            identifiers.add(str(ident.get("value")))
    if unreadable:
        log.warning("FDI: %d response(s) in the EHR could not be scored and were left out", unreadable)
    return scores, identifiers, unreadable


def _newest(scores: list[FdiScores]) -> FdiScores | None:
    return max(scores, key=lambda s: authored_instant(s.authored), default=None)


def fdi_overview(launch: Launch) -> FdiOverview:
    """The launch's patient's newest FDI (EHR and not yet written local responses) and what is pending."""
    local = fdi_store().for_patient(launch)
    pending = tuple(r for r in local if r.state == "pending")
    try:
        ehr, identifiers, unreadable = _from_ehr(launch)
    except (FhirClientError, SmartError) as exc:
        log.warning("FDI: the EHR could not be searched (%s); using the local copies", type(exc).__name__)
        scores = [scores_from_response(r.resource, source=(
            f"QuestionnaireResponse/{r.fhir_id} (local copy; the EHR could not be searched)" if r.fhir_id
            else "entered in fpcds (local copy; the EHR could not be searched)")) for r in local]
        return FdiOverview(latest=_newest(scores), ehr_problem=ehr_problem_text(exc), pending=pending)
    waiting = [scores_from_response(r.resource, source="entered in fpcds, not yet in the EHR")
               for r in pending if r.identifier not in identifiers]
    return FdiOverview(latest=_newest(ehr + waiting), ehr_problem=None, pending=pending, unreadable=unreadable)


def home_overview(launch: Launch) -> FdiOverview:
    """:func:`fdi_overview` for the patient overview page, which must render even when it fails unexpectedly."""
    try:
        return fdi_overview(launch)
    except Exception as exc:  # the overview page stays usable; the cause is logged with a reference only
        ref = secrets.token_hex(4)
        log.error("unexpected error reading the FDI (reference %s): %s", ref, type(exc).__name__)
        return FdiOverview(latest=None, ehr_problem=None, pending=(),
                           failure=f"an unexpected error occurred, reference {ref}")


def latest_fdi(launch: Launch) -> FdiScores | None:
    """The newest FDI scores of the launch's patient (see :func:`fdi_overview`), for the models."""
    return fdi_overview(launch).latest


def fdi_subject_facts(launch: Launch, assessment: Any = None) -> dict[str, float]:
    """Subject facts from the latest FDI (``fdi_physical``, ``fdi_social``) for the assess step's jobs."""
    scores = latest_fdi(launch)
    if scores is None:
        return {}
    facts = {"fdi_physical": scores.physical, "fdi_social": scores.social}
    return {k: v for k, v in facts.items() if v is not None}


def write(launch: Launch, record: FdiRecord) -> str | None:
    """Send a kept response to the EHR (conditional create); None when written, else why not (it stays pending)."""
    try:
        stored = fhir_client(launch).create(record.resource,
                                            if_none_exist=f"identifier={SID_RESPONSE}|{record.identifier}")
    except (FhirClientError, SmartError) as exc:
        problem = ehr_problem_text(exc)
        fdi_store().failed(launch, record.identifier, problem)
        log.warning("FDI response kept locally: the EHR write failed (%s)", type(exc).__name__)
        return problem
    fdi_store().written(launch, record.identifier, fhir_id=stored.get("id"))
    log.info("FDI response written to the EHR")
    return None


def read_form(form: Mapping[str, str]) -> tuple[dict[str, str], str | None, list[tuple[str, str]]]:
    """The posted answer codes, who filled in, and (field id, message) for every problem."""
    codes: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    filled_by = form.get("filled_by") or None
    if filled_by not in FILLED_BY:
        problems.append(("filled_by", "Say who filled in the questionnaire: the patient or a clinician."))
        filled_by = None
    for item in load_questionnaire().items:
        field = f"item-{item.link_id}"
        value = form.get(field, "")
        if not value:
            problems.append((field, f"Item {item.link_id} ({item.text}) has no answer."))
        elif item.option_for_code(value) is None:
            problems.append((field, f"Item {item.link_id} ({item.text}): the answer sent is not one of its options."))
        else:
            codes[item.link_id] = value
    return codes, filled_by, problems


def _page(*, values: Mapping[str, str] | None = None, filled_by: str | None = None,
          problems: list[tuple[str, str]] | None = None, response_id: str | None = None, status: int = 200):
    problems = problems or []
    return render_page(
        "fdi.html", status,
        questionnaire=load_questionnaire(), values=values or {}, filled_by=filled_by, problems=problems,
        problem_fields={f for f, _ in problems}, filled_by_options=FILLED_BY,
        response_id=response_id or str(uuid.uuid4()), overview=fdi_overview(g.launch))


@bp.get("")
@requires_launch
def page(launch_id: str):
    return _page()


@bp.post("")
@requires_launch
def submit(launch_id: str):
    launch, store = g.launch, fdi_store()
    response_id = request.form.get("response", "")
    codes, filled_by, problems = read_form(request.form)
    if not _UUID.fullmatch(response_id):
        problems.append(("fdi-form", "The form is incomplete (no response id); reload the page and fill it in again."))
        response_id = ""
    if problems:
        return _page(values=codes, filled_by=filled_by, problems=problems, response_id=response_id or None,
                     status=400)
    existing = store.get(launch, response_id)
    if existing is None:  # not a second submission of the same form
        user = user_reference(launch)
        if filled_by == "patient":
            source = f"Patient/{launch.patient}"
        else:
            source = user if user and not user.startswith("Patient/") else None
        resource = questionnaire_response(
            answers_from_codes(codes), patient=launch.patient, author=user, source=source, identifier=response_id,
            authored=datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
        existing = store.add(launch, identifier=response_id, resource=resource)
    if existing.state == "pending" and write(launch, existing) is not None:
        return redirect(url_for("fdi_step.page", launch_id=launch_id), code=303)
    return redirect(url_for("workflow.home", launch_id=launch_id), code=303)


@bp.post("/retry")
@requires_launch
def retry(launch_id: str):
    """Send every pending response of the patient to the EHR again."""
    for record in fdi_store().for_patient(g.launch, state="pending"):
        write(g.launch, record)
    return redirect(url_for("fdi_step.page", launch_id=launch_id), code=303)


def _score(value: float | None) -> str:
    return "not scored (no item counted)" if value is None else f"{value:.1f} / 100"


def _when(authored: str) -> str:
    """Local date and time of an ISO 8601 ``authored`` (as written when it has no time)."""
    if "T" not in authored:
        return authored
    return authored_instant(authored).astimezone().strftime("%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    """Register the FDI blueprint, its store and what ``fdi_home.html`` uses."""
    svc = app.extensions["fpcds"]
    app.extensions["fpcds_fdi"] = FdiStore(svc.db, svc.vault)
    app.register_blueprint(bp)
    app.jinja_env.filters["fdi_score"] = _score
    app.jinja_env.filters["fdi_when"] = _when
    app.context_processor(lambda: {"fdi_overview": home_overview})
    register_subject_source(app, fdi_subject_facts)
