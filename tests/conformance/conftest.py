"""Session fixtures: one HAPI validator and one HAPI FHIR JPA server per test run.

Both are real Java processes of ours (conformance/validator and
conformance/fhir-server), built with Maven on first use and stopped at the
end of the session. Tests that use them are marked ``java``.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from conformance.fhir_server import HapiFhirServer
from conformance.validator import FhirValidator
from tests.conformance.fhir_examples import load_examples


@pytest.fixture(scope="session")
def fhir_validator() -> Iterator[FhirValidator]:
    with FhirValidator() as validator:
        yield validator


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[HapiFhirServer]:
    with HapiFhirServer() as server:
        yield server


@pytest.fixture(scope="session")
def examples() -> dict[str, dict[str, Any]]:
    return load_examples()
