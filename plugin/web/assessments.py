"""Assessments in progress, stored server-side so that nothing is lost when something fails.

An assessment starts when a session file is imported: the uploaded file and
its native copy are kept under ``instance_dir/sessions/<id>/`` and the
summary in the database. Later workflow steps (features, assessment,
explanation, approval, write-back) add their results with :meth:`add_step`.

Assessments belong to one patient at one EHR (``iss`` + patient id): every
read is filtered by the launch's issuer and patient, so two launches for
different patients never see each other's data, while a new launch for the
same patient (after a token expired, say) finds the work still there.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .db import Database
from .sessions import Launch

#: Status values; the workflow moves forward through them.
STATUSES = ("imported", "assessed", "approved", "written", "discarded")
OPEN_STATUSES = ("imported", "assessed", "approved")


@dataclass(frozen=True)
class Assessment:
    """One assessment in progress for one patient."""

    id: str
    launch_id: str
    iss: str
    patient: str
    status: str
    created: float
    updated: float
    original_name: str
    original_path: Path
    session_path: Path
    session_sha256: str
    summary: dict[str, Any]


class AssessmentStore:
    """Assessments and their step results in the app database, files under ``instance_dir/sessions``."""

    def __init__(self, db: Database, instance_dir: Path) -> None:
        self.db = db
        self.root = Path(instance_dir) / "sessions"
        self.root.mkdir(parents=True, exist_ok=True)

    def new_id(self) -> str:
        return secrets.token_urlsafe(12)

    def directory(self, assessment_id: str) -> Path:
        """The folder that holds an assessment's files (created on demand)."""
        if not assessment_id or "/" in assessment_id or assessment_id.startswith("."):
            raise ValueError("bad assessment id")
        path = self.root / assessment_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def discard_files(self, assessment_id: str) -> None:
        """Remove the files of an import that failed before it was recorded."""
        shutil.rmtree(self.root / assessment_id, ignore_errors=True)

    def create(self, launch: Launch, *, assessment_id: str, original_name: str, original_path: Path,
               session_path: Path, session_sha256: str, summary: dict[str, Any]) -> Assessment:
        now = time.time()
        with self.db.transaction() as con:
            con.execute(
                "INSERT INTO assessments (id, launch_id, iss, patient, status, created, updated, original_name,"
                " original_path, session_path, session_sha256, summary) VALUES (?, ?, ?, ?, 'imported', ?, ?, ?, ?, ?, ?, ?)",
                (assessment_id, launch.id, launch.iss, launch.patient, now, now, original_name, str(original_path),
                 str(session_path), session_sha256, json.dumps(summary, allow_nan=False)),
            )
        found = self.get(launch, assessment_id)
        assert found is not None
        return found

    @staticmethod
    def _row(row: Any) -> Assessment:
        return Assessment(
            id=row["id"], launch_id=row["launch_id"], iss=row["iss"], patient=row["patient"], status=row["status"],
            created=row["created"], updated=row["updated"], original_name=row["original_name"],
            original_path=Path(row["original_path"]), session_path=Path(row["session_path"]),
            session_sha256=row["session_sha256"], summary=json.loads(row["summary"]),
        )

    def get(self, launch: Launch, assessment_id: str) -> Assessment | None:
        """The assessment if it belongs to the launch's patient at the launch's EHR; None otherwise."""
        with self.db.reading() as con:
            row = con.execute("SELECT * FROM assessments WHERE id=? AND iss=? AND patient=?",
                              (assessment_id, launch.iss, launch.patient)).fetchone()
        return self._row(row) if row else None

    def open_for(self, launch: Launch) -> list[Assessment]:
        """Unfinished assessments of the launch's patient, newest first."""
        marks = ",".join("?" for _ in OPEN_STATUSES)
        with self.db.reading() as con:
            rows = con.execute(
                f"SELECT * FROM assessments WHERE iss=? AND patient=? AND status IN ({marks}) ORDER BY created DESC",
                (launch.iss, launch.patient, *OPEN_STATUSES),
            ).fetchall()
        return [self._row(r) for r in rows]

    def set_status(self, launch: Launch, assessment_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown assessment status {status!r}; expected one of {', '.join(STATUSES)}")
        with self.db.transaction() as con:
            cur = con.execute("UPDATE assessments SET status=?, updated=? WHERE id=? AND iss=? AND patient=?",
                              (status, time.time(), assessment_id, launch.iss, launch.patient))
            if cur.rowcount != 1:
                raise KeyError(assessment_id)

    def add_step(self, launch: Launch, assessment_id: str, step: str, payload: dict[str, Any]) -> None:
        """Record (or replace) the result of a workflow step, e.g. ``"assessment"`` or ``"write"``."""
        if self.get(launch, assessment_id) is None:
            raise KeyError(assessment_id)
        with self.db.transaction() as con:
            con.execute("INSERT OR REPLACE INTO assessment_steps (assessment_id, step, created, payload) VALUES (?, ?, ?, ?)",
                        (assessment_id, step, time.time(), json.dumps(payload, allow_nan=False)))
            con.execute("UPDATE assessments SET updated=? WHERE id=?", (time.time(), assessment_id))

    def steps(self, launch: Launch, assessment_id: str) -> dict[str, dict[str, Any]]:
        """The recorded step results of an assessment of the launch's patient."""
        if self.get(launch, assessment_id) is None:
            return {}
        with self.db.reading() as con:
            rows = con.execute("SELECT step, payload FROM assessment_steps WHERE assessment_id=? ORDER BY created",
                               (assessment_id,)).fetchall()
        return {r["step"]: json.loads(r["payload"]) for r in rows}
