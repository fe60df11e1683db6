"""``fpcds demo``: one command starts everything, prints the URLs, stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]


def _read_urls(proc: subprocess.Popen, names: set[str], timeout_s: float = 60.0) -> dict[str, str]:
    urls: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    while not names <= set(urls) and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        name, _, url = line.strip().partition(": ")
        urls[name] = url
    return urls


def test_demo_runs_and_stops_cleanly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "demo", "--workdir", str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        urls = _read_urls(proc, {"ehr", "fhir", "launch", "app", "fhir-store"})
        assert {"ehr", "fhir", "launch"} <= set(urls), proc.stderr.read() if proc.poll() is not None else urls
        for url in urls.values():
            assert url.startswith("http://127.0.0.1:")
        assert urls["fhir"] == urls["ehr"] + "fhir"
        ehr = requests.get(urls["ehr"], timeout=10)
        assert ehr.status_code == 200 and "Ana Souza" in ehr.text
        assert requests.get(urls["fhir"] + "/.well-known/smart-configuration", timeout=10).status_code == 200
        assert requests.get(urls["launch"], timeout=10).status_code == 400  # no iss: a clear refusal
        store_port = int(urls["fhir-store"].split(":")[2].split("/")[0])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err
    assert "demo stopped" in err
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", store_port)) != 0  # the FHIR store process is gone


def test_demo_reports_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "plugin.cli", "demo", "--workdir", str(tmp_path),
                                 "--ehr-port", str(port)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                env=dict(os.environ))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
