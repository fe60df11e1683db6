"""Benchmark: convert a long EDF+ recording to a native session in bounded memory.

Usage::

    .venv/bin/python benchmarks/edf_long.py [--hours 24] [--channels 8] [--sfreq 2000] [--workdir DIR] [--keep]

1. Writes a real EDF+ file with pyedflib (not with fpcds' writer): ``channels``
   Fridlund-labelled EMG signals at ``sfreq`` Hz for ``hours`` hours, 16-bit,
   1-s data records, band-passed noise with periodic contractions, and task
   annotations every 10 minutes.
2. Runs ``fpcds convert FILE --out FILE.fpcds`` in a child process and samples
   its memory every 0.1 s from /proc: peak resident set (``VmHWM``), peak
   anonymous memory (``RssAnon``: heap and arrays, what "bounded memory" is
   about) and peak file-backed resident memory (``RssFile``: pages of the
   memory-mapped arrays, which the kernel reclaims under pressure).
3. Checks the output: sample count, and values at random positions against
   pyedflib.

The numbers printed are the report; nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LABELS = ("Zyg li", "Zyg re", "OrbOc li", "OrbOc re", "lat Front li", "lat Front re", "DAO li", "DAO re",
          "OrbOr li", "OrbOr re", "Ment li", "Ment re")


def write_long_edf(path: Path, *, hours: float, channels: int, sfreq: int) -> None:
    """A long EDF+ made block by block with pyedflib (bounded memory)."""
    import pyedflib
    from scipy.signal import butter, sosfiltfilt

    rng = np.random.default_rng(2024)
    template_s = 60
    sos = butter(4, [20, 450], "bandpass", fs=sfreq, output="sos")
    template = sosfiltfilt(sos, rng.standard_normal((channels, template_s * sfreq)), axis=1)
    template *= 5.0 / template.std()  # ~5 uV at rest
    envelope = np.ones(template_s * sfreq)
    envelope[10 * sfreq : 13 * sfreq] = 30.0  # a 3-s contraction every minute
    digital = np.round(template * envelope / 5000.0 * 32767).astype(np.int16)
    writer = pyedflib.EdfWriter(str(path), channels, pyedflib.FILETYPE_EDFPLUS)
    writer.setSignalHeaders([
        {"label": LABELS[i], "dimension": "uV", "sample_frequency": sfreq, "physical_max": 5000.0,
         "physical_min": -5000.0, "digital_max": 32767, "digital_min": -32767, "transducer": "surface EMG",
         "prefilter": "HP:20Hz LP:450Hz"}
        for i in range(channels)
    ])
    n_records = int(hours * 3600)
    for r in range(n_records):
        k = r % template_s
        writer.blockWriteDigitalShortSamples(np.ascontiguousarray(digital[:, k * sfreq : (k + 1) * sfreq]).reshape(-1))
    for minute in range(0, n_records // 60, 10):
        writer.writeAnnotation(minute * 60 + 10.0, -1, "smile_open/start")
        writer.writeAnnotation(minute * 60 + 13.0, -1, "smile_open/end")
    writer.close()


def _memory(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def convert(edf: Path, out: Path) -> dict[str, float]:
    """Run ``fpcds convert`` in a child process; wall time and memory peaks."""
    cmd = [sys.executable, "-m", "plugin.cli", "convert", str(edf), "--out", str(out), "--force"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    peaks = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while proc.poll() is None:
            for key, value in _memory(proc.pid).items():
                if key in peaks:
                    peaks[key] = max(peaks[key], value)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"convert failed ({proc.returncode}): {stderr.strip()}")
    print(stdout.strip())
    return {"seconds": elapsed, **{k: float(v) for k, v in peaks.items()}}


def check(edf: Path, out: Path, channels: int) -> None:
    import pyedflib

    sys.path.insert(0, str(ROOT))
    from acquisition.native import read_session

    session = read_session(out)
    rng = np.random.default_rng(0)
    with pyedflib.EdfReader(str(edf)) as reader:
        assert session.emg.n_samples == reader.getNSamples()[0]
        for pos in rng.integers(0, session.emg.n_samples - 100, 5):
            for ch in range(channels):
                expected = reader.readSignal(ch, int(pos), 100) * 1e-6
                np.testing.assert_allclose(session.emg.data[ch, pos : pos + 100], expected, rtol=1e-5, atol=1e-12)
    print(f"output checked: {session.emg.n_samples} samples x {channels} channels, "
          f"{len(session.segments)} segments, {len(session.quality)} quality findings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--channels", type=int, default=8, choices=range(1, len(LABELS) + 1))
    parser.add_argument("--sfreq", type=int, default=2000)
    parser.add_argument("--workdir", type=Path,
                        help="where the EDF and the session go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the files")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="fpcds-edf-long-"))
    work.mkdir(parents=True, exist_ok=True)
    edf = work / f"long_{args.hours:g}h_{args.channels}ch_{args.sfreq}Hz.edf"
    out = edf.with_suffix(".fpcds")
    try:
        if not edf.exists():
            start = time.perf_counter()
            write_long_edf(edf, hours=args.hours, channels=args.channels, sfreq=args.sfreq)
            print(f"wrote {edf} ({edf.stat().st_size / 1024**3:.2f} GiB) in {time.perf_counter() - start:.1f} s")
        result = convert(edf, out)
        gib = 1024**3
        print(
            f"convert: {result['seconds']:.1f} s wall; peak RSS {result['VmHWM'] / gib:.2f} GiB "
            f"(anonymous {result['RssAnon'] / gib:.3f} GiB, file-backed {result['RssFile'] / gib:.2f} GiB); "
            f"session file {out.stat().st_size / gib:.2f} GiB"
        )
        check(edf, out, args.channels)
    finally:
        if not args.keep:
            shutil.rmtree(work) if args.workdir is None else [p.unlink() for p in (edf, out) if p.exists()]
    return 0


if __name__ == "__main__":
    sys.exit(main())
