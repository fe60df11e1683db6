"""Assessment -> FHIR R4 transaction Bundle (pure: no HTTP, no clock, no randomness).

:func:`assessment_bundle` maps one assessment, with its measures, report PDF
and approval when given, to a transaction that writes, in one all-or-nothing
step:

* the session record (DocumentReference, by content SHA-256), the AI Device
  of the model set and its model card (DocumentReference);
* Observations: House-Brackmann (model and measured form), Sunnybrook
  (model estimate and rule-based with its components), eFACE, the
  central-vs-peripheral and synkinesis probabilities, the recovery
  prognosis, and the landmark asymmetry and sEMG measures;
* the DiagnosticReport over them (conclusion, coded conclusion, PDF);
* the CarePlan of :func:`models.careplan.propose_care_plan` (none when the face looks healthy);
* the Provenance: AI Device as author, the approving clinician as verifier,
  the session as input (role derivation).

Before approval: Observations and report preliminary, CarePlan draft with
intent proposal, no verifier. After approval: final, active with intent
plan, the clinician as resultsInterpreter and Provenance verifier. Every
entry is a conditional create (``ifNoneExist``) on a business identifier
derived from the assessment (:mod:`plugin.fhir.ids`), with ``urn:uuid``
references between entries, so posting the bundle again creates nothing
twice. The same inputs always give the same bundle.

A preliminary bundle is for review and export. The write-back after approval
is the approved bundle: if a preliminary bundle had been posted, its
resources carry the same identifiers and a conditional create keeps them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Mapping

from models.careplan import CarePlanProposal, ClinicalFacts, propose_care_plan

from . import ids
from .careplan_map import care_plan
from .common import Context, Entry
from .device import ai_device, model_card
from .errors import FhirMappingError
from .inputs import fhir_datetime, fhir_instant, read_assessment, read_features, read_pdf
from .measures import measure_observations
from .observations import score_observations
from .provenance import provenance
from .report import diagnostic_report
from .session_record import session_record


@dataclass(frozen=True)
class Approval:
    """A clinician's approval of an assessment.

    Attributes
    ----------
    approver : str
        ``Practitioner/<id>`` or ``PractitionerRole/<id>`` (the signed-in fhirUser).
    time : str
        When it was approved: ISO 8601 with a timezone.
    """

    approver: str
    time: str


#: The activity a suspected central palsy plan cannot be without (profile invariant fpcds-cp-2).
URGENT_STROKE = "urgent-stroke-referral"
#: Longest clinician note accepted on a care-plan review (characters).
NOTE_MAX_CHARS = 2000


@dataclass(frozen=True)
class CarePlanReview:
    """The clinician's edits of the proposed care plan, made when approving.

    Attributes
    ----------
    removed : tuple of str
        Codes of proposed activities the clinician took out (``Activity.code``).
        When every activity is removed, no CarePlan is written and the report
        says the clinician declined the proposed plan.
    note : str, optional
        The clinician's note, written on the CarePlan (or, when the plan was
        declined, in the report's conclusion).
    """

    removed: tuple[str, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.removed, str) or not all(isinstance(c, str) and c for c in self.removed):
            raise FhirMappingError(f"care plan review: removed is {self.removed!r}; expected activity codes")
        if self.note is not None and (not isinstance(self.note, str) or len(self.note) > NOTE_MAX_CHARS):
            raise FhirMappingError(f"care plan review: the note must be text of at most {NOTE_MAX_CHARS} characters")

    def words(self, plan: CarePlanProposal, approver: str) -> list[str]:
        """Sentences recording the review, for the CarePlan notes or the report's conclusion."""
        out = []
        if self.removed:
            titles = [a.title for a in plan.activities if a.code in self.removed]
            kept = len(plan.activities) - len(titles)
            out.append(f"{approver} removed from the proposed plan: {'; '.join(titles)}"
                       + ("." if kept else " (the proposed plan was declined)."))
        if self.note and self.note.strip():
            out.append(f"Clinician's note ({approver}): {self.note.strip()}")
        return out


def _reviewed(plan: CarePlanProposal | None, review: CarePlanReview | None) -> CarePlanProposal | None:
    """The plan with the clinician's removals applied (None when every activity was removed)."""
    if review is None:
        return plan
    if plan is None:
        if review.removed or (review.note and review.note.strip()):
            raise FhirMappingError("care plan review given, but no care plan was proposed for this assessment")
        return None
    unknown = [c for c in review.removed if plan.activity(c) is None]
    if unknown:
        raise FhirMappingError(f"care plan review removes {', '.join(unknown)}, which the proposed plan does not "
                               f"hold; proposed: {', '.join(plan.codes)}")
    kept = tuple(a for a in plan.activities if a.code not in review.removed)
    if kept and plan.pathway == "central" and URGENT_STROKE in review.removed:
        raise FhirMappingError("the urgent stroke work-up is the core of a suspected central palsy plan: it can "
                               "only be removed by declining the whole plan")
    return replace(plan, activities=kept) if kept else None


def _session_time(recorded_at: str | None) -> datetime | date | None:
    if recorded_at is None:
        return None
    moment = datetime.fromisoformat(recorded_at)
    return moment if moment.tzinfo is not None else moment.date()


def clinical_facts(features: Mapping[str, float] | None, clinical: ClinicalFacts | None = None,
                   recorded_at: str | None = None) -> ClinicalFacts:
    """Age, days since onset and session time for the care-plan rules (``clinical`` wins over ``features``)."""
    session_time = _session_time(recorded_at)
    if clinical is not None:
        if not isinstance(clinical, ClinicalFacts):
            raise FhirMappingError(f"clinical is a {type(clinical).__name__}; expected models.careplan.ClinicalFacts")
        return ClinicalFacts(clinical.age_years, clinical.days_since_onset, clinical.session_time or session_time)
    if features is None:
        return ClinicalFacts(session_time=session_time)
    return ClinicalFacts.from_features(features, session_time=session_time)


def _entry(entry: Entry, subject: str) -> dict[str, Any]:
    """The transaction entry; a patient's resource is matched within that patient only.

    Business identifiers derive from the session and model set, not the
    patient: if the same session file were imported for two patients, an
    unqualified conditional create would link the second patient's write to
    the first patient's resources.
    """
    resource_type = entry.resource["resourceType"]
    condition = entry.if_none_exist
    if (entry.resource.get("subject") or {}).get("reference") == subject:
        condition += f"&patient={subject}"
    return {"fullUrl": entry.full_url, "resource": entry.resource,
            "request": {"method": "POST", "url": resource_type, "ifNoneExist": condition}}


def assessment_bundle(
    assessment: Any,
    *,
    patient: str,
    features: Any = None,
    report_pdf: bytes | None = None,
    report_created: str | None = None,
    approval: Approval | None = None,
    recorded_at: str | None = None,
    session_title: str | None = None,
    clinical: ClinicalFacts | None = None,
    previous: Any = None,
    model_cards: Mapping[str, Any] | None = None,
    review: CarePlanReview | None = None,
) -> dict[str, Any]:
    """The FHIR R4 transaction Bundle of one assessment.

    Parameters
    ----------
    assessment : Assessment or dict
        The assessment or its JSON form (``Assessment.to_dict()``).
    patient : str
        The patient: ``<id>`` or ``Patient/<id>``.
    features : FeatureTable or dict, optional
        The session's features (or their JSON form): the measure Observations,
        and age and days since onset for the care plan. Without them, no
        measure Observations are written.
    report_pdf : bytes, optional
        The PDF report, carried by the DiagnosticReport (base64).
    report_created : str, optional
        When the PDF was made (ISO 8601 with timezone; default: the inference time).
    approval : Approval, optional
        The clinician's approval; without it everything is preliminary / a proposal.
    recorded_at : str, optional
        When the session was recorded (ISO 8601; ``Session.recorded_at``). A
        time without timezone is written as its date. Unknown: the inference
        time stands in, and the resources say so.
    session_title : str, optional
        Name of the session file, for the session record.
    clinical : ClinicalFacts, optional
        Age and days since onset, when not (or not correctly) in ``features``.
    previous : Assessment or dict, optional
        An earlier assessment of the same patient (worsening -> referral).
    model_cards : dict of str -> ModelCard or dict, optional
        Full model cards by model id, for the model-card document.
    review : CarePlanReview, optional
        The clinician's edits of the proposed plan (only with ``approval``).

    Returns
    -------
    dict
        The Bundle (type transaction), JSON-ready.

    Raises
    ------
    FhirMappingError
        An input is missing, malformed or inconsistent (the message names it).
    """
    view = read_assessment(assessment)
    subject = ids.patient_reference(patient)
    table = read_features(features, session_sha256=view.session_sha256)
    pdf = read_pdf(report_pdf)
    approver = approved_at = None
    if approval is not None:
        if not isinstance(approval, Approval):
            raise FhirMappingError(f"approval is a {type(approval).__name__}; expected plugin.fhir.mapping.Approval")
        approver = ids.approver_reference(approval.approver)
        approved_at = fhir_instant(approval.time, field="approval time")
        if datetime.fromisoformat(approved_at) < datetime.fromisoformat(view.inferred_at):
            raise FhirMappingError(f"approval time {approved_at} is before the inference at {view.inferred_at}; "
                                   "expected an approval after the assessment")
    recorded = None if recorded_at is None else fhir_datetime(recorded_at, field="recorded_at")
    created = view.inferred_at if report_created is None else fhir_instant(report_created, field="report_created")
    if review is not None and approval is None:
        raise FhirMappingError("a care plan review comes with an approval; without one the plan stays a proposal")
    facts = clinical_facts(table, clinical, recorded_at)
    proposed = propose_care_plan(view.data, facts=facts, previous=previous)
    plan = _reviewed(proposed, review)
    review_words = [] if review is None or proposed is None else review.words(proposed, approver)

    session = session_record(view, patient=subject, recorded_at=recorded, title=session_title)
    device = ai_device(view)
    card = model_card(view, device, model_cards)
    ctx = Context(view=view, patient=subject, effective=recorded or view.inferred_at,
                  recording_time_known=recorded is not None, approved=approval is not None, device=device,
                  session=session)
    scores = score_observations(ctx)
    measures = measure_observations(ctx, table)
    observations = {e.resource["identifier"][0]["value"].split("/", 1)[1]: e for e in scores}
    report = diagnostic_report(ctx, [*scores, *measures], plan, pdf=pdf, pdf_created=created, approver=approver,
                               approved_at=approved_at, review=review_words if plan is None else [])
    entries = [session, card, device, *scores, *measures, report]
    targets = [report, *scores, *measures]
    if plan is not None:
        plan_entry = care_plan(ctx, plan, observations, report, review=review_words)
        entries.append(plan_entry)
        targets.insert(1, plan_entry)
    entries.append(provenance(ctx, targets, report, approver=approver, approved_at=approved_at))
    return {"resourceType": "Bundle", "type": "transaction", "entry": [_entry(e, subject) for e in entries]}


def bundle_json(bundle: Mapping[str, Any]) -> str:
    """The bundle as JSON text (UTF-8, 2-space indent, key order kept): equal bundles give equal bytes."""
    return json.dumps(bundle, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
