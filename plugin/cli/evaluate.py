"""``fpcds evaluate``: metrics of a model set on a held-out labelled cohort, with the modality ablation."""

from __future__ import annotations

import argparse
import json

from .train import add_cohort_arguments, load_cohort


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="evaluate a model set on a held-out labelled cohort (metrics, ablation, targets)")
    add_cohort_arguments(p)
    p.add_argument("--model", metavar="MODELDIR", default=None, help="model directory (default: the shipped models)")
    p.add_argument("--emg-model", metavar="MODELDIR", default=None,
                   help="also evaluate an EMG-only model set (fpcds train --modalities emg) on EMG features")
    p.add_argument("--motion-model", metavar="MODELDIR", default=None,
                   help="also evaluate a motion-only model set on motion features")
    p.add_argument("--oracle", action="store_true",
                   help="add the prognosis oracles on the simulator's latent truth (simulated cohorts)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(handler=run)


def _fmt(value: object) -> str:
    return "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def format_report(report: dict) -> str:
    """Human-readable summary of an evaluation report."""
    c = report["cohort"]
    lines = [f"cohort: {c['n_sessions']} sessions, {c['n_patients']} patients, lesions {c['lesions']}"]
    m = report["metrics"]
    hb = m["hb_grade"]
    lines.append(f"House-Brackmann: accuracy {_fmt(hb['accuracy'])}, weighted kappa "
                 f"{_fmt(hb['quadratic_weighted_kappa'])}, ECE {_fmt(hb['ece'])}, per-grade recall "
                 + ", ".join(f"{g} {_fmt(r)}" for g, r in hb["per_grade_recall"].items()))
    lines.append("  confusion (rows true I-VI, columns predicted): " + str(hb["confusion_matrix"]["counts"]))
    sb = m["sunnybrook"]
    lines.append(f"Sunnybrook: MAE {_fmt(sb['mae'])}, ICC(2,1) {_fmt(sb['icc_2_1'])}, 80% interval coverage "
                 f"{_fmt(sb['interval_coverage'])}")
    lines.append(f"central vs peripheral: AUC {_fmt(m['lesion']['auc'])} (n = {m['lesion']['n']}), "
                 f"ECE {_fmt(m['lesion']['ece'])}")
    s = m["synkinesis"]
    lines.append(f"synkinesis: sensitivity {_fmt(s['sensitivity'])}, specificity {_fmt(s['specificity'])}, "
                 f"AUC {_fmt(s['auc'])}, ECE {_fmt(s['ece'])}")
    r, w = m["recovery_6mo"], m["weeks_to_recovery"]
    lines.append(f"prognosis: recovery by 6 months Brier {_fmt(r['brier'])}, AUC {_fmt(r['auc'])}, ECE "
                 f"{_fmt(r['ece'])}; weeks MAE {_fmt(w['mae_median_weeks'])}, 10-90% coverage "
                 f"{_fmt(w['interval_coverage_10_90'])}")
    keys = ("hb_quadratic_weighted_kappa", "sunnybrook_mae", "lesion_auc", "synkinesis_sensitivity",
            "recovery_6mo_auc", "weeks_to_recovery_mae", "weeks_interval_width")
    lines.append("ablation: " + " | ".join(keys))
    for name, row in report["ablation"].items():
        lines.append(f"  {name:<24}" + "  ".join(f"{_fmt(row[k]):>7}" for k in keys))
    for key, t in report["targets"].items():
        lines.append(f"target {key} {t['target']}: {_fmt(t['value'])} -> "
                     + ("met" if t["met"] else f"missed by {_fmt(t['shortfall'])}"))
    if "oracle" in report and report["oracle"].get("available"):
        o = report["oracle"]
        lines.append(f"oracle weeks MAE: latent {_fmt(o['latent']['weeks_to_recovery_mae'])}, observable "
                     f"{_fmt(o['observable']['weeks_to_recovery_mae'])}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from models.evaluate import evaluate
    from models.registry import load_models

    models = load_models(args.model)
    specific = {}
    if args.emg_model:
        specific["emg"] = load_models(args.emg_model)
    if args.motion_model:
        specific["motion"] = load_models(args.motion_model)
    cache = load_cohort(args)
    report = evaluate(models, cache, specific=specific, oracle=args.oracle)
    print(json.dumps(report, indent=2, allow_nan=False) if args.json else format_report(report))
    return 0
