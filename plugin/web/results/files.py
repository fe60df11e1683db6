"""The files the assess step leaves in an assessment's folder, and reading them back.

The files sit in the assessment's folder beside the imported session:

==========================  ===============================================================
``assessment.json``         :meth:`models.assessment.Assessment.to_dict` (docs/assessment.md)
``features.json``           :meth:`models.features.FeatureTable.to_dict`
``explanation.json``        :meth:`explain.explanation.Explanation.to_dict`
``report.pdf``              the preliminary PDF report (PHI)
``audit.json``              the audit record (docs/audit.md); later steps may update it
``assessed-session.fpcds``  only when facts from the chart replaced the session's subject facts
``results.json``            what the results page shows, with the SHA-256 of every file above
==========================  ===============================================================

Each file is written under a temporary name and renamed; ``results.json``
is written last, so its presence means the set is complete. The files the
step wrote are never changed afterwards, except ``audit.json``, which later
steps (approval, write-back) update through :class:`explain.audit.AuditRecord`
(its own ``record_sha256`` protects it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acquisition.errors import FpcdsError

ASSESSMENT = "assessment.json"
FEATURES = "features.json"
EXPLANATION = "explanation.json"
REPORT = "report.pdf"
AUDIT = "audit.json"
ASSESSED_SESSION = "assessed-session.fpcds"
RESULTS = "results.json"
RESULTS_FORMAT = "fpcds-results"
RESULTS_VERSION = 1
#: Files whose SHA-256 results.json records and :func:`load_results` checks.
FIXED_FILES = (ASSESSMENT, FEATURES, EXPLANATION, REPORT)


class ResultsError(FpcdsError):
    """Stored results are missing, incomplete or damaged.

    Parameters
    ----------
    name : str
        The file concerned (a name inside the results folder).
    problem : str
    """

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        self.problem = problem
        super().__init__(f"{name}: {problem}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, data: bytes) -> str:
    """Write ``data`` under a temporary name and rename it to ``path``; returns its SHA-256."""
    tmp = path.with_name(path.name + ".partial")
    tmp.write_bytes(data)
    tmp.replace(path)
    return sha256(data)


def json_bytes(data: Any) -> bytes:
    """Strict JSON (no NaN literals), indented, UTF-8."""
    return (json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n").encode()


def is_complete(assessment_dir: str | Path) -> bool:
    """True once the assess step has committed its results (``results.json`` exists)."""
    return (Path(assessment_dir) / RESULTS).is_file()


@dataclass(frozen=True, eq=False)
class StoredResults:
    """One assessment's stored results, checked against the hashes in ``results.json``.

    Attributes
    ----------
    directory : Path
        The assessment's folder.
    page : dict
        ``results.json``: what the results page shows (format ``fpcds-results``).
    assessment : dict
        ``assessment.json`` (``Assessment.to_dict()``).
    features : dict
        ``features.json`` (``FeatureTable.to_dict()``).
    explanation : dict
        ``explanation.json`` (``Explanation.to_dict()``).
    report_pdf : bytes
        The preliminary report (PHI).
    audit : explain.audit.AuditRecord
        The audit record as stored now (updated by later steps).
    """

    directory: Path
    page: dict[str, Any]
    assessment: dict[str, Any]
    features: dict[str, Any]
    explanation: dict[str, Any]
    report_pdf: bytes
    audit: Any

    @property
    def report_path(self) -> Path:
        return self.directory / REPORT

    @property
    def audit_path(self) -> Path:
        return self.directory / AUDIT

    @property
    def session_title(self) -> str:
        """File name of the session as imported."""
        return str(self.page["session"]["title"])

    @property
    def recorded_at(self) -> str | None:
        """When the session was recorded (``Session.recorded_at``), if known."""
        return self.page["session"]["recorded_at"]

    @property
    def report_created(self) -> str:
        """When the report was made (ISO 8601)."""
        return str(self.page["report"]["created_at"])

    @property
    def subject_overrides(self) -> dict[str, dict[str, Any]]:
        """``name -> {value, recorded}`` of the subject facts replaced before the assessment."""
        return dict(self.page["subject_overrides"])

    def feature_table(self) -> Any:
        """The features as a :class:`models.features.FeatureTable`."""
        from models.features import FeatureTable

        return FeatureTable.from_dict(self.features)


def _read_json(folder: Path, name: str) -> Any:
    try:
        return json.loads((folder / name).read_bytes())
    except FileNotFoundError:
        raise ResultsError(name, "is missing from the stored results") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ResultsError(name, f"is not valid JSON ({exc})") from None


def read_page(assessment_dir: str | Path) -> dict[str, Any]:
    """``results.json`` of an assessment (what the results page shows), checked for its format.

    Raises
    ------
    ResultsError
        No results yet, or not a results file of this version.
    """
    data = _read_json(Path(assessment_dir), RESULTS)
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ResultsError(RESULTS, f"is not a results file: 'format' is not {RESULTS_FORMAT!r}")
    if data.get("version") != RESULTS_VERSION:
        raise ResultsError(RESULTS, f"has version {data.get('version')!r}; this software reads {RESULTS_VERSION}")
    return data


def read_report(assessment_dir: str | Path) -> bytes:
    """The stored report PDF, checked against the SHA-256 in ``results.json``.

    Raises
    ------
    ResultsError
        No results yet, or the report is missing or altered.
    """
    page = read_page(assessment_dir)
    try:
        pdf = (Path(assessment_dir) / REPORT).read_bytes()
    except FileNotFoundError:
        raise ResultsError(REPORT, "is missing from the stored results") from None
    if sha256(pdf) != (page.get("files") or {}).get(REPORT):
        raise ResultsError(REPORT, f"has SHA-256 {sha256(pdf)}; results.json recorded "
                                   f"{(page.get('files') or {}).get(REPORT)}: the file was changed after the assessment")
    return pdf


def load_results(assessment_dir: str | Path) -> StoredResults:
    """Read an assessment's stored results, checking every file against the SHA-256 recorded for it.

    Parameters
    ----------
    assessment_dir : path
        The assessment's folder (:meth:`plugin.web.assessments.AssessmentStore.directory`).

    Returns
    -------
    StoredResults

    Raises
    ------
    ResultsError
        The assessment has no results yet, or a file is missing, altered or malformed.
    """
    from explain.audit import AuditRecord
    from explain.errors import AuditError

    folder = Path(assessment_dir)
    page = read_page(assessment_dir)
    hashes = page.get("files") or {}
    blobs: dict[str, bytes] = {}
    for name in FIXED_FILES:
        try:
            blobs[name] = (folder / name).read_bytes()
        except FileNotFoundError:
            raise ResultsError(name, "is missing from the stored results") from None
        if sha256(blobs[name]) != hashes.get(name):
            raise ResultsError(name, f"has SHA-256 {sha256(blobs[name])}; results.json recorded {hashes.get(name)}: "
                                     "the file was changed after the assessment")
    try:
        audit = AuditRecord.from_dict(_read_json(folder, AUDIT), source=AUDIT)
    except AuditError as exc:
        raise ResultsError(AUDIT, exc.problem) from None
    if audit.id != page["audit_id"]:
        raise ResultsError(AUDIT, f"is record {audit.id}; results.json belongs to record {page['audit_id']}")
    return StoredResults(folder, page, json.loads(blobs[ASSESSMENT]), json.loads(blobs[FEATURES]),
                         json.loads(blobs[EXPLANATION]), blobs[REPORT], audit)
