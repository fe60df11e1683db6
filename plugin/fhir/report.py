"""The assessment DiagnosticReport: its Observations, a conclusion a physician reads, and the PDF."""

from __future__ import annotations

import base64
from typing import Sequence

from models.careplan import CENTRAL_SUSPECTED, CarePlanProposal

from . import ids
from .common import Context, Entry, ai_meta
from .narrative import narrative
from .terminology import concept, fpcds

SYNKINESIS_LIKELY = 0.5
PDF_TITLE = "fpcds facial palsy assessment report"


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


def _findings(ctx: Context) -> list[str]:
    v, o = ctx.view, ctx.view.outputs
    hb = o["hb_grade"]
    grade = hb["argmax_grade"]
    lines = []
    if v.healthy_looking:
        lines.append(f"No facial palsy detected: House-Brackmann grade I is most likely "
                     f"(P = {_pct(hb['probabilities']['I'])}).")
    else:
        p_central = o["lesion"]["probability"]
        side = f"{v.affected_side} " if v.affected_side_source != "unknown" else ""
        if p_central >= CENTRAL_SUSPECTED:
            lines.append(f"Suspected CENTRAL facial palsy ({side}side; P(central) = {_pct(p_central)}): an emergency, "
                         "stroke work-up now.")
        else:
            lines.append(f"Findings consistent with a {side}peripheral facial palsy (P(central) = {_pct(p_central)}).")
    text = (f"House-Brackmann grade {grade} by model (P = {_pct(hb['probabilities'][grade])}, expected grade "
            f"{hb['expected_grade']:.1f})")
    rules = v.scale("house_brackmann")
    lines.append(text + (f"; measured form: {rules['label']}." if rules else "; measured form not assessable."))
    sb = o["sunnybrook"]
    text = (f"Sunnybrook composite {sb['value']:.0f} by model ({100 * sb['coverage']:.0f}% interval "
            f"{sb['lower']:.0f}-{sb['upper']:.0f})")
    rules = v.scale("sunnybrook")
    if rules:
        sub = rules["subscores"]
        text += (f"; rule-based {rules['total']:.0f} (resting {sub['resting']:.0f}, voluntary {sub['voluntary']:.0f}, "
                 f"synkinesis {sub['synkinesis']:.0f})")
    lines.append(text + ".")
    rules = v.scale("eface")
    if rules:
        sub = rules["subscores"]
        lines.append(f"eFACE total {rules['total']:.0f}, rule-based (static {sub['static']:.0f}, dynamic "
                     f"{sub['dynamic']:.0f}, synkinesis {sub['synkinesis']:.0f}).")
    p_syn = o["synkinesis"]["probability"]
    lines.append(f"Synkinesis {'likely' if p_syn >= SYNKINESIS_LIKELY else 'unlikely'} (P = {_pct(p_syn)}).")
    if v.healthy_looking:
        lines.append("Lesion type and prognosis are not reported: they are conditional on a facial palsy.")
    else:
        w = o["weeks_to_recovery"]
        lines.append(f"Prognosis: complete recovery by 6 months P = {_pct(o['recovery_6mo']['probability'])}; "
                     f"median {w['value']:.0f} weeks from onset to recovery ({100 * w['coverage']:.0f}% interval "
                     f"{w['lower']:.0f}-{w['upper']:.0f}).")
    return lines


def conclusion_text(ctx: Context, plan: CarePlanProposal | None, *, approver: str | None, approved_at: str | None,
                    review: Sequence[str] = ()) -> str:
    """The conclusion: findings, the proposed plan, evidence, cautions, review state and the models' statement."""
    v = ctx.view
    lines = _findings(ctx)
    if plan is not None:
        lines.append(("Care plan: " if ctx.approved else "Care plan proposed: ")
                     + "; ".join(a.title for a in plan.activities) + ".")
    lines.extend(review)
    cautions = [message for _, message in v.warnings if message]
    if cautions:
        lines.append("Cautions: " + " ".join(cautions))
    if ctx.timing_note():
        lines.append(ctx.timing_note())
    if approver is not None:
        lines.append(f"Reviewed and approved by {approver} at {approved_at}.")
    else:
        lines.append("PRELIMINARY: not yet reviewed or approved by a clinician.")
    lines.append(ctx.statement())
    return " ".join(lines)


def conclusion_codes(ctx: Context) -> list[dict]:
    o = ctx.view.outputs
    if ctx.view.healthy_looking:
        codes = ["no-palsy-detected"]
    elif o["lesion"]["probability"] >= CENTRAL_SUSPECTED:
        codes = ["central-palsy-suspected"]
    else:
        codes = ["peripheral-palsy"]
    if o["synkinesis"]["probability"] >= SYNKINESIS_LIKELY:
        codes.append("synkinesis-present")
    return [{"coding": [fpcds(c)], "text": fpcds(c)["display"]} for c in codes]


def diagnostic_report(
    ctx: Context,
    results: Sequence[Entry],
    plan: CarePlanProposal | None,
    *,
    pdf: bytes | None,
    pdf_created: str,
    approver: str | None,
    approved_at: str | None,
    review: Sequence[str] = (),
) -> Entry:
    """The report over ``results``; final and naming ``approver`` once approved, preliminary before.

    ``review`` holds sentences of the clinician's care-plan review that have no CarePlan to go on
    (the proposed plan was declined).
    """
    identifier = ids.output_identifier(ctx.view.key, "report")
    conclusion = conclusion_text(ctx, plan, approver=approver, approved_at=approved_at, review=review)
    state = "final" if ctx.approved else "preliminary"
    resource: dict = {
        "resourceType": "DiagnosticReport",
        "meta": ai_meta(ids.REPORT),
        "text": narrative(f"Facial palsy assessment report ({state})", [conclusion]),
        "identifier": [identifier],
        "status": state,
        "code": concept("assessment-report", "Facial palsy assessment report"),
        "subject": ctx.subject,
        "effectiveDateTime": ctx.effective,
        "issued": approved_at if ctx.approved else ctx.view.inferred_at,
    }
    if approver is not None:
        resource["resultsInterpreter"] = [{"reference": approver}]
    resource["result"] = [e.reference for e in results]
    resource["conclusion"] = conclusion
    resource["conclusionCode"] = conclusion_codes(ctx)
    if pdf is not None:
        resource["presentedForm"] = [{"contentType": "application/pdf", "language": "en",
                                      "data": base64.b64encode(pdf).decode("ascii"), "title": PDF_TITLE,
                                      "creation": pdf_created}]
    return Entry(ids.full_url(identifier, "DiagnosticReport"), resource, ids.if_none_exist(identifier))
