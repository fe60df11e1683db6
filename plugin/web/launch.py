"""SMART launch pages: ``/`` (start page), ``/launch`` (EHR and standalone), ``/callback`` and the app's JWKS.

EHR launch: the EHR opens ``/launch?iss=...&launch=...``. Standalone launch:
``/launch?iss=...`` without ``launch`` (the start page links to it per
tenant). Either way the app checks ``iss`` against the allowlist, discovers
the EHR's endpoints, stores ``state`` and the PKCE verifier server-side and
redirects the same frame to the EHR's authorization endpoint. The callback
accepts only the ``state`` this browser was given, exchanges the code,
checks the granted scopes and opens the launch.
"""

from __future__ import annotations

import dataclasses
import logging

from flask import Blueprint, Flask, jsonify, redirect, render_template, request, url_for

from ..smart.errors import (AuthorizationDenied, IdTokenError, InsufficientScopeError, LaunchRequestError,
                            SmartError, StateError, UnknownIssuerError)
from ..smart.keys import public_jwks
from ..smart.pkce import new_code_verifier, new_state
from ..smart.scopes import missing_scopes
from ..smart.tokens import verify_id_token
from .context import current_browser
from .security import set_browser_cookie
from .services import services
from .sessions import PendingAuth

bp = Blueprint("launch", __name__)
log = logging.getLogger("fpcds.launch")


class NoPatientContext(SmartError):
    """The EHR authorized the app without a patient in context."""

    code = "no_patient"
    status = 400


@bp.get("/")
def index():
    return render_template("index.html", tenants=services().config.tenants)


@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(public_jwks(services().config.keys))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/launch")
def launch():
    svc = services()
    iss = request.args.get("iss", "").strip()
    if not iss:
        raise LaunchRequestError("the launch request has no 'iss' (the EHR's FHIR address); open fpcds from the EHR")
    tenant = svc.config.tenant_for(iss)
    if tenant is None:
        log.warning("launch refused: issuer not in the allowlist")
        raise UnknownIssuerError(f"the EHR {iss!r} is not registered with this fpcds installation; "
                                 "ask IT to add it to the tenant list")
    launch_param = request.args.get("launch")
    if launch_param is not None and not launch_param.strip():
        raise LaunchRequestError("the launch request has an empty 'launch' parameter")
    client = svc.smart_client(tenant)
    standalone = launch_param is None
    scope = " ".join(client.scopes(standalone=standalone))

    browser = current_browser()
    cookie_value = None
    if browser is None:
        cookie_value, browser = svc.sessions.new_browser()
    state, verifier = new_state(), new_code_verifier()
    svc.sessions.add_pending(browser=browser, state=state, pending=PendingAuth(
        iss=tenant.iss, kind="standalone" if standalone else "ehr", launch=launch_param, scope=scope,
        code_verifier=verifier))
    url = client.authorization_url(state=state, code_verifier=verifier, scope=scope, launch=launch_param)
    log.info("launch started (%s)", "standalone" if standalone else "EHR")
    response = redirect(url, code=302)
    if cookie_value:
        set_browser_cookie(response, svc.config, cookie_value)
    return response


@bp.get("/callback")
def callback():
    svc = services()
    pending = svc.sessions.take_pending(browser=current_browser(), state=request.args.get("state"))
    if pending is None:
        log.warning("callback refused: state mismatch")
        raise StateError("the answer from the EHR does not belong to a launch started in this browser "
                         "(state missing, unknown, expired or already used); open fpcds again from the EHR")
    if request.args.get("error"):
        error = request.args.get("error", "")[:64]
        description = request.args.get("error_description", "")[:300]
        log.warning("authorization refused by the EHR: %s", error)
        raise AuthorizationDenied(f"the EHR refused the authorization ({error}{': ' + description if description else ''})")
    code = request.args.get("code")
    if not code:
        raise LaunchRequestError("the answer from the EHR has neither a code nor an error")
    tenant = svc.config.tenant_for(pending.iss)
    if tenant is None:
        raise UnknownIssuerError(f"the EHR {pending.iss!r} is no longer registered with this fpcds installation")
    client = svc.smart_client(tenant)
    tokens = client.exchange_code(code=code, code_verifier=pending.code_verifier, scope=pending.scope)
    missing = missing_scopes(tokens.scope, tenant.required_scopes)
    if missing:
        log.warning("launch refused: %d required scope(s) not granted", len(missing))
        raise InsufficientScopeError(missing)
    if not tokens.patient:
        raise NoPatientContext("the EHR did not say which patient this launch is for; open fpcds from a patient's chart")
    if tokens.id_token:
        if client.smart.jwks_uri:
            claims = verify_id_token(tokens.id_token, jwks_uri=client.smart.jwks_uri, issuer=client.smart.issuer,
                                     client_id=tenant.client_id, timeout=svc.config.fhir_timeout_s, http=svc.http)
            fhir_user = claims.get("fhirUser") if isinstance(claims.get("fhirUser"), str) else None
            tokens = dataclasses.replace(tokens, fhir_user=fhir_user)
        else:
            raise IdTokenError("the EHR sent an id_token but publishes no jwks_uri to verify it")
    browser = current_browser()
    assert browser is not None  # take_pending matched it
    opened = svc.sessions.create_launch(browser=browser, iss=tenant.iss, client_id=tenant.client_id, tokens=tokens,
                                        ttl_s=svc.config.launch_ttl_hours * 3600)
    log.info("launch opened")
    return redirect(url_for("workflow.home", launch_id=opened.id), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
