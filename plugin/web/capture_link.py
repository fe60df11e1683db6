"""The link between live capture (:mod:`plugin.capture`) and the physician's launch and assessments.

* :func:`authorize` is the capture blueprint's ``CAPTURE_AUTHORIZE``: a
  physician request about capture ``A`` must name an open launch of this
  browser (header ``X-Fpcds-Launch`` or query ``launch``), ``A`` must be a
  live capture of that launch's patient at that launch's EHR, and anything
  but a GET must carry the launch's anti-forgery token (header
  ``X-CSRF-Token``). Refusals raise :class:`plugin.capture.CaptureRequestError`
  (403) with the reason.
* :func:`attach` turns the uploaded recording into the assessment reserved
  for it, through the same reading path as an imported file
  (:func:`plugin.web.workflow.read_saved`). It is idempotent and is called by
  the upload hook (``CAPTURE_ON_UPLOAD``) and again by the capture page when
  the hook did not finish, so an upload is never lost.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from flask import current_app, request

from acquisition.errors import FpcdsError
from acquisition.native import SUFFIX as NATIVE_SUFFIX

from ..capture import CaptureRequestError, state as capture_state
from ..smart.pkce import same
from .context import LaunchNotFound, load_launch
from .live_captures import LiveCapture, LiveCaptureStore
from .services import services
from .sessions import Launch
from .workflow import read_saved

log = logging.getLogger("fpcds.capture")

LAUNCH_HEADER = "X-Fpcds-Launch"
CSRF_HEADER = "X-CSRF-Token"
#: Key of the capture facts in the assessment's step results (:meth:`AssessmentStore.add_step`).
STEP = "capture"


def live_captures() -> LiveCaptureStore:
    """This app's :class:`LiveCaptureStore`."""
    return current_app.extensions["fpcds_live_captures"]


def authorize(capture_id: str) -> bool:
    """``CAPTURE_AUTHORIZE``: may this request act on live capture ``capture_id``?

    Raises
    ------
    CaptureRequestError
        403 naming the reason (no launch named, launch not open in this
        browser, capture of another patient, anti-forgery token missing or
        wrong, capture no longer waiting for a recording).
    """
    launch_id = request.headers.get(LAUNCH_HEADER) or request.args.get("launch") or ""
    if not launch_id:
        raise CaptureRequestError(403, "the request does not name its fpcds launch; reload the capture page")
    try:
        launch = load_launch(launch_id)
    except LaunchNotFound as exc:
        raise CaptureRequestError(403, str(exc)) from None
    capture = live_captures().get(launch, capture_id)
    if capture is None:
        raise CaptureRequestError(403, "this live capture does not belong to the patient of this fpcds launch")
    if request.method not in ("GET", "HEAD"):
        token = request.headers.get(CSRF_HEADER, "")
        if not token or not same(token, launch.csrf):
            raise CaptureRequestError(403, "the request was not sent from this fpcds page (anti-forgery check "
                                           "failed); reload and try again")
        if capture.state != "waiting":
            raise CaptureRequestError(403, f"this live capture is {capture.state}; start a new live capture")
    return True


def on_upload(capture_id: str, path: Path, info: dict[str, Any]) -> None:
    """``CAPTURE_ON_UPLOAD``: attach the verified recording (failures are recorded, never raised to the agent)."""
    attach(capture_id)


def attach(capture_id: str, *, launch: Launch | None = None) -> LiveCapture | None:
    """Create the assessment of a live capture from its uploaded session, once.

    Parameters
    ----------
    capture_id : str
        The live capture (= the assessment id it becomes).
    launch : Launch, optional
        The physician's current launch (same EHR and patient); default: the
        launch the capture was started in.

    Returns
    -------
    LiveCapture or None
        Its state afterwards (``attached``, or ``waiting`` with
        ``attach_error`` when reading failed); None for an unknown id.

    Raises
    ------
    ValueError
        ``launch`` is for another patient or EHR than the capture.
    """
    svc, store = services(), live_captures()
    capture = store.by_id(capture_id)
    if capture is None or capture.state != "waiting":
        return capture
    owner = launch if launch is not None else svc.sessions.launch(capture.launch_id)
    if owner is not None and (owner.iss, owner.patient) != (capture.iss, capture.patient):
        raise ValueError("a live capture can only be attached for the patient it was started for")
    uploaded = capture_state().store.uploaded_session(capture_id)
    if uploaded is None or not store.claim_attach(capture_id):
        return capture
    if owner is None:
        store.attach_failed(capture_id, "the fpcds launch this capture was started in is gone; open fpcds again "
                                        "from the patient's chart and open the capture to attach it")
        return store.by_id(capture_id)
    if svc.assessments.get(owner, capture_id) is not None:  # created before a crash; finish the bookkeeping
        store.attached(capture_id)
        return store.by_id(capture_id)
    name = time.strftime("live-capture-%Y%m%d-%H%M%S", time.localtime(capture.created)) + NATIVE_SUFFIX
    try:
        folder = svc.assessments.directory(capture_id)
        original = folder / f"upload{NATIVE_SUFFIX}"
        _place(uploaded, original)
        native, sha, summary = read_saved(original, name=name, assessment_dir=folder)
        svc.assessments.create(owner, assessment_id=capture_id, original_name=name, original_path=original,
                               session_path=native, session_sha256=sha, summary=summary)
    except (FpcdsError, OSError) as exc:
        svc.assessments.discard_files(capture_id)
        problem = str(exc) if isinstance(exc, FpcdsError) else f"{name}: cannot be stored ({exc.strerror or exc})"
        store.attach_failed(capture_id, problem)
        log.warning("live capture upload could not be attached: %s", type(exc).__name__)
        return store.by_id(capture_id)
    except Exception as exc:
        svc.assessments.discard_files(capture_id)
        ref = secrets.token_hex(4)
        store.attach_failed(capture_id, f"an unexpected error occurred (reference {ref}); the recording is kept, "
                                        "try again")
        log.error("attaching a live capture failed (reference %s): %s", ref, type(exc).__name__, exc_info=exc)
        return store.by_id(capture_id)
    svc.assessments.add_step(owner, capture_id, STEP, _capture_facts(capture_id))
    store.attached(capture_id)
    log.info("live capture attached (%d quality findings)", len(summary["quality"]))
    return store.by_id(capture_id)


def _place(source: Path, target: Path) -> None:
    """Put the uploaded file into the assessment's folder (a hard link when possible, else a copy)."""
    if target.exists():
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _capture_facts(capture_id: str) -> dict[str, Any]:
    """What the capture store knows about the recording (agent name, times, hashes; no patient data)."""
    capture = capture_state().store.status(capture_id)["capture"] or {}
    session = capture.get("session") or {}
    return {"source": "live capture", "agent": capture.get("agent"), "paired_at": capture.get("paired_at"),
            "file_sha256": session.get("file_sha256"), "content_sha256": session.get("content_sha256"),
            "bytes": session.get("bytes"), "duration_s": session.get("duration_s")}
