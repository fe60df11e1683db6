"""Durable state of pairings, paired capture agents and uploads (SQLite + files).

SQLite (one file, WAL) keeps the state consistent across worker processes
and restarts, so an interrupted upload resumes where it stopped. Upload
bytes live beside it in ``upload_dir/<capture id>/``. Every state change
runs in one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from acquisition.errors import FpcdsError

from . import codes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pairings (
    id TEXT PRIMARY KEY, assessment_id TEXT NOT NULL, salt TEXT NOT NULL, secret_hash TEXT NOT NULL,
    created REAL NOT NULL, expires REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL, state TEXT NOT NULL, capture_id TEXT);
CREATE INDEX IF NOT EXISTS pairings_assessment ON pairings (assessment_id);
CREATE TABLE IF NOT EXISTS captures (
    id TEXT PRIMARY KEY, assessment_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, agent TEXT NOT NULL,
    created REAL NOT NULL, expires REAL NOT NULL, state TEXT NOT NULL, session_path TEXT,
    content_sha256 TEXT, file_sha256 TEXT, bytes INTEGER, duration_s REAL);
CREATE INDEX IF NOT EXISTS captures_assessment ON captures (assessment_id);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY, capture_id TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL, created REAL NOT NULL,
    UNIQUE (capture_id, sha256, size));
CREATE TABLE IF NOT EXISTS pairing_failures (addr TEXT NOT NULL, time REAL NOT NULL);
"""


class CaptureRequestError(FpcdsError):
    """A request the capture API refuses; ``status`` is the HTTP status to answer with.

    Parameters
    ----------
    status : int
    message : str
    extra : dict, optional
        More JSON fields for the answer (e.g. ``received``).
    """

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class Capture:
    """A paired capture agent's grant (no patient data).

    Attributes
    ----------
    id : str
        Opaque capture id the agent knows.
    assessment_id : str
        Server-side only: the assessment the recording belongs to.
    agent : str
        The name the agent gave.
    expires : float
        Epoch seconds.
    state : {'paired', 'uploaded'}
    """

    id: str
    assessment_id: str
    agent: str
    expires: float
    state: str


def iso(epoch: float) -> str:
    """ISO 8601 UTC text of an epoch time."""
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).isoformat(timespec="seconds")


class CaptureStore:
    """Pairings, captures and uploads of one app instance.

    Parameters
    ----------
    path : path-like
        The SQLite database file (created).
    upload_dir : path-like
        Where upload bytes and finished sessions are kept (created).
    """

    def __init__(self, path: str | os.PathLike[str], *, upload_dir: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.upload_dir = Path(upload_dir)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA synchronous=NORMAL")  # WAL: commits survive a crash of the app, fsync at checkpoints
        return con

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except _Deferred as deferred:  # refuse the request but keep what was recorded about it
                con.execute("COMMIT")
                raise deferred.error from None
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    # ------------------------------------------------------------ physician
    def create_pairing(self, assessment_id: str, *, ttl_s: float, max_attempts: int) -> dict[str, Any]:
        """A new one-time code for ``assessment_id``; earlier pending codes of it are revoked."""
        now = time.time()
        with self._tx() as con:
            con.execute("UPDATE pairings SET state='revoked' WHERE assessment_id=? AND state='pending'",
                        (assessment_id,))
            for _ in range(100):
                pairing_id, secret = codes.new_code()
                taken = con.execute("SELECT 1 FROM pairings WHERE id=? AND state='pending' AND expires>?",
                                    (pairing_id, now)).fetchone()
                if not taken:
                    break
            else:  # pragma: no cover - 32768 ids, codes live minutes
                raise CaptureRequestError(503, "no free pairing code; try again in a minute")
            con.execute("DELETE FROM pairings WHERE id=?", (pairing_id,))
            salt = secrets.token_hex(16)
            con.execute(
                "INSERT INTO pairings (id, assessment_id, salt, secret_hash, created, expires, max_attempts, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                (pairing_id, assessment_id, salt, codes.hash_secret(secret, salt), now, now + ttl_s, max_attempts),
            )
        return {"code": f"{pairing_id}-{secret}", "expires_at": iso(now + ttl_s), "expires_in_s": ttl_s}

    def status(self, assessment_id: str) -> dict[str, Any]:
        """What the physician's page shows about capture for ``assessment_id``."""
        now = time.time()
        with self._connect() as con:
            p = con.execute("SELECT * FROM pairings WHERE assessment_id=? ORDER BY created DESC LIMIT 1",
                            (assessment_id,)).fetchone()
            c = con.execute("SELECT * FROM captures WHERE assessment_id=? ORDER BY created DESC LIMIT 1",
                            (assessment_id,)).fetchone()
            u = None
            if c is not None:
                u = con.execute("SELECT * FROM uploads WHERE capture_id=? ORDER BY created DESC LIMIT 1",
                                (c["id"],)).fetchone()
        out: dict[str, Any] = {"pairing": None, "capture": None}
        if p is not None:
            state = p["state"]
            if state == "pending" and p["expires"] <= now:
                state = "expired"
            out["pairing"] = {"state": state, "expires_at": iso(p["expires"]),
                              "attempts_left": max(0, p["max_attempts"] - p["attempts"])}
        if c is not None:
            capture: dict[str, Any] = {"state": c["state"], "agent": c["agent"], "paired_at": iso(c["created"]),
                                       "upload": None, "session": None}
            if u is not None:
                capture["upload"] = {"received": u["received"], "size": u["size"], "state": u["state"]}
            if c["state"] == "uploaded":
                capture["session"] = {"content_sha256": c["content_sha256"], "file_sha256": c["file_sha256"],
                                      "bytes": c["bytes"], "duration_s": c["duration_s"]}
            out["capture"] = capture
        return out

    def uploaded_session(self, assessment_id: str) -> Path | None:
        """The session file most recently uploaded for ``assessment_id``, if any."""
        with self._connect() as con:
            row = con.execute("SELECT session_path FROM captures WHERE assessment_id=? AND state='uploaded' "
                              "ORDER BY created DESC LIMIT 1", (assessment_id,)).fetchone()
        return Path(row["session_path"]) if row else None

    # ---------------------------------------------------------------- agent
    def pair(self, typed_code: str, *, agent: str, remote: str, token_ttl_s: float, max_failures: int,
             failure_window_s: float) -> dict[str, Any]:
        """Exchange a pairing code for an agent token (see :mod:`plugin.capture`)."""
        now = time.time()
        parts = codes.split_code(typed_code)
        with self._tx() as con:
            con.execute("DELETE FROM pairing_failures WHERE time < ?", (now - failure_window_s,))
            failures = con.execute("SELECT COUNT(*) FROM pairing_failures WHERE addr=?", (remote,)).fetchone()[0]
            if failures >= max_failures:
                raise CaptureRequestError(429, f"too many wrong pairing codes from this address; wait "
                                               f"{failure_window_s / 60:g} minutes and ask for a new code")
            row = None
            if parts is not None:
                row = con.execute("SELECT * FROM pairings WHERE id=?", (parts[0],)).fetchone()
            if row is None or parts is None:
                con.execute("INSERT INTO pairing_failures (addr, time) VALUES (?, ?)", (remote, now))
                raise _Deferred(CaptureRequestError(403, "pairing code not recognised; check it or ask for a new one"))
            if row["state"] == "locked":
                raise CaptureRequestError(403, f"this pairing code was locked after {row['max_attempts']} wrong "
                                               "attempts; ask the physician for a new code")
            if row["state"] != "pending":
                raise CaptureRequestError(403, "this pairing code was already used or replaced; ask for a new one")
            if row["expires"] <= now:
                raise CaptureRequestError(403, "this pairing code has expired; ask the physician for a new one")
            if not codes.secret_matches(parts[1], row["salt"], row["secret_hash"]):
                attempts = row["attempts"] + 1
                state = "locked" if attempts >= row["max_attempts"] else "pending"
                con.execute("UPDATE pairings SET attempts=?, state=? WHERE id=?", (attempts, state, row["id"]))
                con.execute("INSERT INTO pairing_failures (addr, time) VALUES (?, ?)", (remote, now))
                left = row["max_attempts"] - attempts
                raise _Deferred(CaptureRequestError(
                    403, "pairing code not recognised; check it or ask for a new one"
                    + (f" ({left} attempts left)" if left else " (the code is now locked)")))
            capture_id = secrets.token_urlsafe(12)
            token = codes.new_token()
            con.execute("UPDATE pairings SET state='paired', capture_id=? WHERE id=?", (capture_id, row["id"]))
            con.execute("INSERT INTO captures (id, assessment_id, token_hash, agent, created, expires, state) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'paired')",
                        (capture_id, row["assessment_id"], codes.hash_token(token), agent, now, now + token_ttl_s))
        return {"capture_id": capture_id, "token": token, "expires_at": iso(now + token_ttl_s)}

    def capture_for_token(self, token: str) -> Capture | None:
        """The capture a bearer token grants, or None (unknown or expired)."""
        with self._connect() as con:
            row = con.execute("SELECT * FROM captures WHERE token_hash=?", (codes.hash_token(token),)).fetchone()
        if row is None or row["expires"] <= time.time():
            return None
        return Capture(row["id"], row["assessment_id"], row["agent"], row["expires"], row["state"])

    # -------------------------------------------------------------- uploads
    def _part(self, capture_id: str, upload_id: str) -> Path:
        folder = self.upload_dir / capture_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{upload_id}.part"

    def open_upload(self, capture: Capture, *, sha256: str, size: int, max_bytes: int) -> dict[str, Any]:
        """Start an upload, or find the one already started for the same file (idempotent)."""
        if not (isinstance(sha256, str) and len(sha256) == 64 and all(c in "0123456789abcdef" for c in sha256)):
            raise CaptureRequestError(400, f"sha256 {sha256!r} is not 64 lowercase hex digits")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise CaptureRequestError(400, f"size {size!r} is not a positive number of bytes")
        if size > max_bytes:
            raise CaptureRequestError(413, f"the session is {size} bytes; this server accepts at most {max_bytes}")
        with self._tx() as con:
            row = con.execute("SELECT * FROM uploads WHERE capture_id=? AND sha256=? AND size=?",
                              (capture.id, sha256, size)).fetchone()
            if row is None:
                done = con.execute("SELECT state FROM captures WHERE id=?", (capture.id,)).fetchone()
                if done["state"] == "uploaded":
                    raise CaptureRequestError(409, "this capture already has an uploaded session; pair again to "
                                                   "send another")
                upload_id = secrets.token_urlsafe(12)
                con.execute("INSERT INTO uploads (id, capture_id, sha256, size, state, created) "
                            "VALUES (?, ?, ?, ?, 'open', ?)", (upload_id, capture.id, sha256, size, time.time()))
                self._part(capture.id, upload_id).write_bytes(b"")
                row = con.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
        return _upload_dict(row)

    def upload(self, capture: Capture, upload_id: str) -> dict[str, Any]:
        """State of an upload of this capture."""
        with self._connect() as con:
            row = con.execute("SELECT * FROM uploads WHERE id=? AND capture_id=?", (upload_id, capture.id)).fetchone()
        if row is None:
            raise CaptureRequestError(404, "no such upload for this capture")
        return _upload_dict(row)

    def write_chunk(self, capture: Capture, upload_id: str, *, offset: int, data: bytes) -> dict[str, Any]:
        """Store bytes ``[offset, offset + len(data))``; a repeated chunk is accepted once (idempotent)."""
        with self._tx() as con:
            row = con.execute("SELECT * FROM uploads WHERE id=? AND capture_id=?", (upload_id, capture.id)).fetchone()
            if row is None:
                raise CaptureRequestError(404, "no such upload for this capture")
            received, size = row["received"], row["size"]
            end = offset + len(data)
            if end > size:
                raise CaptureRequestError(400, f"chunk ends at byte {end}, beyond the declared size {size}")
            if offset > received:
                raise CaptureRequestError(409, f"the upload has {received} bytes; a chunk at offset {offset} would "
                                               "leave a hole", received=received)
            part = self._part(capture.id, upload_id)
            if offset < received:
                if row["state"] == "complete":
                    part = Path(self._session_path(con, capture.id))
                overlap = min(received, end) - offset
                with open(part, "rb") as fh:
                    fh.seek(offset)
                    if fh.read(overlap) != data[:overlap]:
                        raise CaptureRequestError(409, f"the chunk at offset {offset} differs from the bytes already "
                                                       "received", received=received)
                data = data[overlap:]
            if data:
                if row["state"] != "open":
                    raise CaptureRequestError(409, "the upload is complete", received=received)
                with open(part, "r+b") as fh:
                    fh.seek(received)
                    fh.write(data)
                    fh.truncate()
                received += len(data)
                con.execute("UPDATE uploads SET received=? WHERE id=?", (received, upload_id))
                row = con.execute("SELECT * FROM uploads WHERE id=?", (upload_id,)).fetchone()
        return _upload_dict(row)

    def _session_path(self, con: sqlite3.Connection, capture_id: str) -> str:
        return con.execute("SELECT session_path FROM captures WHERE id=?", (capture_id,)).fetchone()["session_path"]

    def complete(self, capture: Capture, upload_id: str) -> dict[str, Any]:
        """Check the whole file (SHA-256, then as a native session) and attach it to the assessment."""
        from acquisition.errors import SessionFileError
        from acquisition.native import read_session, stored_hash

        with self._tx() as con:
            row = con.execute("SELECT * FROM uploads WHERE id=? AND capture_id=?", (upload_id, capture.id)).fetchone()
            if row is None:
                raise CaptureRequestError(404, "no such upload for this capture")
            if row["state"] == "complete":
                return self._session_answer(con, capture.id)
            if row["received"] != row["size"]:
                raise CaptureRequestError(409, f"the upload has {row['received']} of {row['size']} bytes",
                                          received=row["received"])
            part = self._part(capture.id, upload_id)
            digest = _file_sha256(part)
            if digest != row["sha256"]:
                self._reset(con, part, upload_id)
                raise _Deferred(CaptureRequestError(
                    422, f"the received file has SHA-256 {digest} but the agent declared {row['sha256']}; "
                         "the upload was discarded, send it again", received=0))
            try:
                session = read_session(part, mmap=True, verify=True)
                content = stored_hash(part)
            except SessionFileError as exc:
                self._reset(con, part, upload_id)
                raise _Deferred(CaptureRequestError(
                    422, f"the uploaded file is not a valid fpcds session: {exc.problem}", received=0)) from None
            final = part.with_name(f"session-{content[:16]}.fpcds")
            os.replace(part, final)
            con.execute("UPDATE uploads SET state='complete' WHERE id=?", (upload_id,))
            con.execute("UPDATE captures SET state='uploaded', session_path=?, content_sha256=?, file_sha256=?, "
                        "bytes=?, duration_s=? WHERE id=?",
                        (str(final), content, digest, row["size"], round(session.duration, 3), capture.id))
            return self._session_answer(con, capture.id)

    def _reset(self, con: sqlite3.Connection, part: Path, upload_id: str) -> None:
        part.write_bytes(b"")
        con.execute("UPDATE uploads SET received=0 WHERE id=?", (upload_id,))

    def _session_answer(self, con: sqlite3.Connection, capture_id: str) -> dict[str, Any]:
        c = con.execute("SELECT * FROM captures WHERE id=?", (capture_id,)).fetchone()
        return {"state": "uploaded", "content_sha256": c["content_sha256"], "file_sha256": c["file_sha256"],
                "bytes": c["bytes"], "duration_s": c["duration_s"]}


class _Deferred(Exception):
    """Carries an error out of a transaction that must still commit (failure counters)."""

    def __init__(self, error: CaptureRequestError) -> None:
        super().__init__(str(error))
        self.error = error


def _upload_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {"upload_id": row["id"], "size": row["size"], "received": row["received"], "state": row["state"],
            "sha256": row["sha256"]}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
