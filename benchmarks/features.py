"""Feature-extraction benchmarks: a standard 3-minute session, NeuroKit2 side by side, and a 72-hour recording.

Run from the repository root::

    .venv/bin/python benchmarks/features.py [--hours 72] [--workdir DIR] [--repeat 5]
                                            [--skip-long] [--skip-neurokit] [--json OUT]

Cases, each in a fresh process so that peak memory (VmHWM) is per case:

* ``session``: a simulated standard session (acquisition.simulate: 3 x 10
  tasks, 3 s hold + 3 s pause, 183 s; 8 sEMG channels at 2 kHz and the
  478-point face mesh at 60 Hz). Times :func:`models.features.extract_features`
  whole, and its sEMG and motion parts alone, as wall time and as the
  process's CPU time (the machine is shared: under load, wall time includes
  waiting for a core). The first call in a process (filter responses not
  cached yet) is reported separately from the median of ``--repeat`` calls.
  Target: sEMG features >= 1000 x real time.
* ``neurokit``: ``neurokit2.emg_process`` on the same 8 channels (one call
  per channel), for comparison only - NeuroKit2 is not a dependency of
  fpcds; install it into the venv for this case.
* ``generate`` + ``stream``: a native session file of ``--hours`` hours
  (default 72) of 8-channel 2 kHz sEMG (16.6 GB of float32 for 72 h; the
  raw array is written first, then the native file: ~2x the size on disk
  while generating) with a rest + smile protocol at the start and
  involuntary bursts outside it at known times (left orbicularis oculi and
  zygomaticus together 12/h, right zygomaticus alone 20/h); then
  :func:`models.features.stream_emg_features` on the memory-mapped file.
  Reports wall time, throughput, peak memory and the episode counts against
  the truth. Target: 72 h in <= 5 min with <= 512 MB. When ``--hours`` is
  below 72 the time is extrapolated linearly (and said so).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FS = 2000.0
MUSCLES = ("zygomaticus", "orbicularis_oculi", "frontalis_lateral", "orbicularis_oris")
COACT_PER_H = 12  # left orbicularis oculi + zygomaticus together
SOLO_PER_H = 20  # right zygomaticus alone
BURST_S = 0.8
BURST_V = 40e-6
FLOOR_V = 2e-6
PROTOCOL_S = 40.0


def _peak_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------- 3-minute session
def _standard_session():
    from acquisition.simulate import SimulationOptions, make_patient, simulate_session

    patient = make_patient(condition="bell", affected_side="left", onset_severity=0.6, days_since_onset=20, seed=5)
    options = SimulationOptions(motion_sfreq=60.0, hold_s=3.0, rest_s=3.0, lead_in_s=0.0)
    session = simulate_session(patient, seed=5, options=options)
    return session.select(muscles=MUSCLES)


def case_session(repeat: int) -> dict:
    import numpy as np

    from models.features import extract_features
    from models.features.emg_measures import emg_measures
    from models.features.motion_measures import motion_measures
    from models.features.record import Recorder

    session = _standard_session()
    duration = session.duration
    parts = {
        "emg": lambda: emg_measures(session, recorder=Recorder()),
        "motion": lambda: motion_measures(session, recorder=Recorder()),
        "all": lambda: extract_features(session),
    }
    out = {"duration_s": duration, "emg_channels": len(session.emg.channels), "emg_sfreq_hz": session.emg.sfreq,
           "motion_points": session.motion.n_points, "motion_sfreq_hz": session.motion.sfreq}
    for name, run in parts.items():
        t = time.perf_counter()
        run()
        cold = time.perf_counter() - t
        times, cpu = [], []
        for _ in range(repeat):
            t, c = time.perf_counter(), time.process_time()
            run()
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        warm, warm_cpu = float(np.median(times)), float(np.median(cpu))
        out[name] = {"cold_s": cold, "median_s": warm, "x_realtime": duration / warm,
                     "x_realtime_cold": duration / cold, "median_cpu_s": warm_cpu,
                     "x_realtime_cpu": duration / warm_cpu}
    out["peak_mb"] = _peak_mb()
    return out


def case_neurokit(repeat: int) -> dict:
    import numpy as np

    try:
        import neurokit2 as nk
    except ImportError:
        return {"skipped": "neurokit2 is not installed (pip install neurokit2 into the venv for this case)"}
    session = _standard_session()
    data = np.asarray(session.emg.data, dtype=np.float64)
    times, cpu = [], []
    for _ in range(max(1, repeat)):
        t, c = time.perf_counter(), time.process_time()
        for row in data:
            nk.emg_process(row, sampling_rate=int(session.emg.sfreq))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    warm, warm_cpu = float(np.median(times)), float(np.median(cpu))
    return {"version": nk.__version__, "median_s": warm, "x_realtime": session.duration / warm,
            "median_cpu_s": warm_cpu, "x_realtime_cpu": session.duration / warm_cpu, "peak_mb": _peak_mb()}


# ------------------------------------------------------------------ long recording
def _burst_times(hours: float, seed: int) -> dict[str, list[float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    total = hours * 3600.0
    out = {}
    for name, rate, offset in (("coact", COACT_PER_H, 0.0), ("solo", SOLO_PER_H, 0.37)):
        period = 3600.0 / rate
        starts = PROTOCOL_S + offset * period + np.arange(int((total - PROTOCOL_S) / period)) * period
        starts = starts + rng.uniform(0, period - 2 * BURST_S - 1.0, starts.size)
        out[name] = [float(s) for s in starts if s + BURST_S < total - 1.0]
    return out


def case_generate(path: str, hours: float, seed: int) -> dict:
    """Write the long native session and its truth (``path + '.truth.json'``)."""
    import numpy as np
    from scipy import signal

    from acquisition.native import write_session
    from acquisition.session import EmgBlock, EmgChannel, Segment, Session, Subject

    n = int(round(hours * 3600 * FS))
    work = Path(path).parent
    raw_path = work / "raw.npy"
    raw = np.lib.format.open_memmap(raw_path, mode="w+", dtype=np.float32, shape=(2 * len(MUSCLES), n))
    bursts = _burst_times(hours, seed)
    segments = [Segment("rest", 2.0, 8.0)] + [Segment("smile_open", 10.0 + 6 * k, 13.0 + 6 * k, k + 1)
                                               for k in range(3)]
    channels = tuple(EmgChannel(f"{m} {s}", m, s) for s in ("left", "right") for m in MUSCLES)
    shaping = signal.butter(2, [30, 300], btype="bandpass", fs=FS, output="sos")
    block = int(600 * FS)
    t_start = time.perf_counter()
    for row, ch in enumerate(channels):
        rng = np.random.default_rng([seed, row])
        events = []
        if ch.side == "left" and ch.muscle in ("orbicularis_oculi", "zygomaticus"):
            events = bursts["coact"]
        if ch.side == "right" and ch.muscle == "zygomaticus":
            events = bursts["solo"]
        tasks = [(s.start, s.end, 30e-6 if ch.side == "left" else 60e-6) for s in segments
                 if s.task == "smile_open" and ch.muscle == "zygomaticus"]
        zi = np.zeros((shaping.shape[0], 2))
        ev = np.asarray(events)
        for b0 in range(0, n, block):
            b1 = min(n, b0 + block)
            t = (b0 + np.arange(b1 - b0)) / FS
            noise, zi = signal.sosfilt(shaping, rng.standard_normal(b1 - b0), zi=zi)
            amp = np.full(b1 - b0, FLOOR_V / 0.52)  # shaped noise has RMS ~0.52
            lo, hi = np.searchsorted(ev, (b0 / FS - BURST_S, b1 / FS)) if ev.size else (0, 0)
            for s in ev[lo:hi]:
                amp[(t >= s) & (t < s + BURST_S)] += BURST_V / 0.52
            for s, e, a in tasks:
                amp[(t >= s) & (t < e)] += a / 0.52
            x = amp * noise + 3e-6 * np.sin(2 * np.pi * 50 * t) + 1e-6 * np.sin(2 * np.pi * 150 * t)
            raw[row, b0:b1] = x
    raw.flush()
    generated = time.perf_counter() - t_start
    session = Session(emg=EmgBlock(raw, FS, channels), segments=tuple(segments), subject=Subject(age=60))
    t = time.perf_counter()
    digest = write_session(session, path)
    written = time.perf_counter() - t
    del raw, session
    os.unlink(raw_path)
    truth = {"coactivation_left": len(bursts["coact"]), "zygomaticus_left": len(bursts["coact"]),
             "orbicularis_oculi_left": len(bursts["coact"]), "zygomaticus_right": len(bursts["solo"])}
    Path(path + ".truth.json").write_text(json.dumps(truth))
    return {"hours": hours, "bytes": os.path.getsize(path), "generate_s": generated, "write_session_s": written,
            "content_sha256": digest, "truth": truth}


def case_stream(path: str) -> dict:
    from acquisition.native import read_session
    from models.features import stream_emg_features

    t, c = time.perf_counter(), time.process_time()
    session = read_session(path)
    table = stream_emg_features(session)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    side = {"left": "affected" if table.affected_side == "left" else "healthy",
            "right": "affected" if table.affected_side == "right" else "healthy"}
    got = {
        "coactivation_left": table[f"emg.orbicularis_oculi-zygomaticus.coactivation_episodes_{side['left']}"
                                   ".outside_tasks"],
        "zygomaticus_left": table[f"emg.zygomaticus.activation_episodes_{side['left']}.outside_tasks"],
        "orbicularis_oculi_left": table[f"emg.orbicularis_oculi.activation_episodes_{side['left']}.outside_tasks"],
        "zygomaticus_right": table[f"emg.zygomaticus.activation_episodes_{side['right']}.outside_tasks"],
    }
    hours = session.duration / 3600
    return {"hours": hours, "wall_s": wall, "cpu_s": cpu, "x_realtime": session.duration / wall,
            "samples_per_s": session.emg.n_samples * len(session.emg.channels) / wall, "peak_mb": _peak_mb(),
            "episodes": got, "affected_side": f"{table.affected_side} ({table.affected_side_source})",
            "notches_hz": table.record.parameters.get("emg.notch_hz"), "warnings": [w.code for w in table.warnings]}


# ------------------------------------------------------------------------ driver
def _run_case(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"case {args[0]} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=72.0, help="length of the long recording, h (default 72)")
    p.add_argument("--workdir", default=None, help="where the long recording is written (default: a temp dir)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip-long", action="store_true")
    p.add_argument("--skip-neurokit", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep the long recording file")
    p.add_argument("--json", default=None, help="also write the results here")
    p.add_argument("--case", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.case:
        name, *rest = args.case
        result = {"session": lambda: case_session(args.repeat), "neurokit": lambda: case_neurokit(1),
                  "generate": lambda: case_generate(rest[0], float(rest[1]), int(rest[2])),
                  "stream": lambda: case_stream(rest[0])}[name]()
        print(json.dumps(result))
        return 0

    results: dict = {}
    s = results["session"] = _run_case("session")
    print(f"standard session: {s['duration_s']:.0f} s, {s['emg_channels']} sEMG channels at "
          f"{s['emg_sfreq_hz']:g} Hz + {s['motion_points']} points at {s['motion_sfreq_hz']:g} Hz")
    load = os.getloadavg()[0]
    print(f"  (load average {load:.1f} on {os.cpu_count()} cores: wall times include waiting for a core; "
          f"CPU time is this process's own)")
    for part in ("emg", "motion", "all"):
        r = s[part]
        print(f"  {part:<7} median wall {r['median_s'] * 1000:6.0f} ms = {r['x_realtime']:5.0f} x real time; "
              f"CPU {r['median_cpu_s'] * 1000:5.0f} ms = {r['x_realtime_cpu']:5.0f} x; "
              f"first call {r['cold_s'] * 1000:.0f} ms")
    print(f"  peak memory {s['peak_mb']:.0f} MB; target sEMG >= 1000 x real time: wall "
          f"{'met' if s['emg']['x_realtime'] >= 1000 else 'NOT met'}, CPU "
          f"{'met' if s['emg']['x_realtime_cpu'] >= 1000 else 'NOT met'}")
    if not args.skip_neurokit:
        nk = results["neurokit"] = _run_case("neurokit")
        if "skipped" in nk:
            print(f"neurokit2: skipped ({nk['skipped']})")
        else:
            ratio = nk["median_s"] / s["emg"]["median_s"]
            ratio_cpu = nk["median_cpu_s"] / s["emg"]["median_cpu_s"]
            results["neurokit"].update(ratio_vs_fpcds_emg=ratio, ratio_vs_fpcds_emg_cpu=ratio_cpu)
            print(f"neurokit2 {nk['version']} emg_process, same 8 channels: wall {nk['median_s']:.1f} s, CPU "
                  f"{nk['median_cpu_s']:.1f} s = {nk['x_realtime_cpu']:.1f} x real time; fpcds sEMG features "
                  f"take {ratio:.0f} x less wall time, {ratio_cpu:.0f} x less CPU time")
    if not args.skip_long:
        work = Path(args.workdir or tempfile.mkdtemp(prefix="fpcds-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        need = 2 * args.hours * 3600 * FS * 2 * len(MUSCLES) * 4
        free = shutil.disk_usage(work).free
        if need > 0.9 * free:
            raise SystemExit(f"{work}: the {args.hours:g} h recording needs {need / 1e9:.1f} GB while generating; "
                             f"{free / 1e9:.1f} GB free - use --hours with a smaller value (results are extrapolated)")
        path = str(work / f"long-{args.hours:g}h.fpcds")
        try:
            g = results["generate"] = _run_case("generate", path, str(args.hours), str(args.seed))
            print(f"long recording: {args.hours:g} h, {g['bytes'] / 1e9:.1f} GB native file "
                  f"(generated in {g['generate_s']:.0f} s, written in {g['write_session_s']:.0f} s)")
            r = results["stream"] = _run_case("stream", path)
            scale = 72.0 / r["hours"]
            r["extrapolated_72h_s"] = r["wall_s"] * scale
            note = "" if abs(scale - 1) < 1e-6 else f" (extrapolated linearly from {r['hours']:g} h)"
            print(f"  streamed in {r['wall_s']:.1f} s (CPU {r['cpu_s']:.1f} s) = {r['x_realtime']:.0f} x real time, "
                  f"{r['samples_per_s'] / 1e6:.1f} M samples/s, peak memory {r['peak_mb']:.0f} MB")
            print(f"  72 h: {r['extrapolated_72h_s']:.0f} s{note}; targets <= 300 s and <= 512 MB: "
                  f"{'met' if r['extrapolated_72h_s'] <= 300 and r['peak_mb'] <= 512 else 'NOT met'}")
            print("  episodes found / true: " + ", ".join(
                f"{k} {r['episodes'][k]:.0f}/{g['truth'][k]}" for k in g["truth"]))
        finally:
            if not args.keep:
                for f in (path, path + ".truth.json", str(work / "raw.npy")):
                    if os.path.exists(f):
                        os.unlink(f)
                if args.workdir is None:
                    shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
