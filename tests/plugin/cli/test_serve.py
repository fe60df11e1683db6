"""``fpcds serve``: configuration checked up front, gunicorn serving, access log without query strings."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from plugin.sandbox.fhir_server import free_port

ROOT = Path(__file__).resolve().parents[3]


def _config(tmp_path: Path, port: int) -> Path:
    (tmp_path / "secret").write_text("q" * 40)
    path = tmp_path / "fpcds.toml"
    path.write_text(f"""
[app]
public_url = "http://127.0.0.1:{port}"
instance_dir = "instance"
secret_key_file = "secret"
readyz_checks_ehr = false

[[tenants]]
name = "Test EHR"
iss = "https://ehr.example.org/fhir"
client_id = "fpcds"
auth_method = "public"
ehr_origins = ["https://ehr.example.org"]
""")
    return path


def _fpcds(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plugin.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, **kw)


def test_check_only(tmp_path):
    result = _fpcds("serve", "--config", str(_config(tmp_path, 8000)), "--check")
    assert result.returncode == 0
    assert result.stdout.strip() == "configuration OK: 1 tenant(s), public URL http://127.0.0.1:8000"


def test_bad_configuration_is_one_line_and_exit_2(tmp_path):
    path = _config(tmp_path, 8000)
    path.write_text(path.read_text() + "\n[extra]\nx = 1\n")
    result = _fpcds("serve", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"fpcds serve: error: {path}: unknown key(s) in top level: extra; "
                                     "known: app, keys, tenants")


def test_serves_under_gunicorn(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--config", str(_config(tmp_path, port)),
                             "--bind", f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        assert health.status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        refused = requests.get(f"http://127.0.0.1:{port}/launch?iss=https://x.example/fhir&launch=SECRET-LAUNCH",
                               timeout=5)
        assert refused.status_code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert '"GET /launch HTTP/1.1" 400' in out
    assert "SECRET-LAUNCH" not in out
