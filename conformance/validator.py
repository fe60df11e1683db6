"""Validate FHIR R4 resources with the HAPI FHIR validator and the fpcds profiles.

The validator is a small Java service of ours (``conformance/validator``):
the HAPI instance validator with the fpcds StructureDefinitions, CodeSystem
and ValueSets in an offline validation support chain. It is started once and
then answers many requests, so the JVM start-up is paid once::

    with FhirValidator() as validator:
        issues = validator.validate(resource, profiles=[HB_GRADE_PROFILE])
        assert not errors(issues)

or, for a one-off call, :func:`validate` (a shared service, stopped at exit).
A resource is checked against its base definition, the profiles in its
``meta.profile`` and the ``profiles`` given; a Bundle's entries against their
own ``meta.profile``.
"""

from __future__ import annotations

import atexit
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from conformance import build, paths
from conformance.errors import ValidatorError
from conformance.java_service import DEFAULT_JAVA_OPTIONS, JavaService

#: Severities in increasing order.
SEVERITIES: tuple[str, ...] = ("information", "warning", "error", "fatal")

DEFAULT_DEFINITIONS: tuple[Path, ...] = (paths.RESOURCES, paths.TERMINOLOGY)


@dataclass(frozen=True)
class Issue:
    """One validation message.

    Attributes
    ----------
    resource : int
        Index of the resource it concerns, in the order given.
    severity : str
        information, warning, error or fatal.
    location : str
        FHIRPath of the element, e.g. ``Observation.component[0]``.
    message : str
        The validator's message.
    message_id : str or None
        The validator's message key, if any.
    line, column : int or None
        Position in the JSON the validator saw (the canonical re-serialisation).
    """

    resource: int
    severity: str
    location: str
    message: str
    message_id: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity in ("error", "fatal")

    def __str__(self) -> str:
        return f"[{self.resource}] {self.severity} {self.location}: {self.message}"


def errors(issues: Iterable[Issue]) -> list[Issue]:
    """The issues of severity error or fatal."""
    return [i for i in issues if i.is_error]


class FhirValidator(JavaService):
    """The HAPI FHIR validator service with the fpcds profiles.

    Parameters
    ----------
    definitions : sequence of Path
        Directories of StructureDefinitions, CodeSystems and ValueSets to load
        (default: the generated fpcds resources and terminology fragments).
    java_options : sequence of str
        JVM options.
    startup_timeout_s : float
        Upper bound for building (if needed) and starting the service, in s.
    request_timeout_s : float
        Upper bound for one validation request, in seconds.
    """

    name = "fpcds-validator"
    project = build.VALIDATOR
    purpose = "run the FHIR validator"

    def __init__(
        self,
        *,
        definitions: Sequence[Path] = DEFAULT_DEFINITIONS,
        java_options: Sequence[str] = DEFAULT_JAVA_OPTIONS,
        startup_timeout_s: float = 180.0,
        request_timeout_s: float = 120.0,
    ) -> None:
        for directory in definitions:
            if not Path(directory).is_dir():
                raise ValidatorError(f"definitions directory {directory} does not exist")
        super().__init__(java_options=java_options, startup_timeout_s=startup_timeout_s)
        self.definitions = tuple(Path(d) for d in definitions)
        self.request_timeout_s = request_timeout_s

    def command(self, java: str, jar: Path) -> list[str]:
        # The core validator's check of extension definitions reads the R4 core
        # package from the FHIR package cache under user.home.
        argv = [java, f"-Duser.home={build.ensure_fhir_home()}", *self.java_options, "-jar", str(jar), "serve",
                "--port", "0"]
        for directory in self.definitions:
            argv += ["--defs", str(directory)]
        return argv

    def not_running(self) -> Exception:
        return ValidatorError("the validator is not running; call start() first")

    @property
    def url(self) -> str:
        return self.service_url

    def validate(
        self, resources: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, profiles: Sequence[str] = ()
    ) -> list[Issue]:
        """Validate one resource or a sequence of resources.

        Parameters
        ----------
        resources : dict or sequence of dict
            FHIR R4 resources (or Bundles) as JSON-ready dicts.
        profiles : sequence of str
            Canonical URLs of profiles every resource must conform to, in
            addition to those in its ``meta.profile``.

        Returns
        -------
        list of Issue
            Every message, in resource order.

        Raises
        ------
        ValidatorError
            A resource is not a JSON object with a ``resourceType``, or the
            service could not be reached or rejected the request.
        """
        items = [resources] if isinstance(resources, Mapping) else list(resources)
        for index, resource in enumerate(items):
            if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
                raise ValidatorError(
                    f"resources[{index}] is not a FHIR resource: expected a JSON object with a 'resourceType'"
                )
        body = {"items": [{"resource": r, "profiles": list(profiles)} for r in items]}
        try:
            payload = json.dumps(body).encode()
        except (TypeError, ValueError) as exc:
            raise ValidatorError(f"resources cannot be serialised as JSON: {exc}") from exc
        answer = self._post("/validate", payload)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(items):
            raise ValidatorError(f"validator at {self.url} answered without one result per resource")
        issues: list[Issue] = []
        for index, result in enumerate(results):
            for raw in result.get("issues", []):
                issues.append(
                    Issue(
                        resource=index,
                        severity=raw["severity"],
                        location=raw.get("location") or "",
                        message=raw.get("message") or "",
                        message_id=raw.get("messageId"),
                        line=raw.get("line"),
                        column=raw.get("column"),
                    )
                )
        return issues

    def _post(self, route: str, payload: bytes) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url + route, data=payload, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.request_timeout_s) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("error", "")
            except ValueError:
                detail = ""
            raise ValidatorError(f"validator at {self.url} answered HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ValidatorError(f"validator at {self.url} is not reachable: {exc}") from exc


_shared: FhirValidator | None = None
_shared_lock = threading.Lock()


def shared_validator() -> FhirValidator:
    """A validator with the default definitions, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            validator = FhirValidator().start()
            atexit.register(validator.stop)
            _shared = validator
        return _shared


def validate(
    resources: Mapping[str, Any] | Sequence[Mapping[str, Any]], *, profiles: Sequence[str] = ()
) -> list[Issue]:
    """Validate with the shared validator; see :meth:`FhirValidator.validate`."""
    return shared_validator().validate(resources, profiles=profiles)
