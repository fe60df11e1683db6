"""Session fixtures shared across test packages: the HAPI validator and the HAPI FHIR JPA server.

Both are real Java processes of ours (conformance/validator and
conformance/fhir-server), built with Maven on first use, started at most
once per test run (whichever test needs them first) and stopped at the end.
Tests that use them are marked ``java``.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from conformance.fhir_server import HapiFhirServer
from conformance.validator import FhirValidator


@pytest.fixture(scope="session")
def fhir_validator() -> Iterator[FhirValidator]:
    with FhirValidator() as validator:
        yield validator


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[HapiFhirServer]:
    with HapiFhirServer() as server:
        yield server
