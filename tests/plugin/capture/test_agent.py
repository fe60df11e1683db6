"""The capture agent against a real loopback server: pairing, interrupted uploads, live biofeedback (SSE)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import stat
import threading
import time

import pytest

from acquisition.capture_agent import AgentError, CaptureAgent, FeedbackSender, Pairing
from acquisition.native import read_session, write_session
from tests.acquisition.lsl.helpers import Publisher, identifiable_session
from tests.factories import tiny_session

from .helpers import ASSESSMENT, LoopbackServer, make_app


class FlakyProxy:
    """WSGI middleware that loses some answers the way a proxy or a network does."""

    def __init__(self, app, *, fail_before: set[int], lose_after: set[int]) -> None:
        self.app = app
        self.fail_before = fail_before  # n-th chunk PUT: 503 without reaching the app
        self.lose_after = lose_after  # n-th chunk PUT: reaches the app, answer replaced by 502
        self.puts: list[str] = []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PUT":
            self.puts.append(environ["PATH_INFO"].rsplit("/", 1)[1])
            n = len(self.puts)
            if n in self.fail_before:
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [b'{"error": "upstream busy"}']
            if n in self.lose_after:
                body = b"".join(self.app(environ, lambda *a, **k: None))
                assert body
                start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
                return [b"gateway timeout"]
        return self.app(environ, start_response)


def _code(app):
    return app.test_client().post(f"/capture/assessments/{ASSESSMENT}/pairing").json["code"]


def test_upload_survives_lost_requests_and_lost_answers(tmp_path):
    app = make_app(tmp_path, CAPTURE_CHUNK_BYTES=8192)
    proxy = FlakyProxy(app.wsgi_app, fail_before={2, 5}, lose_after={3})
    app.wsgi_app = proxy
    path = tmp_path / "s.fpcds"
    write_session(tiny_session(), path)
    size = path.stat().st_size
    with LoopbackServer(app) as server:
        agent = CaptureAgent(server.url, backoff_s=0.01)
        pairing = agent.pair(_code(app), agent_name="ws-1")
        progress = []
        result = agent.upload(path, pairing, progress=lambda done, total: progress.append(done))
        assert agent.upload(path, pairing) == result  # uploading again changes nothing
    assert result["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    offsets = [int(o) for o in proxy.puts]
    # 503 before the app: resent; answer lost after storing: resent and accepted once; 503 again: resent
    assert offsets[:7] == [0, 8192, 8192, 8192, 16384, 16384, 24576]
    assert progress[-1] == size
    (aid, stored, info), = app.extensions["test_uploads"]
    assert aid == ASSESSMENT and stored.read_bytes() == path.read_bytes()


def test_pairing_file_is_private_and_resumes_an_upload(tmp_path):
    app = make_app(tmp_path, CAPTURE_CHUNK_BYTES=8192)
    path = tmp_path / "s.fpcds"
    write_session(tiny_session(), path)
    with LoopbackServer(app) as server:
        pairing = CaptureAgent(server.url).pair(_code(app))
        saved = tmp_path / "s.fpcds.pairing.json"
        pairing.save(saved)
        assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
        assert "token" not in repr(pairing) and pairing.token not in repr(pairing)
        # a first agent sends two chunks, then "crashes"
        client = app.test_client()
        auth = {"Authorization": f"Bearer {pairing.token}"}
        data = path.read_bytes()
        up = client.post("/capture/uploads", json={"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
                         headers=auth).json
        for offset in (0, 8192):
            chunk = data[offset: offset + 8192]
            client.put(f"/capture/uploads/{up['upload_id']}/chunks/{offset}", data=chunk,
                       headers={**auth, "X-Chunk-SHA256": hashlib.sha256(chunk).hexdigest()})
        from plugin.cli import main

        assert main(["capture", "upload", str(path), "--pairing", str(saved)]) == 0
    assert app.extensions["test_uploads"][0][1].read_bytes() == data


def test_agent_errors_name_the_problem(tmp_path):
    app = make_app(tmp_path)
    with LoopbackServer(app) as server:
        with pytest.raises(AgentError, match=r"capture server refused POST /capture/pair \(403\): pairing code not "
                                             "recognised"):
            CaptureAgent(server.url).pair("AAA-AAAAAA")
        port = server.server.server_port
    with pytest.raises(AgentError, match=f"cannot reach the capture server http://127.0.0.1:{port}"):
        CaptureAgent(f"http://127.0.0.1:{port}", retries=2, backoff_s=0.01).pair("AAA-AAAAAA")
    with pytest.raises(AgentError, match="is not HTTPS; plain HTTP is only allowed to a loopback address"):
        CaptureAgent("http://plugin.hospital.example")
    with pytest.raises(AgentError, match="is not an http\\(s\\) URL"):
        CaptureAgent("ftp://x")
    with pytest.raises(AgentError, match="missing.fpcds: cannot be read"):
        CaptureAgent("https://plugin.example").upload(tmp_path / "missing.fpcds",
                                                      Pairing("https://plugin.example", "c", "t", "", 1, 10))


class SseClient:
    """Reads server-sent events from a real socket in a thread."""

    def __init__(self, url: str, path: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=20)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.events: list[tuple[float, dict]] = []
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        import pylsl

        event, buffer = None, b""
        try:
            while True:
                data = self.response.read1(65536)  # what has arrived, without waiting for a full buffer
                if not data:
                    return
                arrived = pylsl.local_clock()
                buffer += data
                *lines, buffer = buffer.split(b"\n")
                for line in (raw.decode() for raw in lines):
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "biofeedback":
                        self.events.append((arrived, json.loads(line[6:])))
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self.error = exc

    def wait_for(self, n: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self.events) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.events) >= n

    def close(self) -> None:
        self.conn.close()


def test_feedback_frames_reach_the_physicians_event_stream(tmp_path):
    app = make_app(tmp_path)
    with LoopbackServer(app) as server:
        sse = SseClient(server.url, f"/capture/assessments/{ASSESSMENT}/biofeedback")
        assert sse.response.status == 200 and sse.response.getheader("Content-Type").startswith("text/event-stream")
        agent = CaptureAgent(server.url)
        sender = FeedbackSender(agent, agent.pair(_code(app)))
        time.sleep(0.2)  # the subscription is registered once the stream starts
        for i in range(3):
            sender.submit({"t": i, "emg": []})
            # the sender keeps only the newest frame (biofeedback must not lag):
            # wait for each frame to go out so that none is superseded under load
            deadline = time.monotonic() + 10
            while sender.sent < i + 1 and time.monotonic() < deadline:
                time.sleep(0.01)
        sender.close()
        assert sse.wait_for(3, 5), sse.events
        sse.close()
    assert [frame["t"] for _, frame in sse.events] == [0, 1, 2]
    assert sender.sent == 3 and sender.failed == 0


def test_capture_command_pairs_streams_biofeedback_and_uploads(tmp_path, capsys):
    from plugin.cli import main

    app = make_app(tmp_path)
    with LoopbackServer(app) as server, Publisher.for_session(identifiable_session(20), tmp_path) as pub:
        sse = SseClient(server.url, f"/capture/assessments/{ASSESSMENT}/biofeedback")
        out = tmp_path / "remote.fpcds"
        code = main(["capture", "--seconds", "2", "--out", str(out), "--server", server.url, "--code", _code(app),
                     "--emg", f"{pub.source_id}-emg", "--motion", f"{pub.source_id}-motion", "--markers", "none",
                     "--wait", "0.5"])
        assert code == 0
        assert sse.wait_for(3, 10), (len(sse.events), sse.error)
        sse.close()
    printed = capsys.readouterr().out
    assert "paired with the assessment" in printed and "uploaded to the assessment" in printed
    assert not (tmp_path / "remote.fpcds.pairing.json").exists()
    (aid, stored, info), = app.extensions["test_uploads"]
    assert aid == ASSESSMENT and stored.read_bytes() == out.read_bytes()
    assert read_session(stored, verify=True).duration == pytest.approx(2.0, abs=0.1)
    latencies = [received - frame["lsl_time"] for received, frame in sse.events]
    frame = sse.events[-1][1]
    assert frame["emg"][0]["muscle"] == "zygomaticus" and frame["symmetry"]["overall"] == 1.0
    assert 0 < sorted(latencies)[len(latencies) // 2] < 2.0  # generous: shared test machine; see benchmarks
