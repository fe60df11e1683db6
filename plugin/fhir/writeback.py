"""Write an approved assessment's transaction Bundle to the EHR: once, completely, and say what was written.

:func:`write_bundle` posts the bundle of :func:`plugin.fhir.mapping.assessment_bundle`
as one transaction when the server's CapabilityStatement offers transactions,
and otherwise as sequential conditional creates in bundle order (references
between entries rewritten to the ids the server gave; not atomic, but every
step is a conditional create, so repeating the write completes it without
duplicates).

Retrying is safe by construction: before writing again, :func:`find_written`
asks the server whether the write already happened (the report found by its
business identifier, and a Provenance targeting it — written last in both
modes). This matters because conditional creates alone are not enough: a
server may not resolve a bundle-local ``urn:uuid`` in the Provenance's
``ifNoneExist: target=...`` and create it twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import parse_qsl

from .client import FhirClient, FhirServerError, parse_location
from .errors import FhirMappingError

#: Write modes: one transaction, conditional creates one by one, or nothing to do.
MODES = ("transaction", "sequential", "already-written")


@dataclass(frozen=True)
class WrittenResource:
    """One resource of the write as the server holds it.

    Attributes
    ----------
    resource_type, id : str
    version : str or None
        The version id, when the server said.
    created : bool
        True when this write created it; False when it already existed (a
        conditional create matched, or an earlier attempt wrote it).
    identifier : str or None
        ``system|value`` of its business identifier (None for the Provenance).
    title : str
        What it is, for people (its code's or type's text, or its title).
    """

    resource_type: str
    id: str
    version: str | None
    created: bool
    identifier: str | None
    title: str = ""

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.id}"


@dataclass(frozen=True)
class WriteResult:
    """What one write-back did.

    Attributes
    ----------
    mode : {'transaction', 'sequential', 'already-written'}
    resources : tuple of WrittenResource
        In bundle order.
    at : str
        When the write finished (ISO 8601, UTC).
    """

    mode: str
    resources: tuple[WrittenResource, ...]
    at: str

    @property
    def created(self) -> int:
        return sum(r.created for r in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "at": self.at, "resources": [asdict(r) for r in self.resources]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "WriteResult":
        return cls(str(data["mode"]), tuple(WrittenResource(**r) for r in data["resources"]), str(data["at"]))

    def audit_items(self) -> list[dict[str, str | None]]:
        """``{reference, version}`` per resource, for :meth:`explain.audit.AuditRecord.with_write`."""
        return [{"reference": r.reference, "version": r.version} for r in self.resources]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def supports_transaction(capabilities: Mapping[str, Any]) -> bool:
    """True when a server CapabilityStatement lists the ``transaction`` system interaction."""
    for rest in capabilities.get("rest") or []:
        if rest.get("mode", "server") == "server" and any(
                i.get("code") == "transaction" for i in rest.get("interaction") or []):
            return True
    return False


def _title(resource: Mapping[str, Any]) -> str:
    for key in ("code", "type"):
        concept = resource.get(key)
        if isinstance(concept, dict):
            text = concept.get("text") or next((c.get("display") for c in concept.get("coding") or []
                                                 if c.get("display")), None)
            if text:
                return str(text)
    return str(resource.get("title") or resource.get("description") or resource["resourceType"])


def _identifier(resource: Mapping[str, Any]) -> str | None:
    found = next(iter(resource.get("identifier") or []), None)
    return f"{found['system']}|{found['value']}" if found else None


def _entries(bundle: Mapping[str, Any]) -> list[dict[str, Any]]:
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise FhirMappingError("the write-back needs a transaction Bundle")
    entries = list(bundle.get("entry") or [])
    for n, entry in enumerate(entries):
        request = entry.get("request") or {}
        if request.get("method") != "POST" or not request.get("ifNoneExist") or not entry.get("fullUrl"):
            raise FhirMappingError(f"bundle entry {n} is not a conditional create with a fullUrl; the write-back "
                                   "only sends conditional creates (so that a retry creates nothing twice)")
    return entries


def _one(entries: list[dict[str, Any]], resource_type: str) -> dict[str, Any]:
    found = [e for e in entries if e["resource"]["resourceType"] == resource_type]
    if len(found) != 1:
        raise FhirMappingError(f"the bundle holds {len(found)} {resource_type} entries; expected 1")
    return found[0]


def _search_params(condition: str, refs: Mapping[str, str]) -> dict[str, str]:
    """The ``ifNoneExist`` query as search parameters, bundle-local references resolved."""
    return {k: refs.get(v, v) for k, v in parse_qsl(condition, keep_blank_values=True)}


def _resolved(node: Any, refs: Mapping[str, str]) -> Any:
    """A copy of ``node`` with bundle-local references replaced by the server's."""
    if isinstance(node, dict):
        return {k: refs.get(v, v) if k == "reference" and isinstance(v, str) else _resolved(v, refs)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(item, refs) for item in node]
    return node


def find_written(client: FhirClient, bundle: Mapping[str, Any]) -> WriteResult | None:
    """The earlier write of ``bundle`` if it completed; None when it has not (fully) happened.

    Complete means: the DiagnosticReport exists (found by its conditional-create
    query) and a Provenance targets it. Every other entry is then looked up by
    its query to report what the chart holds.

    Raises
    ------
    FhirClientError
        The server could not be asked (typed by cause).
    """
    entries = _entries(bundle)
    report = _one(entries, "DiagnosticReport")
    found = client.search("DiagnosticReport", _search_params(report["request"]["ifNoneExist"], {}))
    if not found:
        return None
    refs = {report["fullUrl"]: f"DiagnosticReport/{found[0]['id']}"}
    provenance = _one(entries, "Provenance")
    if not client.search("Provenance", _search_params(provenance["request"]["ifNoneExist"], refs)):
        return None
    written = []
    for entry in entries:
        resource = entry["resource"]
        rtype = resource["resourceType"]
        hits = client.search(rtype, _search_params(entry["request"]["ifNoneExist"], refs))
        if not hits:
            return None  # an entry is missing: let the write complete it
        hit = hits[0]
        refs[entry["fullUrl"]] = f"{rtype}/{hit['id']}"
        written.append(WrittenResource(rtype, str(hit["id"]), (hit.get("meta") or {}).get("versionId"), False,
                                       _identifier(resource), _title(resource)))
    return WriteResult("already-written", tuple(written), _now())


def _post_transaction(client: FhirClient, entries: list[dict[str, Any]], bundle: Mapping[str, Any]) -> WriteResult:
    answer = client.transaction(bundle)
    replies = answer.get("entry") or []
    if answer.get("type") != "transaction-response" or len(replies) != len(entries):
        raise FhirServerError(f"the FHIR server {client.base_url} answered the transaction with "
                              f"{len(replies)} entries for {len(entries)} sent (type {answer.get('type')!r})")
    written = []
    for entry, reply in zip(entries, replies):
        response = reply.get("response") or {}
        location = parse_location(response.get("location") or "")
        rtype = entry["resource"]["resourceType"]
        if location is None or location[0] != rtype:
            raise FhirServerError(f"the FHIR server {client.base_url} answered a {rtype} entry of the transaction "
                                  f"without its location")
        written.append(WrittenResource(rtype, location[1], location[2],
                                       str(response.get("status", "")).startswith("201"),
                                       _identifier(entry["resource"]), _title(entry["resource"])))
    return WriteResult("transaction", tuple(written), _now())


def _post_sequential(client: FhirClient, entries: list[dict[str, Any]]) -> WriteResult:
    refs: dict[str, str] = {}
    written = []
    for entry in entries:
        resource = _resolved(entry["resource"], refs)
        condition = "&".join(f"{k}={v}" for k, v in _search_params(entry["request"]["ifNoneExist"], refs).items())
        stored, created = client.conditional_create(resource, if_none_exist=condition)
        rtype = resource["resourceType"]
        if stored.get("resourceType") != rtype or not stored.get("id"):
            raise FhirServerError(f"the FHIR server {client.base_url} answered the create of {rtype} with a "
                                  f"{stored.get('resourceType')} without id")
        refs[entry["fullUrl"]] = f"{rtype}/{stored['id']}"
        written.append(WrittenResource(rtype, str(stored["id"]), (stored.get("meta") or {}).get("versionId"),
                                       created, _identifier(entry["resource"]), _title(entry["resource"])))
    return WriteResult("sequential", tuple(written), _now())


def write_bundle(client: FhirClient, bundle: Mapping[str, Any], *, mode: str = "auto",
                 check_first: bool = True) -> WriteResult:
    """Write ``bundle`` (conditional creates only) and return what the server holds.

    Parameters
    ----------
    client : FhirClient
        The EHR's FHIR endpoint with the launch's token.
    bundle : dict
        The transaction Bundle of :func:`plugin.fhir.mapping.assessment_bundle`.
    mode : {'auto', 'transaction', 'sequential'}
        'auto' reads the server's CapabilityStatement and sends one
        transaction when it is supported, sequential creates otherwise.
    check_first : bool
        Ask the server first whether this write already happened (a retry
        after a lost answer then writes nothing).

    Returns
    -------
    WriteResult

    Raises
    ------
    FhirClientError
        The server refused or could not be reached (typed by cause); a
        refused transaction wrote nothing.
    FhirMappingError
        ``bundle`` is not a bundle of conditional creates.
    """
    if mode not in ("auto", "transaction", "sequential"):
        raise ValueError(f"write mode {mode!r}; expected 'auto', 'transaction' or 'sequential'")
    entries = _entries(bundle)
    if check_first:
        earlier = find_written(client, bundle)
        if earlier is not None:
            return earlier
    if mode == "auto":
        mode = "transaction" if supports_transaction(client.capabilities()) else "sequential"
    if mode == "transaction":
        return _post_transaction(client, entries, bundle)
    return _post_sequential(client, entries)
