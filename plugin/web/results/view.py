"""The results page of an assessment and its report PDF.

``GET /app/<launch_id>/assessments/<id>/results`` shows, clinician first:
the summary (grade, Sunnybrook, lesion type, synkinesis, prognosis, side,
evidence, every warning), the rule-based scores item by item, the SHAP
charts of every model output with their shares per modality and facial
region, the report's first-page text and the report itself, then the
workflow steps registered for the assessment (approval and write-back).
Everything comes from ``results.json``; nothing is recomputed.

``GET .../report.pdf`` serves the stored report (``inline``; ``?download=1``
for an attachment), never cached.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Blueprint, Flask, Response, abort, g, redirect, render_template, request, url_for

from explain.wording import CLINICAL_WORDS

from ..approval import APPROVED_REPORT_FILE
from ..context import owned_assessment, render_page, requires_launch
from ..services import WorkflowStep, register_step, services
from . import charts
from .files import ResultsError, is_complete, read_page, read_report

bp = Blueprint("results_view", __name__, url_prefix="/app/<launch_id>/assessments/<assessment_id>")
log = logging.getLogger("fpcds.results")

#: Steps never listed on the results page itself.
OWN_STEPS = ("assess", "results")
#: Statuses that have results.
WITH_RESULTS = ("assessed", "approved", "written")


def _damaged(exc: ResultsError):
    log.error("stored results unusable: %s", exc.problem)
    return render_template("error.html", status=500, code="results_damaged",
                           title="The stored results of this assessment cannot be used",
                           message=f"{exc}; run the assessment again from the imported session",
                           launch=g.launch, saved=len(services().assessments.open_for(g.launch))), 500


def page_charts(page: dict) -> dict[str, object]:
    """The SVG charts of a results page, by id."""
    out: dict[str, object] = {}
    hb = page["summary"]["hb_grade"]
    out["grades"] = charts.probability_chart(hb["probabilities"], chart_id="chart-grades",
                                             title="House-Brackmann grade probabilities", highlight=hb["grade"],
                                             prefix="Grade ")
    for model in page["explanation"]["models"]:
        for output in model["outputs"]:
            key = f"{model['model']}-{output['name']}"
            what = output["title"] if model["kind"] != "multiclass" else f"{model['title']}, grade {output['name']}"
            out[f"shap-{key}"] = charts.contribution_chart(output, chart_id=f"shap-{key}", title=what)
            out[f"modality-{key}"] = charts.share_chart(output["by_modality"], chart_id=f"modality-{key}",
                                                        title=f"{what}: contribution by modality",
                                                        unit=output["unit"])
            out[f"region-{key}"] = charts.share_chart(output["by_region"], chart_id=f"region-{key}",
                                                      title=f"{what}: contribution by facial region",
                                                      unit=output["unit"])
    return out


@bp.get("/results")
@requires_launch
def results(launch_id: str, assessment_id: str):
    svc = services()
    found = owned_assessment(assessment_id)
    here = {"launch_id": launch_id, "assessment_id": assessment_id}
    folder = svc.assessments.directory(assessment_id)
    if not is_complete(folder):
        return redirect(url_for("assess_step.start_page", **here), code=303)
    try:
        page = read_page(folder)
    except ResultsError as exc:
        return _damaged(exc)
    steps = [s for s in svc.steps if s.name not in OWN_STEPS and s.available(found)]
    approval = svc.assessments.steps(g.launch, assessment_id).get("approval")
    return render_page("results.html", assessment=found, page=page, s=page["summary"], charts=page_charts(page),
                       steps=steps, approval=approval)


def approved_report(folder: Path, approval: Mapping[str, Any] | None) -> bytes | None:
    """The report as approved, once the assessment is approved (checked against the SHA-256 recorded then)."""
    if not approval or not approval.get("report_sha256"):
        return None
    path = folder / APPROVED_REPORT_FILE
    pdf = path.read_bytes() if path.is_file() else b""
    if hashlib.sha256(pdf).hexdigest() != approval["report_sha256"]:
        raise ResultsError(APPROVED_REPORT_FILE, "is missing or differs from the report approved")
    return pdf


@bp.get("/report.pdf")
@requires_launch
def report(launch_id: str, assessment_id: str):
    svc = services()
    owned_assessment(assessment_id)
    folder = svc.assessments.directory(assessment_id)
    if not is_complete(folder):
        abort(404, "this assessment has no report yet; run the assessment first")
    try:
        pdf = approved_report(folder, svc.assessments.steps(g.launch, assessment_id).get("approval")) \
            or read_report(folder)
    except ResultsError as exc:
        return _damaged(exc)
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'{disposition}; filename="fpcds-report-{assessment_id}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def subject_fact_words(field: str) -> str:
    """Clinical words for a Session.subject field replaced from the chart (e.g. ``fdi_physical``)."""
    return CLINICAL_WORDS.get(f"clinical.{field}", field.replace("_", " "))


def init_app(app: Flask) -> None:
    """Register the results page and the "View the results" step for assessed sessions."""
    app.register_blueprint(bp)
    app.jinja_env.filters["subject_fact"] = subject_fact_words
    register_step(app, WorkflowStep("results", "View the results", "results_view.results",
                                    available=lambda a: a.status in WITH_RESULTS))
