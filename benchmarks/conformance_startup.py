"""Benchmark of the conformance tooling: Maven builds, validator and FHIR server.

Measures (wall-clock; the machine's other load shows in the numbers):

* warm build: ``mvn -o package`` of each Java project in a fresh copy, with
  the local Maven repository already filled;
* cold build (``--cold``): the same with an empty Maven repository in a
  temporary directory, so everything is downloaded from Maven Central (a few
  hundred MB; not run by default);
* validator: start-up to ready, resident memory, time per resource when
  resources are validated one per request and all in one request;
* FHIR server: start-up to ready, resident memory after start and after
  transactions, time of a first and a repeated (conditional) transaction.

Run from the repository root::

    .venv/bin/python benchmarks/conformance_startup.py [--cold] [--rounds N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from conformance import build  # noqa: E402
from conformance.fhir_server import HapiFhirServer  # noqa: E402
from conformance.validator import FhirValidator  # noqa: E402
from tests.conformance.fhir_examples import GRADED_WRITE_BACK, load_examples, transaction  # noqa: E402

FHIR_JSON = {"Content-Type": "application/fhir+json"}


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def time_build(project: build.JavaProject, *, repo: Path | None) -> dict[str, Any]:
    """Build a fresh copy of ``project``; with ``repo``, into that (empty) Maven repository, online."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{project.name}-") as tmp:
        copy = Path(tmp) / project.name
        shutil.copytree(project.directory / "src", copy / "src")
        shutil.copy2(project.directory / "pom.xml", copy / "pom.xml")
        argv = ["mvn", "-B", "-q", "package"]
        argv += [f"-Dmaven.repo.local={repo}"] if repo is not None else ["-o"]
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=copy, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{project.name}: build failed:\n{done.stdout}{done.stderr}")
        return {"seconds": round(seconds, 1), "lib_mb": round(_dir_mb(copy / "target" / "lib"), 1)}


def bench_validator(rounds: int) -> dict[str, Any]:
    examples = list(load_examples().values())
    with FhirValidator() as validator:
        process = validator.process
        out: dict[str, Any] = {
            "startup_s": round(process.startup_s, 1),
            "rss_mb_after_start": round(process.rss_bytes() / 1e6),
        }
        single: list[float] = []
        for _ in range(rounds):
            for resource in examples:
                started = time.perf_counter()
                validator.validate(resource)
                single.append(time.perf_counter() - started)
        batch: list[float] = []
        for _ in range(rounds):
            started = time.perf_counter()
            validator.validate(examples)
            batch.append((time.perf_counter() - started) / len(examples))
        out.update(
            resources=len(examples),
            first_resource_ms=round(single[0] * 1000, 1),
            per_resource_ms_one_per_request=round(statistics.median(single) * 1000, 1),
            per_resource_ms_batched=round(statistics.median(batch) * 1000, 1),
            rss_mb_after_use=round(process.rss_bytes() / 1e6),
        )
        return out


def bench_server() -> dict[str, Any]:
    examples = load_examples()
    with HapiFhirServer() as server:
        process = server.process
        out: dict[str, Any] = {
            "startup_s": round(process.startup_s, 1),
            "rss_mb_after_start": round(process.rss_bytes() / 1e6),
        }
        for rid in ("patient-graded", "example-clinician"):
            resource = examples[rid]
            url = f"{server.base_url}/{resource['resourceType']}/{rid}"
            requests.put(url, json=resource, headers=FHIR_JSON, timeout=120).raise_for_status()
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            bundle = transaction(examples, GRADED_WRITE_BACK)
            response = requests.post(server.base_url, json=bundle, headers=FHIR_JSON, timeout=300)
            timings.append(time.perf_counter() - started)
            response.raise_for_status()
        out.update(
            transaction_entries=len(GRADED_WRITE_BACK),
            first_transaction_s=round(timings[0], 2),
            repeated_transaction_s=round(statistics.median(timings[1:]), 2),
            rss_mb_after_use=round(process.rss_bytes() / 1e6),
        )
        return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cold", action="store_true", help="also time builds with an empty Maven repository (downloads)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the examples for the validator timings")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)

    load = Path("/proc/loadavg").read_text().split()[:3]
    results: dict[str, Any] = {"load_average_at_start": load}
    for project in (build.VALIDATOR, build.FHIR_SERVER):
        build.build_jar(project)  # fills ~/.m2 and the target/ the services run from
        results[f"warm_build_{project.name}"] = time_build(project, repo=None)
        if args.cold:
            with tempfile.TemporaryDirectory(prefix="bench-m2-") as repo:
                cold = time_build(project, repo=Path(repo))
                cold["downloaded_mb"] = round(_dir_mb(Path(repo)), 1)
                results[f"cold_build_{project.name}"] = cold
    build.ensure_fhir_home()
    results["validator"] = bench_validator(args.rounds)
    results["fhir_server"] = bench_server()
    results["load_average_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
