"""Benchmark: writing one approved assessment back to a FHIR server (sekmet-fhir, the sandbox's server).

Run: ``.venv/bin/python -m benchmarks.writeback [--repeats 10]``

One simulated palsy is assessed with the shipped models and mapped to its
approved transaction Bundle (with the PDF-sized report left out: the
network payload is then the resources alone). Each repeat writes it for a
new patient: as one transaction (the app's default), then the retry check
that finds it complete (what a retry costs), and as sequential conditional
creates (the fallback for servers without transactions) for another new
patient. Prints JSON with medians and the ratios against the transaction,
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np
import requests


def _median_ms(times: list[float]) -> float:
    return round(float(np.median(np.array(times) * 1e3)), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    from acquisition.native import content_hash
    from acquisition.simulate import SimulationOptions, make_patient, simulate_session
    from models.features import extract_features
    from models.predict import assess_table
    from models.registry import load_models
    from plugin.fhir.client import FhirClient
    from plugin.fhir.mapping import Approval, assessment_bundle
    from plugin.fhir.writeback import write_bundle
    from plugin.sandbox.fhir_server import FhirServerProcess

    patient = make_patient(condition="bell", onset_severity=0.8, days_since_onset=3.0, age=55.0, seed=args.seed)
    session = simulate_session(patient, seed=args.seed, options=SimulationOptions(repetitions=1, rest_s=1.5))
    models = load_models()
    table = extract_features(session, session_id=content_hash(session))
    assessment = assess_table(table, models=models, modalities=session.modalities)
    cards = {k: m.card for k, m in models.models.items()}
    approval = Approval("Practitioner/bench", "2100-01-01T00:00:00+00:00")

    timings: dict[str, list[float]] = {"transaction": [], "retry_check": [], "sequential": []}
    with tempfile.TemporaryDirectory() as tmp, FhirServerProcess(tmp) as server:
        client = FhirClient(server.base_url, token=None, timeout=60)

        def new_bundle() -> dict:
            resp = requests.post(f"{server.base_url}/Patient", json={"resourceType": "Patient"}, timeout=10,
                                 headers={"Content-Type": "application/fhir+json"})
            return assessment_bundle(assessment, patient=resp.json()["id"], features=table, approval=approval,
                                     model_cards=cards)

        entries = len(new_bundle()["entry"])
        for _ in range(args.repeats):
            bundle = new_bundle()
            t0 = time.perf_counter()
            first = write_bundle(client, bundle)
            t1 = time.perf_counter()
            again = write_bundle(client, bundle)
            t2 = time.perf_counter()
            assert first.mode == "transaction" and again.mode == "already-written" and again.created == 0
            timings["transaction"].append(t1 - t0)
            timings["retry_check"].append(t2 - t1)
            t0 = time.perf_counter()
            write_bundle(client, new_bundle(), mode="sequential")
            timings["sequential"].append(time.perf_counter() - t0)

    base = _median_ms(timings["transaction"])
    out = {"entries": entries, "repeats": args.repeats,
           **{f"{k}_median_ms": _median_ms(v) for k, v in timings.items()},
           "ratio_retry_check_vs_transaction": round(_median_ms(timings["retry_check"]) / base, 2),
           "ratio_sequential_vs_transaction": round(_median_ms(timings["sequential"]) / base, 2)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
