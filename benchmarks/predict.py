"""Benchmark: one session's features -> every model output in onnxruntime (the shipped models).

Run: ``.venv/bin/python -m benchmarks.predict [--model MODELDIR] [--repeats 200]``

Prints JSON: the time to load and verify the model set, the feature
extraction time (reported separately, not part of the prediction time), and
the prediction time per session (all six heads, assembling the Assessment)
as median and 95th percentile over repeats, plus the bare onnxruntime time.
The literature's headline is "< 0.5 s" per diagnosis; the aim here is under
20 ms for prediction without feature extraction.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def _stats(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1e3
    return {"median_ms": round(float(np.median(ms)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "min_ms": round(float(ms.min()), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped models)")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)

    from acquisition.simulate import SimulationOptions, cohort_patient, simulate_session
    from models.features import extract_features
    from models.predict import assess_table
    from models.registry import load_models

    t0 = time.perf_counter()
    models = load_models(args.model)
    load_s = time.perf_counter() - t0
    patient = cohort_patient(args.seed, 0)
    session = simulate_session(patient, seed=patient.seed, options=SimulationOptions(repetitions=1, rest_s=1.5))
    t0 = time.perf_counter()
    table = extract_features(session)
    features_s = time.perf_counter() - t0

    assess_table(table, models=models, modalities=session.modalities)  # warm-up
    assess_times, onnx_times = [], []
    vectors = {m: table.vector(model.feature_names)[None, :] for m, model in models.models.items()}
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        assess_table(table, models=models, modalities=session.modalities)
        assess_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for m, model in models.models.items():
            model.predict(vectors[m])
        onnx_times.append(time.perf_counter() - t0)
    report = {
        "models": str(models.directory), "set_version": models.version, "repeats": args.repeats,
        "load_and_verify_s": round(load_s, 3),
        "feature_extraction_s (not included below)": round(features_s, 3),
        "assessment_from_features": _stats(assess_times),
        "onnxruntime_only_six_models": _stats(onnx_times),
        "target": "under 20 ms per session excluding feature extraction",
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
