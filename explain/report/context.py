"""What a report is made from: the assessment, its explanation, the features, the models and the caller's facts.

The patient's identity is whatever the caller passes in :class:`Patient`;
the report prints it in its header and nowhere else, and nothing in
:mod:`explain` logs it: the PDF is PHI, the audit record is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any

from explain.errors import ReportError
from explain.wording import Sides


@dataclass(frozen=True)
class Patient:
    """Patient identity as given by the caller (all optional; printed in the report header only).

    Attributes
    ----------
    name : str, optional
    identifier : str, optional
        E.g. a medical record number.
    birth_date : str, optional
    """

    name: str | None = None
    identifier: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True)
class Approval:
    """A clinician's approval of the assessment.

    Attributes
    ----------
    approver : str
        Name or FHIR reference of the approving clinician.
    approved_at : str
        ISO 8601 time.
    """

    approver: str
    approved_at: str


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """Everything one report shows.

    Attributes
    ----------
    assessment : models.assessment.Assessment
    explanation : explain.explanation.Explanation
    table : models.features.FeatureTable
    models : models.registry.ModelSet
        The verified set that made the assessment (for the model cards).
    session : Session or None
        For the signal plots (None: the plots say they are unavailable).
    session_name : str
        File name of the session as recorded (no directories).
    patient : Patient
    approval : Approval or None
    created_at : str
        Report time, ISO 8601 (also fixes the PDF's metadata date: same inputs, same bytes).
    audit_id : str or None
        Id of the audit record that will hold this report's hash.
    session_file_sha256 : str or None
        SHA-256 of the session file's bytes.
    """

    assessment: Any
    explanation: Any
    table: Any
    models: Any
    session: Any
    session_name: str
    patient: Patient = field(default_factory=Patient)
    approval: Approval | None = None
    created_at: str = ""
    audit_id: str | None = None
    session_file_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.explanation.session_sha256 != self.assessment.session_sha256:
            raise ReportError(f"the explanation is of session {self.explanation.session_sha256}, the assessment of "
                              f"{self.assessment.session_sha256}; a report needs both of the same session")
        missing = [m for m in self.assessment.outputs if m not in self.explanation.models]
        if missing:
            raise ReportError(f"the explanation lacks model(s) {missing} of the assessment")
        if not self.created_at:
            raise ReportError("report created_at is empty; expected an ISO 8601 time")

    @property
    def sides(self) -> Sides:
        return Sides(self.assessment.affected_side, self.assessment.affected_side_source)

    @cached_property
    def face_panels(self) -> list[Any]:
        """Face-diagram data of the session (computed once; empty without a session)."""
        from .signals import face_panels

        return [] if self.session is None else face_panels(self.session, self.table)

    @property
    def healthy_looking(self) -> bool:
        return any(w.code == "outputs.healthy_looking" for w in self.assessment.warnings)


def session_time(session: Any) -> datetime | None:
    """The session's recording time as a datetime, when it is recorded in ISO 8601."""
    text = getattr(session, "recorded_at", None) if session is not None else None
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def care_plan(inputs: ReportInputs) -> tuple[Any, str]:
    """The rule-based care-plan proposal (or None) and its status in words.

    Returns
    -------
    proposal : models.careplan.CarePlanProposal or None
    status : str
    """
    from models.careplan import ClinicalFacts, propose_care_plan

    facts = ClinicalFacts.from_features(inputs.table, session_time=session_time(inputs.session))
    plan = propose_care_plan(inputs.assessment, facts=facts)
    approved = inputs.approval is not None
    if plan is None:
        return None, "No care plan proposed: the face looks healthy (P(House-Brackmann I) >= 0.5)."
    state = "approved by the clinician" if approved else "draft proposal, not approved"
    return plan, f"{plan.title} ({state})."


def finite(value: Any) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)
