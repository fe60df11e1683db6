"""The sandbox's FHIR endpoint: bearer token and scope checks in front of a real FHIR server.

``/fhir`` is the ``iss`` apps see. ``.well-known/smart-configuration`` and
``metadata`` (with the ``oauth-uris`` security extension) are public; every
other interaction needs an active access token whose scopes allow it:
v2 letters (c r u d s) or v1 ``read``/``write``. With ``patient/`` scopes the
token only reaches its patient's compartment: reads of other patients are
refused, searches are restricted to the patient, and writes must refer to
the patient. Allowed requests are forwarded to the upstream server and its
absolute URLs are rewritten to the sandbox base.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import requests
from flask import Blueprint, Response, jsonify, request

from ..smart.scopes import parse_resource_scope, split_scopes
from .authz import SandboxAuth
from .state import Token

OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
_PASS_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Location", "Content-Location")
_FORWARD_HEADERS = ("Content-Type", "If-None-Exist", "If-Match", "If-None-Match", "Prefer", "Accept")
#: Resource types whose patient link is not required on write (they point at other resources).
_NO_PATIENT_LINK = {"Provenance", "Device", "DocumentReference"}


def _outcome(status: int, code: str, text: str, *, www_auth: str | None = None) -> Response:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    resp = Response(json.dumps(body), status=status, content_type="application/fhir+json")
    if www_auth:
        resp.headers["WWW-Authenticate"] = www_auth
    return resp


def _allows(scopes: tuple[str, ...], rtype: str, perm: str) -> tuple[bool, bool]:
    """(allowed, patient-restricted) for ``perm`` on ``rtype`` under ``scopes``."""
    user_ok = patient_ok = False
    for s in scopes:
        parsed = parse_resource_scope(s)
        if parsed is None or parsed.resource not in (rtype, "*") or perm not in parsed.perms:
            continue
        if parsed.context in ("user", "system"):
            user_ok = True
        elif parsed.context == "patient":
            patient_ok = True
    if user_ok:
        return True, False
    return patient_ok, patient_ok


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _patient_refs(resource: dict[str, Any]) -> set[str]:
    return {r.split("/", 1)[1].split("/_history")[0] for r in _references(resource) if r.startswith("Patient/")}


def _in_compartment(resource: dict[str, Any], patient: str, *, writing: bool) -> bool:
    if resource.get("resourceType") == "Patient":
        return resource.get("id") == patient
    refs = _patient_refs(resource)
    if refs - {patient}:
        return False
    if writing and resource.get("resourceType") in _NO_PATIENT_LINK:
        return True
    return patient in refs


class FhirProxy:
    """Forwards authorized FHIR requests to ``upstream`` (the real FHIR server)."""

    def __init__(self, auth: SandboxAuth, *, upstream: str, public_base: str, timeout: float = 30.0) -> None:
        self.auth = auth
        self.upstream = upstream.rstrip("/")
        self.public_base = public_base.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def _rewrite(self, content: bytes) -> bytes:
        return content.replace(self.upstream.encode(), self.public_base.encode())

    def forward(self, method: str, path: str, *, body: bytes | None = None, params: Any = None) -> Response:
        headers = {h: request.headers[h] for h in _FORWARD_HEADERS if h in request.headers}
        url = f"{self.upstream}/{path}" if path else self.upstream
        try:
            upstream = self.http.request(method, url, params=params, data=body, headers=headers, timeout=self.timeout,
                                         allow_redirects=False)
        except requests.RequestException:
            return _outcome(503, "transient", "the sandbox FHIR store is not reachable")
        resp = Response(self._rewrite(upstream.content), status=upstream.status_code)
        for h in _PASS_HEADERS:
            if h in upstream.headers:
                resp.headers[h] = upstream.headers[h].replace(self.upstream, self.public_base)
        return resp

    def token(self) -> Token | Response:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return _outcome(401, "login", "a bearer token is required", www_auth='Bearer realm="sandbox"')
        token = self.auth.state.token(header[7:].strip())
        if token is None or token.is_revoked() or token.is_expired():
            return _outcome(401, "login", "the access token is not active",
                            www_auth='Bearer realm="sandbox", error="invalid_token"')
        return token

    def check(self, token: Token, rtype: str, perm: str) -> tuple[Response | None, bool]:
        allowed, restricted = _allows(split_scopes(token.scope), rtype, perm)
        if not allowed:
            return _outcome(403, "forbidden", f"the token's scopes do not allow '{perm}' on {rtype}",
                            www_auth='Bearer realm="sandbox", error="insufficient_scope"'), False
        if restricted and not token.patient:
            return _outcome(403, "forbidden", "patient scopes without a patient in context"), False
        if perm in ("c", "u", "d") and token.get_client().policy.refuse_writes:
            return _outcome(403, "forbidden", f"the signed-in user may not write {rtype} resources"), False
        return None, restricted


def build_blueprint(proxy: FhirProxy) -> Blueprint:
    bp = Blueprint("sandbox_fhir", __name__, url_prefix="/fhir")

    @bp.get("/.well-known/smart-configuration")
    def smart_configuration():
        return jsonify(proxy.auth.smart_configuration())

    @bp.get("/metadata")
    def metadata():
        resp = proxy.forward("GET", "metadata")
        if resp.status_code != 200:
            return resp
        doc = json.loads(resp.get_data())
        ext = {"url": OAUTH_URIS, "extension": [
            {"url": "authorize", "valueUri": proxy.auth.authorize_url},
            {"url": "token", "valueUri": proxy.auth.token_url},
            {"url": "introspect", "valueUri": proxy.auth.introspect_url},
        ]}
        for rest in doc.get("rest") or []:
            rest["security"] = {"extension": [ext], "service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}]}]}
        return Response(json.dumps(doc), status=200, content_type="application/fhir+json")

    @bp.post("")
    @bp.post("/")
    def system():
        token = proxy.token()
        if isinstance(token, Response):
            return token
        try:
            bundle = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _outcome(400, "invalid", "the body is not JSON")
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("transaction", "batch"):
            return _outcome(400, "invalid", "POST to the base needs a transaction or batch Bundle")
        perms = {"POST": "c", "PUT": "u", "DELETE": "d", "GET": "r", "PATCH": "u"}
        for entry in bundle.get("entry") or []:
            req = entry.get("request") or {}
            rtype = str(req.get("url", "")).split("?")[0].split("/")[0]
            perm = perms.get(str(req.get("method", "")).upper())
            if not rtype or perm is None:
                return _outcome(400, "invalid", "every entry needs request.method and request.url")
            denied, restricted = proxy.check(token, rtype, perm)
            if denied:
                return denied
            resource = entry.get("resource")
            if restricted and perm in ("c", "u") and (not isinstance(resource, dict) or
                                                      not _in_compartment(resource, token.patient, writing=True)):
                return _outcome(403, "forbidden", f"a {rtype} entry does not belong to the patient in context")
            if restricted and perm in ("r", "d"):
                return _outcome(403, "forbidden", "read and delete entries are not allowed with patient scopes")
        return proxy.forward("POST", "", body=request.get_data())

    @bp.route("/<rtype>", methods=["GET", "POST"])
    def type_level(rtype: str):
        token = proxy.token()
        if isinstance(token, Response):
            return token
        if request.method == "POST":
            denied, restricted = proxy.check(token, rtype, "c")
            if denied:
                return denied
            try:
                resource = json.loads(request.get_data() or b"{}")
            except ValueError:
                return _outcome(400, "invalid", "the body is not JSON")
            if restricted and not _in_compartment(resource, token.patient, writing=True):
                return _outcome(403, "forbidden", "the resource does not belong to the patient in context")
            return proxy.forward("POST", rtype, body=request.get_data())
        denied, restricted = proxy.check(token, rtype, "s")
        if denied:
            return denied
        params = request.args.to_dict(flat=False)
        if restricted:
            key = "_id" if rtype == "Patient" else "patient"
            given = [v for v in params.get(key, []) if v]
            wanted = token.patient if key == "_id" else f"Patient/{token.patient}"
            if any(v not in (token.patient, f"Patient/{token.patient}") for v in given):
                return _outcome(403, "forbidden", "patient scopes only search the patient in context")
            params[key] = [wanted]
        return proxy.forward("GET", rtype, params=params)

    @bp.route("/<rtype>/<rid>", methods=["GET", "PUT", "DELETE"])
    def instance(rtype: str, rid: str):
        token = proxy.token()
        if isinstance(token, Response):
            return token
        perm = {"GET": "r", "PUT": "u", "DELETE": "d"}[request.method]
        denied, restricted = proxy.check(token, rtype, perm)
        if denied:
            return denied
        if request.method == "GET":
            resp = proxy.forward("GET", f"{rtype}/{rid}")
            if restricted and resp.status_code == 200:
                if not _in_compartment(json.loads(resp.get_data()), token.patient, writing=False):
                    return _outcome(403, "forbidden", "the resource is outside the patient in context")
            return resp
        if restricted:
            current = proxy.forward("GET", f"{rtype}/{rid}")
            if current.status_code == 200 and not _in_compartment(json.loads(current.get_data()), token.patient,
                                                                  writing=True):
                return _outcome(403, "forbidden", "the resource is outside the patient in context")
            if request.method == "PUT":
                try:
                    resource = json.loads(request.get_data() or b"{}")
                except ValueError:
                    return _outcome(400, "invalid", "the body is not JSON")
                if not _in_compartment(resource, token.patient, writing=True):
                    return _outcome(403, "forbidden", "the resource does not belong to the patient in context")
        return proxy.forward(request.method, f"{rtype}/{rid}", body=request.get_data() or None)

    return bp


