"""The "Live capture" step of the physician's workflow.

``POST /app/<launch_id>/captures`` starts a live capture for the launch's
patient (:mod:`plugin.web.live_captures`) and opens its page,
``/app/<launch_id>/captures/<capture_id>``: a button asks the capture
blueprint for a one-time pairing code (shown large with its expiry), the
page follows the paired agent and the upload
(``.../status``, JSON, polled) and shows live biofeedback from the
blueprint's server-sent events (``static/capture.js``; no inline script, so
the app's CSP stays ``script-src 'self'``). When the recording has been
uploaded it becomes an assessment exactly like an imported file
(:func:`plugin.web.capture_link.attach`) and the page moves on to its
summary. The patient overview lists captures still waiting for a recording.

:func:`init_app` also registers :mod:`plugin.capture` with
``CAPTURE_AUTHORIZE`` / ``CAPTURE_ON_UPLOAD`` from
:mod:`plugin.web.capture_link` and its state under
``<instance_dir>/capture``.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, abort, g, jsonify, redirect, url_for

from .. import capture
from ..capture import state as capture_state
from .capture_link import attach, authorize, live_captures, on_upload
from .context import render_page, requires_launch
from .live_captures import LiveCapture, LiveCaptureStore
from .services import services
from .sessions import Launch

bp = Blueprint("capture_step", __name__, url_prefix="/app/<launch_id>/captures")

_PAIRING_TEXT = {
    "pending": "A pairing code is waiting to be typed into the capture agent.",
    "expired": "The last pairing code expired unused; create a new one.",
    "locked": "The last pairing code was locked after too many wrong attempts; create a new one.",
    "paired": "The pairing code was used.",
    "revoked": "",
}


def _clock(iso: str) -> str:
    """Local wall-clock time (HH:MM) of an ISO 8601 instant from the capture store."""
    return time.strftime("%H:%M", time.localtime(datetime.fromisoformat(iso).timestamp()))


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def capture_view(live: LiveCapture, launch: Launch) -> dict[str, Any]:
    """What the capture page shows (also its JSON status): phase, pairing, agent, upload, attach problem.

    ``phase`` is one of ``unpaired``, ``code`` (a code waits to be used),
    ``paired``, ``uploading``, ``uploaded`` (being attached), ``attached``,
    ``discarded``.
    """
    status = capture_state().store.status(live.id)
    pairing, agent = status["pairing"], status["capture"]
    upload = agent["upload"] if agent else None
    if live.state != "waiting":
        phase = live.state
    elif agent is None:
        phase = "code" if pairing and pairing["state"] == "pending" else "unpaired"
    elif agent["state"] == "uploaded":
        phase = "uploaded"
    else:
        phase = "uploading" if upload and upload["state"] == "open" and upload["received"] else "paired"
    if agent is None:
        agent_text = "No capture agent paired yet."
    else:
        agent_text = f"Paired with {agent['agent']} since {_clock(agent['paired_at'])}."
    if agent and agent["session"]:
        s = agent["session"]
        upload_text = f"Received and verified: {_size(s['bytes'])}, {s['duration_s']:.1f} s of recording."
    elif upload:
        pct = 100.0 * upload["received"] / upload["size"] if upload["size"] else 0.0
        upload_text = f"Uploading: {_size(upload['received'])} of {_size(upload['size'])} ({pct:.0f} %)."
    else:
        upload_text = "Nothing uploaded yet."
    return {
        "state": live.state,
        "phase": phase,
        "pairing": pairing,
        "pairing_text": _PAIRING_TEXT.get(pairing["state"], "") if pairing else "",
        "agent_text": agent_text,
        "upload": upload,
        "upload_text": upload_text,
        "error": live.attach_error,
        "assessment_url": (url_for("workflow.assessment", launch_id=launch.id, assessment_id=live.id)
                           if live.state == "attached" else None),
    }


def _owned(capture_id: str) -> LiveCapture:
    found = live_captures().get(g.launch, capture_id)
    if found is None:
        abort(404, "no such live capture for this patient")
    return found


@bp.post("")
@requires_launch
def start(launch_id: str):
    live = live_captures().start(g.launch, services().assessments.new_id())
    return redirect(url_for("capture_step.page", launch_id=launch_id, capture_id=live.id), code=303)


@bp.get("/<capture_id>")
@requires_launch
def page(launch_id: str, capture_id: str):
    live = _owned(capture_id)
    if live.state == "waiting" and live.attach_error is None:
        live = attach(capture_id, launch=g.launch) or live
    if live.state == "attached":
        return redirect(url_for("workflow.assessment", launch_id=launch_id, assessment_id=capture_id), code=303)
    if live.state == "discarded":
        return redirect(url_for("workflow.home", launch_id=launch_id), code=303)
    return render_page("capture.html", live=live, view=capture_view(live, g.launch),
                       public_url=services().config.public_url)


@bp.get("/<capture_id>/status")
@requires_launch
def status(launch_id: str, capture_id: str):
    """The page's view as JSON; finishes an attachment the upload hook could not (``attach`` is idempotent)."""
    live = _owned(capture_id)
    if live.state == "waiting" and live.attach_error is None:
        live = attach(capture_id, launch=g.launch) or live
    return jsonify(capture_view(live, g.launch))


@bp.post("/<capture_id>/attach")
@requires_launch
def retry_attach(launch_id: str, capture_id: str):
    """Try again to attach an uploaded recording after a recorded failure."""
    live = _owned(capture_id)
    if live.state == "waiting":
        attach(capture_id, launch=g.launch)
    return redirect(url_for("capture_step.page", launch_id=launch_id, capture_id=capture_id), code=303)


@bp.post("/<capture_id>/discard")
@requires_launch
def discard(launch_id: str, capture_id: str):
    _owned(capture_id)
    live_captures().discard(g.launch, capture_id)
    return redirect(url_for("workflow.home", launch_id=launch_id), code=303)


def _waiting_captures(launch: Launch) -> list[LiveCapture]:
    return live_captures().waiting_for(launch)


def init_app(app: Flask) -> None:
    """Register the capture blueprint (wired to launches and assessments) and the capture step's pages."""
    svc = app.extensions["fpcds"]
    app.extensions["fpcds_live_captures"] = LiveCaptureStore(svc.db)
    app.config.setdefault("CAPTURE_DIR", str(svc.config.instance_dir / "capture"))
    # a stream whose page has gone is noticed at the next heartbeat: keep the threads it holds short-lived
    app.config.setdefault("CAPTURE_SSE_HEARTBEAT_S", 5.0)
    app.config["CAPTURE_AUTHORIZE"] = authorize
    app.config["CAPTURE_ON_UPLOAD"] = on_upload
    capture.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(lambda: {"live_captures_waiting": _waiting_captures})
