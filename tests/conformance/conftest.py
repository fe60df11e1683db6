"""Fixtures of the conformance tests (the HAPI validator and server fixtures are in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.fhir_examples import load_examples


@pytest.fixture(scope="session")
def examples() -> dict[str, dict[str, Any]]:
    return load_examples()
