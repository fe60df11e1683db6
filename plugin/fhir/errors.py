"""Typed errors of the FHIR mapping."""

from __future__ import annotations

from acquisition.errors import FpcdsError


class FhirMappingError(FpcdsError, ValueError):
    """An input of the mapping (assessment, features, reference, time, PDF) cannot be mapped.

    The message names the input and field, what was expected and what was found.
    """
