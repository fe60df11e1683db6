"""Server side of live capture: pairing a workstation's capture agent, uploads, biofeedback.

The amplifier and camera sit on a clinic workstation running the capture
agent (``fpcds capture --server URL --code CODE``,
:mod:`acquisition.capture_agent`); the plugin may run in the data centre.
LSL never leaves the clinic network: the agent records locally and talks to
this blueprint over HTTPS only.

Register it with one line in the application factory::

    app.register_blueprint(plugin.capture.blueprint)      # or plugin.capture.init_app(app)

and set ``app.config['CAPTURE_AUTHORIZE']`` to a callable
``(assessment_id) -> bool`` that says whether the current request comes from
a physician allowed to work on that assessment (the app's launch check; it
should also check the app's anti-forgery token on POST); it may instead
raise :class:`CaptureRequestError` to refuse with its own reason. Without it
every physician endpoint answers 403. The fpcds app sets it in
:mod:`plugin.web.capture_step`. Other settings and their defaults are in
:data:`plugin.capture.routes.DEFAULTS` (code lifetime 10 min, 5 attempts per
code, agent token 4 h, 4 MiB chunks, 2 GiB per session, state in
``<instance>/capture/``). ``CAPTURE_ON_UPLOAD(assessment_id, path, info)``
is called once a session has been uploaded and verified.

Pairing
-------
1. The physician, in the open assessment, asks for a code:
   ``POST /capture/assessments/<assessment_id>/pairing`` -> ``{"code":
   "K7Q-4MX9TZ", "expires_at": ...}``. The code is one-time, expires after
   ``CAPTURE_CODE_TTL_S`` and replaces any earlier unused code of that
   assessment.
2. Someone types it into the agent, which sends ``POST /capture/pair``
   ``{"code", "agent"}``. The server answers with an opaque ``capture_id``
   and a bearer ``token`` (valid ``CAPTURE_TOKEN_TTL_S``) bound server-side
   to the assessment. The agent never receives the assessment id, the
   patient's identity or any other chart data; it only ever sends data.
3. Guessing is bounded: the first three characters identify the pending
   code, and ``CAPTURE_CODE_ATTEMPTS`` wrong secrets lock it (the physician
   asks for a new one); unknown or wrong codes also count against the
   sender's address (``CAPTURE_FAILURES_PER_ADDR`` per
   ``CAPTURE_FAILURE_WINDOW_S``, then 429). Codes are stored as salted
   hashes, tokens as hashes, and neither appears in a URL or a log.

Upload (chunked, verified, idempotent)
--------------------------------------
``POST /capture/uploads {"sha256", "size"}`` opens an upload, or returns the
same one with the bytes already received when the agent retries (same file
hash and size). ``PUT /capture/uploads/<id>/chunks/<offset>`` sends bytes
with their SHA-256 in ``X-Chunk-SHA256`` (a damaged chunk is refused, 400);
a chunk that repeats bytes already stored is accepted without change, one
that would leave a hole answers 409 with ``received``. ``POST
/capture/uploads/<id>/complete`` checks the whole file's SHA-256 against the
declared one and reads it as a native session with its content hash
verified; a mismatch discards the bytes (422, send again). Completing twice
returns the same answer. ``GET /capture/uploads/<id>`` tells how much the
server has. Agents must use HTTPS (``CAPTURE_REQUIRE_HTTPS``; loopback is
exempt for development and tests).

Biofeedback
-----------
The agent computes frames (:mod:`acquisition.lsl_biofeedback`) and posts
each to ``POST /capture/feedback``; the physician's page listens on
``GET /capture/assessments/<assessment_id>/biofeedback`` (server-sent
events, ``event: biofeedback``). Frames hold only numbers (RMS per side,
symmetry ratios, times). The relay is in-process
(:mod:`plugin.capture.broker`): one worker process with threads.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .routes import DEFAULTS, blueprint, state
from .store import CaptureRequestError, CaptureStore


def init_app(app: Flask) -> None:
    """Register the capture blueprint on ``app``."""
    app.register_blueprint(blueprint)


def close_streams(app: Flask) -> int:
    """End the open biofeedback streams of ``app`` (call when the server stops); returns how many."""
    ext = app.extensions.get("fpcds_capture")
    return ext.broker.close() if ext is not None else 0


def uploaded_session(assessment_id: str) -> Path | None:
    """The session file uploaded for ``assessment_id`` in the current app, if any."""
    return state().store.uploaded_session(assessment_id)


__all__ = ["DEFAULTS", "CaptureRequestError", "CaptureStore", "blueprint", "close_streams", "init_app", "state",
           "uploaded_session"]
