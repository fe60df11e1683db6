"""Canonical URLs, identifier systems, deterministic ids and references of the fpcds FHIR resources.

Business identifiers are derived from the assessment, never drawn at random:
an output of one assessment is ``<session>-<model set>/<output>``, where
``<session>`` and ``<model set>`` are the first 16 hexadecimal digits of the
session's content SHA-256 and of the model-set manifest's SHA-256 (e.g.
``6e6064bd658f1c20-9a3bc0d1e2f3a4b5/hb-grade/model``). A transaction creates
each resource conditionally on its identifier (``ifNoneExist``), so a retried
write creates nothing twice. Bundle-local ``urn:uuid`` full URLs are UUID-5s
of the same identifiers, so one assessment always gives the same bundle.
"""

from __future__ import annotations

import re
import uuid

from .errors import FhirMappingError

#: Canonical base of the fpcds conformance resources (fhir_profiles/).
CANONICAL = "http://fpcds.example.org/fhir"
CODE_SYSTEM = f"{CANONICAL}/CodeSystem/fpcds"
MODEL_CARD_EXTENSION = f"{CANONICAL}/StructureDefinition/model-card"

#: Identifier systems.
SID_OUTPUT = f"{CANONICAL}/sid/assessment-output"
SID_MODEL = f"{CANONICAL}/sid/model"
SID_MODEL_CARD = f"{CANONICAL}/sid/model-card"
SID_SESSION = f"{CANONICAL}/sid/session-sha256"
#: SHA-256 of one model's ONNX file (Device.version.component).
SID_ONNX = f"{CANONICAL}/sid/onnx-sha256"

#: Profile ids (StructureDefinition-<id>.json in fhir_profiles/resources).
HB_GRADE = "fpcds-hb-grade"
SUNNYBROOK = "fpcds-sunnybrook"
EFACE = "fpcds-eface"
ASYMMETRY = "fpcds-asymmetry-measure"
SEMG = "fpcds-semg-measure"
PROBABILITY = "fpcds-classification-probability"
PROGNOSIS = "fpcds-recovery-prognosis"
REPORT = "fpcds-assessment-report"
CARE_PLAN = "fpcds-care-plan"
DEVICE = "fpcds-ai-device"
MODEL_CARD = "fpcds-model-card"
SESSION_RECORD = "fpcds-session-record"
PROVENANCE = "fpcds-provenance"

_NAMESPACE = uuid.UUID("5b0f6f0e-3f0c-5d55-9a57-6670636473a1")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def profile(profile_id: str) -> str:
    """Canonical URL of an fpcds profile."""
    return f"{CANONICAL}/StructureDefinition/{profile_id}"


def check_sha256(value: object, *, field: str) -> str:
    """``value`` if it is 64 lower-case hexadecimal digits; raises FhirMappingError naming ``field``."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise FhirMappingError(f"{field} is {value!r}; expected a SHA-256 digest (64 lower-case hex digits)")
    return value


def assessment_key(session_sha256: str, manifest_sha256: str) -> str:
    """The key of one assessment: 16 hex digits of the session hash, '-', 16 of the model-set hash."""
    return f"{session_sha256[:16]}-{manifest_sha256[:16]}"


def safe_token(text: str) -> str:
    """``text`` with every character outside ``[A-Za-z0-9._-]`` replaced by '-' (safe in search URLs)."""
    return _UNSAFE.sub("-", text) or "-"


def output_identifier(key: str, output: str) -> dict[str, str]:
    """The business identifier of one output of assessment ``key``."""
    return {"system": SID_OUTPUT, "value": f"{key}/{output}"}


def if_none_exist(identifier: dict[str, str]) -> str:
    """The conditional-create search of a business identifier."""
    return f"identifier={identifier['system']}|{identifier['value']}"


def full_url(identifier: dict[str, str], resource_type: str) -> str:
    """The bundle-local ``urn:uuid`` of the resource with this business identifier."""
    name = f"{resource_type}|{identifier['system']}|{identifier['value']}"
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def patient_reference(text: str) -> str:
    """``Patient/<id>`` from ``<id>`` or ``Patient/<id>``; raises FhirMappingError otherwise."""
    value = text.strip() if isinstance(text, str) else text
    if isinstance(value, str):
        rid = value[len("Patient/"):] if value.startswith("Patient/") else value
        if _FHIR_ID.fullmatch(rid):
            return f"Patient/{rid}"
    raise FhirMappingError(f"patient {text!r} is not a FHIR id; expected 1-64 of A-Z a-z 0-9 - . "
                           "(optionally as 'Patient/<id>')")


def approver_reference(text: str) -> str:
    """``Practitioner/<id>`` or ``PractitionerRole/<id>``; raises FhirMappingError otherwise."""
    if isinstance(text, str):
        kind, _, rid = text.strip().partition("/")
        if kind in ("Practitioner", "PractitionerRole") and _FHIR_ID.fullmatch(rid):
            return f"{kind}/{rid}"
    raise FhirMappingError(f"approver {text!r} is not a reference to a clinician; expected 'Practitioner/<id>' "
                           "or 'PractitionerRole/<id>'")
