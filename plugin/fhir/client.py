"""A small FHIR R4 REST client: one base URL, one bearer token, typed failures.

HTTP failures become typed exceptions (:class:`FhirUnauthorized`,
:class:`FhirForbidden`, :class:`FhirNotFound` ...), so callers can show the
right page without parsing status codes. Messages name the server and the
interaction but never the token, and never a resource id or query (those may
identify a patient).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import requests

from acquisition.errors import FpcdsError

FHIR_JSON = "application/fhir+json"


class FhirClientError(FpcdsError):
    """A FHIR interaction failed.

    Attributes
    ----------
    status : int or None
        The HTTP status, None when the server could not be reached.
    outcome : dict or None
        The OperationOutcome the server returned, if any.
    """

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, outcome: dict | None = None) -> None:
        self.status = status
        self.outcome = outcome
        super().__init__(message)


class FhirUnreachable(FhirClientError):
    """No answer: connection refused, DNS failure or time-out."""


class FhirUnauthorized(FhirClientError):
    """401: the token is missing, expired or revoked."""


class FhirForbidden(FhirClientError):
    """403: the token's scopes do not allow this interaction."""


class FhirNotFound(FhirClientError):
    """404 (or 410): the resource does not exist (or was deleted)."""


class FhirConflict(FhirClientError):
    """409 or 412: version conflict or a failed precondition."""


class FhirUnprocessable(FhirClientError):
    """400 or 422: the server rejected the content (see ``outcome``)."""


class FhirServerError(FhirClientError):
    """5xx, or an answer that is not FHIR JSON."""


_LOCATION = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?/?$")


def parse_location(location: str) -> tuple[str, str, str | None] | None:
    """(type, id, version or None) of a FHIR location (absolute or relative); None when it is not one.

    >>> parse_location("http://ehr.example/fhir/Observation/o1/_history/2")
    ('Observation', 'o1', '2')
    """
    m = _LOCATION.search(location or "")
    return (m.group(1), m.group(2), m.group(3)) if m else None


_BY_STATUS: dict[int, type[FhirClientError]] = {
    400: FhirUnprocessable, 401: FhirUnauthorized, 403: FhirForbidden, 404: FhirNotFound, 410: FhirNotFound,
    409: FhirConflict, 412: FhirConflict, 422: FhirUnprocessable,
}


def _outcome_text(outcome: dict | None) -> str:
    if not outcome:
        return ""
    issues = [i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code", "")
              for i in outcome.get("issue") or [] if isinstance(i, dict)]
    return "; ".join(str(i) for i in issues if i)


class FhirClient:
    """FHIR REST interactions against ``base_url`` with a bearer token.

    Parameters
    ----------
    base_url : str
        The FHIR base (the SMART ``iss``).
    token : str or None
        The access token sent as ``Authorization: Bearer``.
    timeout : float
        Seconds per request.
    http : requests.Session, optional
        For connection reuse; a new session otherwise.
    """

    def __init__(self, base_url: str, *, token: str | None, timeout: float,
                 http: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.http = http or requests.Session()

    def __repr__(self) -> str:
        return f"FhirClient({self.base_url!r})"

    def _request(self, method: str, path: str, *, what: str, params: Mapping[str, Any] | None = None,
                 json_body: Any = None, headers: Mapping[str, str] | None = None) -> requests.Response:
        hdrs = {"Accept": FHIR_JSON}
        if json_body is not None:
            hdrs["Content-Type"] = FHIR_JSON
        if self._token:
            hdrs["Authorization"] = f"Bearer {self._token}"
        hdrs.update(headers or {})
        url = f"{self.base_url}/{path}" if path else self.base_url
        try:
            resp = self.http.request(method, url, params=params, json=json_body, headers=hdrs,
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise FhirUnreachable(f"the FHIR server {self.base_url} cannot be reached for {what} "
                                  f"({type(exc).__name__})") from None
        if resp.status_code < 300:
            return resp
        outcome = None
        try:
            body = resp.json()
            if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
                outcome = body
        except ValueError:
            pass
        cls = _BY_STATUS.get(resp.status_code, FhirServerError if resp.status_code >= 500 else FhirClientError)
        detail = _outcome_text(outcome)
        message = f"the FHIR server {self.base_url} answered HTTP {resp.status_code} to {what}"
        if cls is FhirUnprocessable and detail:
            message += f": {detail}"
        raise cls(message, status=resp.status_code, outcome=outcome)

    @staticmethod
    def _json(resp: requests.Response, what: str, base: str) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            raise FhirServerError(f"the FHIR server {base} answered {what} with something that is not JSON",
                                  status=resp.status_code) from None
        if not isinstance(body, dict) or "resourceType" not in body:
            raise FhirServerError(f"the FHIR server {base} answered {what} with JSON that is not a FHIR resource",
                                  status=resp.status_code)
        return body

    def capabilities(self) -> dict[str, Any]:
        """The server's CapabilityStatement (``GET [base]/metadata``)."""
        resp = self._request("GET", "metadata", what="the capabilities request")
        return self._json(resp, "the capabilities request", self.base_url)

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """``GET [base]/[type]/[id]``."""
        what = f"a read of {resource_type}"
        resp = self._request("GET", f"{resource_type}/{resource_id}", what=what)
        body = self._json(resp, what, self.base_url)
        if body.get("resourceType") != resource_type:
            raise FhirServerError(f"the FHIR server {self.base_url} answered {what} with a {body.get('resourceType')}")
        return body

    def search(self, resource_type: str, params: Mapping[str, Any], *, max_pages: int = 1) -> list[dict[str, Any]]:
        """``GET [base]/[type]?params``; the matching resources (``mode=match``) of up to ``max_pages`` pages.

        Further pages are read from the Bundle's ``next`` link, only when it
        points into this server's base (the token is never sent elsewhere).
        """
        what = f"a search of {resource_type}"
        resp = self._request("GET", resource_type, what=what, params=params)
        found: list[dict[str, Any]] = []
        for page in range(max_pages):
            bundle = self._json(resp, what, self.base_url)
            if bundle.get("resourceType") != "Bundle":
                raise FhirServerError(f"the FHIR server {self.base_url} answered {what} with a "
                                      f"{bundle.get('resourceType')}")
            found += [e["resource"] for e in bundle.get("entry") or [] if isinstance(e.get("resource"), dict)
                      and (e.get("search") or {}).get("mode", "match") == "match"]
            following = next((str(link.get("url")) for link in bundle.get("link") or []
                              if link.get("relation") == "next" and link.get("url")), None)
            if following is None or page + 1 == max_pages:
                break
            if not following.startswith(self.base_url + "/"):
                raise FhirServerError(f"the FHIR server {self.base_url} answered {what} with a next page outside "
                                      "its base; it was not followed (the access token goes to the FHIR base only)")
            resp = self._request("GET", following[len(self.base_url) + 1:], what=what)
        return found

    def create(self, resource: Mapping[str, Any], *, if_none_exist: str | None = None) -> dict[str, Any]:
        """``POST [base]/[type]`` (conditional when ``if_none_exist`` is given); returns the stored resource."""
        rtype = str(resource.get("resourceType"))
        what = f"a create of {rtype}"
        headers = {"Prefer": "return=representation"}
        if if_none_exist:
            headers["If-None-Exist"] = if_none_exist
        resp = self._request("POST", rtype, what=what, json_body=dict(resource), headers=headers)
        return self._json(resp, what, self.base_url) if resp.content else {}

    def conditional_create(self, resource: Mapping[str, Any], *, if_none_exist: str) -> tuple[dict[str, Any], bool]:
        """Conditional ``POST [base]/[type]``; returns (the stored resource, True when it was created now).

        A server that finds a match answers 200 with the existing resource
        (or without a body: it is then read back from ``Location``).
        """
        rtype = str(resource.get("resourceType"))
        what = f"a conditional create of {rtype}"
        resp = self._request("POST", rtype, what=what, json_body=dict(resource),
                             headers={"Prefer": "return=representation", "If-None-Exist": if_none_exist})
        created = resp.status_code == 201
        if resp.content:
            return self._json(resp, what, self.base_url), created
        location = parse_location(resp.headers.get("Location") or resp.headers.get("Content-Location") or "")
        if location is None or location[0] != rtype:
            raise FhirServerError(f"the FHIR server {self.base_url} answered {what} without the resource or its "
                                  "location", status=resp.status_code)
        return self.read(rtype, location[1]), created

    def transaction(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """``POST [base]`` with a transaction (or batch) Bundle; returns the response Bundle."""
        what = f"a {bundle.get('type', 'transaction')} Bundle"
        resp = self._request("POST", "", what=what, json_body=dict(bundle),
                             headers={"Prefer": "return=representation"})
        return self._json(resp, what, self.base_url)
