"""The CarePlan resource of a care-plan proposal (models.careplan).

Before approval the plan is a draft with intent proposal and activities not
started; after approval it is active with intent plan and its activities
scheduled (the approval itself is the Provenance verifier). Each activity
carries its rule and the numbers that triggered it (reasonCode) and points
at the Observations those numbers come from (reasonReference).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping, Sequence

from models.careplan import GUIDELINE, Activity, CarePlanProposal, Schedule

from . import ids
from .common import Context, Entry, ai_meta
from .narrative import narrative
from .terminology import concept

PATHWAY_CODES = {"peripheral": "peripheral-palsy-pathway", "central": "central-palsy-pathway"}
#: Where an evidence source of the rules is written: source -> output name of the Observation.
SOURCE_OUTPUTS = {
    "outputs.hb_grade": "hb-grade/model", "outputs.sunnybrook": "sunnybrook/model",
    "outputs.lesion": "central-palsy-probability", "outputs.synkinesis": "synkinesis-probability",
    "outputs.recovery_6mo": "recovery-prognosis", "outputs.weeks_to_recovery": "recovery-prognosis",
    "rule_based.house_brackmann": "hb-grade/rules", "rule_based.sunnybrook": "sunnybrook/rules",
    "rule_based.eface": "eface/rules",
}
PRODUCTS = {"oral-corticosteroids": "Oral corticosteroid (e.g. prednisolone)"}


def _when(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _scheduled(schedule: Schedule | None) -> dict[str, Any]:
    if schedule is None:
        return {}
    if schedule.every_weeks is not None:
        repeat: dict[str, Any] = {}
        if schedule.start is not None:
            repeat["boundsPeriod"] = {"start": _when(schedule.start)}
        repeat.update({"frequency": 1, "period": schedule.every_weeks, "periodUnit": "wk"})
        return {"scheduledTiming": {"repeat": repeat, "code": {"text": schedule.text}}}
    if schedule.start is not None or schedule.end is not None:
        period = {k: _when(v) for k, v in (("start", schedule.start), ("end", schedule.end)) if v is not None}
        return {"scheduledPeriod": period}
    return {"scheduledString": schedule.text}


def _activity(ctx: Context, activity: Activity, observations: Mapping[str, Entry]) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if activity.kind is not None:
        detail["kind"] = activity.kind
    detail["code"] = concept(activity.code, activity.title)
    detail["reasonCode"] = [{"text": activity.reason()}]
    refs = []
    for evidence in activity.evidence:
        entry = observations.get(SOURCE_OUTPUTS.get(evidence.source, ""))
        if entry is not None and entry.reference not in refs:
            refs.append(entry.reference)
    if refs:
        detail["reasonReference"] = refs
    detail["status"] = "scheduled" if ctx.approved else "not-started"
    detail.update(_scheduled(activity.schedule))
    if activity.code in PRODUCTS:
        detail["productCodeableConcept"] = {"text": PRODUCTS[activity.code]}
    urgent = activity.urgent and not activity.description.startswith("EMERGENCY")
    text = ("Time-critical. " if urgent else "") + activity.description
    if activity.schedule is not None:
        text += f" When: {activity.schedule.text}."
    if activity.citation:
        text += f" Source: {activity.citation}."
    detail["description"] = text
    return {"detail": detail}


def _lower_first(text: str) -> str:
    """``text`` with its first letter lower-cased, unless it starts an acronym (``URGENT``, ``HB``)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def approved_words(plan: CarePlanProposal) -> tuple[str, str]:
    """Title and description of an approved plan: the proposal's wording ("proposal", "draft") no longer holds,
    and the activities are those the clinician kept."""
    title = plan.title.replace("management proposal", "management plan")
    description = "Approved plan: " + "; ".join(_lower_first(a.title) for a in plan.activities) + "."
    return title, description


def care_plan(ctx: Context, plan: CarePlanProposal, observations: Mapping[str, Entry], report: Entry, *,
              review: Sequence[str] = ()) -> Entry:
    """The CarePlan of ``plan``; ``observations`` maps output names to the bundle's Observations.

    ``review`` holds sentences recording the clinician's edits (written as notes).
    """
    identifier = ids.output_identifier(ctx.view.key, "care-plan")
    notes = [*review, *plan.considerations,
             f"Rules {plan.rules_version}, after the AAO-HNS Clinical Practice Guideline: Bell's Palsy ({GUIDELINE}).",
             ctx.statement()]
    state = "approved by a clinician" if ctx.approved else "proposed by fpcds; a draft until a clinician approves it"
    title, description = approved_words(plan) if ctx.approved else (plan.title, plan.description)
    supporting = [report.reference]
    for evidence in (e for a in plan.activities for e in a.evidence):
        entry = observations.get(SOURCE_OUTPUTS.get(evidence.source, ""))
        if entry is not None and entry.reference not in supporting:
            supporting.append(entry.reference)
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "meta": ai_meta(ids.CARE_PLAN),
        "text": narrative(f"{title} ({state})",
                          [description, *(f"{a.title}: {a.description}" for a in plan.activities), *notes]),
        "identifier": [identifier],
        "status": "active" if ctx.approved else "draft",
        "intent": "plan" if ctx.approved else "proposal",
        "category": [concept(PATHWAY_CODES[plan.pathway])],
        "title": title,
        "description": description,
        "subject": ctx.subject,
        "created": ctx.view.inferred_at,
        "author": ctx.device.reference,
        "supportingInfo": supporting,
        "activity": [_activity(ctx, a, observations) for a in plan.activities],
        "note": [{"text": n} for n in notes],
    }
    return Entry(ids.full_url(identifier, "CarePlan"), resource, ids.if_none_exist(identifier))
