"""Where the conformance sources, tools and generated files live."""

from __future__ import annotations

from pathlib import Path

REPO: Path = Path(__file__).resolve().parent.parent
CONFORMANCE: Path = REPO / "conformance"
VALIDATOR_PROJECT: Path = CONFORMANCE / "validator"
SERVER_PROJECT: Path = CONFORMANCE / "fhir-server"
SUSHI_PROJECT: Path = CONFORMANCE / "sushi"

FHIR_PROFILES: Path = REPO / "fhir_profiles"
#: FSH sources of the profiles (a SUSHI project).
FSH_PROJECT: Path = FHIR_PROFILES / "fsh"
#: Generated: StructureDefinitions (with snapshots), CodeSystem, ValueSets, CapabilityStatement.
RESOURCES: Path = FHIR_PROFILES / "resources"
#: Generated: fragments of external code systems that FHIR R4 predates.
TERMINOLOGY: Path = FHIR_PROFILES / "terminology"
#: Generated: example instances.
EXAMPLES: Path = FHIR_PROFILES / "examples"
#: Generated: hashes of the sources and outputs of the last build.
MANIFEST: Path = FHIR_PROFILES / "manifest.json"

#: Canonical base of every fpcds conformance resource.
CANONICAL: str = "http://fpcds.example.org/fhir"
