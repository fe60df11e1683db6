"""Typed errors of the sandbox EHR and the demo."""

from __future__ import annotations

from acquisition.errors import FpcdsError


class SandboxError(FpcdsError):
    """A part of the sandbox EHR or the demo could not be started."""
