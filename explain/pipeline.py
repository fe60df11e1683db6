"""From an assessed session to its explanation, PDF report and audit record, in one call.

:func:`assess_with_report` is what ``fpcds assess SESSION --report out.pdf
--audit out.json`` runs after the assessment: explain every output on the
models that made it, render the report, and write the audit record holding
the report's hash. Files are written atomically.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from acquisition.native import file_sha256

from .audit import AuditRecord, build_audit_record
from .explanation import Explanation, explain_assessment
from .report import Patient, ReportInputs, render_report


@dataclass(frozen=True, eq=False)
class ReportedAssessment:
    """What :func:`assess_with_report` produced.

    Attributes
    ----------
    explanation : Explanation
    report : bytes or None
        The PDF (PHI), when a report was asked for.
    audit : AuditRecord
        The audit record (written to ``audit_path`` when given).
    """

    explanation: Explanation
    report: bytes | None
    audit: AuditRecord


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_bytes(data)
    tmp.replace(path)


def assess_with_report(
    session: Any,
    table: Any,
    models: Any,
    assessment: Any,
    *,
    session_path: str | os.PathLike[str],
    powerline: float | str | None,
    report_path: str | os.PathLike[str] | None = None,
    audit_path: str | os.PathLike[str] | None = None,
    patient: Patient | None = None,
    context: dict[str, str | None] | None = None,
    created_at: str | None = None,
) -> ReportedAssessment:
    """Explain an assessment, render its report and build (and write) its audit record.

    Parameters
    ----------
    session, table, models, assessment
        As returned together by the assess step (``plugin.cli.assess.assess_file``).
    session_path : path
        The session file that was read.
    powerline : float, 'auto' or None
        The powerline option the features were extracted with (recorded for verification).
    report_path, audit_path : path, optional
        Where to write the PDF and the audit JSON.
    patient : Patient, optional
        Identity printed in the report header only (never in the audit record).
    context : dict, optional
        SMART context for the audit record (fhirUser, patient, iss, encounter).
    created_at : str, optional
        Report time, ISO 8601 (default: now, UTC).

    Returns
    -------
    ReportedAssessment
    """
    explanation = explain_assessment(assessment, models, table=table)
    created = created_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    record_id = str(uuid.uuid4())
    record = build_audit_record(session_path=session_path, session=session, table=table, assessment=assessment,
                                explanation=explanation, models=models, powerline=powerline, record_id=record_id,
                                context=context, created_at=created)
    pdf = None
    if report_path is not None:
        inputs = ReportInputs(assessment, explanation, table, models, session, Path(session_path).name,
                              patient or Patient(), created_at=created,
                              audit_id=record_id if audit_path is not None else None,
                              session_file_sha256=file_sha256(session_path))
        pdf = render_report(inputs)
        _write_atomic(Path(report_path), pdf)
        record = record.with_report(pdf, file=str(report_path), created_at=created)
    if audit_path is not None:
        record.write(audit_path)
    return ReportedAssessment(explanation, pdf, record)
