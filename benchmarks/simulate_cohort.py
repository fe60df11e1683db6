"""Benchmark: ``fpcds simulate --patients N`` wall time, peak memory, repeatability, inspectability.

    .venv/bin/python benchmarks/simulate_cohort.py [--patients 200] [--seed 1]

Prints JSON: seconds and peak RSS of two identical runs, whether they are
byte-identical, the cohort's size on disk, and the time for ``fpcds inspect``
to read every session it wrote (content hashes verified).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FPCDS = [sys.executable, "-m", "plugin.cli"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS of the child in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dirs = [Path(tmp) / "a", Path(tmp) / "b"]
        runs = [timed(FPCDS + ["simulate", "--out", str(d), "--patients", str(args.patients), "--seed",
                               str(args.seed)]) for d in dirs]
        names = sorted(p.name for p in dirs[0].iterdir())
        identical = names == sorted(p.name for p in dirs[1].iterdir()) and all(
            filecmp.cmp(dirs[0] / n, dirs[1] / n, shallow=False) for n in names)
        sessions = [str(dirs[0] / n) for n in names if n.endswith(".fpcds")]
        inspect_s, _ = timed(FPCDS + ["inspect", "--json", "--verify", *sessions])
        size_mb = sum((dirs[0] / n).stat().st_size for n in names) / 1e6
    print(json.dumps({
        "patients": args.patients,
        "simulate_seconds": [round(s, 2) for s, _ in runs],
        "simulate_peak_rss_mb": round(max(m for _, m in runs), 1),
        "byte_identical": identical,
        "cohort_size_mb": round(size_mb, 1),
        "inspect_all_verified_seconds": round(inspect_s, 2),
        "sessions_inspected": len(sessions),
    }, indent=2))


if __name__ == "__main__":
    main()
