"""Review the proposed care plan, approve, and write the results back to the chart.

``/app/<launch_id>/assessments/<id>/approve`` shows the plan the rules
propose (each activity with its rule and numbers; the clinician can take
activities out and add a note) and what will be written. Approving records
the clinician (the launch's ``fhirUser``), updates the audit record, keeps
the approved transaction Bundle as the pending write, and sends it
(:func:`plugin.fhir.writeback.write_bundle`: one transaction, checked first so
a retry never writes twice). ``.../write`` retries a pending write;
``.../written`` shows what the chart now holds, or why the write failed and
that nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, request, url_for

from explain.audit import AuditRecord

from ..fhir.client import (FhirClientError, FhirConflict, FhirForbidden, FhirServerError, FhirUnauthorized,
                           FhirUnprocessable, FhirUnreachable)
from ..fhir.mapping import NOTE_MAX_CHARS, URGENT_STROKE, Approval, CarePlanReview
from ..fhir.writeback import WriteResult, write_bundle
from ..smart.errors import TokenExpiredError
from .approval import (APPROVED_REPORT_FILE, Assessed, approved_bundle, assessment_key, keep_pending, load_assessed,
                       pending_bundle, proposed_plan, render_approved_report)
from .assess_step import report_patient
from .assessments import Assessment
from .context import fhir_client, owned_assessment, render_page, requires_launch
from ..fhir.history import previous_for_careplan
from .history import chart_history, forget_history
from .services import WorkflowStep, register_step, services
from .sessions import Launch

bp = Blueprint("approve_step", __name__, url_prefix="/app/<launch_id>/assessments/<assessment_id>")
log = logging.getLogger("fpcds.writeback")

#: Failure kinds of a write-back: (HTTP status of the page, title, what to do).
FAILURES: dict[str, tuple[int, str, str]] = {
    "ehr_unavailable": (503, "The EHR cannot be reached just now",
                        "Try again in a moment with the button below."),
    "token_expired": (401, "Your EHR session has expired",
                      "Open fpcds again from the patient's chart, then retry the write from this assessment."),
    "scope": (403, "The EHR did not allow fpcds to write these results",
              "Ask your EHR administrator to grant fpcds the write permissions listed in its installation guide, "
              "then retry."),
    "validation_refused": (422, "The EHR refused the results",
                           "The EHR's FHIR server rejected the resources (details below). Nothing was written. "
                           "Report this to your fpcds administrator; the approved results are kept for a retry."),
    "conflict": (409, "The EHR reported a conflict", "Retry; if it persists, report it to your fpcds administrator."),
    "ehr_error": (502, "The EHR answered with an error",
                  "Retry; if it persists, report it to your fpcds administrator."),
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def approver_of(launch: Launch) -> str | None:
    """``Practitioner/<id>`` (or PractitionerRole) from the launch's fhirUser; None for anyone else."""
    if not launch.fhir_user:
        return None
    parts = launch.fhir_user.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] in ("Practitioner", "PractitionerRole") and parts[-1]:
        return f"{parts[-2]}/{parts[-1]}"
    return None


def failure_kind(exc: Exception) -> str:
    """The :data:`FAILURES` key of a write-back failure."""
    if isinstance(exc, (FhirUnreachable, FhirServerError)):
        return "ehr_unavailable"
    if isinstance(exc, (FhirUnauthorized, TokenExpiredError)):
        return "token_expired"
    if isinstance(exc, FhirForbidden):
        return "scope"
    if isinstance(exc, FhirUnprocessable):
        return "validation_refused"
    if isinstance(exc, FhirConflict):
        return "conflict"
    return "ehr_error"


def _assessed(found: Assessment) -> Assessed:
    return load_assessed(services().assessments.directory(found.id))


def _page(template: str, found: Assessment, status: int = 200, **extra: Any):
    return render_page(template, status, assessment=found, **extra)


def earlier_assessment(launch: Launch, assessed: Assessed) -> tuple[dict[str, Any] | None, str | None]:
    """(the patient's last approved assessment in the chart or None, why the chart could not be read or None)."""
    history = chart_history(launch)
    if history.problem is not None:
        return None, history.problem
    return previous_for_careplan(history, exclude_key=assessment_key(assessed)), None


def _review_page(found: Assessment, *, status: int = 200, problem: str | None = None, kept: set[str] | None = None,
                 note: str = ""):
    assessed = _assessed(found)
    previous, history_problem = earlier_assessment(g.launch, assessed)
    plan = proposed_plan(assessed, previous=previous)
    approver = approver_of(g.launch)
    preview = approved_bundle(assessed, patient=found.patient,
                              approval=Approval(approver or "Practitioner/preview", _now()), review=None,
                              previous=previous)
    counts: dict[str, int] = {}
    for entry in preview["entry"]:
        rtype = entry["resource"]["resourceType"]
        counts[rtype] = counts.get(rtype, 0) + 1
    return _page("approve.html", found, status, plan=plan, approver=approver, problem=problem,
                 kept=kept if kept is not None else set(plan.codes if plan else ()), note=note, counts=counts,
                 outputs=assessed.assessment["outputs"], statement=assessed.assessment["statement"],
                 note_max=NOTE_MAX_CHARS, previous=previous, history_problem=history_problem)


@bp.get("/approve")
@requires_launch
def review(launch_id: str, assessment_id: str):
    found = owned_assessment(assessment_id)
    if found.status in ("approved", "written"):
        return redirect(url_for("approve_step.status", launch_id=launch_id, assessment_id=assessment_id), code=303)
    if found.status != "assessed":
        abort(409, description="run the assessment first: there are no results to approve yet")
    return _review_page(found)


@bp.post("/approve")
@requires_launch
def approve(launch_id: str, assessment_id: str):
    svc = services()
    launch = g.launch
    found = owned_assessment(assessment_id)
    if found.status in ("approved", "written"):
        return redirect(url_for("approve_step.status", launch_id=launch_id, assessment_id=assessment_id), code=303)
    if found.status != "assessed":
        abort(409, description="run the assessment first: there are no results to approve yet")
    assessed = _assessed(found)
    previous, _ = earlier_assessment(launch, assessed)
    plan = proposed_plan(assessed, previous=previous)
    proposed = set(plan.codes) if plan else set()
    kept = set(request.form.getlist("keep"))
    note = (request.form.get("note") or "").strip()
    if kept - proposed:
        unknown = ", ".join(sorted(kept - proposed))
        abort(400, description=f"the form names activities that were not proposed: {unknown}")
    if len(note) > NOTE_MAX_CHARS:
        return _review_page(found, status=400, problem=f"The note is longer than {NOTE_MAX_CHARS} characters.",
                            kept=kept, note=note)
    if plan is not None and plan.pathway == "central" and kept and URGENT_STROKE not in kept:
        return _review_page(found, status=400, kept=kept, note=note,
                            problem="The urgent stroke work-up can only be removed by declining the whole plan "
                                    "(untick every activity).")
    if request.form.get("confirm") != "yes":
        return _review_page(found, status=400, kept=kept, note=note,
                            problem="Tick the box to confirm you have reviewed the results before approving.")
    approver = approver_of(launch)
    if approver is None:
        abort(403, description="only a clinician signed in to the EHR (a Practitioner) can approve results; "
                               "this launch has no such user")
    at = _now()
    review_ = None
    if plan is not None:
        removed = tuple(c for c in plan.codes if c not in kept)
        review_ = CarePlanReview(removed=removed, note=note or None) if removed or note else None
    pdf = render_approved_report(assessed, approver=approver, at=at, patient=report_patient(launch))
    bundle = approved_bundle(assessed, patient=found.patient, approval=Approval(approver, at), review=review_,
                             previous=previous, report_pdf=pdf)
    path = keep_pending(assessed, bundle)
    review_record = None if review_ is None else {"removed": list(review_.removed), "note": review_.note}
    record = AuditRecord.from_dict(json.loads(assessed.audit_path.read_text()), source="the audit record")
    (record.with_approval(approver, at=at, review=review_record)
     .with_report(pdf, file=APPROVED_REPORT_FILE, created_at=at).write(assessed.audit_path))
    svc.assessments.add_step(launch, found.id, "approval", {
        "approver": approver, "at": at, "review": review_record, "report_sha256": hashlib.sha256(pdf).hexdigest(),
        "bundle_sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "entries": len(bundle["entry"]),
    })
    svc.assessments.set_status(launch, found.id, "approved")
    log.info("assessment approved; writing %d resources", len(bundle["entry"]))
    return _write(launch, found.id, assessed, bundle)


def _write(launch: Launch, assessment_id: str, assessed: Assessed, bundle: dict[str, Any] | None = None):
    """Send the pending write; record success or the failure; show the status page."""
    svc = services()
    bundle = pending_bundle(assessed) if bundle is None else bundle
    previous = svc.assessments.steps(launch, assessment_id).get("write") or {}
    attempts = int(previous.get("attempts", 0)) + 1
    try:
        result = write_bundle(fhir_client(launch), bundle)
    except (FhirClientError, TokenExpiredError) as exc:
        kind = failure_kind(exc)
        svc.assessments.add_step(launch, assessment_id, "write", {
            "state": "failed", "kind": kind, "message": str(exc), "at": _now(), "attempts": attempts})
        log.warning("write-back failed (%s, attempt %d); the approved write is kept", kind, attempts)
        return redirect(url_for("approve_step.status", launch_id=launch.id, assessment_id=assessment_id), code=303)
    svc.assessments.add_step(launch, assessment_id, "write",
                             {"state": "written", "attempts": attempts, **result.to_dict()})
    svc.assessments.set_status(launch, assessment_id, "written")
    forget_history(launch)  # the overview shows the new results at once
    record = AuditRecord.from_dict(json.loads(assessed.audit_path.read_text()), source="the audit record")
    record.with_write(result.audit_items(), at=result.at).write(assessed.audit_path)
    log.info("write-back done (%s): %d resources, %d created", result.mode, len(result.resources), result.created)
    return redirect(url_for("approve_step.status", launch_id=launch.id, assessment_id=assessment_id), code=303)


@bp.post("/write")
@requires_launch
def retry(launch_id: str, assessment_id: str):
    found = owned_assessment(assessment_id)
    if found.status == "written":
        return redirect(url_for("approve_step.status", launch_id=launch_id, assessment_id=assessment_id), code=303)
    if found.status != "approved":
        abort(409, description="approve the assessment first: there is no approved write to send")
    return _write(g.launch, found.id, _assessed(found))


@bp.get("/written")
@requires_launch
def status(launch_id: str, assessment_id: str):
    found = owned_assessment(assessment_id)
    steps = services().assessments.steps(g.launch, assessment_id)
    write = steps.get("write")
    approval = steps.get("approval")
    if approval is None:
        abort(409, description="this assessment has not been approved yet")
    code, failure, result = 200, None, None
    if write and write.get("state") == "failed":
        status_code, title, advice = FAILURES[write["kind"]]
        code, failure = status_code, {"title": title, "advice": advice, **write}
    elif write and write.get("state") == "written":
        result = WriteResult.from_dict(write)
    return _page("written.html", found, code, approval=approval, failure=failure, result=result,
                 attempts=(write or {}).get("attempts", 0))


def _approvable(assessment: Assessment) -> bool:
    return assessment.status == "assessed"


def _approved(assessment: Assessment) -> bool:
    return assessment.status in ("approved", "written")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    register_step(app, WorkflowStep("approve", "Review care plan and approve", "approve_step.review", _approvable))
    register_step(app, WorkflowStep("write-status", "Write-back status", "approve_step.status", _approved))
