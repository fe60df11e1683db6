"""The workstation side of remote capture: pair with an assessment, stream biofeedback, upload.

The plugin server's half is :mod:`plugin.capture` (its docstring has the
protocol). This module uses only the standard library's ``http.client``
(TLS certificates verified; ``ca_file`` adds a hospital CA), keeps one
connection alive per thread, and refuses plain HTTP except to a loopback
address. The agent never receives patient data: pairing yields an opaque
capture id and a bearer token, which are kept in memory or, to resume an
interrupted upload, in a file readable only by the user (:meth:`Pairing.save`).

Uploads are chunked (``chunk_bytes`` from the server), each chunk carries
its SHA-256, and any interruption (network error, server restart, 5xx) is
retried with exponential back-off from the byte count the server reports,
so a retry never sends or stores anything twice.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import FpcdsError


class AgentError(FpcdsError):
    """The capture server refused a request or could not be reached."""


@dataclass(frozen=True)
class Pairing:
    """What pairing gave the agent (no patient data).

    Attributes
    ----------
    server : str
        Base URL of the plugin.
    capture_id : str
    token : str
        Bearer token (never printed).
    expires_at : str
        ISO 8601 UTC.
    chunk_bytes, max_bytes : int
        Upload limits announced by the server.
    """

    server: str
    capture_id: str
    token: str = field(repr=False)
    expires_at: str
    chunk_bytes: int
    max_bytes: int

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to ``path`` readable only by the current user (to resume an upload later)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Pairing":
        """Read a pairing saved by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(**{k: data[k] for k in ("server", "capture_id", "token", "expires_at", "chunk_bytes",
                                               "max_bytes")})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AgentError(f"{path}: not a saved capture pairing ({type(exc).__name__})") from None


def _check_url(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AgentError(f"server URL {url!r} is not an http(s) URL")
    if parts.scheme == "http":
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise AgentError(f"server URL {url!r} is not HTTPS; plain HTTP is only allowed to a loopback address")
    return parts


class _Connection:
    """One keep-alive HTTP(S) connection, reopened after errors."""

    def __init__(self, parts: urllib.parse.SplitResult, *, context: ssl.SSLContext | None, timeout_s: float) -> None:
        self.parts = parts
        self.context = context
        self.timeout_s = timeout_s
        self.prefix = parts.path.rstrip("/")
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        if self.conn is None:
            if self.parts.scheme == "https":
                self.conn = http.client.HTTPSConnection(self.parts.hostname, self.parts.port, timeout=self.timeout_s,
                                                        context=self.context)
            else:
                self.conn = http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=self.timeout_s)
        try:
            self.conn.request(method, self.prefix + path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"error": raw[:200].decode("utf-8", "replace")}
        return response.status, payload if isinstance(payload, dict) else {"value": payload}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


_RETRY_STATUS = {429, 500, 502, 503, 504}


class CaptureAgent:
    """Client of the plugin's capture API.

    Parameters
    ----------
    server : str
        Base URL of the plugin (``https://...``; ``http://`` only to loopback).
    ca_file : path-like, optional
        Extra CA certificates (PEM) to trust.
    timeout_s : float
        Per-request timeout, seconds.
    retries : int
        Attempts per request for transient failures.
    backoff_s : float
        First retry delay, doubled each time, seconds.
    """

    def __init__(self, server: str, *, ca_file: str | os.PathLike[str] | None = None, timeout_s: float = 30.0,
                 retries: int = 6, backoff_s: float = 0.5) -> None:
        self.server = server.rstrip("/")
        self.parts = _check_url(self.server)
        self.context = None
        if self.parts.scheme == "https":
            self.context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._local = threading.local()

    def _conn(self) -> _Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _Connection(self.parts, context=self.context, timeout_s=self.timeout_s)
        return conn

    def _call(self, method: str, path: str, *, token: str | None = None, json_body: Any = None,
              data: bytes | None = None, headers: dict[str, str] | None = None,
              accept: tuple[int, ...] = ()) -> tuple[int, dict[str, Any]]:
        head = {"Accept": "application/json", **(headers or {})}
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            head["Content-Type"] = "application/json"
        if token:
            head["Authorization"] = f"Bearer {token}"
        delay = self.backoff_s
        for attempt in range(1, self.retries + 1):
            try:
                status, payload = self._conn().request(method, path, body=body, headers=head)
            except (OSError, http.client.HTTPException) as exc:
                if attempt == self.retries:
                    raise AgentError(f"cannot reach the capture server {self.server} ({type(exc).__name__}: {exc})") from None
            else:
                if status < 400 or status in accept:
                    return status, payload
                if status not in _RETRY_STATUS or attempt == self.retries:
                    raise AgentError(f"capture server refused {method} {path.split('?')[0]} ({status}): "
                                     f"{payload.get('error', 'no reason given')}")
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    # --------------------------------------------------------------- pairing
    def pair(self, code: str, *, agent_name: str | None = None) -> Pairing:
        """Exchange the physician's one-time code for this capture's grant."""
        name = agent_name or f"fpcds capture agent on {socket.gethostname()}"
        _, body = self._call("POST", "/capture/pair", json_body={"code": code, "agent": name})
        try:
            return Pairing(self.server, str(body["capture_id"]), str(body["token"]), str(body["expires_at"]),
                           int(body["chunk_bytes"]), int(body["max_bytes"]))
        except (KeyError, TypeError, ValueError):
            raise AgentError("the capture server's pairing answer is incomplete") from None

    # ---------------------------------------------------------------- upload
    def upload(self, path: str | os.PathLike[str], pairing: Pairing, *,
               progress: Callable[[int, int], Any] | None = None) -> dict[str, Any]:
        """Upload a native session file; safe to call again after any interruption.

        Returns
        -------
        dict
            The server's verdict: ``content_sha256``, ``file_sha256``,
            ``bytes``, ``duration_s``.
        """
        path = Path(path)
        try:
            size = path.stat().st_size
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            raise AgentError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if size > pairing.max_bytes:
            raise AgentError(f"{path}: {size} bytes exceeds the server's limit of {pairing.max_bytes}")
        sha256 = digest.hexdigest()
        for _ in range(2):  # a second full pass if the server found the assembled file damaged
            _, upload = self._call("POST", "/capture/uploads", token=pairing.token,
                                   json_body={"sha256": sha256, "size": size})
            if upload["state"] == "complete":
                break
            self._send_chunks(path, pairing, upload["upload_id"], int(upload["received"]), size,
                              min(int(upload.get("chunk_bytes", pairing.chunk_bytes)), pairing.chunk_bytes), progress)
            status, result = self._call("POST", f"/capture/uploads/{upload['upload_id']}/complete",
                                        token=pairing.token, accept=(422,))
            if status != 422:
                return result
            last_error = result.get("error", "")
        else:
            raise AgentError(f"the capture server rejected {path.name} twice: {last_error}")
        _, result = self._call("POST", f"/capture/uploads/{upload['upload_id']}/complete", token=pairing.token)
        return result

    def _send_chunks(self, path: Path, pairing: Pairing, upload_id: str, offset: int, size: int, chunk: int,
                     progress: Callable[[int, int], Any] | None) -> None:
        with open(path, "rb") as fh:
            while offset < size:
                fh.seek(offset)
                data = fh.read(chunk)
                status, answer = self._call(
                    "PUT", f"/capture/uploads/{upload_id}/chunks/{offset}", token=pairing.token, data=data,
                    headers={"Content-Type": "application/octet-stream",
                             "X-Chunk-SHA256": hashlib.sha256(data).hexdigest()},
                    accept=(409,))
                if status == 409 and "received" not in answer:
                    raise AgentError(f"capture server refused the upload: {answer.get('error', 'conflict')}")
                offset = int(answer["received"])
                if progress is not None:
                    progress(offset, size)

    # ----------------------------------------------------------- biofeedback
    def send_feedback(self, pairing: Pairing, frame: dict[str, Any]) -> None:
        """Post one biofeedback frame (no retries: a late frame is useless)."""
        status, payload = self._conn().request(
            "POST", "/capture/feedback", body=json.dumps(frame, separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {pairing.token}"})
        if status >= 400:
            raise AgentError(f"capture server refused a biofeedback frame ({status}): {payload.get('error', '')}")


class FeedbackSender:
    """Posts the newest biofeedback frame from a background thread; never blocks the recorder.

    Use :meth:`submit` as the monitor's sink. Frames that arrive while one is
    being sent replace each other (only the newest is sent next).
    """

    def __init__(self, agent: CaptureAgent, pairing: Pairing) -> None:
        self.agent = agent
        self.pairing = pairing
        self.sent = 0
        self.failed = 0
        self.last_error = ""
        self._pending: dict[str, Any] | None = None
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="fpcds-feedback", daemon=True)
        self._thread.start()

    def submit(self, frame: dict[str, Any]) -> None:
        with self._cond:
            self._pending = frame
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed and self._pending is None:
                    return
                frame, self._pending = self._pending, None
            try:
                self.agent.send_feedback(self.pairing, frame)
                self.sent += 1
            except (AgentError, OSError, http.client.HTTPException) as exc:
                self.failed += 1
                self.last_error = str(exc)

    def close(self) -> None:
        """Send what is pending, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)
