"""The local copy of every FDI QuestionnaireResponse fpcds records, kept until the EHR has it.

A response is stored here before it is sent to the EHR, so a failed write
(EHR down, token expired, scope refused) loses nothing: it stays ``pending``
with the reason, and a retry sends the very same resource again (a
conditional create on its business identifier, so it is never created
twice). Once written it is ``written`` with the EHR's id. Rows belong to one
patient at one EHR (``iss`` + patient) and every read filters by the
launch's. The resource, which holds the patient's answers, is encrypted at
rest (:mod:`plugin.web.vault`).

The table lives in the app database (:mod:`plugin.web.db`) and is created by
:meth:`FdiStore.__init__`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .db import Database
from .sessions import Launch
from .vault import Vault

#: ``pending``: not (yet) in the EHR; ``written``: the EHR has it.
STATES = ("pending", "written")
_PURPOSE = "fdi-response"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fdi_responses (
    identifier TEXT PRIMARY KEY, launch_id TEXT NOT NULL, iss TEXT NOT NULL, patient TEXT NOT NULL,
    authored TEXT NOT NULL, resource BLOB NOT NULL, state TEXT NOT NULL, fhir_id TEXT, attempts INTEGER NOT NULL,
    last_error TEXT, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS fdi_responses_patient ON fdi_responses (iss, patient);
"""


@dataclass(frozen=True)
class FdiRecord:
    """One locally kept FDI response.

    Attributes
    ----------
    identifier : str
        Its business identifier value (system :data:`plugin.fhir.fdi.SID_RESPONSE`).
    iss, patient : str
        The EHR and patient it belongs to.
    authored : str
        FHIR dateTime of the answers.
    resource : dict
        The QuestionnaireResponse exactly as sent (and re-sent) to the EHR.
    state : {'pending', 'written'}
    fhir_id : str or None
        The EHR's id once written.
    attempts : int
        Writes tried so far.
    last_error : str or None
        Why the last write failed.
    created, updated : float
        Epoch seconds.
    """

    identifier: str
    iss: str
    patient: str
    authored: str
    resource: dict[str, Any]
    state: str
    fhir_id: str | None
    attempts: int
    last_error: str | None
    created: float
    updated: float


class FdiStore:
    """FDI responses in the app database, their resources sealed with the app's vault."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault
        with self.db.transaction() as con:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                con.execute(statement)

    def _row(self, row: Any) -> FdiRecord:
        text = self.vault.open(row["resource"], purpose=_PURPOSE, row=row["identifier"])
        return FdiRecord(identifier=row["identifier"], iss=row["iss"], patient=row["patient"],
                         authored=row["authored"], resource=json.loads(text), state=row["state"],
                         fhir_id=row["fhir_id"], attempts=row["attempts"], last_error=row["last_error"],
                         created=row["created"], updated=row["updated"])

    def add(self, launch: Launch, *, identifier: str, resource: dict[str, Any]) -> FdiRecord:
        """Keep a new response of the launch's patient, ``pending`` until :meth:`written`."""
        now = time.time()
        sealed = self.vault.seal(json.dumps(resource, allow_nan=False), purpose=_PURPOSE, row=identifier)
        with self.db.transaction() as con:
            con.execute("INSERT INTO fdi_responses (identifier, launch_id, iss, patient, authored, resource, state,"
                        " attempts, created, updated) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                        (identifier, launch.id, launch.iss, launch.patient, resource["authored"], sealed, now, now))
        found = self.get(launch, identifier)
        assert found is not None
        return found

    def get(self, launch: Launch, identifier: str) -> FdiRecord | None:
        """The response if it belongs to the launch's patient at the launch's EHR; None otherwise."""
        with self.db.reading() as con:
            row = con.execute("SELECT * FROM fdi_responses WHERE identifier=? AND iss=? AND patient=?",
                              (identifier, launch.iss, launch.patient)).fetchone()
        return self._row(row) if row else None

    def for_patient(self, launch: Launch, *, state: str | None = None) -> list[FdiRecord]:
        """The launch's patient's responses (optionally only those in ``state``), newest first."""
        query = "SELECT * FROM fdi_responses WHERE iss=? AND patient=?"
        args: list[Any] = [launch.iss, launch.patient]
        if state is not None:
            if state not in STATES:
                raise ValueError(f"unknown FDI response state {state!r}; expected one of {', '.join(STATES)}")
            query += " AND state=?"
            args.append(state)
        with self.db.reading() as con:
            rows = con.execute(query + " ORDER BY created DESC", args).fetchall()
        return [self._row(r) for r in rows]

    def written(self, launch: Launch, identifier: str, *, fhir_id: str | None) -> None:
        """The EHR has the response (under ``fhir_id`` when it said)."""
        with self.db.transaction() as con:
            con.execute("UPDATE fdi_responses SET state='written', fhir_id=?, attempts=attempts+1, last_error=NULL,"
                        " updated=? WHERE identifier=? AND iss=? AND patient=?",
                        (fhir_id, time.time(), identifier, launch.iss, launch.patient))

    def failed(self, launch: Launch, identifier: str, problem: str) -> None:
        """A write failed: keep the response pending with the reason (shown on the FDI page)."""
        with self.db.transaction() as con:
            con.execute("UPDATE fdi_responses SET attempts=attempts+1, last_error=?, updated=? WHERE identifier=? "
                        "AND iss=? AND patient=? AND state='pending'",
                        (problem[:500], time.time(), identifier, launch.iss, launch.patient))
