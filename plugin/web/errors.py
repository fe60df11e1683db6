"""Error pages: one clear page per kind of failure, each saying what happened and that saved work is kept.

Typed errors map to pages: SMART launch failures (their own status and
code), EHR unreachable (503), token rejected (401), permission refused (403),
a file that cannot be imported (400), and unexpected errors (500, logged
with a reference id and no request data).
"""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, render_template
from werkzeug.exceptions import HTTPException

from acquisition.errors import SessionFileError
from ..fhir.client import (FhirClientError, FhirForbidden, FhirNotFound, FhirServerError, FhirUnauthorized,
                           FhirUnreachable)
from ..fhir.errors import FhirMappingError
from .results.files import ResultsError
from ..smart.errors import SmartError
from .services import services

log = logging.getLogger("fpcds.errors")

_TITLES = {
    "unknown_iss": "This EHR is not registered",
    "bad_launch": "The launch request is incomplete",
    "discovery_failed": "The EHR's sign-in service is not available",
    "state_mismatch": "The sign-in answer does not match this browser",
    "authorization_denied": "The EHR did not authorize fpcds",
    "token_exchange_failed": "The EHR did not complete the sign-in",
    "insufficient_scope": "fpcds was granted too few permissions",
    "token_expired": "Your EHR session has expired",
    "bad_id_token": "The EHR's identity token does not verify",
    "launch_not_found": "This fpcds window is no longer open",
    "csrf": "The form could not be verified",
    "no_patient": "No patient selected",
}


def _saved_work() -> int | None:
    launch = getattr(g, "launch", None)
    if launch is None:
        return None
    return len(services().assessments.open_for(launch))


def _page(status: int, code: str, title: str, message: str):
    return render_template("error.html", status=status, code=code, title=title, message=message,
                           launch=getattr(g, "launch", None), saved=_saved_work()), status


def init_app(app: Flask) -> None:
    @app.errorhandler(SmartError)
    def _smart(exc: SmartError):
        return _page(exc.status, exc.code, _TITLES.get(exc.code, "The launch failed"), str(exc))

    @app.errorhandler(SessionFileError)
    def _file(exc: SessionFileError):
        return _page(400, "bad_session_file", "The file cannot be imported", str(exc))

    @app.errorhandler(ResultsError)
    def _results(exc: ResultsError):
        return _page(409, "results_unavailable", "The stored results cannot be used",
                     f"{exc}; run the assessment again (the imported session is kept)")

    @app.errorhandler(FhirMappingError)
    def _mapping(exc: FhirMappingError):
        return _page(422, "results_not_writable", "These results cannot be prepared for the chart", str(exc))

    @app.errorhandler(FhirClientError)
    def _fhir(exc: FhirClientError):
        if isinstance(exc, FhirUnauthorized):
            return _page(401, "fhir_unauthorized", "The EHR no longer accepts this session",
                         "the EHR rejected fpcds's access token (expired or revoked); open fpcds again from the "
                         "patient's chart")
        if isinstance(exc, FhirForbidden):
            return _page(403, "fhir_forbidden", "The EHR refused this request",
                         f"the permissions granted to fpcds do not allow this ({exc})")
        if isinstance(exc, FhirNotFound):
            return _page(404, "fhir_not_found", "Not found in the EHR", str(exc))
        if isinstance(exc, (FhirUnreachable, FhirServerError)):
            return _page(503, "ehr_unavailable", "The EHR cannot be reached just now",
                         f"{exc}; try again in a moment")
        return _page(502, "fhir_error", "The EHR answered with an error", str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status == 413:
            limit = services().config.max_upload_mb
            return _page(413, "too_large", "The file is too large", f"uploads are limited to {limit} MB")
        return _page(status, f"http_{status}", exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        ref = secrets.token_hex(4)
        log.error("unexpected error (reference %s): %s", ref, type(exc).__name__, exc_info=exc)
        return _page(500, "internal", "Something went wrong in fpcds",
                     f"an unexpected error occurred (reference {ref}); your saved work is kept")
