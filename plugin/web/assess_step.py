"""The "Run the assessment" step: a background job with a progress page, then the results page.

``GET /app/<launch_id>/assessments/<id>/assess`` explains the step and
offers the button; ``POST`` to the same address starts the job
(:func:`plugin.web.results.run_assessment` in :class:`~plugin.web.results.jobs.JobRunner`,
held in ``app.extensions["fpcds-jobs"]``) unless one runs or has finished,
and opens ``.../progress``. That page reloads itself every second (a meta
refresh: no script) showing the stage, moves on to the results page when
the job is done, and shows a failure or an interruption with a button to
start again; the imported session is never touched.

The job gets from the request: the patient identity for the PDF header
(the banner, or the Patient resource read with the launch's token), the
SMART context for the audit record (fhirUser, patient, iss, encounter) and
subject facts from the chart that replace the session's (sources added
with :func:`register_subject_source`, e.g. the latest Facial Disability
Index).
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any, Callable, Mapping

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, url_for

from acquisition.errors import FpcdsError, SessionFileError, SessionValidationError
from explain.errors import AuditError, ExplanationError, ReportError
from explain.report import Patient
from models.errors import ModelError

from ..fhir.client import FhirClientError
from ..smart.errors import SmartError
from .assessments import Assessment
from .context import fhir_client, human_name, owned_assessment, patient_banner, render_page, requires_launch
from .results import is_complete, run_assessment
from .results.job import STAGES
from .results.jobs import Job, JobRunner, JobStore
from .services import Services, WorkflowStep, register_step, services
from .sessions import Launch

bp = Blueprint("assess_step", __name__, url_prefix="/app/<launch_id>/assessments/<assessment_id>")
log = logging.getLogger("fpcds.assess")

EXTENSION = "fpcds-jobs"
#: Seconds between reloads of the progress page.
REFRESH_S = 1
#: Statuses whose results are final for this step (never assessed again).
ASSESSED = ("assessed", "approved", "written")

#: Error class -> headline on the progress page (first match in order).
_FAILURE_TITLES: tuple[tuple[type[Exception], str], ...] = (
    (SessionFileError, "The session file cannot be read"),
    (SessionValidationError, "The session's data are not valid for an assessment"),
    (ModelError, "The models could not be used"),
    (ExplanationError, "The explanation does not add up"),
    (ReportError, "The report could not be made"),
    (AuditError, "The audit record could not be made"),
    (FpcdsError, "The assessment failed"),
)

SubjectSource = Callable[[Launch, Assessment], Mapping[str, Any]]


def jobs() -> JobRunner:
    """The job runner of the current app."""
    return current_app.extensions[EXTENSION]


def register_subject_source(app: Flask, source: SubjectSource) -> None:
    """Add a source of subject facts applied before each assessment (later sources win).

    ``source(launch, assessment)`` runs in the request that starts the job and
    returns Subject fields to replace, e.g. ``{"fdi_physical": 72.5,
    "fdi_social": 60.0}``; it may raise an :class:`FpcdsError` (shown as an
    error page, nothing started).
    """
    app.extensions[EXTENSION].subject_sources.append(source)


def failure_title(kind: str | None) -> str:
    """The progress page's headline for a failed job of error class ``kind``."""
    if kind == "internal":
        return "Something went wrong in fpcds"
    for cls, title in _FAILURE_TITLES:
        if any(c.__name__ == kind for c in _subclasses(cls)):
            return title
    return "The assessment failed"


def _subclasses(cls: type) -> list[type]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_subclasses(sub))
    return out


def report_patient(launch: Launch) -> Patient:
    """The patient identity printed in the report header: the EHR banner, else the Patient resource."""
    banner = patient_banner(launch)
    if banner is not None:
        birth = banner.get("birth_date")
        return Patient(banner.get("name") or None, banner.get("identifier") or None,
                       None if birth in (None, "unknown") else birth)
    resource = fhir_client(launch).read("Patient", launch.patient)
    ident = next(iter(resource.get("identifier") or []), {})
    return Patient(human_name(resource), ident.get("value") or None, resource.get("birthDate") or None)


def audit_context(launch: Launch) -> dict[str, str | None]:
    """The SMART context the audit record keeps."""
    return {"fhirUser": launch.fhir_user, "patient": launch.patient, "iss": launch.iss,
            "encounter": launch.encounter}


def subject_overrides(launch: Launch, assessment: Assessment) -> dict[str, Any]:
    """Subject facts from every registered source, merged (later sources win)."""
    merged: dict[str, Any] = {}
    for source in jobs().subject_sources:
        merged.update(source(launch, assessment) or {})
    return merged


def _message(exc: BaseException) -> tuple[str, str]:
    """(kind, message shown) of a failure; unexpected errors are logged with a reference, never shown."""
    if isinstance(exc, FpcdsError):
        return type(exc).__name__, str(exc)
    ref = secrets.token_hex(4)
    log.error("assessment job failed unexpectedly (reference %s): %s", ref, type(exc).__name__, exc_info=exc)
    return "internal", (f"an unexpected error occurred (reference {ref}); the imported session is kept - "
                        "start the assessment again, and tell your fpcds administrator if it fails again")


def _work(svc: Services, runner: JobRunner, job: Job, launch: Launch, assessment: Assessment, *,
          patient: Patient, context: Mapping[str, str | None], overrides: Mapping[str, Any]) -> None:
    started = time.monotonic()
    try:
        payload = run_assessment(svc.assessments.directory(assessment.id), assessment.session_path,
                                 patient=patient, context=context, subject_overrides=overrides,
                                 session_title=assessment.original_name,
                                 progress=lambda stage: runner.store.progress(job, stage))
        svc.assessments.add_step(launch, assessment.id, "assessment", payload)
        svc.assessments.set_status(launch, assessment.id, "assessed")
    except BaseException as exc:  # noqa: BLE001 - every failure is recorded for the page
        kind, message = _message(exc)
        runner.store.fail(job, kind=kind, message=message)
        log.info("assessment job failed: %s", kind)
        if not isinstance(exc, Exception):
            raise
        return
    runner.store.finish(job)
    log.info("assessment job done in %.1f s", time.monotonic() - started)


@bp.get("/assess")
@requires_launch
def start_page(launch_id: str, assessment_id: str):
    found = owned_assessment(assessment_id)
    job = jobs().store.get(g.launch, assessment_id)
    if found.status in ASSESSED and is_complete(services().assessments.directory(assessment_id)):
        return redirect(url_for("results_view.results", launch_id=launch_id, assessment_id=assessment_id), code=303)
    if job is not None and job.state == "running":
        return redirect(url_for("assess_step.progress", launch_id=launch_id, assessment_id=assessment_id), code=303)
    return render_page("results_run.html", assessment=found, job=job, stages=STAGES,
                       chart_sources=bool(jobs().subject_sources))


@bp.post("/assess")
@requires_launch
def start(launch_id: str, assessment_id: str):
    svc = services()
    found = owned_assessment(assessment_id)
    here = {"launch_id": launch_id, "assessment_id": assessment_id}
    if found.status in ASSESSED and is_complete(svc.assessments.directory(assessment_id)):
        return redirect(url_for("results_view.results", **here), code=303)
    if found.status not in ("imported",) + ASSESSED:
        abort(409, f"this assessment is {found.status}; it cannot be assessed")
    job = jobs().store.get(g.launch, assessment_id)
    if job is not None and not job.can_start:
        return redirect(url_for("assess_step.progress", **here), code=303)
    # everything the job needs from the EHR is fetched before it is claimed: a failure here starts nothing
    patient = report_patient(g.launch)
    try:
        overrides = subject_overrides(g.launch, found)
    except (FhirClientError, SmartError):
        raise  # their own error pages
    except FpcdsError as exc:
        return render_template("error.html", status=422, code="subject_facts",
                               title="The patient's facts from the chart cannot be used", message=str(exc),
                               launch=g.launch, saved=len(svc.assessments.open_for(g.launch))), 422
    runner = jobs()
    job = runner.store.claim(g.launch, assessment_id)
    if job is None:  # another request claimed it first
        return redirect(url_for("assess_step.progress", **here), code=303)
    launch = g.launch
    runner.submit(job, lambda: _work(svc, runner, job, launch, found, patient=patient,
                                     context=audit_context(launch), overrides=overrides))
    log.info("assessment job started (attempt %d)", job.attempt)
    return redirect(url_for("assess_step.progress", **here), code=303)


def stage_rows(job: Job) -> list[dict[str, str]]:
    """Each stage with its state: done, running (or failed / interrupted), waiting."""
    names = [name for name, _ in STAGES]
    reached = names.index(job.stage) if job.stage in names else -1
    if job.state == "done":
        reached = len(names)
    rows = []
    for i, (name, label) in enumerate(STAGES):
        if i < reached:
            state = "done"
        elif i == reached or (reached < 0 and i == 0):
            state = {"running": "running", "failed": "failed", "interrupted": "interrupted"}.get(job.state, "done")
        else:
            state = "waiting"
        rows.append({"name": name, "label": label, "state": state})
    return rows


@bp.get("/progress")
@requires_launch
def progress(launch_id: str, assessment_id: str):
    found = owned_assessment(assessment_id)
    here = {"launch_id": launch_id, "assessment_id": assessment_id}
    job = jobs().store.get(g.launch, assessment_id)
    if job is None:
        return redirect(url_for("assess_step.start_page", **here), code=303)
    if job.state == "done":
        return redirect(url_for("results_view.results", **here), code=303)
    return render_page("results_progress.html", assessment=found, job=job,
                       stages=stage_rows(job), refresh_s=REFRESH_S if job.state == "running" else None,
                       failure_title=failure_title(job.error_kind) if job.state == "failed" else None,
                       elapsed_s=(job.finished or time.time()) - job.started)


def init_app(app: Flask) -> None:
    """Register the step's pages, its job runner (``app.extensions["fpcds-jobs"]``) and the workflow step."""
    svc = app.extensions["fpcds"]
    app.extensions[EXTENSION] = JobRunner(JobStore(svc.db), workers=1)
    app.register_blueprint(bp)
    register_step(app, WorkflowStep("assess", "Run the assessment", "assess_step.start_page",
                                    available=lambda a: a.status == "imported"))
