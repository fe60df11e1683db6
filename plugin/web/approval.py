"""What approval and write-back need from an assessed session, without Flask.

The assess step's stored results (:func:`plugin.web.results.load_results`,
every file checked against its recorded SHA-256) give the assessment, its
features, the report PDF and the audit record. :func:`approved_bundle`
builds the transaction the write-back sends; :func:`proposed_plan` is the
plan the clinician reviews (the same rules and facts the bundle uses, so what
is shown is what is written). The bundle is kept as ``writeback-bundle.json``
(the pending write) in the assessment's folder until the EHR has it.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from explain.report import Patient
from models.careplan import CarePlanProposal, propose_care_plan
from models.features import FeatureTable

from ..fhir import ids
from ..fhir.errors import FhirMappingError
from ..fhir.mapping import Approval, CarePlanReview, assessment_bundle, bundle_json, clinical_facts
from .results import StoredResults, load_results

#: The pending write: the approved transaction Bundle, kept until the EHR has it.
PENDING_FILE = "writeback-bundle.json"
#: The report as approved (status APPROVED, the approver and time on its first page): the chart gets this one.
APPROVED_REPORT_FILE = "report-approved.pdf"


@dataclass(frozen=True)
class Assessed:
    """An assessed session's stored results, as approval needs them.

    Attributes
    ----------
    stored : StoredResults
    features : FeatureTable
    """

    stored: StoredResults
    features: FeatureTable

    @property
    def assessment(self) -> dict[str, Any]:
        return self.stored.assessment

    @property
    def audit_path(self) -> Path:
        return self.stored.audit_path

    @property
    def pending_path(self) -> Path:
        return self.stored.directory / PENDING_FILE


def load_assessed(folder: Path) -> Assessed:
    """The stored results in an assessment's ``folder``.

    Raises
    ------
    ResultsError
        The assessment has not run, or a stored file is missing or altered.
    """
    stored = load_results(folder)
    return Assessed(stored, FeatureTable.from_dict(stored.features))


@functools.lru_cache(maxsize=4)
def _model_cards(manifest_sha256: str) -> dict[str, Any]:
    from models.registry import load_models

    models = load_models()
    if models.manifest_sha256 != manifest_sha256:
        raise FhirMappingError(f"the assessment was made with model set {manifest_sha256[:16]}, but this fpcds "
                               f"serves {models.manifest_sha256[:16]}; run the assessment again")
    return {k: m.card for k, m in models.models.items()}


def model_cards(assessment: Mapping[str, Any]) -> dict[str, Any]:
    """The model cards of the model set that made ``assessment`` (the shipped set; checked by manifest hash)."""
    return _model_cards(str(assessment["model_set"]["manifest_sha256"]))


def proposed_plan(assessed: Assessed, *, previous: Mapping[str, Any] | None = None) -> CarePlanProposal | None:
    """The care plan the rules propose (None when the face looks healthy); ``previous`` as in the bundle."""
    return propose_care_plan(assessed.assessment, previous=previous,
                             facts=clinical_facts(assessed.features, recorded_at=assessed.stored.recorded_at))


def approved_bundle(assessed: Assessed, *, patient: str, approval: Approval, review: CarePlanReview | None,
                    previous: Mapping[str, Any] | None = None, report_pdf: bytes | None = None) -> dict[str, Any]:
    """The approved transaction Bundle of the assessment (see :func:`plugin.fhir.mapping.assessment_bundle`).

    ``previous`` is the patient's last approved assessment in the chart (its
    HB expected grade and Sunnybrook value), for the worsening rule.
    ``report_pdf`` is the approved report (:func:`render_approved_report`,
    made at the approval time); without it, the preliminary report.
    """
    stored = assessed.stored
    pdf, created = (stored.report_pdf, stored.report_created) if report_pdf is None else (report_pdf, approval.time)
    return assessment_bundle(
        stored.assessment, patient=patient, features=assessed.features, report_pdf=pdf,
        report_created=created, approval=approval, recorded_at=stored.recorded_at,
        session_title=stored.session_title, model_cards=model_cards(stored.assessment), review=review,
        previous=previous,
    )


def render_approved_report(assessed: Assessed, *, approver: str, at: str, patient: Patient) -> bytes:
    """The PDF report of the assessment as approved, written to :data:`APPROVED_REPORT_FILE`.

    The stored results keep no model objects, so the assessment is computed
    again from the session file the audit record names, with the same
    models, and must reproduce the stored assessment exactly (a different
    result means the software or the models changed: nothing is approved
    then). The explanation is recomputed on the same models (exact TreeSHAP:
    the same values) and the report rendered with the approval.

    Raises
    ------
    FhirMappingError
        The session file is gone, or the assessment is not reproduced.
    """
    from explain.explanation import explain_assessment
    from explain.report import Approval as ReportApproval
    from explain.report import ReportInputs, render_report

    from acquisition.native import file_sha256
    from plugin.cli.assess import assess_file

    audit = assessed.stored.audit
    session_path = Path(audit.session["path"])
    if not session_path.is_file():
        raise FhirMappingError(f"the assessed session file {session_path.name} is missing; run the assessment again")
    run = assess_file(str(session_path), powerline=str(audit.features["options"]["powerline"] or "none"))
    again = replace(run.assessment, inferred_at=assessed.assessment["inferred_at"])
    if json.loads(json.dumps(again.to_dict())) != assessed.assessment:
        raise FhirMappingError("computing the assessment again does not give the stored result (the software or "
                               "the models changed since); run the assessment again before approving")
    explanation = explain_assessment(again, run.models, table=run.table)
    inputs = ReportInputs(again, explanation, run.table, run.models, run.session, assessed.stored.session_title,
                          patient, approval=ReportApproval(approver, at), created_at=at, audit_id=audit.id,
                          session_file_sha256=file_sha256(session_path))
    pdf = render_report(inputs)
    path = assessed.stored.directory / APPROVED_REPORT_FILE
    tmp = path.with_name(path.name + ".partial")
    tmp.write_bytes(pdf)
    os.replace(tmp, path)
    return pdf


def assessment_key(assessed: Assessed) -> str:
    """The key of the assessment's business identifiers (session and model set)."""
    data = assessed.assessment
    return ids.assessment_key(data["session"]["sha256"], data["model_set"]["manifest_sha256"])


def keep_pending(assessed: Assessed, bundle: Mapping[str, Any]) -> Path:
    """Store the approved bundle as the pending write (atomically)."""
    tmp = assessed.pending_path.with_name(PENDING_FILE + ".partial")
    tmp.write_text(bundle_json(bundle))
    os.replace(tmp, assessed.pending_path)
    return assessed.pending_path


def pending_bundle(assessed: Assessed) -> dict[str, Any]:
    """The stored pending write; raises FhirMappingError when there is none."""
    try:
        return json.loads(assessed.pending_path.read_text())
    except FileNotFoundError:
        raise FhirMappingError("there is no approved write waiting for this assessment; approve it first") from None
