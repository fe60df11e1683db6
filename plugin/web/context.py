"""The current launch of a request: access check, fresh tokens, FHIR client, patient banner, CSRF.

Every page under ``/app/<launch_id>/`` uses :func:`requires_launch`; step
blueprints use :func:`fhir_client` to talk to the EHR with the launch's
token, refreshed when needed (a refresh token is used once, never again).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from typing import Any, Callable

from flask import abort, g, render_template, request

from ..fhir.client import FhirClient, FhirForbidden, FhirUnauthorized
from ..smart.errors import SmartError, TokenExchangeError, TokenExpiredError
from ..smart.pkce import same
from ..smart.tokens import TokenSet
from .security import cookie_name
from .assessments import Assessment
from .services import services
from .sessions import Launch

log = logging.getLogger("fpcds.web")

#: Refresh this long before the access token expires (s).
REFRESH_MARGIN_S = 5.0
#: How long a request waits for another worker's refresh to finish (s).
REFRESH_WAIT_S = 15.0


class LaunchNotFound(SmartError):
    """The launch id is unknown, expired, or belongs to another browser."""

    code = "launch_not_found"
    status = 404


class CsrfError(SmartError):
    """A form was posted without this launch's anti-forgery token."""

    code = "csrf"
    status = 400


def current_browser() -> str | None:
    return services().sessions.browser_for(request.cookies.get(cookie_name(services().config)))


def load_launch(launch_id: str) -> Launch:
    """The launch ``launch_id`` if this browser owns it and it has not expired.

    Raises
    ------
    LaunchNotFound
    """
    launch = services().sessions.launch_for_browser(launch_id, current_browser())
    if launch is None:
        raise LaunchNotFound("this fpcds launch is not open in this browser; open fpcds again from the patient's chart")
    if launch.expires < time.time():
        raise LaunchNotFound("this fpcds launch has ended (it is older than the allowed time); "
                             "open fpcds again from the patient's chart - saved work is kept")
    return launch


def requires_launch(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for views taking ``launch_id``: loads the launch into ``g.launch`` and checks CSRF on POST."""

    @functools.wraps(view)
    def wrapper(*args: Any, launch_id: str, **kwargs: Any) -> Any:
        g.launch = load_launch(launch_id)
        if request.method == "POST":
            token = request.form.get("csrf", "")
            if not token or not same(token, g.launch.csrf):
                raise CsrfError("the form was not sent from this fpcds page (anti-forgery check failed); reload and try again")
        return view(*args, launch_id=launch_id, **kwargs)

    return wrapper


def fresh_tokens(launch: Launch) -> TokenSet:
    """The launch's tokens, refreshed first when the access token is (about to be) expired.

    Raises
    ------
    TokenExpiredError
        Expired, and no refresh token or the refresh failed.
    """
    svc = services()
    tokens = svc.sessions.tokens(launch.id)
    if not tokens.expired(margin_s=REFRESH_MARGIN_S):
        return tokens
    expired = TokenExpiredError("the EHR session of this launch has expired; open fpcds again from the patient's "
                                "chart - imported sessions and assessments are kept")
    if not tokens.refresh_token:
        raise expired
    if not svc.sessions.claim_refresh(launch.id):
        deadline = time.monotonic() + REFRESH_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.2)
            newer = svc.sessions.tokens(launch.id)
            if not newer.expired(margin_s=REFRESH_MARGIN_S):
                return newer
        raise expired
    tenant = svc.config.tenant_for(launch.iss)
    if tenant is None:
        raise expired
    try:
        new = svc.smart_client(tenant).refresh(tokens)
    except (TokenExchangeError, SmartError) as exc:
        # The refresh token has been sent: never send it again.
        svc.sessions.store_tokens(launch.id, dataclasses.replace(tokens, refresh_token=None))
        log.warning("token refresh failed: %s", type(exc).__name__)
        raise expired from None
    svc.sessions.store_tokens(launch.id, new)
    return new


def ehr_session_active(launch: Launch) -> bool:
    """True while the launch has (or can refresh to) a valid access token; pages show a notice otherwise."""
    try:
        fresh_tokens(launch)
    except TokenExpiredError:
        return False
    return True


def fhir_client(launch: Launch) -> FhirClient:
    """A FHIR client for the launch's EHR with a fresh access token."""
    svc = services()
    return FhirClient(launch.iss, token=fresh_tokens(launch).access_token, timeout=svc.config.fhir_timeout_s,
                      http=svc.http)


def human_name(patient: dict[str, Any]) -> str:
    names = patient.get("name") or []
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if official.get("text"):
        return str(official["text"])
    parts = [" ".join(official.get("given") or []), official.get("family") or ""]
    return " ".join(p for p in parts if p).strip() or "(no name recorded)"


def patient_banner(launch: Launch) -> dict[str, Any] | None:
    """Name, birth date, gender and identifier of the launch's patient, when the EHR asked for a banner.

    Read once from the EHR's FHIR server with the launch's token and kept
    (encrypted) with the launch.
    """
    if not launch.need_patient_banner:
        return None
    svc = services()
    cached = svc.sessions.banner(launch.id)
    if cached is not None:
        return cached
    patient = fhir_client(launch).read("Patient", launch.patient)
    ident = next(iter(patient.get("identifier") or []), {})
    banner = {
        "name": human_name(patient),
        "birth_date": patient.get("birthDate") or "unknown",
        "gender": patient.get("gender") or "unknown",
        "identifier": ident.get("value") or "",
        "identifier_label": ((ident.get("type") or {}).get("text") or "ID") if ident else "",
    }
    svc.sessions.store_banner(launch.id, banner)
    return banner


def render_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page of the current launch: the patient banner (when the EHR asked for one), the notice shown
    when the EHR session has expired, and ``context``."""
    launch = g.launch
    return render_template(template, launch=launch, banner=patient_banner(launch),
                           ehr_active=ehr_session_active(launch), **context), status


def owned_assessment(assessment_id: str) -> Assessment:
    """The assessment of the current launch's patient; 404 for any other (or unknown) id."""
    found = services().assessments.get(g.launch, assessment_id)
    if found is None:
        abort(404, "no such assessment for this patient")
    return found


def ehr_problem_text(exc: Exception) -> str:
    """What a clinician is told about a failed EHR interaction (no patient data, no token)."""
    if isinstance(exc, SmartError):
        return "the EHR session has expired; open fpcds again from the patient's chart"
    if isinstance(exc, FhirForbidden):
        return f"the EHR refused: the permissions granted to fpcds do not allow this ({exc})"
    if isinstance(exc, FhirUnauthorized):
        return "the EHR no longer accepts this session; open fpcds again from the patient's chart"
    return str(exc)  # names the server and the interaction that failed
