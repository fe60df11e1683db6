"""HTTP endpoints of the capture blueprint (see :mod:`plugin.capture` for the design)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from flask import Blueprint, Response, current_app, jsonify, request

from .broker import FeedbackBroker
from .store import Capture, CaptureRequestError, CaptureStore

blueprint = Blueprint("capture", __name__, url_prefix="/capture")

DEFAULTS: dict[str, Any] = {
    "CAPTURE_DIR": None,  # default: <instance_path>/capture
    "CAPTURE_AUTHORIZE": None,  # callable(assessment_id) -> bool; None refuses every physician request
    "CAPTURE_ON_UPLOAD": None,  # callable(assessment_id, session_path, info) after a verified upload
    "CAPTURE_CODE_TTL_S": 600.0,
    "CAPTURE_CODE_ATTEMPTS": 5,
    "CAPTURE_TOKEN_TTL_S": 4 * 3600.0,
    "CAPTURE_FAILURES_PER_ADDR": 20,
    "CAPTURE_FAILURE_WINDOW_S": 600.0,
    "CAPTURE_MAX_BYTES": 2 * 1024**3,
    "CAPTURE_CHUNK_BYTES": 4 * 1024**2,
    "CAPTURE_REQUIRE_HTTPS": True,
    "CAPTURE_SSE_HEARTBEAT_S": 15.0,
    "CAPTURE_SSE_MAX_S": 3600.0,
    "CAPTURE_FEEDBACK_MAX_BYTES": 16 * 1024,
}


@dataclass
class CaptureState:
    """Per-app objects of the blueprint (``app.extensions['fpcds_capture']``)."""

    store: CaptureStore
    broker: FeedbackBroker


def _setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


def state() -> CaptureState:
    """This app's capture store and broker (created on first use)."""
    ext = current_app.extensions.get("fpcds_capture")
    if ext is None:
        folder = Path(_setting("CAPTURE_DIR") or Path(current_app.instance_path) / "capture")
        ext = CaptureState(CaptureStore(folder / "capture.sqlite3", upload_dir=folder / "uploads"), FeedbackBroker())
        current_app.extensions["fpcds_capture"] = ext
    return ext


@blueprint.errorhandler(CaptureRequestError)
def _refused(exc: CaptureRequestError) -> Response:
    response = jsonify({"error": str(exc), **exc.extra})
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="fpcds-capture"'
    return response


@blueprint.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ helpers
def _physician(assessment_id: str) -> None:
    check: Callable[[str], bool] | None = _setting("CAPTURE_AUTHORIZE")
    if check is None:
        raise CaptureRequestError(403, "live capture is not enabled on this server (no physician authorisation "
                                       "is configured)")
    if not check(assessment_id):
        raise CaptureRequestError(403, "you are not authorised for this assessment")


def _agent_transport() -> None:
    if not _setting("CAPTURE_REQUIRE_HTTPS") or request.is_secure:
        return
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise CaptureRequestError(403, "capture agents must connect over HTTPS")


def _agent() -> Capture:
    _agent_transport()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CaptureRequestError(401, "this request needs the capture agent's bearer token")
    capture = state().store.capture_for_token(token.strip())
    if capture is None:
        raise CaptureRequestError(401, "the capture agent's token is unknown or has expired; pair again")
    return capture


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise CaptureRequestError(400, "the request body must be a JSON object")
    return body


# ---------------------------------------------------------------- physician
@blueprint.post("/assessments/<assessment_id>/pairing")
def create_pairing(assessment_id: str) -> tuple[Response, int]:
    """A one-time code the physician reads out or types into the capture agent."""
    _physician(assessment_id)
    result = state().store.create_pairing(assessment_id, ttl_s=float(_setting("CAPTURE_CODE_TTL_S")),
                                          max_attempts=int(_setting("CAPTURE_CODE_ATTEMPTS")))
    return jsonify(result), 201


@blueprint.get("/assessments/<assessment_id>")
def capture_status(assessment_id: str) -> Response:
    """Pairing, agent and upload state of an assessment."""
    _physician(assessment_id)
    return jsonify(state().store.status(assessment_id))


@blueprint.get("/assessments/<assessment_id>/biofeedback")
def biofeedback(assessment_id: str) -> Response:
    """Server-sent events: ``event: biofeedback`` with one JSON frame per message."""
    _physician(assessment_id)
    broker = state().broker
    heartbeat = float(_setting("CAPTURE_SSE_HEARTBEAT_S"))
    until = time.monotonic() + float(_setting("CAPTURE_SSE_MAX_S"))

    def events() -> Any:
        with broker.subscribe(assessment_id) as sub:
            yield "retry: 2000\n\n"
            while time.monotonic() < until:
                frame = sub.get(heartbeat)
                if sub.closed:  # the server is stopping
                    return
                if frame is None:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: biofeedback\ndata: {json.dumps(frame, separators=(',', ':'))}\n\n"

    response = Response(events(), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response


# -------------------------------------------------------------------- agent
@blueprint.post("/pair")
def pair() -> tuple[Response, int]:
    """Exchange a pairing code for a bearer token bound to the assessment (which the agent never learns)."""
    _agent_transport()
    body = _json_body()
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        raise CaptureRequestError(400, "the pairing request needs a 'code'")
    agent = str(body.get("agent") or "capture agent")
    agent = "".join(c for c in agent if c.isprintable())[:64] or "capture agent"
    result = state().store.pair(
        code, agent=agent, remote=request.remote_addr or "", token_ttl_s=float(_setting("CAPTURE_TOKEN_TTL_S")),
        max_failures=int(_setting("CAPTURE_FAILURES_PER_ADDR")),
        failure_window_s=float(_setting("CAPTURE_FAILURE_WINDOW_S")),
    )
    result.update(chunk_bytes=int(_setting("CAPTURE_CHUNK_BYTES")), max_bytes=int(_setting("CAPTURE_MAX_BYTES")))
    return jsonify(result), 201


@blueprint.post("/uploads")
def open_upload() -> tuple[Response, int]:
    """Start (or resume) the upload of one session file: ``{"sha256": ..., "size": ...}``."""
    capture = _agent()
    body = _json_body()
    result = state().store.open_upload(capture, sha256=body.get("sha256"), size=body.get("size"),
                                       max_bytes=int(_setting("CAPTURE_MAX_BYTES")))
    result["chunk_bytes"] = int(_setting("CAPTURE_CHUNK_BYTES"))
    return jsonify(result), 200 if result["received"] or result["state"] != "open" else 201


@blueprint.get("/uploads/<upload_id>")
def upload_state(upload_id: str) -> Response:
    """How many bytes the server has (to resume after an interruption)."""
    return jsonify(state().store.upload(_agent(), upload_id))


@blueprint.put("/uploads/<upload_id>/chunks/<int:offset>")
def put_chunk(upload_id: str, offset: int) -> Response:
    """Bytes at ``offset``; header ``X-Chunk-SHA256`` must be the SHA-256 (hex) of the body."""
    capture = _agent()
    limit = int(_setting("CAPTURE_CHUNK_BYTES"))
    if request.content_length is None:
        raise CaptureRequestError(411, "a chunk needs a Content-Length")
    if request.content_length > limit:
        raise CaptureRequestError(413, f"a chunk may be at most {limit} bytes; this one is {request.content_length}")
    data = request.get_data(cache=False)
    declared = request.headers.get("X-Chunk-SHA256", "").strip().lower()
    actual = hashlib.sha256(data).hexdigest()
    if not declared:
        raise CaptureRequestError(400, "a chunk needs an X-Chunk-SHA256 header")
    if not hmac.compare_digest(declared, actual):
        raise CaptureRequestError(400, f"the chunk at offset {offset} has SHA-256 {actual}, not {declared} as "
                                       "declared; it was not stored, send it again")
    return jsonify(state().store.write_chunk(capture, upload_id, offset=offset, data=data))


@blueprint.post("/uploads/<upload_id>/complete")
def complete_upload(upload_id: str) -> Response:
    """Verify the file and attach the session to the assessment (idempotent)."""
    capture = _agent()
    store = state().store
    already = capture.state == "uploaded"
    result = store.complete(capture, upload_id)
    hook = _setting("CAPTURE_ON_UPLOAD")
    if hook is not None and not already:
        path = store.uploaded_session(capture.assessment_id)
        hook(capture.assessment_id, path, dict(result))
    return jsonify(result)


@blueprint.post("/feedback")
def feedback() -> tuple[str, int]:
    """One biofeedback frame (JSON object) to relay to the physician's open pages."""
    capture = _agent()
    limit = int(_setting("CAPTURE_FEEDBACK_MAX_BYTES"))
    if request.content_length is not None and request.content_length > limit:
        raise CaptureRequestError(413, f"a biofeedback frame may be at most {limit} bytes")
    frame = _json_body()
    state().broker.publish(capture.assessment_id, frame)
    return "", 204
