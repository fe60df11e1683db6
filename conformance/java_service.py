"""The life cycle shared by our Java services (validator, FHIR server): build, start on a free port, stop.

A subclass names its Maven project and the command line; :class:`JavaService`
builds the jar when its sources changed (:func:`conformance.build.build_jar`),
starts it as a :class:`conformance.processes.ListeningProcess` (ready when it
prints ``LISTENING <url>``), and stops it. Use it as a context manager.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import TracebackType
from typing import Self, Sequence

from conformance import build
from conformance.errors import ToolMissingError
from conformance.processes import ListeningProcess

DEFAULT_JAVA_OPTIONS: tuple[str, ...] = ("-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")


class JavaService:
    """A Java application of ours running as a local subprocess.

    Parameters
    ----------
    java_options : sequence of str
        JVM options.
    startup_timeout_s : float
        Upper bound for the start, in seconds (a build, if needed, comes on top).

    Attributes
    ----------
    name : str
        Process name (messages, log file).
    project : conformance.build.JavaProject
    purpose : str
        What Java is needed for, for the message when it is missing.
    """

    name: str
    project: build.JavaProject
    purpose: str

    def __init__(self, *, java_options: Sequence[str] = DEFAULT_JAVA_OPTIONS, startup_timeout_s: float) -> None:
        self.java_options = tuple(java_options)
        self.startup_timeout_s = startup_timeout_s
        self._process: ListeningProcess | None = None

    def command(self, java: str, jar: Path) -> list[str]:
        """The command line that starts the service on a free loopback port."""
        raise TypeError(f"{type(self).__name__} must define command()")

    def not_running(self) -> Exception:
        """The error raised when the service's URL is asked for before :meth:`start`."""
        return RuntimeError(f"{self.name} is not running; call start() first")

    @property
    def process(self) -> ListeningProcess | None:
        return self._process

    @property
    def service_url(self) -> str:
        """The URL the service printed when it became ready."""
        if self._process is None or self._process.url is None:
            raise self.not_running()
        return self._process.url

    def start(self) -> Self:
        """Build the jar if needed and start the service; returns self."""
        java = shutil.which("java")
        if java is None:
            raise ToolMissingError("java", self.purpose)
        jar = build.build_jar(self.project)
        process = ListeningProcess(self.name, self.command(java, jar), log_dir=self.project.target / "logs",
                                   ready_timeout_s=self.startup_timeout_s)
        process.start()
        self._process = process
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
