"""Codes the mapping writes: the fpcds CodeSystem (read from fhir_profiles), HL7 codes and UCUM quantities.

Displays of fpcds codes come from the published CodeSystem
(``fhir_profiles/resources/CodeSystem-fpcds.json``), so the resources and
the profiles cannot disagree; asking for a code that is not in it is a
programming error and raises :class:`FhirMappingError`.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

from .errors import FhirMappingError
from .ids import CODE_SYSTEM

UCUM = "http://unitsofmeasure.org"
V3_OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
AI_DEVICE_TYPE = "http://hl7.org/fhir/uv/aitransparency/CodeSystem/AIdeviceTypeCS"

#: HL7 AI Transparency on FHIR: the security label of AI-produced resources.
AIAST = {"system": V3_OBSERVATION_VALUE, "code": "AIAST", "display": "Artificial Intelligence asserted"}
AI_DEVICE = {"system": AI_DEVICE_TYPE, "code": "Artificial-Intelligence",
             "display": "All kinds of Artificial Intelligence"}
#: UCUM units: code -> human unit.
UNITS = {"{score}": "score", "%": "%", "mm": "mm", "deg": "degrees", "Hz": "Hz", "1": "ratio", "wk": "weeks"}


@lru_cache(maxsize=1)
def fpcds_displays() -> dict[str, str]:
    """Code -> display of every concept of the fpcds CodeSystem."""
    path = resources.files("fhir_profiles").joinpath("resources", "CodeSystem-fpcds.json")
    try:
        system = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FhirMappingError(f"{path}: cannot read the fpcds CodeSystem ({exc})") from None
    out: dict[str, str] = {}

    def walk(concepts: Iterable[dict[str, Any]]) -> None:
        for concept in concepts:
            out[concept["code"]] = concept.get("display", concept["code"])
            walk(concept.get("concept", ()))

    walk(system.get("concept", ()))
    return out


def fpcds(code: str) -> dict[str, str]:
    """A Coding of the fpcds CodeSystem, with its display."""
    display = fpcds_displays().get(code)
    if display is None:
        raise FhirMappingError(f"code {code!r} is not in the fpcds CodeSystem ({CODE_SYSTEM})")
    return {"system": CODE_SYSTEM, "code": code, "display": display}


def concept(code: str, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept of one fpcds code, with text (the display unless given)."""
    coding = fpcds(code)
    return {"coding": [coding], "text": text or coding["display"]}


def display(code: str) -> str:
    return fpcds(code)["display"]


def category(code: str) -> dict[str, Any]:
    """An Observation category (``survey``, ``procedure``)."""
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}


def quantity(value: float, code: str, *, digits: int) -> dict[str, Any]:
    """A UCUM Quantity rounded to ``digits`` decimals; raises FhirMappingError for a non-finite value."""
    if not math.isfinite(value):
        raise FhirMappingError(f"quantity {value!r} {code} is not finite")
    return {"value": round(float(value), digits), "unit": UNITS.get(code, code), "system": UCUM, "code": code}
