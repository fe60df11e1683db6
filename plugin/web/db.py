"""The app's SQLite database under the instance directory (WAL mode, one connection per use).

Several gunicorn workers may share it; writes that must not interleave use
``BEGIN IMMEDIATE`` transactions (:func:`transaction`).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS browsers (
    id_hash TEXT PRIMARY KEY, created REAL NOT NULL, last_seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pending_auth (
    state_hash TEXT PRIMARY KEY, browser TEXT NOT NULL, iss TEXT NOT NULL, kind TEXT NOT NULL,
    launch TEXT, scope TEXT NOT NULL, verifier BLOB NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS launches (
    id TEXT PRIMARY KEY, browser TEXT NOT NULL, iss TEXT NOT NULL, client_id TEXT NOT NULL,
    patient TEXT NOT NULL, encounter TEXT, fhir_user TEXT, scope TEXT NOT NULL,
    need_patient_banner INTEGER NOT NULL, smart_style_url TEXT, banner BLOB, tokens BLOB NOT NULL,
    token_expires REAL NOT NULL, refresh_claim REAL, csrf TEXT NOT NULL, created REAL NOT NULL,
    expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS launches_browser ON launches (browser);
CREATE TABLE IF NOT EXISTS assessments (
    id TEXT PRIMARY KEY, launch_id TEXT NOT NULL, iss TEXT NOT NULL, patient TEXT NOT NULL,
    status TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, original_name TEXT NOT NULL,
    original_path TEXT NOT NULL, session_path TEXT NOT NULL, session_sha256 TEXT NOT NULL,
    summary TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS assessments_patient ON assessments (iss, patient);
CREATE TABLE IF NOT EXISTS assessment_steps (
    assessment_id TEXT NOT NULL, step TEXT NOT NULL, created REAL NOT NULL, payload TEXT NOT NULL,
    PRIMARY KEY (assessment_id, step));
"""


class Database:
    """The SQLite file ``fpcds.sqlite3`` in ``instance_dir`` (created with its schema on first use)."""

    def __init__(self, instance_dir: Path) -> None:
        self.path = Path(instance_dir) / "fpcds.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=15.0, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA foreign_keys=ON")
        return con

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An exclusive write transaction, committed on success and rolled back on error."""
        con = self.connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        con = self.connect()
        try:
            yield con
        finally:
            con.close()

    def writable(self) -> bool:
        """True when a write transaction can be opened (for ``/readyz``)."""
        try:
            con = self.connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
            finally:
                con.close()
            return True
        except sqlite3.Error:
            return False
