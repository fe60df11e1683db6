"""Long fuzzing run of the session readers (not part of the default tests).

Usage::

    .venv/bin/python benchmarks/fuzz_readers.py [--examples N] [--formats xdf edf c3d csv] [--memory-gib G]

Mutates real and written seed files (tests/acquisition/readers/fuzzing.py)
with hypothesis and checks that each reader returns a valid Session or one
FpcdsError naming the file. The process runs under an address-space limit,
so a reader that tries to load a corrupt file's declared size fails loudly
(MemoryError) instead of swapping. Prints per-format outcome counts and the
slowest case; exits 1 on the first contract breach (hypothesis prints the
shrunk failing mutation).
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000,
                        help="examples per format (C3D: a fifth, it spawns a parser)")
    parser.add_argument("--formats", nargs="+", default=["xdf", "edf", "csv", "c3d"])
    parser.add_argument("--memory-gib", type=float, default=4.0, help="address-space limit of this process")
    args = parser.parse_args(argv)

    limit = int(args.memory_gib * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import acquisition.readers.c3d as c3d_reader
    from tests.acquisition.readers.fuzzing import check_mutant, mutations, seed_files

    c3d_reader.PARSE_TIMEOUT_S = 10.0
    work = Path(tempfile.mkdtemp(prefix="fpcds-fuzz-"))
    seeds = seed_files(work / "seeds")
    status = 0
    for fmt in args.formats:
        outcomes: collections.Counter[str] = collections.Counter()
        slowest = (0.0, "")
        examples = max(1, args.examples // 5) if fmt == "c3d" else args.examples

        @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def property_(data):
            nonlocal slowest
            seed = data.draw(st.sampled_from(seeds[fmt]))
            ops = data.draw(mutations(seed.stat().st_size))
            start = time.perf_counter()
            outcomes[check_mutant(fmt, seed, ops, work)] += 1
            elapsed = time.perf_counter() - start
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{seed.name} {ops}")

        start = time.perf_counter()
        try:
            property_()
        except Exception as exc:  # report the contract breach and go on with the other formats
            print(f"{fmt}: FAILED: {type(exc).__name__}: {exc}")
            status = 1
        total = time.perf_counter() - start
        print(f"{fmt}: {sum(outcomes.values())} cases in {total:.1f} s {dict(outcomes)}; slowest {slowest[0]:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
