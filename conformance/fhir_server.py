"""A real FHIR R4 server for round trips: HAPI FHIR JPA 8.8 on in-memory H2.

The server is a small Spring Boot application of ours
(``conformance/fhir-server``), started on a free loopback port; its data live
only as long as the process. It supports transactions, batches, conditional
create (``ifNoneExist``), search and history::

    with HapiFhirServer() as server:
        requests.post(server.base_url, json=transaction_bundle)
"""

from __future__ import annotations

import shutil
from types import TracebackType
from typing import Sequence

from conformance import build
from conformance.errors import ServiceStartError, ToolMissingError
from conformance.processes import ListeningProcess

DEFAULT_JAVA_OPTIONS: tuple[str, ...] = ("-Xmx1g", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")


class HapiFhirServer:
    """The HAPI FHIR JPA server (R4) as a local subprocess.

    Parameters
    ----------
    java_options : sequence of str
        JVM options.
    startup_timeout_s : float
        Upper bound for the start, in seconds (a build, if needed, comes on top).
    """

    def __init__(self, *, java_options: Sequence[str] = DEFAULT_JAVA_OPTIONS, startup_timeout_s: float = 300.0) -> None:
        self.java_options = tuple(java_options)
        self.startup_timeout_s = startup_timeout_s
        self._process: ListeningProcess | None = None

    @property
    def base_url(self) -> str:
        """The FHIR base, ``http://127.0.0.1:PORT/fhir``."""
        if self._process is None or self._process.url is None:
            raise ServiceStartError("the FHIR server is not running; call start() first")
        return self._process.url

    @property
    def process(self) -> ListeningProcess | None:
        return self._process

    def start(self) -> HapiFhirServer:
        java = shutil.which("java")
        if java is None:
            raise ToolMissingError("java", "run the HAPI FHIR server")
        jar = build.build_jar(build.FHIR_SERVER)
        argv = [java, *self.java_options, "-jar", str(jar), "--server.port=0", "--server.address=127.0.0.1"]
        process = ListeningProcess(
            "fpcds-fhir-server", argv, log_dir=build.FHIR_SERVER.target / "logs", ready_timeout_s=self.startup_timeout_s
        )
        process.start()
        self._process = process
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> HapiFhirServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
