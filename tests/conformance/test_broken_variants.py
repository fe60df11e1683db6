"""Deliberately broken resources fail validation with the right message at the right FHIRPath."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from conformance.validator import FhirValidator, errors
from tests.conformance.fhir_examples import profile_url

pytestmark = pytest.mark.java

FPCDS = "http://fpcds.example.org/fhir/CodeSystem/fpcds"


@dataclass(frozen=True)
class Variant:
    example: str
    profile: str
    change: Callable[[dict[str, Any]], None]
    location: str
    message: str  # regular expression


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(resource: dict[str, Any]) -> None:
        node: Any = resource
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(resource: dict[str, Any]) -> None:
        node: Any = resource
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


def _add_rehabilitation(plan: dict[str, Any]) -> None:
    plan["activity"].append(
        {
            "detail": {
                "code": {"coding": [{"system": FPCDS, "code": "neuromuscular-retraining"}]},
                "status": "not-started",
                "description": "Facial neuromuscular retraining.",
            }
        }
    )


def _drop_side(observation: dict[str, Any]) -> None:
    observation["component"] = [c for c in observation["component"] if c["code"]["coding"][0]["code"] != "body-side"]


VARIANTS: dict[str, Variant] = {
    "wrong HB grade code": Variant(
        "graded-hb-grade", "fpcds-hb-grade", _set("valueCodeableConcept.coding.0.code", "HB-VII"),
        "Observation.value.ofType(CodeableConcept)", r"Unknown code '.*fpcds#HB-VII'",
    ),
    "HB grade outside the value set": Variant(
        "graded-hb-grade", "fpcds-hb-grade", _set("valueCodeableConcept.coding.0.code", "asymmetry-brow"),
        "Observation.value.ofType(CodeableConcept)",
        r"None of the codings provided are in the value set 'House-Brackmann grades'",
    ),
    "muscle outside the value set": Variant(
        "graded-semg-zygomaticus-rms-ratio", "fpcds-semg-measure", _set("bodySite.coding.0.code", "left"),
        "Observation.bodySite", r"None of the codings provided are in the value set 'Facial muscles'",
    ),
    "missing device": Variant(
        "graded-hb-grade", "fpcds-hb-grade", _delete("device"),
        "Observation", r"Observation\.device: minimum required = 1, but only found 0",
    ),
    "PDF without its data": Variant(
        "graded-report-final", "fpcds-assessment-report", _delete("presentedForm.0.data"),
        "DiagnosticReport.presentedForm[0]", r"DiagnosticReport\.presentedForm:pdf\.data: minimum required = 1, but only found 0",
    ),
    "AI resource without AIAST (invariant)": Variant(
        "graded-hb-grade", "fpcds-hb-grade", _delete("meta.security"),
        "Observation", r"fpcds-ai-1: 'An AI-produced resource carries the HL7 AI Transparency label",
    ),
    "AI resource without AIAST (slice)": Variant(
        "graded-care-plan-approved", "fpcds-care-plan", _delete("meta.security"),
        "CarePlan.meta", r"Slice 'CarePlan\.meta\.security:aiAsserted': a matching slice is required",
    ),
    "AI resource without meta at all": Variant(
        "graded-report-final", "fpcds-assessment-report", _delete("meta"),
        "DiagnosticReport", r"DiagnosticReport\.meta: minimum required = 1, but only found 0",
    ),
    "central palsy plan with rehabilitation": Variant(
        "central-care-plan-proposed", "fpcds-care-plan", _add_rehabilitation,
        "CarePlan",
        r"fpcds-cp-1: 'A suspected central palsy plan is an emergency pathway and never contains a rehabilitation",
    ),
    "central palsy plan without stroke work-up": Variant(
        "central-care-plan-proposed", "fpcds-care-plan", _set("activity.0.detail.code.coding.0.code", "eye-protection"),
        "CarePlan", r"fpcds-cp-2: 'A suspected central palsy plan contains an urgent stroke work-up activity",
    ),
    "AI proposal that is already active": Variant(
        "graded-care-plan-proposed", "fpcds-care-plan", _set("status", "active"),
        "CarePlan", r"fpcds-cp-3: 'A plan proposed by the AI \(intent proposal\) stays a draft",
    ),
    "care-plan intent outside fpcds's": Variant(
        "graded-care-plan-approved", "fpcds-care-plan", _set("intent", "order"),
        "CarePlan.intent", r"value set 'fpcds care-plan intents'",
    ),
    "final report without approving clinician": Variant(
        "graded-report-final", "fpcds-assessment-report", _delete("resultsInterpreter"),
        "DiagnosticReport", r"fpcds-dr-1: 'A final report names the clinician who approved it",
    ),
    "Sunnybrook composite not voluntary - resting - synkinesis": Variant(
        "graded-sunnybrook", "fpcds-sunnybrook", _set("valueQuantity.value", 60),
        "Observation",
        r"fpcds-sb-1: 'The Sunnybrook composite equals voluntary movement minus resting symmetry minus synkinesis",
    ),
    "Sunnybrook resting score out of range": Variant(
        "graded-sunnybrook", "fpcds-sunnybrook", _set("component.0.valueQuantity.value", 25),
        "Observation.component[0]", r"fpcds-sb-2: 'The Sunnybrook resting symmetry score lies between 0 and 20",
    ),
    "probability above 100 %": Variant(
        "graded-synkinesis-probability", "fpcds-classification-probability", _set("valueQuantity.value", 171),
        "Observation", r"fpcds-0-100: 'The value lies between 0 and 100",
    ),
    "smile angle in mm": Variant(
        "graded-asymmetry-smile-angle", "fpcds-asymmetry-measure", _set("valueQuantity.code", "mm"),
        "Observation", r"fpcds-asym-1: 'A smile-angle asymmetry is in degrees",
    ),
    "per-side sEMG measure without side": Variant(
        "graded-semg-zygomaticus-median-frequency-left", "fpcds-semg-measure", _drop_side,
        "Observation", r"fpcds-semg-2: 'A per-side sEMG measure",
    ),
    "prognosis quantiles out of order": Variant(
        "graded-prognosis", "fpcds-recovery-prognosis", _set("component.1.valueQuantity.value", 30),
        "Observation", r"fpcds-prog-1: 'The weeks-to-recovery quantiles are ordered",
    ),
    "Provenance without derivation entity": Variant(
        "graded-provenance", "fpcds-provenance", _set("entity.0.role", "source"),
        "Provenance", r"fpcds-prov-1: 'The inputs the AI output was derived from are entities with role derivation",
    ),
    "Provenance without AI author": Variant(
        "graded-provenance", "fpcds-provenance", _set("agent.0.type.coding.0.code", "enterer"),
        "Provenance", r"Slice 'Provenance\.agent:aiAuthor': a matching slice is required, but not found",
    ),
    "Device that is not an AI": Variant(
        "fpcds-grading-model", "fpcds-ai-device", _set("type.coding.0.code", "Software"),
        "Device.type",
        r"The pattern \[system http://hl7\.org/fhir/uv/aitransparency/CodeSystem/AIdeviceTypeCS, "
        r"code Artificial-Intelligence",
    ),
    "session identifier that is no SHA-256": Variant(
        "session-graded", "fpcds-session-record", _set("identifier.0.value", "not-a-digest"),
        "DocumentReference.identifier[0]", r"fpcds-sha256: 'The identifier value is a SHA-256 digest",
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_broken_variant_is_rejected(
    fhir_validator: FhirValidator, examples: dict[str, Any], name: str
) -> None:
    variant = VARIANTS[name]
    original = examples[variant.example]
    assert not errors(fhir_validator.validate(original, profiles=[profile_url(variant.profile)]))
    broken = copy.deepcopy(original)
    variant.change(broken)
    found = errors(fhir_validator.validate(broken, profiles=[profile_url(variant.profile)]))
    matching = [i for i in found if i.location == variant.location and re.search(variant.message, i.message)]
    assert matching, f"expected an error at {variant.location} matching {variant.message!r}; got:\n" + "\n".join(
        str(i) for i in found
    )


def test_requested_unknown_profile_is_an_error(fhir_validator: FhirValidator, examples: dict[str, Any]) -> None:
    url = profile_url("no-such-profile")
    found = errors(fhir_validator.validate(examples["graded-hb-grade"], profiles=[url]))
    assert [i.message for i in found] == [
        f"Profile '{url}' was requested but is not among the loaded definitions; nothing was checked against it"
    ]


def test_declared_unknown_profile_is_an_error(fhir_validator: FhirValidator, examples: dict[str, Any]) -> None:
    resource = copy.deepcopy(examples["graded-hb-grade"])
    url = profile_url("no-such-profile")
    resource["meta"]["profile"] = [url]
    found = errors(fhir_validator.validate(resource))
    assert any(i.location == "Observation.meta.profile[0]" and "could not be found" in i.message for i in found)
