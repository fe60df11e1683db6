"""Benchmark: exact SHAP of every output of one session, and the PDF report's render time.

Run: ``.venv/bin/python -m benchmarks.explain_report [--model MODELDIR] [--repeats 20] [--protocol standard]``

Prints JSON: for one simulated session (``--protocol short``: one repetition
of each task with 1.5 s rests, as in the tests; ``standard``: the clinical
protocol, three repetitions), the time to explain every output of every
model (booster hash check, LightGBM vs ONNX check, TreeSHAP, additivity
check) and the time to render the report (signal plots included), as median
and 95th percentile over repeats, with the report's size and page count.
"""

from __future__ import annotations

import argparse
import io
import json
import time

import numpy as np


def _stats(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1e3
    return {"median_ms": round(float(np.median(ms)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "min_ms": round(float(ms.min()), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped models)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--protocol", choices=("short", "standard"), default="short")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)

    from acquisition.native import content_hash
    from acquisition.simulate import SimulationOptions, make_patient, simulate_session
    from explain.explanation import explain_assessment
    from explain.report import Patient, ReportInputs, render_report
    from models.features import extract_features
    from models.predict import assess_table
    from models.registry import load_models

    models = load_models(args.model)
    options = SimulationOptions(repetitions=1, rest_s=1.5) if args.protocol == "short" else SimulationOptions()
    patient = make_patient(condition="bell", onset_severity=0.9, days_since_onset=3.0, seed=args.seed)
    session = simulate_session(patient, seed=args.seed, options=options)
    table = extract_features(session, session_id=content_hash(session))
    assessment = assess_table(table, models=models, modalities=session.modalities)

    explanation = explain_assessment(assessment, models, table=table)  # warm-up
    explain_times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        explanation = explain_assessment(assessment, models, table=table)
        explain_times.append(time.perf_counter() - t0)
    inputs = ReportInputs(assessment, explanation, table, models, session, "benchmark.fpcds",
                          Patient("Benchmark Patient"), created_at="2026-01-01T00:00:00+00:00")
    pdf = render_report(inputs)
    render_times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        pdf = render_report(inputs)
        render_times.append(time.perf_counter() - t0)
    from pypdf import PdfReader

    report = {
        "models": str(models.directory), "protocol": args.protocol, "session_s": round(session.duration, 1),
        "outputs_explained": len(explanation.outputs), "repeats": args.repeats,
        "max_additivity_error": explanation.max_additivity_error,
        "explain_all_outputs": _stats(explain_times), "render_report": _stats(render_times),
        "report_bytes": len(pdf), "report_pages": len(PdfReader(io.BytesIO(pdf)).pages),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
