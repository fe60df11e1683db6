"""The "Live capture" step: a capture belongs to the launch's patient, only that launch's page may pair it,
the capture agent's upload becomes an assessment like an imported file, biofeedback reaches the page.

Unit tests use the Flask test client on an app whose launches are made directly in its store (one
browser cookie, several launches); the capture agent talks to the same app over a real loopback
socket. End-to-end tests use the demo stack (real SMART launch) and ``fpcds serve`` (gunicorn).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from acquisition.capture_agent import CaptureAgent
from acquisition.native import write_session
from plugin.app import create_app
from plugin.capture import state as capture_state
from plugin.config import load_config
from plugin.sandbox.fhir_server import free_port
from plugin.smart.tokens import TokenSet
from plugin.web.capture_link import attach
from plugin.web.security import cookie_name
from tests.factories import tiny_session
from tests.plugin.capture.helpers import LoopbackServer
from tests.plugin.helpers import Browser, app_settings

ISS = "https://ehr.example.org/fhir"
ROOT = Path(__file__).resolve().parents[3]
FRAME = {"lsl_time": 1234.5, "t": 12.25, "emg_window_s": 0.25,
         "emg": [{"muscle": "zygomaticus", "left_uv": 41.2, "right_uv": 17.9, "asymmetry_pct": 56.55}],
         "symmetry_window_s": 0.5, "symmetry": {"brow": 0.97, "eye": 0.91, "mouth": 0.62, "overall": 0.83},
         "stale": []}


class Physician:
    """One browser of the unit-test app (its cookie on a Flask test client) and launches made in the store."""

    def __init__(self, app) -> None:
        self.app = app
        self.svc = app.extensions["fpcds"]
        self.client = app.test_client()
        value, self.browser = self.svc.sessions.new_browser()
        self.client.set_cookie(cookie_name(self.svc.config), value)

    def launch(self, patient: str = "pat-A", *, ttl_s: float = 3600.0):
        tokens = TokenSet(access_token=f"at-{patient}", expires_at=time.time() + 3600, scope=("launch", "openid"),
                          patient=patient)
        return self.svc.sessions.create_launch(browser=self.browser, iss=ISS, client_id="fpcds-test", tokens=tokens,
                                               ttl_s=ttl_s)

    def start(self, launch) -> str:
        resp = self.client.post(f"/app/{launch.id}/captures", data={"csrf": launch.csrf})
        assert resp.status_code == 303
        return resp.headers["Location"].rsplit("/", 1)[1]

    def pair_code(self, capture_id: str, launch, **headers: str):
        sent = {"X-Fpcds-Launch": launch.id, "X-CSRF-Token": launch.csrf}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self.client.post(f"/capture/assessments/{capture_id}/pairing",
                                headers={k: v for k, v in sent.items() if v is not None})

    def status(self, capture_id: str, launch) -> dict:
        resp = self.client.get(f"/app/{launch.id}/captures/{capture_id}/status")
        assert resp.status_code == 200, resp.status_code
        return resp.json


@pytest.fixture
def app(tmp_path):
    return create_app(app_settings(tmp_path))


@pytest.fixture
def session_path(tmp_path) -> Path:
    path = tmp_path / "live.fpcds"
    write_session(tiny_session(), path)
    return path


def _pairing_state(app, capture_id: str):
    with app.app_context():
        return capture_state().store.status(capture_id)["pairing"]


# ------------------------------------------------------------------------------------------ starting
def test_start_lists_the_capture_for_the_patient(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    page = doc.client.get(f"/app/{launch.id}/captures/{capture_id}")
    assert page.status_code == 200
    assert 'id="pair-button">Create pairing code<' in page.text
    assert "fpcds capture --server https://fpcds.example.org --code CODE" in page.text
    assert 'id="agent-status">No capture agent paired yet.<' in page.text
    home = doc.client.get(f"/app/{launch.id}/").text
    assert f'/app/{launch.id}/captures/{capture_id}">Live capture started ' in home
    other = doc.launch("pat-B")
    assert capture_id not in doc.client.get(f"/app/{other.id}/").text


def test_start_without_anti_forgery_token_is_refused(app):
    doc = Physician(app)
    launch = doc.launch()
    resp = doc.client.post(f"/app/{launch.id}/captures", data={"csrf": "forged"})
    assert resp.status_code == 400 and 'data-error-code="csrf"' in resp.text
    assert "anti-forgery check failed" in resp.text
    assert 'id="waiting-captures"' not in doc.client.get(f"/app/{launch.id}/").text


def test_capture_page_needs_no_inline_script_or_style(app):
    doc = Physician(app)
    launch = doc.launch()
    page = doc.client.get(f"/app/{launch.id}/captures/{doc.start(launch)}")
    scripts = re.findall(r"<script[^>]*>", page.text)
    assert scripts == ['<script src="/static/capture.js" defer>']
    assert " style=" not in page.text and "<style" not in page.text and " on" + "click=" not in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert csp.endswith("frame-ancestors 'self' https://ehr.example.org")
    assert doc.client.get("/static/capture.js").status_code == 200


# ------------------------------------------------------------------------------------- authorization
def test_pairing_code_for_the_launch_patient(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    resp = doc.pair_code(capture_id, launch)
    assert resp.status_code == 201
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{3}-[0-9A-HJKMNP-TV-Z]{6}", resp.json["code"])
    view = doc.status(capture_id, launch)
    assert view["phase"] == "code" and view["pairing"]["state"] == "pending"
    assert view["pairing_text"] == "A pairing code is waiting to be typed into the capture agent."


@pytest.mark.parametrize("case, message", [
    ("no token", r"anti-forgery check failed"),
    ("token of another launch", r"anti-forgery check failed"),
    ("no launch", r"^the request does not name its fpcds launch; reload the capture page$"),
    ("another patient's launch", r"^this live capture does not belong to the patient of this fpcds launch$"),
    ("another browser's launch", r"^this fpcds launch is not open in this browser"),
    ("expired launch", r"^this fpcds launch has ended"),
    ("unknown launch", r"^this fpcds launch is not open in this browser"),
])
def test_pairing_is_refused(app, case, message):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    other_patient = doc.launch("pat-B")
    headers = {
        "no token": {"X_CSRF_Token": None},
        "token of another launch": {"X_CSRF_Token": other_patient.csrf},
        "no launch": {"X_Fpcds_Launch": None},
        "another patient's launch": {"X_Fpcds_Launch": other_patient.id, "X_CSRF_Token": other_patient.csrf},
        "unknown launch": {"X_Fpcds_Launch": "no-such-launch"},
    }.get(case, {})
    if case == "another browser's launch":
        stranger = Physician(app)
        theirs = stranger.launch()
        headers = {"X_Fpcds_Launch": theirs.id, "X_CSRF_Token": theirs.csrf}
    if case == "expired launch":
        old = doc.launch(ttl_s=-1.0)
        headers = {"X_Fpcds_Launch": old.id, "X_CSRF_Token": old.csrf}
    resp = doc.pair_code(capture_id, launch, **headers)
    assert resp.status_code == 403
    assert re.search(message, resp.json["error"])
    assert _pairing_state(app, capture_id) is None
    assert doc.svc.assessments.get(launch, capture_id) is None


def test_another_patient_cannot_follow_or_listen(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    other = doc.launch("pat-B")
    status = doc.client.get(f"/capture/assessments/{capture_id}?launch={other.id}")
    assert status.status_code == 403 and "does not belong to the patient" in status.json["error"]
    events = doc.client.get(f"/capture/assessments/{capture_id}/biofeedback?launch={other.id}")
    assert events.status_code == 403
    assert doc.client.get(f"/app/{other.id}/captures/{capture_id}").status_code == 404
    assert doc.client.get(f"/app/{other.id}/captures/{capture_id}/status").status_code == 404
    assert doc.client.get(f"/capture/assessments/{capture_id}?launch={launch.id}").status_code == 200


def test_a_new_launch_for_the_same_patient_continues_the_capture(app):
    doc = Physician(app)
    first = doc.launch()
    capture_id = doc.start(first)
    later = doc.launch()  # the EHR session expired and fpcds was opened again from the chart
    assert f"/app/{later.id}/captures/{capture_id}" in doc.client.get(f"/app/{later.id}/").text
    assert doc.pair_code(capture_id, later).status_code == 201


def test_discarded_capture_cannot_be_paired(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    resp = doc.client.post(f"/app/{launch.id}/captures/{capture_id}/discard", data={"csrf": launch.csrf})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/app/{launch.id}/"
    assert capture_id not in doc.client.get(f"/app/{launch.id}/").text
    refused = doc.pair_code(capture_id, launch)
    assert refused.status_code == 403
    assert refused.json["error"] == "this live capture is discarded; start a new live capture"
    assert doc.client.get(f"/app/{launch.id}/captures/{capture_id}").headers["Location"] == f"/app/{launch.id}/"


# ------------------------------------------------------------------------------- upload and attach
def _chunk(app_client, token: str, data: bytes, size: int) -> str:
    """Open an upload and send only its first 4 kB, as an agent that loses its network would."""
    auth = {"Authorization": f"Bearer {token}"}
    up = app_client.post("/capture/uploads", json={"sha256": hashlib.sha256(data).hexdigest(), "size": size},
                         headers=auth).json
    part = data[:4096]
    app_client.put(f"/capture/uploads/{up['upload_id']}/chunks/0", data=part,
                   headers={**auth, "X-Chunk-SHA256": hashlib.sha256(part).hexdigest()})
    return up["upload_id"]


def test_interrupted_upload_resumes_and_becomes_the_assessment(app, session_path):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    data = session_path.read_bytes()
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        pairing = agent.pair(doc.pair_code(capture_id, launch).json["code"], agent_name="ws-7")
        page = doc.client.get(f"/app/{launch.id}/captures/{capture_id}").text  # a refresh shows the state
        assert re.search(r'id="agent-status">Paired with ws-7 since \d\d:\d\d\.<', page)
        _chunk(app.test_client(), pairing.token, data, len(data))
        view = doc.status(capture_id, launch)
        assert view["phase"] == "uploading" and view["upload"] == {"received": 4096, "size": len(data),
                                                                   "state": "open"}
        page = doc.client.get(f"/app/{launch.id}/captures/{capture_id}").text
        assert f'id="upload-progress" max="{len(data)}" value="4096"' in page
        assert "Uploading: 4.1 kB of" in page
        result = agent.upload(session_path, pairing)  # resumes from byte 4096
    assert result["file_sha256"] == hashlib.sha256(data).hexdigest()
    view = doc.status(capture_id, launch)
    assert view["state"] == "attached" and view["phase"] == "attached"
    assert view["assessment_url"] == f"/app/{launch.id}/assessments/{capture_id}"
    assert view["upload_text"].startswith("Received and verified: ")
    found = doc.svc.assessments.get(launch, capture_id)
    assert found.original_name.startswith("live-capture-") and found.original_path.read_bytes() == data
    assert found.summary["emg"]["n_channels"] == 2 and found.summary["content_sha256"] == result["content_sha256"]
    facts = doc.svc.assessments.steps(launch, capture_id)["capture"]
    assert facts["agent"] == "ws-7" and facts["file_sha256"] == result["file_sha256"]
    summary = doc.client.get(f"/app/{launch.id}/captures/{capture_id}")
    assert summary.status_code == 303 and summary.headers["Location"] == view["assessment_url"]
    page = doc.client.get(view["assessment_url"]).text
    assert 'id="emg-summary">2 channels at 1000 Hz, 2.00 s<' in page and "No quality findings." in page
    assert found.original_name in doc.client.get(f"/app/{launch.id}/").text
    refused = doc.pair_code(capture_id, launch)
    assert refused.status_code == 403 and refused.json["error"] == ("this live capture is attached; start a new "
                                                                    "live capture")
    other = doc.launch("pat-B")
    assert doc.svc.assessments.get(other, capture_id) is None
    assert doc.client.get(f"/app/{other.id}/assessments/{capture_id}").status_code == 404


def test_failed_attachment_is_shown_and_can_be_retried(app, session_path):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    blocker = doc.svc.assessments.root / capture_id / "upload.fpcds"
    blocker.mkdir(parents=True)  # something in the way where the recording is to be stored
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        pairing = agent.pair(doc.pair_code(capture_id, launch).json["code"])
        agent.upload(session_path, pairing)  # the agent's upload succeeds: the recording is safe
    view = doc.status(capture_id, launch)
    assert view["state"] == "waiting" and view["phase"] == "uploaded"
    assert re.fullmatch(r"live-capture-\d{8}-\d{6}\.fpcds: cannot be stored \(Is a directory\)", view["error"])
    page = doc.client.get(f"/app/{launch.id}/captures/{capture_id}").text
    assert 'id="capture-problem" role="alert">live-capture-' in page and 'id="retry-form" hidden' not in page
    assert "(needs attention)" in doc.client.get(f"/app/{launch.id}/").text
    assert doc.svc.assessments.get(launch, capture_id) is None
    retried = doc.client.post(f"/app/{launch.id}/captures/{capture_id}/attach", data={"csrf": launch.csrf})
    assert retried.status_code == 303
    assert doc.client.get(retried.headers["Location"]).headers["Location"] == (
        f"/app/{launch.id}/assessments/{capture_id}")
    assert doc.svc.assessments.get(launch, capture_id).original_path.read_bytes() == session_path.read_bytes()


def test_retry_without_anti_forgery_token_is_refused(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    resp = doc.client.post(f"/app/{launch.id}/captures/{capture_id}/attach", data={})
    assert resp.status_code == 400 and "anti-forgery check failed" in resp.text


def test_upload_is_attached_when_the_page_looks_even_if_the_hook_did_not_run(app, session_path):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    app.config["CAPTURE_ON_UPLOAD"] = None  # e.g. the process stopped between storing and attaching
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        agent.upload(session_path, agent.pair(doc.pair_code(capture_id, launch).json["code"]))
    assert doc.svc.assessments.get(launch, capture_id) is None
    assert doc.status(capture_id, launch)["state"] == "attached"
    assert doc.svc.assessments.get(launch, capture_id) is not None


def test_unexpected_error_while_attaching_keeps_the_recording(app, session_path, monkeypatch, caplog):
    import plugin.web.capture_link as link

    def broken(*args, **kwargs):
        raise RuntimeError("disk controller on fire")

    monkeypatch.setattr(link, "read_saved", broken)
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        agent.upload(session_path, agent.pair(doc.pair_code(capture_id, launch).json["code"]))
    view = doc.status(capture_id, launch)
    ref = re.fullmatch(r"an unexpected error occurred \(reference ([0-9a-f]{8})\); the recording is kept, try again",
                       view["error"]).group(1)
    assert any(ref in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    monkeypatch.undo()
    doc.client.post(f"/app/{launch.id}/captures/{capture_id}/attach", data={"csrf": launch.csrf})
    assert doc.status(capture_id, launch)["state"] == "attached"


def test_damaged_recording_is_named_in_the_problem(app, session_path):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    app.config["CAPTURE_ON_UPLOAD"] = None
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        agent.upload(session_path, agent.pair(doc.pair_code(capture_id, launch).json["code"]))
    with app.app_context():
        stored = capture_state().store.uploaded_session(capture_id)
    stored.write_bytes(stored.read_bytes()[:2000])  # damaged on the server's disk after it was verified
    view = doc.status(capture_id, launch)
    assert view["state"] == "waiting"
    assert re.match(r"live-capture-\d{8}-\d{6}\.fpcds: ", view["error"])
    assert doc.svc.assessments.get(launch, capture_id) is None
    assert not (doc.svc.assessments.root / capture_id).exists()  # nothing half-imported is left


def test_capture_whose_launch_is_gone_attaches_from_a_new_launch(app, session_path):
    doc = Physician(app)
    first = doc.launch()
    capture_id = doc.start(first)
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        pairing = agent.pair(doc.pair_code(capture_id, first).json["code"])
        with doc.svc.db.transaction() as con:
            con.execute("DELETE FROM launches WHERE id=?", (first.id,))
        agent.upload(session_path, pairing)
    later = doc.launch()
    view = doc.status(capture_id, later)
    assert view["error"] == ("the fpcds launch this capture was started in is gone; open fpcds again from the "
                             "patient's chart and open the capture to attach it")
    doc.client.post(f"/app/{later.id}/captures/{capture_id}/attach", data={"csrf": later.csrf})
    assert doc.status(capture_id, later)["state"] == "attached"
    assert doc.svc.assessments.get(later, capture_id).launch_id == later.id


def test_attach_refuses_a_launch_of_another_patient(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    with app.test_request_context():
        with pytest.raises(ValueError, match="only be attached for the patient it was started for"):
            attach(capture_id, launch=doc.launch("pat-B"))
        assert attach("no-such-capture") is None


# -------------------------------------------------------------------------------- biofeedback (SSE)
class EventStream:
    """A server-sent-events client on a real socket, sending the browser's cookie."""

    def __init__(self, base_url: str, path: str, *, cookie: str) -> None:
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream", "Cookie": cookie})
        self.response = self.conn.getresponse()
        self.buffer = b""

    def next(self) -> dict[str, str]:
        """The next message's fields (comments skipped)."""
        while True:
            while b"\n\n" not in self.buffer:
                data = self.response.read1(65536)
                if not data:
                    raise EOFError("the event stream ended")
                self.buffer += data
            block, self.buffer = self.buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().splitlines() if not line.startswith(":"))
            if fields:
                return fields

    def close(self) -> None:
        self.conn.close()


def _cookie(session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def test_full_capture_from_an_ehr_launch(stack, session_path):
    """Real SMART launch in the sandbox EHR, the agent against the app's loopback server, SSE via the cookie."""
    browser = Browser(stack)
    home = browser.launch(patient=1)
    launch_path = browser.launch_path(home)
    launch_id = launch_path.strip("/").split("/")[1]
    csrf = browser.csrf(home)
    started = browser.http.post(browser.app + launch_path + "captures", data={"csrf": csrf}, allow_redirects=False)
    assert started.status_code == 303
    page = browser.get(started.headers["Location"])
    assert page.status_code == 200 and 'id="patient-name">Jonas Berg<' in page.text
    events_url = re.search(r'data-events-url="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    pairing_url = re.search(r'data-pairing-url="([^"]+)"', page.text).group(1)
    code = browser.http.post(browser.app + pairing_url, headers={"X-Fpcds-Launch": launch_id, "X-CSRF-Token": csrf},
                             timeout=10).json()["code"]
    agent = CaptureAgent(browser.app, backoff_s=0.01)
    pairing = agent.pair(code, agent_name="clinic-ws")
    stream = EventStream(browser.app, events_url, cookie=_cookie(browser.http))
    try:
        assert stream.response.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.next() == {"retry": "2000"}  # subscribed
        agent.send_feedback(pairing, FRAME)
        message = stream.next()
        assert message["event"] == "biofeedback" and json.loads(message["data"]) == FRAME
    finally:
        stream.close()
    stranger = EventStream(browser.app, events_url, cookie="")
    assert stranger.response.status == 403
    stranger.close()
    agent.upload(session_path, pairing)
    capture_id = started.headers["Location"].rsplit("/", 1)[1]
    status = browser.get(f"{launch_path}captures/{capture_id}/status").json()
    assert status["assessment_url"] == f"{launch_path}assessments/{capture_id}"
    summary = browser.follow(status["assessment_url"])
    assert 'id="emg-summary">2 channels at 1000 Hz, 2.00 s<' in summary.text
    assert 'id="patient-name">Jonas Berg<' in summary.text


def test_served_by_fpcds_serve_defaults_biofeedback_reaches_the_page(tmp_path, session_path):
    """The documented deployment (``fpcds serve`` defaults: gunicorn gthread, one worker) relays biofeedback,
    and stopping it ends the open event stream at once instead of waiting for it."""
    port = free_port()
    (tmp_path / "secret").write_text("k" * 48)
    config = tmp_path / "fpcds.toml"
    config.write_text(f"""
[app]
public_url = "http://127.0.0.1:{port}"
instance_dir = "{tmp_path / 'instance'}"
secret_key_file = "{tmp_path / 'secret'}"
readyz_checks_ehr = false

[[tenants]]
name = "Test EHR"
iss = "{ISS}"
client_id = "fpcds-test"
auth_method = "public"
ehr_origins = ["https://ehr.example.org"]
""")
    doc = Physician(create_app(load_config(config)))  # the served app's database and secret key
    launch = doc.launch()
    capture_id = doc.start(launch)
    name = cookie_name(doc.svc.config)
    cookie = f"{name}={doc.client.get_cookie(name).value}"
    proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--config", str(config),
                             "--bind", f"127.0.0.1:{port}"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    stream = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", f"/capture/assessments/{capture_id}/pairing",
                             headers={"Cookie": cookie, "X-Fpcds-Launch": launch.id, "X-CSRF-Token": launch.csrf})
                answer = conn.getresponse()
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline and proc.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        assert answer.status == 201
        agent = CaptureAgent(base, backoff_s=0.05)
        pairing = agent.pair(json.loads(answer.read())["code"])
        stream = EventStream(base, f"/capture/assessments/{capture_id}/biofeedback?launch={launch.id}", cookie=cookie)
        assert stream.next() == {"retry": "2000"}
        agent.send_feedback(pairing, FRAME)
        assert json.loads(stream.next()["data"]) == FRAME
        agent.upload(session_path, pairing)
        conn.request("GET", f"/app/{launch.id}/captures/{capture_id}/status", headers={"Cookie": cookie})
        assert json.loads(conn.getresponse().read())["state"] == "attached"
        conn.close()
        stopping = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # with the event stream still open
        with pytest.raises(EOFError):
            stream.next()
        out, _ = proc.communicate(timeout=30)
        stopped_after = time.monotonic() - stopping
    finally:
        if stream is not None:
            stream.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert stopped_after < 10, f"stopping took {stopped_after:.1f} s"
    assert "Booting worker" in out and "warning" not in out
    assert f"launch={launch.id}" not in out and launch.csrf not in out  # no query strings, no tokens in logs


def test_serve_warns_that_several_workers_break_biofeedback(tmp_path):
    port = free_port()
    (tmp_path / "secret").write_text("k" * 48)
    config = tmp_path / "fpcds.toml"
    config.write_text(f"""
[app]
public_url = "http://127.0.0.1:{port}"
instance_dir = "{tmp_path / 'instance'}"
secret_key_file = "{tmp_path / 'secret'}"

[[tenants]]
name = "Test EHR"
iss = "{ISS}"
client_id = "fpcds-test"
auth_method = "public"
""")
    proc = subprocess.Popen([sys.executable, "-m", "plugin.cli", "serve", "--config", str(config),
                             "--bind", f"127.0.0.1:{port}", "--workers", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert first.strip() == ("fpcds serve: warning: with 2 worker processes live-capture biofeedback reaches the "
                             "physician's page only when the agent and the page are served by the same worker; use "
                             "--workers 1 for live capture")


def test_stopping_the_broker_ends_open_streams_at_once(app):
    doc = Physician(app)
    launch = doc.launch()
    capture_id = doc.start(launch)
    app.config["CAPTURE_SSE_HEARTBEAT_S"] = 60.0
    resp = doc.client.get(f"/capture/assessments/{capture_id}/biofeedback?launch={launch.id}", buffered=False)
    chunks = iter(resp.response)
    assert next(chunks) == b"retry: 2000\n\n"  # subscribed
    ended = threading.Event()
    reader = threading.Thread(target=lambda: (list(chunks), ended.set()), daemon=True)
    reader.start()
    from plugin.capture import close_streams

    assert close_streams(app) == 1
    assert ended.wait(5), "the event stream did not end"
    with app.app_context():
        with capture_state().broker.subscribe("later") as late:
            assert late.closed  # a stopping server opens no new streams
