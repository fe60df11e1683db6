"""Build the Java applications with Maven, once per change of their sources.

A build is keyed by the SHA-256 of the project's ``pom.xml`` and ``src/``
tree, stored next to the jar in ``target/``; an unchanged project is not
rebuilt. Maven runs offline first (quick, and right whenever ``~/.m2`` already
holds every artifact) and online only if the offline run lacked an artifact,
so a cold machine downloads what it needs from Maven Central once. A file lock keeps two
processes from building the same project at the same time.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from conformance import paths
from conformance.errors import BuildError, ToolMissingError

_STAMP = ".fpcds-build-sha256"
#: How Maven says that an offline build lacks an artifact or plugin.
_OFFLINE_MISS = re.compile(r"offline mode|has not been downloaded from it before|Cannot access .* in offline")

#: The FHIR core package the validator assembles from HAPI's R4 definitions.
CORE_PACKAGE = "hl7.fhir.r4.core#4.0.1"


@dataclass(frozen=True)
class JavaProject:
    """A Maven project of ours that builds ``target/<jar_name>`` plus ``target/lib/``."""

    name: str
    directory: Path
    jar_name: str

    @property
    def target(self) -> Path:
        return self.directory / "target"

    @property
    def jar(self) -> Path:
        return self.target / self.jar_name


VALIDATOR = JavaProject("validator", paths.VALIDATOR_PROJECT, "fpcds-validator.jar")
FHIR_SERVER = JavaProject("fhir-server", paths.SERVER_PROJECT, "fpcds-fhir-server.jar")


def require_tool(tool: str, *, purpose: str) -> str:
    """Return the path of ``tool`` on PATH, or raise :class:`ToolMissingError`."""
    found = shutil.which(tool)
    if found is None:
        raise ToolMissingError(tool, purpose)
    return found


def source_hash(project: JavaProject) -> str:
    """SHA-256 over the project's ``pom.xml`` and every file under ``src/`` (names and contents)."""
    digest = hashlib.sha256()
    files = [project.directory / "pom.xml"]
    files += sorted(p for p in (project.directory / "src").rglob("*") if p.is_file())
    for path in files:
        digest.update(path.relative_to(project.directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def is_built(project: JavaProject) -> bool:
    """True when the jar exists and was built from the current sources."""
    stamp = project.target / _STAMP
    return project.jar.is_file() and stamp.is_file() and stamp.read_text().strip() == source_hash(project)


def build_jar(project: JavaProject, *, timeout_s: float = 1800.0) -> Path:
    """Build ``project`` if its sources changed since the last build; return the jar.

    Parameters
    ----------
    project : JavaProject
        The Maven project.
    timeout_s : float
        Upper bound for one Maven run, in seconds (a cold build downloads
        a few hundred MB).

    Raises
    ------
    ToolMissingError
        ``mvn`` or ``java`` is not on PATH.
    BuildError
        Maven failed, online as well as offline; the message ends with the
        last lines Maven printed.
    """
    mvn = require_tool("mvn", purpose=f"build the {project.name} Java application")
    require_tool("java", purpose=f"run the {project.name} Java application")
    project.target.mkdir(parents=True, exist_ok=True)
    with _locked(project.target / ".fpcds-build.lock"):
        if is_built(project):
            return project.jar
        key = source_hash(project)
        done = _run_maven([mvn, "-B", "-q", "-o", "package"], project, timeout_s=timeout_s)
        if done.returncode != 0 and _OFFLINE_MISS.search(done.stdout + done.stderr):
            # Something is not in ~/.m2 yet: fetch it from Maven Central.
            done = _run_maven([mvn, "-B", "-q", "package"], project, timeout_s=timeout_s)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
            raise BuildError(
                f"{project.directory}: 'mvn {' '.join(done.args[1:])}' failed with exit status "
                f"{done.returncode}; last output:\n{tail}"
            )
        if not project.jar.is_file():
            raise BuildError(f"{project.directory}: Maven succeeded but {project.jar} was not produced")
        (project.target / _STAMP).write_text(key + "\n")
        return project.jar


def _run_maven(argv: list[str], project: JavaProject, *, timeout_s: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, cwd=project.directory, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        command = " ".join(["mvn", *argv[1:]])
        raise BuildError(f"{project.directory}: '{command}' did not finish within {timeout_s:.0f} s") from exc


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_fhir_home(*, timeout_s: float = 600.0) -> Path:
    """A FHIR home directory whose package cache (``.fhir/packages``) holds hl7.fhir.r4.core#4.0.1.

    No reachable registry serves that package, so the validator assembles it
    from the R4 definitions in HAPI's ``hapi-fhir-validation-resources-r4``
    (once; about 40 MB). SUSHI reads it (run with ``HOME`` set to this
    directory), and so does the validator's own check of extension
    definitions (run with ``-Duser.home``).
    """
    jar = build_jar(VALIDATOR)
    java = require_tool("java", purpose="assemble the FHIR R4 core package")
    home = VALIDATOR.target / "fhir-home"
    package = home / ".fhir" / "packages" / CORE_PACKAGE
    with _locked(VALIDATOR.target / ".fpcds-fhir-home.lock"):
        if not (package / "package" / "package.json").is_file():
            if package.exists():
                shutil.rmtree(package)
            argv = [java, "-jar", str(jar), "core-package", "--out", str(package)]
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired as exc:
                raise BuildError(f"assembling {CORE_PACKAGE} did not finish within {timeout_s:.0f} s") from exc
            if done.returncode != 0:
                tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
                raise BuildError(f"assembling {CORE_PACKAGE} failed with exit status {done.returncode}:\n{tail}")
    return home
