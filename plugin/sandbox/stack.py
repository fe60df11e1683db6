"""The whole demo on one machine: FHIR server, sandbox EHR and the fpcds app, wired together.

:class:`DemoStack` starts sekmet-fhir (subprocess), seeds it, then serves the
sandbox EHR and the app on loopback ports, the app registered at the
sandbox as a confidential client (private_key_jwt, ES384, keys published at
the app's JWKS URL) or as a public client. Everything lives under one work
directory; a random secret key and signing key are made there on first use.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from ..app import create_app
from ..config import config_from_mapping
from ..smart.keys import generate_pem
from .app import SandboxSettings, create_sandbox_app
from .fhir_server import FhirServerProcess
from .seed import SeedResult, seed
from .serving import ServerThread
from .state import Policy, SandboxClient

DEMO_CLIENT_ID = "fpcds-demo"
DEMO_KID = "fpcds-demo-es384"


def _secret_file(path: Path, make: Any) -> Path:
    """Create ``path`` with ``make()`` (bytes), readable by the owner only, unless it exists."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(make())
    return path


@dataclass
class DemoStack:
    """FHIR server + sandbox EHR + app, started by :meth:`start` and stopped by :meth:`stop`.

    Parameters
    ----------
    workdir : path
        Holds ``fhir/`` (FHIR database), ``app/`` (app instance dir) and the demo secrets.
    ehr_port, app_port, fhir_port : int
        Fixed loopback ports; 0 picks free ones.
    auth_method : {"private_key_jwt", "public"}
        How the app authenticates at the sandbox token endpoint.
    policy : Policy, optional
        What the sandbox grants the app (tests narrow scopes or shorten tokens with it).
    """

    workdir: Path
    ehr_port: int = 0
    app_port: int = 0
    fhir_port: int = 0
    auth_method: str = "private_key_jwt"
    policy: Policy = field(default_factory=Policy)
    fhir: FhirServerProcess | None = field(default=None, init=False)
    seeded: SeedResult | None = field(default=None, init=False)
    app: Flask | None = field(default=None, init=False)
    sandbox: Flask | None = field(default=None, init=False)
    _servers: list[ServerThread] = field(default_factory=list, init=False)

    @property
    def client_id(self) -> str:
        return DEMO_CLIENT_ID if self.auth_method == "private_key_jwt" else f"{DEMO_CLIENT_ID}-public"

    def start(self) -> "DemoStack":
        """Start everything; on failure, what was started is stopped again."""
        self.workdir = Path(self.workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            ehr_server = ServerThread(port=self.ehr_port)
            self._servers.append(ehr_server)
            app_server = ServerThread(port=self.app_port)
            self._servers.append(app_server)
            self.fhir = FhirServerProcess(self.workdir / "fhir", port=self.fhir_port or None).start()
            self.seeded = seed(self.fhir.base_url)
            self.app = create_app(self._app_config(ehr_server.url, app_server.url))
            self.sandbox = create_sandbox_app(self._sandbox_settings(ehr_server.url, app_server.url))
            ehr_server.serve(self.sandbox)
            app_server.serve(self.app)
        except BaseException:
            self.stop()
            raise
        return self

    def _app_config(self, ehr_url: str, app_url: str):
        secret = _secret_file(self.workdir / "secrets" / "app-secret", lambda: secrets.token_urlsafe(48).encode())
        data: dict[str, Any] = {
            "app": {"public_url": app_url, "instance_dir": str(self.workdir / "app"), "secret_key_file": str(secret),
                    "fhir_timeout_s": 15, "log_level": "INFO"},
            "tenants": [{"name": "Sandbox EHR", "iss": f"{ehr_url}/fhir", "client_id": self.client_id,
                         "auth_method": self.auth_method, "ehr_origins": [ehr_url]}],
        }
        if self.auth_method == "private_key_jwt":
            key = _secret_file(self.workdir / "secrets" / "app-es384.pem", lambda: generate_pem("ES384"))
            data["keys"] = [{"kid": DEMO_KID, "alg": "ES384", "private_key_file": str(key)}]
            data["tenants"][0]["key_id"] = DEMO_KID
        return config_from_mapping(data, source="fpcds demo (embedded configuration)", environ={})

    def _sandbox_settings(self, ehr_url: str, app_url: str) -> SandboxSettings:
        assert self.fhir is not None and self.seeded is not None
        app_client = SandboxClient(
            client_id=self.client_id, name="fpcds", redirect_uris=(f"{app_url}/callback",),
            auth_method="private_key_jwt" if self.auth_method == "private_key_jwt" else "none",
            launch_url=f"{app_url}/launch",
            jwks_uri=f"{app_url}/.well-known/jwks.json" if self.auth_method == "private_key_jwt" else None,
            policy=self.policy,
        )
        return SandboxSettings(public_url=ehr_url, fhir_upstream=self.fhir.base_url, seeded=self.seeded,
                               clients=(app_client,))

    @property
    def urls(self) -> dict[str, str]:
        """``name -> url`` of what the demo serves (ehr, fhir, launch, app, fhir-store)."""
        ehr, app = self._servers[0].url, self._servers[1].url
        return {"ehr": f"{ehr}/", "fhir": f"{ehr}/fhir", "launch": f"{app}/launch", "app": f"{app}/",
                "fhir-store": self.fhir.base_url if self.fhir else ""}

    def stop(self) -> None:
        """Stop the web servers and the FHIR server (idempotent)."""
        for server in reversed(self._servers):
            server.stop()
        self._servers.clear()
        if self.fhir is not None:
            self.fhir.stop()
            self.fhir = None

    def __enter__(self) -> "DemoStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
