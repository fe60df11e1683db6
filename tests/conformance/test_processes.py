"""ListeningProcess with real subprocesses (small Python programs standing in for the Java services)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conformance.errors import ServiceStartError
from conformance.processes import ListeningProcess

SERVE = "import time; print('starting'); print('LISTENING http://127.0.0.1:5/x', flush=True); time.sleep(120)"


def _process(tmp_path: Path, code: str, *, timeout_s: float = 20.0) -> ListeningProcess:
    return ListeningProcess("probe", [sys.executable, "-c", code], log_dir=tmp_path, ready_timeout_s=timeout_s)


def test_start_returns_the_announced_url_and_stop_ends_the_process(tmp_path: Path) -> None:
    process = _process(tmp_path, SERVE)
    assert process.start() == "http://127.0.0.1:5/x"
    assert process.running
    assert process.startup_s is not None and process.startup_s < 20
    assert process.rss_bytes() > 0
    assert "starting" in process.log_tail()
    assert process.stop() == -15  # SIGTERM
    assert not process.running
    assert not process.log_path.exists()
    assert process.stop() is None


def test_context_manager_stops_the_process(tmp_path: Path) -> None:
    with _process(tmp_path, SERVE) as process:
        pid = process.pid
        assert process.running
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_process_that_exits_before_ready_is_reported_with_its_output(tmp_path: Path) -> None:
    process = _process(tmp_path, "import sys; print('port already in use'); sys.exit(3)")
    expected = r"probe exited with status 3 before it was ready(.|\n)*port already in use"
    with pytest.raises(ServiceStartError, match=expected):
        process.start()
    assert not process.running
    assert "port already in use" in process.log_path.read_text()


def test_process_that_never_gets_ready_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    process = _process(tmp_path, "import time; print('loading', flush=True); time.sleep(120)", timeout_s=1.0)
    with pytest.raises(ServiceStartError, match=r"probe was not ready within 1 s(.|\n)*loading"):
        process.start()
    assert not process.running


def test_starting_twice_is_refused(tmp_path: Path) -> None:
    with _process(tmp_path, SERVE) as process:
        with pytest.raises(ServiceStartError, match=r"probe is already running \(pid \d+\)"):
            process.start()
