"""The processing record: what was done to the data, with which parameters and software.

Every feature computation fills a :class:`Recorder` with methods sentences
("The EMG, sampled at 2000 Hz, was band-pass filtered ..."), the numeric
parameters behind them and the recoverable data problems met on the way
(:class:`FeatureWarning`). :meth:`Recorder.finish` freezes it into a
:class:`ProcessingRecord`, which the report prints as its methods section and
the FHIR mapping cites in Provenance.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any


@dataclass(frozen=True)
class FeatureWarning:
    """A recoverable data problem met while computing features.

    Attributes
    ----------
    code : str
        Stable identifier, e.g. ``'emg.no_rest'``.
    message : str
        Human text naming the data item and the numbers found.
    """

    code: str
    message: str


def library_versions() -> dict[str, str]:
    """Versions of the software that computes features (fpcds, numpy, scipy, Python)."""
    versions = {"python": platform.python_version()}
    for dist in ("fpcds", "numpy", "scipy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


@dataclass(frozen=True)
class ProcessingRecord:
    """Frozen account of a feature computation.

    Attributes
    ----------
    steps : tuple of str
        Methods sentences in the order the steps ran.
    parameters : dict
        Parameter name -> value (JSON-ready), e.g. ``'emg.bandpass_hz': [20, 450]``.
    warnings : tuple of FeatureWarning
    versions : dict
        Library name -> version.
    """

    steps: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[FeatureWarning, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)

    def methods_text(self) -> str:
        """The steps as one paragraph, for a report's methods section."""
        return " ".join(self.steps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "steps": list(self.steps),
            "parameters": dict(self.parameters),
            "warnings": [{"code": w.code, "message": w.message} for w in self.warnings],
            "versions": dict(self.versions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProcessingRecord:
        """Rebuild from :meth:`to_dict`."""
        return cls(
            steps=tuple(data["steps"]),
            parameters=dict(data["parameters"]),
            warnings=tuple(FeatureWarning(w["code"], w["message"]) for w in data["warnings"]),
            versions=dict(data["versions"]),
        )


class Recorder:
    """Collects steps, parameters and warnings while features are computed."""

    def __init__(self) -> None:
        self._steps: list[str] = []
        self._parameters: dict[str, Any] = {}
        self._warnings: list[FeatureWarning] = []

    def step(self, text: str, **parameters: Any) -> None:
        """Add one methods sentence and the parameters it states."""
        if text not in self._steps:
            self._steps.append(text)
        self._parameters.update(parameters)

    def param(self, **parameters: Any) -> None:
        """Record parameters without a sentence."""
        self._parameters.update(parameters)

    def warn(self, code: str, message: str) -> None:
        """Record a recoverable data problem (once per identical message)."""
        warning = FeatureWarning(code, message)
        if warning not in self._warnings:
            self._warnings.append(warning)

    @property
    def warnings(self) -> tuple[FeatureWarning, ...]:
        return tuple(self._warnings)

    def finish(self) -> ProcessingRecord:
        """Freeze what was collected, with the library versions."""
        return ProcessingRecord(
            steps=tuple(self._steps),
            parameters=dict(self._parameters),
            warnings=tuple(self._warnings),
            versions=library_versions(),
        )
