"""Typed errors of the conformance tooling (all :class:`FpcdsError`)."""

from __future__ import annotations

from acquisition.errors import FpcdsError


class ConformanceError(FpcdsError):
    """Base class of the errors raised by :mod:`conformance`."""


class ToolMissingError(ConformanceError):
    """A program the tooling needs (java, mvn, node, npm) is not on PATH."""

    def __init__(self, tool: str, purpose: str) -> None:
        self.tool = tool
        super().__init__(f"'{tool}' is not on PATH; it is needed to {purpose}")


class BuildError(ConformanceError):
    """A build step (Maven, npm, SUSHI, snapshot generation) failed."""


class ServiceStartError(ConformanceError):
    """A Java service exited or did not become ready in time."""


class ValidatorError(ConformanceError):
    """The validator service rejected a request or could not be reached."""
