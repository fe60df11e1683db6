"""Background assessment jobs: at most one per assessment, their stage, their failure, their interruption.

A job's state lives in the app database (table ``assessment_jobs``, created
by :class:`JobStore`), so every worker process sees it; the work runs in a
small thread pool of the process that started it (:class:`JobRunner`).
Starting is an atomic claim (``BEGIN IMMEDIATE``): a second request while a
job runs, or after it finished, starts nothing.

A job recorded as running is *interrupted* when no live worker holds it:
this process does not run it, or the process that did has gone (same host,
its pid is no longer alive), or it has not reported progress for
:data:`STALE_AFTER_S`. An interrupted or failed job can be started again;
what the import saved is never touched.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from ..db import Database
from ..sessions import Launch

#: A running job that has not reported progress for this long is taken as interrupted (s).
STALE_AFTER_S = 600.0
#: Stored states; ``interrupted`` is derived (a ``running`` row without a live worker).
STATES = ("running", "done", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assessment_jobs (
    assessment_id TEXT PRIMARY KEY, iss TEXT NOT NULL, patient TEXT NOT NULL, state TEXT NOT NULL,
    stage TEXT, attempt INTEGER NOT NULL, runner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    started REAL NOT NULL, updated REAL NOT NULL, finished REAL, error_kind TEXT, error TEXT)
"""


@dataclass(frozen=True)
class Job:
    """One assessment job as stored, with its derived state.

    Attributes
    ----------
    assessment_id : str
    state : {'running', 'done', 'failed', 'interrupted'}
    stage : str or None
        The stage running (or reached when it failed); see :data:`plugin.web.results.job.STAGES`.
    attempt : int
        1 for the first run, +1 for each restart.
    started, updated : float
        Epoch seconds: start, last progress.
    finished : float or None
    error_kind : str or None
        The error's class name (``SessionFileError``, ``ModelIntegrityError`` ...) or ``internal``.
    error : str or None
        The message shown to the physician.
    """

    assessment_id: str
    state: str
    stage: str | None
    attempt: int
    started: float
    updated: float
    finished: float | None
    error_kind: str | None
    error: str | None

    @property
    def can_start(self) -> bool:
        return self.state in ("failed", "interrupted")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """Jobs in the app database; ``runner`` identifies the process (and thread pool) that owns a job."""

    def __init__(self, db: Database, *, stale_after_s: float = STALE_AFTER_S) -> None:
        self.db = db
        self.stale_after_s = stale_after_s
        self._runner: tuple[int, str] | None = None
        self._active: set[str] = set()
        self._lock = threading.Lock()
        with self.db.transaction() as con:
            con.execute(_SCHEMA)

    @property
    def runner(self) -> str:
        """This process's runner id (a new one after a fork)."""
        pid = os.getpid()
        if self._runner is None or self._runner[0] != pid:
            self._runner = (pid, f"{pid}-{secrets.token_hex(6)}")
            self._active = set()
        return self._runner[1]

    def _live(self, row) -> bool:
        if row["runner"] == self.runner:
            return row["assessment_id"] in self._active
        if row["host"] == socket.gethostname() and not _pid_alive(int(row["pid"])):
            return False
        return time.time() - row["updated"] < self.stale_after_s

    def _job(self, row) -> Job:
        state = row["state"]
        if state == "running" and not self._live(row):
            state = "interrupted"
        return Job(row["assessment_id"], state, row["stage"], row["attempt"], row["started"], row["updated"],
                   row["finished"], row["error_kind"], row["error"])

    def get(self, launch: Launch, assessment_id: str) -> Job | None:
        """The job of an assessment of the launch's patient, or None when none was started."""
        with self.db.reading() as con:
            row = con.execute("SELECT * FROM assessment_jobs WHERE assessment_id=? AND iss=? AND patient=?",
                              (assessment_id, launch.iss, launch.patient)).fetchone()
        return self._job(row) if row else None

    def claim(self, launch: Launch, assessment_id: str) -> Job | None:
        """Record a new running job for this process, unless one runs or has finished; None when not claimed."""
        now = time.time()
        with self.db.transaction() as con:
            row = con.execute("SELECT * FROM assessment_jobs WHERE assessment_id=?", (assessment_id,)).fetchone()
            if row is not None:
                if row["iss"] != launch.iss or row["patient"] != launch.patient:
                    return None
                if not self._job(row).can_start:
                    return None
            attempt = 1 if row is None else row["attempt"] + 1
            con.execute(
                "INSERT OR REPLACE INTO assessment_jobs (assessment_id, iss, patient, state, stage, attempt, runner,"
                " host, pid, started, updated, finished, error_kind, error)"
                " VALUES (?, ?, ?, 'running', NULL, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                (assessment_id, launch.iss, launch.patient, attempt, self.runner, socket.gethostname(), os.getpid(),
                 now, now),
            )
            with self._lock:
                self._active.add(assessment_id)
        return Job(assessment_id, "running", None, attempt, now, now, None, None, None)

    def _update(self, job: Job, sql: str, *args) -> None:
        with self.db.transaction() as con:
            con.execute(f"UPDATE assessment_jobs SET {sql} WHERE assessment_id=? AND attempt=? AND runner=?",
                        (*args, job.assessment_id, job.attempt, self.runner))

    def progress(self, job: Job, stage: str) -> None:
        """Record the stage a job has reached (its heartbeat)."""
        self._update(job, "stage=?, updated=?", stage, time.time())

    def finish(self, job: Job) -> None:
        now = time.time()
        self._update(job, "state='done', updated=?, finished=?", now, now)

    def fail(self, job: Job, *, kind: str, message: str) -> None:
        now = time.time()
        self._update(job, "state='failed', updated=?, finished=?, error_kind=?, error=?", now, now, kind, message)

    def release(self, job: Job) -> None:
        """Forget that this process runs the job (called when its worker ends, however it ends)."""
        with self._lock:
            self._active.discard(job.assessment_id)


class JobRunner:
    """A small thread pool running assessment jobs, created on first use in each process.

    Parameters
    ----------
    store : JobStore
    workers : int
        Threads (1-2: a job uses one core for a few seconds).
    """

    def __init__(self, store: JobStore, *, workers: int = 1) -> None:
        if not 1 <= workers <= 4:
            raise ValueError(f"assessment job workers {workers}; expected 1 to 4")
        self.store = store
        self.workers = workers
        self.subject_sources: list[Callable] = []
        self._pool: tuple[int, ThreadPoolExecutor] | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pool[0] != os.getpid():
                self._pool = (os.getpid(), ThreadPoolExecutor(max_workers=self.workers,
                                                              thread_name_prefix="fpcds-assess"))
            return self._pool[1]

    def submit(self, job: Job, work: Callable[[], None]) -> None:
        """Run ``work`` for a claimed job in the pool; the job is released when it ends."""

        def run() -> None:
            try:
                work()
            finally:
                self.store.release(job)

        try:
            self._executor().submit(run)
        except RuntimeError:  # the pool is shutting down
            self.store.fail(job, kind="internal", message="fpcds is shutting down; start the assessment again")
            self.store.release(job)
            raise

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the pool (running jobs finish first when ``wait``)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool[1].shutdown(wait=wait)
