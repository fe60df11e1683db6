"""Run a local service as a subprocess that announces where it listens.

The Java applications print one line ``LISTENING <url>`` on standard output
once they accept requests; they are started on port 0, so the system picks a
free loopback port and nothing races for it. Output goes to a log file (never
a pipe that could fill up); on a failed start the error quotes its tail and
the log is kept, after a clean stop it is removed.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Mapping, Sequence

from conformance.errors import ServiceStartError

_LISTENING = re.compile(r"^LISTENING (\S+)\s*$", re.MULTILINE)


class ListeningProcess:
    """A subprocess that prints ``LISTENING <url>`` when it is ready.

    Parameters
    ----------
    name : str
        Name used in messages and for the log file.
    argv : sequence of str
        The command to run (no shell).
    log_dir : Path
        Directory for the log file (standard output and error together).
    ready_timeout_s : float
        How long to wait for the ``LISTENING`` line, in seconds.
    env : mapping, optional
        Environment of the process; default: this process's environment.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_dir: Path,
        ready_timeout_s: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_dir = Path(log_dir)
        self.ready_timeout_s = ready_timeout_s
        self.env = dict(env) if env is not None else None
        self.url: str | None = None
        self.log_path: Path | None = None
        self.startup_s: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        """Start the process and wait until it is listening; return its URL.

        Raises
        ------
        ServiceStartError
            The process exited before it was ready, or was not ready within
            ``ready_timeout_s`` (it is then stopped).
        """
        if self.running:
            raise ServiceStartError(f"{self.name} is already running (pid {self.pid})")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        fd, log_name = tempfile.mkstemp(prefix=f"{self.name}-", suffix=".log", dir=self.log_dir)
        self.log_path = Path(log_name)
        started = time.monotonic()
        with os.fdopen(fd, "wb") as log:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        deadline = started + self.ready_timeout_s
        while True:
            match = _LISTENING.search(self._read_log())
            if match:
                self.url = match.group(1)
                self.startup_s = time.monotonic() - started
                return self.url
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                raise ServiceStartError(
                    f"{self.name} exited with status {code} before it was ready; log {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServiceStartError(
                    f"{self.name} was not ready within {self.ready_timeout_s:g} s; log {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, *, timeout_s: float = 30.0) -> int | None:
        """Stop the process (SIGTERM, then SIGKILL after ``timeout_s``); return its exit status."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        if self.url is not None and self.log_path is not None:
            # A service that started and stopped cleanly leaves no log behind;
            # a failed start keeps its log (the error names it).
            self.log_path.unlink(missing_ok=True)
        return proc.returncode

    def rss_bytes(self) -> int | None:
        """Resident memory of the running process, in bytes (Linux ``/proc``)."""
        if not self.running:
            return None
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the service's output."""
        return "\n".join(self._read_log().splitlines()[-lines:])

    def _read_log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> ListeningProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
