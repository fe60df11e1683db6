"""Live captures the physician has started: the assessment id a capture agent's recording will become.

Starting a live capture reserves an assessment id for the launch's patient at
the launch's EHR (``iss`` + patient). The capture blueprint
(:mod:`plugin.capture`) binds pairing codes, agent tokens and uploads to that
id; once the recording is uploaded it is read exactly like an imported file
and the assessment is created under the same id, for the patient recorded
here. So a capture can only ever become an assessment of the patient whose
chart it was started from.

The table lives in the app database (:mod:`plugin.web.db`) and is created by
:meth:`LiveCaptureStore.__init__`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .db import Database
from .sessions import Launch

#: ``waiting``: no session attached yet; ``attached``: the assessment exists; ``discarded``: given up.
STATES = ("waiting", "attached", "discarded")
#: An attachment claimed this long ago without finishing is assumed to have crashed (s).
ATTACH_CLAIM_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS live_captures (
    id TEXT PRIMARY KEY, launch_id TEXT NOT NULL, iss TEXT NOT NULL, patient TEXT NOT NULL,
    state TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL, attach_claim REAL, attach_error TEXT);
CREATE INDEX IF NOT EXISTS live_captures_patient ON live_captures (iss, patient);
"""


@dataclass(frozen=True)
class LiveCapture:
    """One live capture of one patient.

    Attributes
    ----------
    id : str
        The assessment id the uploaded recording becomes.
    launch_id : str
        The launch it was started in.
    iss, patient : str
        The EHR and patient it belongs to.
    state : {'waiting', 'attached', 'discarded'}
    created, updated : float
        Epoch seconds.
    attach_error : str or None
        Why the last attempt to attach the uploaded session failed.
    """

    id: str
    launch_id: str
    iss: str
    patient: str
    state: str
    created: float
    updated: float
    attach_error: str | None


class LiveCaptureStore:
    """Live captures in the app database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with self.db.transaction() as con:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                con.execute(statement)

    @staticmethod
    def _row(row) -> LiveCapture:
        return LiveCapture(id=row["id"], launch_id=row["launch_id"], iss=row["iss"], patient=row["patient"],
                           state=row["state"], created=row["created"], updated=row["updated"],
                           attach_error=row["attach_error"])

    def start(self, launch: Launch, capture_id: str) -> LiveCapture:
        """Record a new live capture for the launch's patient under ``capture_id`` (a fresh assessment id)."""
        now = time.time()
        with self.db.transaction() as con:
            con.execute("INSERT INTO live_captures (id, launch_id, iss, patient, state, created, updated) "
                        "VALUES (?, ?, ?, ?, 'waiting', ?, ?)", (capture_id, launch.id, launch.iss, launch.patient,
                                                                 now, now))
        found = self.get(launch, capture_id)
        assert found is not None
        return found

    def get(self, launch: Launch, capture_id: str) -> LiveCapture | None:
        """The capture if it belongs to the launch's patient at the launch's EHR; None otherwise."""
        with self.db.reading() as con:
            row = con.execute("SELECT * FROM live_captures WHERE id=? AND iss=? AND patient=?",
                              (capture_id, launch.iss, launch.patient)).fetchone()
        return self._row(row) if row else None

    def by_id(self, capture_id: str) -> LiveCapture | None:
        """Server-side lookup without a launch (the upload hook runs in the agent's request)."""
        with self.db.reading() as con:
            row = con.execute("SELECT * FROM live_captures WHERE id=?", (capture_id,)).fetchone()
        return self._row(row) if row else None

    def waiting_for(self, launch: Launch) -> list[LiveCapture]:
        """The patient's captures with no session attached yet, newest first."""
        with self.db.reading() as con:
            rows = con.execute("SELECT * FROM live_captures WHERE iss=? AND patient=? AND state='waiting' "
                               "ORDER BY created DESC", (launch.iss, launch.patient)).fetchall()
        return [self._row(r) for r in rows]

    def discard(self, launch: Launch, capture_id: str) -> bool:
        """Give up a waiting capture of the launch's patient; False when there is none to discard."""
        with self.db.transaction() as con:
            cur = con.execute("UPDATE live_captures SET state='discarded', updated=? WHERE id=? AND iss=? AND "
                              "patient=? AND state='waiting'", (time.time(), capture_id, launch.iss, launch.patient))
            return cur.rowcount == 1

    def claim_attach(self, capture_id: str, *, now: float | None = None) -> bool:
        """Atomically take the right to attach the uploaded session (one attacher at a time)."""
        now = time.time() if now is None else now
        with self.db.transaction() as con:
            cur = con.execute("UPDATE live_captures SET attach_claim=? WHERE id=? AND state='waiting' AND "
                              "(attach_claim IS NULL OR attach_claim < ?)", (now, capture_id, now - ATTACH_CLAIM_S))
            return cur.rowcount == 1

    def attached(self, capture_id: str) -> None:
        """The assessment now exists: the capture is done."""
        with self.db.transaction() as con:
            con.execute("UPDATE live_captures SET state='attached', attach_claim=NULL, attach_error=NULL, updated=? "
                        "WHERE id=?", (time.time(), capture_id))

    def attach_failed(self, capture_id: str, problem: str) -> None:
        """Record why attaching failed and release the claim (the uploaded file is kept; retry later)."""
        with self.db.transaction() as con:
            con.execute("UPDATE live_captures SET attach_claim=NULL, attach_error=?, updated=? WHERE id=?",
                        (problem[:500], time.time(), capture_id))
