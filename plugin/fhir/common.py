"""What every builder of the mapping shares: the context of one bundle, entries and the Observation skeleton."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from . import ids
from .inputs import AssessmentView
from .narrative import narrative
from .terminology import AIAST, category, concept


@dataclass(frozen=True)
class Entry:
    """One resource of the transaction: its urn:uuid, the resource and its conditional-create search."""

    full_url: str
    resource: dict[str, Any]
    if_none_exist: str

    @property
    def reference(self) -> dict[str, str]:
        return {"reference": self.full_url}


@dataclass(frozen=True)
class Context:
    """Facts every resource of one bundle shares.

    Attributes
    ----------
    view : AssessmentView
    patient : str
        ``Patient/<id>``.
    effective : str
        FHIR dateTime of the session (the inference time when the recording time is unknown).
    recording_time_known : bool
    approved : bool
    device, session : Entry
        The AI Device and the session record, referenced by the others.
    """

    view: AssessmentView
    patient: str
    effective: str
    recording_time_known: bool
    approved: bool
    device: Entry
    session: Entry

    @property
    def status(self) -> str:
        """Observation status: preliminary until a clinician approves, final after."""
        return "final" if self.approved else "preliminary"

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": self.patient}

    def statement(self) -> str:
        """The sentence every resource carries about the models' validity."""
        v = self.view
        return (f"fpcds decision support (model set {v.set_version}; {v.statement}). Evidence: {v.evidence_words}. "
                "For review by a clinician; not a diagnosis.")

    def timing_note(self) -> str:
        if self.recording_time_known:
            return ""
        return "The recording time of the session is unknown; the effective time given is that of the analysis."


def ai_meta(profile_id: str) -> dict[str, Any]:
    """meta of an AI-produced resource: our profile and the AI Transparency label."""
    return {"profile": [ids.profile(profile_id)], "security": [dict(AIAST)]}


def observation(
    ctx: Context,
    *,
    output: str,
    profile_id: str,
    kind: str,
    code: dict[str, Any],
    value: dict[str, Any],
    method: str,
    method_text: str,
    title: str,
    notes: Sequence[str] = (),
    components: Sequence[dict[str, Any]] = (),
    body_site: dict[str, Any] | None = None,
    interpretation: dict[str, Any] | None = None,
) -> Entry:
    """One fpcds Observation (see the profile fpcds-ai-observation).

    Parameters
    ----------
    output : str
        The output name in the business identifier, e.g. ``'hb-grade/model'``.
    kind : {'survey', 'procedure'}
        Category: grading scales and model outputs are surveys, sEMG and motion measures procedures.
    code : dict
        CodeableConcept.
    value : dict
        ``{'valueQuantity': ...}`` or ``{'valueCodeableConcept': ...}`` (empty for a panel).
    method : str
        fpcds method code; ``method_text`` names the algorithm, its version and the evidence.
    title : str
        First line of the narrative.
    notes : sequence of str
        Notes for the reader; the models' statement is always added.
    """
    identifier = ids.output_identifier(ctx.view.key, output)
    texts = [n for n in (*notes, ctx.timing_note()) if n] + [ctx.statement()]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "meta": ai_meta(profile_id),
        "text": narrative(title, [method_text, *texts]),
        "identifier": [identifier],
        "status": ctx.status,
        "category": [category(kind)],
        "code": code,
        "subject": ctx.subject,
        "effectiveDateTime": ctx.effective,
        "issued": ctx.view.inferred_at,
        **value,
    }
    if interpretation is not None:
        resource["interpretation"] = [interpretation]
    resource["note"] = [{"text": t} for t in texts]
    if body_site is not None:
        resource["bodySite"] = body_site
    resource["method"] = {**concept(method), "text": method_text}
    resource["device"] = ctx.device.reference
    resource["derivedFrom"] = [ctx.session.reference]
    if components:
        resource["component"] = list(components)
    return Entry(ids.full_url(identifier, "Observation"), resource, ids.if_none_exist(identifier))
