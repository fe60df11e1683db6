"""The assess step's work, without Flask: session -> features -> assessment -> explanation, PDF, audit -> files.

:func:`run_assessment` does what ``fpcds assess SESSION --report PDF --audit
JSON`` does (:func:`plugin.cli.assess.assess_file`, then
:func:`explain.pipeline.assess_with_report`) on a session stored in an
assessment's folder, after replacing subject facts the chart knows better
(e.g. the latest Facial Disability Index), and stores the results as
:mod:`plugin.web.results.files` describes.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from acquisition.errors import SessionFileError, SessionValidationError
from acquisition.native import SUFFIX, file_sha256, write_session
from acquisition.readers import read_any
from acquisition.session import Session, Subject
from explain.pipeline import assess_with_report
from explain.report import Patient, ReportInputs

from . import files as F
from .summary import page_model

#: Stages in the order they run, with what the progress page says.
STAGES: tuple[tuple[str, str], ...] = (
    ("session", "Reading the session"),
    ("models", "Loading and verifying the models"),
    ("features", "Extracting features"),
    ("assessment", "Grading and predicting"),
    ("explanation", "Explaining every output (SHAP) and rendering the report"),
    ("saving", "Saving the results"),
)
STAGE_NAMES = tuple(name for name, _ in STAGES)
#: Subject facts that may be replaced before an assessment.
SUBJECT_FIELDS = tuple(f.name for f in dataclasses.fields(Subject))


def apply_subject_overrides(session: Session, overrides: Mapping[str, Any] | None) -> tuple[Session, dict[str, dict]]:
    """``session`` with subject facts replaced (Subject validates them), and what changed.

    Parameters
    ----------
    session : Session
    overrides : mapping, optional
        Subject field -> new value, e.g. ``{"fdi_physical": 72.5, "fdi_social": 60.0}``.

    Returns
    -------
    session : Session
        The same object when nothing changes.
    changed : dict
        ``name -> {"value": new, "recorded": value recorded with the session}`` for each fact that differs.

    Raises
    ------
    SessionValidationError
        An unknown subject field, or a value the Subject refuses (out of range, wrong type).
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(SUBJECT_FIELDS))
    if unknown:
        raise SessionValidationError(f"subject override {unknown[0]!r} is not a subject fact; expected one of "
                                     f"{', '.join(SUBJECT_FIELDS)}")
    subject = dataclasses.replace(session.subject, **overrides)
    changed = {name: {"value": getattr(subject, name), "recorded": getattr(session.subject, name)}
               for name in overrides if getattr(subject, name) != getattr(session.subject, name)}
    if not changed:
        return session, {}
    return dataclasses.replace(session, subject=subject), changed


def run_assessment(
    assessment_dir: str | Path,
    session_path: str | Path,
    *,
    patient: Patient,
    context: Mapping[str, str | None],
    subject_overrides: Mapping[str, Any] | None,
    progress: Callable[[str], None],
    session_title: str | None = None,
    model_dir: str | Path | None = None,
    powerline: str = "auto",
) -> dict[str, Any]:
    """Assess a stored session and write every result file into the assessment's folder.

    Parameters
    ----------
    assessment_dir : path
        The assessment's folder (the results are written beside the session).
    session_path : path
        The session file (native ``.fpcds`` files are read with their content hash verified).
    patient : explain.report.Patient
        Identity printed in the PDF header (and nowhere else).
    context : mapping
        SMART context for the audit record: ``fhirUser``, ``patient``, ``iss``, ``encounter`` (None values dropped).
    subject_overrides : mapping or None
        Subject facts that replace the session's (:func:`apply_subject_overrides`); when any differs, the
        changed session is written to ``assessed-session.fpcds`` in the folder and that file is assessed, so
        the audit record names the data the models really saw.
    progress : callable
        Called with each stage name of :data:`STAGES` as it starts.
    session_title : str, optional
        Name of the session file as the user knows it (default: the file's name); errors name it.
    model_dir : path, optional
        Model directory (default: the shipped models).
    powerline : str
        ``'auto'``, ``'none'`` or Hz, as ``fpcds assess --powerline``.

    Returns
    -------
    dict
        What the workflow records for the step (JSON-ready): ``files`` (name -> SHA-256,
        ``audit.json`` as first written), ``audit_id``, ``session`` (title, file, file and content SHA-256),
        ``subject_overrides``, ``model_set``, ``models`` (id -> ONNX SHA-256), ``timings_s`` (per stage)
        and ``inferred_at``.

    Raises
    ------
    SessionFileError
        The session cannot be read (named by ``session_title``).
    SessionValidationError
        A subject override is refused.
    FpcdsError
        From the models (``ModelError``), the explanation or the report.
    """
    from plugin.cli.assess import assess_file
    from plugin.cli.explain import powerline_option

    folder = Path(assessment_dir)
    (folder / F.RESULTS).unlink(missing_ok=True)  # results.json marks a complete set: none until this one is
    title = session_title or Path(session_path).name
    timings: dict[str, float] = {}
    current: list[Any] = [None, 0.0]

    def stage(name: str) -> None:
        if name == current[0]:
            return
        now = time.perf_counter()
        if current[0] is not None:
            timings[current[0]] = timings.get(current[0], 0.0) + now - current[1]
        current[:] = [name, now]
        progress(name)

    stage("session")
    try:
        native = str(session_path).lower().endswith(SUFFIX)
        session = read_any(session_path, verify=True) if native else read_any(session_path)
        assessed, changed = apply_subject_overrides(session, subject_overrides)
        assessed_path = Path(session_path)
        if changed:
            assessed_path = folder / F.ASSESSED_SESSION
            write_session(assessed, assessed_path)
        run = assess_file(str(assessed_path), model_dir=None if model_dir is None else str(model_dir),
                          powerline=powerline, progress=stage)
    except SessionFileError as exc:
        raise SessionFileError(title, exc.problem) from None

    stage("explanation")
    done = assess_with_report(run.session, run.table, run.models, run.assessment, session_path=assessed_path,
                              powerline=powerline_option(powerline), report_path=folder / F.REPORT,
                              audit_path=folder / F.AUDIT, patient=patient,
                              context={k: v for k, v in context.items() if v is not None})

    stage("saving")
    hashes = {
        F.ASSESSMENT: F.write_atomic(folder / F.ASSESSMENT, F.json_bytes(run.assessment.to_dict())),
        F.FEATURES: F.write_atomic(folder / F.FEATURES, F.json_bytes(run.table.to_dict())),
        F.EXPLANATION: F.write_atomic(folder / F.EXPLANATION, F.json_bytes(done.explanation.to_dict())),
        F.REPORT: F.sha256(done.report or b""),
        F.AUDIT: file_sha256(folder / F.AUDIT),
    }
    created = done.audit.times.get("report") or done.audit.created_at
    inputs = ReportInputs(run.assessment, done.explanation, run.table, run.models, run.session, title,
                          created_at=created)
    session_sha = file_sha256(assessed_path)
    file_name = assessed_path.name if changed else Path(session_path).name
    timings["saving"] = time.perf_counter() - current[1]
    page = page_model(run, done, inputs, session_title=title, session_file=file_name,
                      session_file_sha256=session_sha, subject_overrides=changed, files=hashes, timings_s=timings)
    page_sha = F.write_atomic(folder / F.RESULTS, F.json_bytes(page))
    return {
        "files": {**hashes, F.RESULTS: page_sha},
        "audit_id": done.audit.id,
        "session": {"title": title, "file": file_name, "file_sha256": session_sha,
                    "content_sha256": run.assessment.session_sha256},
        "subject_overrides": changed,
        "model_set": dict(run.assessment.model_set),
        "models": {m.id: m.sha256 for m in run.assessment.models},
        "inferred_at": run.assessment.inferred_at,
        "timings_s": page["timings_s"],
    }
