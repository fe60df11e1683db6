"""A real FHIR R4 server for the sandbox: sekmet-fhir (FastAPI + SQLite) in a subprocess on loopback.

The server gets its own data directory (SQLite database, settings, log). It
is started with no access log and no workflow simulator, answers only on
127.0.0.1, and is stopped (terminate, then kill) by :meth:`FhirServerProcess.stop`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

from .errors import SandboxError


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FhirServerProcess:
    """sekmet-fhir serving ``http://127.0.0.1:<port>/fhir`` from ``data_dir``.

    Parameters
    ----------
    data_dir : path
        Holds ``sekmet.db``, ``settings.yaml`` and ``fhir-server.log``.
    port : int, optional
        Fixed port; a free one when omitted.
    """

    def __init__(self, data_dir: str | os.PathLike[str], *, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "fhir-server.log"

    def _settings(self) -> Path:
        settings = {
            "base_url": self.base_url, "host": "127.0.0.1", "port": self.port,
            "data_dir": str(self.data_dir), "own_private_key_path": str(self.data_dir / "keys" / "sekmet.pem"),
            "simulator": {"enabled": False}, "log_inbound": False,
            "server_auth": {"types": ["none"]}, "validation": {"inbound": "strict"},
        }
        path = self.data_dir / "settings.yaml"
        path.write_text(yaml.safe_dump(settings))
        return path

    def start(self, *, timeout_s: float = 30.0) -> "FhirServerProcess":
        """Start the server and wait until ``/metadata`` answers.

        Raises
        ------
        SandboxError
            The process exits or does not answer within ``timeout_s``.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, SEKMET_CONFIG=str(self._settings()))
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "plugin.sandbox.sekmet_app:app_factory", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-access-log", "--log-level", "warning"],
            cwd=self.data_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-800:]
                self.stop()
                raise SandboxError(f"the sandbox FHIR server (sekmet-fhir) exited with status "
                                   f"{self.process.returncode}: {tail.strip()}")
            try:
                if requests.get(f"{self.base_url}/metadata", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise SandboxError(f"the sandbox FHIR server did not answer on port {self.port} within {timeout_s:g} s "
                           f"(see {self.log_path})")

    def stop(self) -> None:
        """Stop the server process (terminate, then kill after 5 s)."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "FhirServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
