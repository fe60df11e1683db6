"""SMART scopes: what fpcds asks for, what it cannot work without, and v2/v1 arithmetic.

SMART v2 resource scopes are ``context/Type.perms[?query]`` with ``perms`` a
subset of ``cruds`` in that order; v1 scopes use ``.read`` (= ``rs``),
``.write`` (= ``cud``) and ``.*``. Granted scopes may be narrower than
requested; :func:`missing_scopes` says which required permissions the grant
does not cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

#: What fpcds requests on an EHR launch (``launch`` becomes ``launch/patient`` for standalone launches):
#: reads for the banner, the chart history and the FDI; creates for the write-back transaction
#: (:func:`plugin.fhir.mapping.assessment_bundle`: conditional creates only, never updates or deletes).
REQUESTED_SCOPES: tuple[str, ...] = (
    "launch", "openid", "fhirUser", "online_access",
    "patient/Patient.r", "patient/Condition.rs", "patient/Observation.crus", "patient/DiagnosticReport.crs",
    "patient/CarePlan.crs", "patient/Provenance.crs", "patient/DocumentReference.crs", "patient/Device.crs",
    "patient/QuestionnaireResponse.crs",
)
#: Without these fpcds cannot show the patient or write its results back: a narrower grant is refused.
#: Conditional creates search by identifier, so each written type needs ``c`` and ``s``.
REQUIRED_SCOPES: tuple[str, ...] = (
    "patient/Patient.r", "patient/Observation.cs", "patient/DiagnosticReport.cs", "patient/CarePlan.cs",
    "patient/Provenance.cs", "patient/DocumentReference.cs", "patient/Device.cs",
)

_V2 = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.([cruds]+)(\?.*)?$")
_V1 = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.(read|write|\*)$")
_V1_PERMS = {"read": "rs", "write": "cud", "*": "cruds"}
_ORDER = "cruds"


@dataclass(frozen=True)
class ResourceScope:
    """A parsed resource scope: compartment context, resource type (or ``*``) and permission letters."""

    context: str
    resource: str
    perms: frozenset[str]
    query: str = ""

    @property
    def v2(self) -> str:
        return f"{self.context}/{self.resource}.{''.join(c for c in _ORDER if c in self.perms)}{self.query}"


def parse_resource_scope(scope: str) -> ResourceScope | None:
    """Parse a v2 or v1 resource scope; None for non-resource scopes (``openid``, ``launch`` ...)."""
    m = _V2.match(scope)
    if m:
        perms = m.group(3)
        if "".join(c for c in _ORDER if c in perms) != perms:
            return None  # v2 letters must be in c-r-u-d-s order, each once
        return ResourceScope(m.group(1), m.group(2), frozenset(perms), m.group(4) or "")
    m = _V1.match(scope)
    if m:
        return ResourceScope(m.group(1), m.group(2), frozenset(_V1_PERMS[m.group(3)]))
    return None


def is_v2_scope(scope: str) -> bool:
    """True for a SMART v2 resource scope such as ``patient/Observation.rs``."""
    return _V2.match(scope) is not None


def split_scopes(scope: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes as a tuple, from a space-separated string or an iterable."""
    if scope is None:
        return ()
    items = scope.split() if isinstance(scope, str) else [s for part in scope for s in str(part).split()]
    return tuple(dict.fromkeys(items))


def missing_scopes(granted: str | Iterable[str], required: Iterable[str]) -> tuple[str, ...]:
    """The required scopes that ``granted`` does not cover (v1 and v2 both understood).

    A required resource scope is covered when, for its context and type,
    the union of the permissions granted without a query restriction (for
    that type or ``*``) contains all its letters. Other scopes must be
    granted literally.
    """
    granted_list = split_scopes(granted)
    parsed = [p for p in (parse_resource_scope(s) for s in granted_list) if p is not None]
    plain = set(granted_list)
    out: list[str] = []
    for req in required:
        want = parse_resource_scope(req)
        if want is None:
            if req not in plain:
                out.append(req)
            continue
        have: set[str] = set()
        for g in parsed:
            if g.context == want.context and g.resource in (want.resource, "*") and not g.query:
                have |= g.perms
        if not want.perms <= have:
            out.append(req)
    return tuple(out)


def to_v1(scopes: Iterable[str]) -> tuple[str, ...]:
    """The SMART v1 equivalents of ``scopes`` (for servers that only know v1)."""
    out: list[str] = []
    for scope in scopes:
        parsed = parse_resource_scope(scope)
        if parsed is None or parsed.query:
            out.append(scope)
            continue
        base = f"{parsed.context}/{parsed.resource}"
        if parsed.perms & {"r", "s"}:
            out.append(f"{base}.read")
        if parsed.perms & {"c", "u", "d"}:
            out.append(f"{base}.write")
    return tuple(dict.fromkeys(out))


def for_standalone(scopes: Iterable[str]) -> tuple[str, ...]:
    """Scopes for a standalone launch: ``launch`` replaced by ``launch/patient``."""
    out = ["launch/patient" if s == "launch" else s for s in scopes]
    if "launch/patient" not in out:
        out.insert(0, "launch/patient")
    return tuple(dict.fromkeys(out))


def for_ehr_launch(scopes: Iterable[str]) -> tuple[str, ...]:
    """Scopes for an EHR launch: ``launch`` present, ``launch/patient`` dropped."""
    out = [s for s in scopes if s != "launch/patient"]
    if "launch" not in out:
        out.insert(0, "launch")
    return tuple(dict.fromkeys(out))
