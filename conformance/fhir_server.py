"""A real FHIR R4 server for round trips: HAPI FHIR JPA 8.8 on in-memory H2.

The server is a small Spring Boot application of ours
(``conformance/fhir-server``), started on a free loopback port; its data live
only as long as the process. It supports transactions, batches, conditional
create (``ifNoneExist``), search and history::

    with HapiFhirServer() as server:
        requests.post(server.base_url, json=transaction_bundle)
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from conformance import build
from conformance.errors import ServiceStartError
from conformance.java_service import DEFAULT_JAVA_OPTIONS, JavaService


class HapiFhirServer(JavaService):
    """The HAPI FHIR JPA server (R4) as a local subprocess.

    Parameters
    ----------
    java_options : sequence of str
        JVM options.
    startup_timeout_s : float
        Upper bound for the start, in seconds (a build, if needed, comes on top).
    """

    name = "fpcds-fhir-server"
    project = build.FHIR_SERVER
    purpose = "run the HAPI FHIR server"

    def __init__(self, *, java_options: Sequence[str] = DEFAULT_JAVA_OPTIONS, startup_timeout_s: float = 300.0) -> None:
        super().__init__(java_options=java_options, startup_timeout_s=startup_timeout_s)

    def command(self, java: str, jar: Path) -> list[str]:
        return [java, *self.java_options, "-jar", str(jar), "--server.port=0", "--server.address=127.0.0.1"]

    def not_running(self) -> Exception:
        return ServiceStartError("the FHIR server is not running; call start() first")

    @property
    def base_url(self) -> str:
        """The FHIR base, ``http://127.0.0.1:PORT/fhir``."""
        return self.service_url
