"""The physician's pages inside a launch: patient banner, session import, the session summary.

``/app/<launch_id>/`` shows the banner (when the EHR asks for one), the
patient's assessments in progress and the import form;
``/app/<launch_id>/assessments/<id>`` shows an imported session's summary
with its quality warnings and the workflow steps registered so far.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Blueprint, Flask, abort, g, redirect, request, url_for
from werkzeug.utils import secure_filename

from acquisition.errors import SessionFileError
from acquisition.native import SUFFIX as NATIVE_SUFFIX
from acquisition.native import stored_hash, write_session
from acquisition.readers import read_any
from acquisition.summary import session_summary

from .context import render_page, requires_launch
from .services import services

bp = Blueprint("workflow", __name__, url_prefix="/app/<launch_id>")
log = logging.getLogger("fpcds.workflow")


class UploadError(SessionFileError):
    """The upload itself is unusable (no file, empty file, no name)."""


@bp.get("/")
@requires_launch
def home(launch_id: str):
    svc = services()
    return render_page("home.html", assessments=svc.assessments.open_for(g.launch))


def _import(upload, assessment_dir: Path) -> tuple[str, Path, Path, str, dict]:
    """Save the upload, read it, keep a native copy; returns (name, original, native, sha256, summary)."""
    name = upload.filename or ""
    safe = secure_filename(os.path.basename(name))
    if not safe:
        raise UploadError(name or "(no file)", "choose a session file to import")
    suffix = "".join(Path(safe).suffixes[-1:]).lower()
    original = assessment_dir / f"upload{suffix}"
    upload.save(original)
    if original.stat().st_size == 0:
        raise UploadError(safe, "the file is empty")
    native, sha, summary = read_saved(original, name=safe, assessment_dir=assessment_dir)
    return safe, original, native, sha, summary


def read_saved(original: Path, *, name: str, assessment_dir: Path) -> tuple[Path, str, dict]:
    """Read a session file saved in an assessment's folder and keep a native copy beside it.

    Shared by the file import and live capture (:mod:`plugin.web.capture_step`).

    Returns
    -------
    native : Path
        The native session file (``original`` itself when it is native).
    sha256 : str
        Its content hash.
    summary : dict
        :func:`acquisition.summary.session_summary` with quality findings.

    Raises
    ------
    SessionFileError
        Naming ``name`` when the file cannot be read as a session.
    """
    suffix = original.suffix.lower()
    try:
        if suffix == NATIVE_SUFFIX:
            session = read_any(original, verify=True)
            native, sha = original, stored_hash(original)
        else:
            session = read_any(original)
            native = assessment_dir / f"session{NATIVE_SUFFIX}"
            sha = write_session(session, native)
    except SessionFileError as exc:
        raise SessionFileError(name, exc.problem) from None
    return native, sha, session_summary(session, content_sha256=sha)


@bp.post("/sessions")
@requires_launch
def upload(launch_id: str):
    svc = services()
    upload = request.files.get("session")
    if upload is None:
        raise UploadError("(no file)", "choose a session file to import")
    assessment_id = svc.assessments.new_id()
    folder = svc.assessments.directory(assessment_id)
    try:
        name, original, native, sha, summary = _import(upload, folder)
    except BaseException:
        svc.assessments.discard_files(assessment_id)
        raise
    svc.assessments.create(g.launch, assessment_id=assessment_id, original_name=name, original_path=original,
                           session_path=native, session_sha256=sha, summary=summary)
    log.info("session imported (%d quality findings)", len(summary["quality"]))
    return redirect(url_for("workflow.assessment", launch_id=launch_id, assessment_id=assessment_id), code=303)


@bp.get("/assessments/<assessment_id>")
@requires_launch
def assessment(launch_id: str, assessment_id: str):
    svc = services()
    found = svc.assessments.get(g.launch, assessment_id)
    if found is None:
        abort(404)
    steps = [s for s in svc.steps if s.available(found)]
    return render_page("assessment.html", assessment=found, summary=found.summary, steps=steps)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
