"""The fpcds example instances, and transaction Bundles built from them.

A transaction is what the plugin writes after approval: every new resource
gets a ``urn:uuid`` full URL, references between entries use those URLs, and
each entry is a conditional create on its business identifier, so posting the
same content again creates nothing new.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

from conformance import paths

#: Identifier systems fpcds uses for conditional creates.
BUSINESS_IDENTIFIER_SYSTEMS: tuple[str, ...] = (
    "http://fpcds.example.org/fhir/sid/assessment-output",
    "http://fpcds.example.org/fhir/sid/model",
    "http://fpcds.example.org/fhir/sid/model-card",
    "http://fpcds.example.org/fhir/sid/session-sha256",
)

#: The approved peripheral palsy assessment, as the plugin would write it.
GRADED_WRITE_BACK: tuple[str, ...] = (
    "fpcds-grading-model-card",
    "fpcds-grading-model",
    "session-graded",
    "graded-hb-grade",
    "graded-sunnybrook",
    "graded-eface",
    "graded-asymmetry-brow",
    "graded-asymmetry-commissure",
    "graded-asymmetry-palpebral-fissure",
    "graded-asymmetry-smile-angle",
    "graded-semg-zygomaticus-rms-ratio",
    "graded-semg-zygomaticus-median-frequency-left",
    "graded-semg-zygomaticus-hf-fraction-left",
    "graded-central-probability",
    "graded-synkinesis-probability",
    "graded-prognosis",
    "graded-report-final",
    "graded-care-plan-approved",
    "graded-provenance",
)


def profile_url(profile_id: str) -> str:
    return f"{paths.CANONICAL}/StructureDefinition/{profile_id}"


def load_examples(directory: Path = paths.EXAMPLES) -> dict[str, dict[str, Any]]:
    """Every example resource, keyed by id."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        resource = json.loads(path.read_text())
        out[resource["id"]] = resource
    return out


def business_identifier(resource: dict[str, Any]) -> tuple[str, str] | None:
    found = resource.get("identifier", [])
    for identifier in [found] if isinstance(found, dict) else found:  # QuestionnaireResponse: 0..1
        if identifier.get("system") in BUSINESS_IDENTIFIER_SYSTEMS:
            return identifier["system"], identifier["value"]
    return None


def transaction(examples: dict[str, dict[str, Any]], ids: Sequence[str]) -> dict[str, Any]:
    """A transaction Bundle creating the examples ``ids`` (conditionally).

    References to resources outside ``ids`` (the patient, the clinician) are
    kept as they are: they must exist on the server.
    """
    full_urls = {rid: f"urn:uuid:{uuid.uuid4()}" for rid in ids}
    by_reference = {f"{examples[rid]['resourceType']}/{rid}": full_urls[rid] for rid in ids}
    entries = []
    for rid in ids:
        resource = copy.deepcopy(examples[rid])
        resource.pop("id", None)
        _rewrite_references(resource, by_reference)
        request: dict[str, Any] = {"method": "POST", "url": resource["resourceType"]}
        found = business_identifier(resource)
        if found is not None:
            request["ifNoneExist"] = f"identifier={found[0]}|{found[1]}"
        elif resource["resourceType"] == "Provenance":
            # Provenance has no identifier: it is unique per target.
            request["ifNoneExist"] = f"target={resource['target'][0]['reference']}"
        entries.append({"fullUrl": full_urls[rid], "resource": resource, "request": request})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _rewrite_references(node: Any, mapping: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref in mapping:
            node["reference"] = mapping[ref]
        for value in node.values():
            _rewrite_references(value, mapping)
    elif isinstance(node, list):
        for value in node:
            _rewrite_references(value, mapping)


def references(node: Any) -> Iterable[str]:
    """Every ``reference`` string inside a resource."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)
