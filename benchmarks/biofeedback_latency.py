"""End-to-end biofeedback latency and CPU use of the capture process.

Pipeline, all real and on this machine:

1. a publisher process streams EMG (8 channels x 2 kHz, 5 ms chunks) and a
   478-point face mesh (30 Hz) over LSL, stamping each sample with the time
   it is due;
2. ``fpcds capture --server URL --code CODE`` (a separate process) records
   them, computes biofeedback frames (left/right RMS per muscle, landmark
   symmetry; :mod:`acquisition.lsl_biofeedback`) and posts each to the plugin;
3. the plugin (the capture blueprint on werkzeug's threaded server, in this
   process) relays them as server-sent events;
4. an SSE client (this process) notes when each frame arrives.

Latency = arrival time - LSL time of the newest EMG sample in the frame (all
clocks are this machine's monotonic clock). CPU = user + system time of the
capture process while it records (from /proc), as a percentage of one core.

Run from the repository root::

    .venv/bin/python benchmarks/biofeedback_latency.py [--seconds 20]

Target: latency <= 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
from flask import Flask
from werkzeug.serving import make_server

from acquisition.face_mesh import neutral_face
from acquisition.native import write_session
from acquisition.session import EmgBlock, EmgChannel, MotionBlock, Session
from plugin.capture import init_app

ROOT = Path(__file__).resolve().parents[1]
MUSCLES = ("frontalis_medial", "orbicularis_oculi", "zygomaticus", "depressor_anguli_oris")
TICKS = os.sysconf("SC_CLK_TCK")


def make_session(seconds: float) -> Session:
    fs, fps = 2000.0, 30.0
    n, frames = int(seconds * fs), int(seconds * fps)
    rng = np.random.default_rng(3)
    envelope = 1 + 4 * (np.sin(2 * np.pi * 0.2 * np.arange(n) / fs) > 0.6)
    emg = (rng.standard_normal((8, n)) * 2e-5 * envelope).astype(np.float32)
    channels = tuple(EmgChannel(f"{m}-{s}", m, s) for m in MUSCLES for s in ("left", "right"))
    face = np.repeat(neutral_face()[None].astype(np.float32), frames, axis=0)
    face += rng.normal(0, 0.05, face.shape).astype(np.float32)
    return Session(emg=EmgBlock(emg, fs, channels), motion=MotionBlock(face, fps, "mediapipe478"))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class SseReader(threading.Thread):
    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.latencies: list[float] = []

    def run(self) -> None:
        import pylsl

        buffer, event = b"", None
        try:
            while data := self.response.read1(65536):
                arrived = pylsl.local_clock()
                buffer += data
                *lines, buffer = buffer.split(b"\n")
                for line in (raw.decode() for raw in lines):
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "biofeedback":
                        self.latencies.append(arrived - json.loads(line[6:])["lsl_time"])
        except (OSError, http.client.HTTPException):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = Flask("bench", instance_path=str(folder))
        app.config.update(CAPTURE_DIR=str(folder / "capture"), CAPTURE_AUTHORIZE=lambda aid: True)
        init_app(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        code = app.test_client().post("/capture/assessments/bench/pairing").json["code"]
        session_path = folder / "published.fpcds"
        write_session(make_session(args.seconds + 30), session_path)
        sid = f"bench-bf-{uuid.uuid4().hex[:8]}"
        publisher = subprocess.Popen(
            [sys.executable, "-m", "acquisition.lsl_publish", str(session_path), "--stream", "emg", "--stream",
             "motion", "--source-id", sid, "--name", sid, "--start-wall", repr(time.time() + 1.0)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        assert publisher.stdout.readline().strip() == "ready"
        sse = SseReader(server.server_port, "/capture/assessments/bench/biofeedback")
        sse.start()
        capture = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "capture", "--seconds", str(args.seconds), "--out",
             str(folder / "captured.fpcds"), "--server", url, "--code", code, "--emg", f"{sid}-emg", "--motion",
             f"{sid}-motion", "--markers", "none", "--wait", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        started = time.time()
        for line in capture.stdout:
            if line.startswith("recording ") and " s (Ctrl-C" in line:
                break
        t0, c0, n0 = time.monotonic(), cpu_seconds(capture.pid), len(sse.latencies)
        time.sleep(max(1.0, args.seconds - 1.0))
        t1, c1, n1 = time.monotonic(), cpu_seconds(capture.pid), len(sse.latencies)
        tail = capture.stdout.read()
        _, status, usage = os.wait4(capture.pid, 0)
        capture.returncode = os.waitstatus_to_exitcode(status)
        capture.stdout.close()
        publisher.kill()
        publisher.wait()
        publisher.stdout.close()
        server.shutdown()
        if capture.returncode != 0:
            raise SystemExit(f"capture failed ({capture.returncode}): {tail}")
        lat = np.array(sse.latencies) * 1e3
        print(json.dumps({
            "streams": "EMG 8 ch x 2000 Hz (5 ms chunks) + face mesh 478 points x 30 Hz",
            "frames_received": int(lat.size),
            "frames_per_s": round((n1 - n0) / (t1 - t0), 1),
            "latency_ms": {"median": round(float(np.median(lat)), 2), "p95": round(float(np.percentile(lat, 95)), 2),
                           "p99": round(float(np.percentile(lat, 99)), 2), "max": round(float(lat.max()), 2)},
            "target_ms": 100.0,
            "capture_cpu_percent_of_one_core_while_recording": round(100 * (c1 - c0) / (t1 - t0), 1),
            "capture_process_total_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "capture_process_wall_s": round(time.time() - started, 2),
            "capture_process_max_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "load_average_1min": os.getloadavg()[0],
        }, indent=2))


if __name__ == "__main__":
    main()
