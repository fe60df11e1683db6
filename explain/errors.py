"""Typed errors of the explainer, the report and the audit records.

Messages name the input (model, output, file, field), what was expected and
what was found, so the command line prints them unchanged.
"""

from __future__ import annotations

from acquisition.errors import FpcdsError


class ExplanationError(FpcdsError, ValueError):
    """An explanation cannot be computed or does not add up (wrong model, wrong input, additivity broken)."""


class ReportError(FpcdsError, ValueError):
    """A report cannot be rendered from the inputs given."""


class AuditError(FpcdsError):
    """An audit record is missing, malformed or cannot be verified.

    Parameters
    ----------
    path : str
        The record file, or the field of the record concerned.
    problem : str
        What is wrong, in words a user can act on.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
