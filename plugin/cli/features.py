"""``fpcds features SESSION``: the feature table and rule-based scores of a session."""

from __future__ import annotations

import argparse
import math


def _powerline(text: str) -> float | str | None:
    if text == "auto":
        return "auto"
    if text == "none":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto', 'none' or a frequency in Hz, not {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("features", help="compute the feature table and rule-based scores of a session")
    p.add_argument("session", metavar="SESSION", help="session file (any supported format)")
    p.add_argument("--json", action="store_true", help="print the whole table as JSON")
    p.add_argument("--powerline", type=_powerline, default="auto", metavar="HZ",
                   help="powerline frequency to notch: 'auto' (detect 50/60 Hz, default), 'none', or Hz")
    p.add_argument("--long", action="store_true",
                   help="long recording: sEMG only, streamed block by block in bounded memory (causal filters), "
                        "with involuntary activation and co-activation episode counts outside tasks")
    p.add_argument("--all", action="store_true", help="also list features without a value")
    p.set_defaults(handler=run)


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def format_table(table, *, title: str, show_all: bool = False) -> str:  # noqa: ANN001 - FeatureTable
    """Human-readable rendering of a FeatureTable."""
    lines = [title]
    counts = {m: len(table.available(modality=m)) for m in ("clinical", "emg", "motion")}
    lines.append(f"  affected side: {table.affected_side} ({table.affected_side_source})")
    lines.append(f"  features with a value: {sum(counts.values())} of {len(table)} "
                 f"(clinical {counts['clinical']}, emg {counts['emg']}, motion {counts['motion']})")
    if table.scores is not None:
        lines.append(f"Rule-based scores ({table.scores.rules_version}):")
        for scale in table.scores.scales:
            subs = ", ".join(f"{k} {_fmt(v)}" for k, v in scale.subscores.items())
            lines.append(f"  {scale.scale}: {scale.label} ({subs})")
            for item in scale.items:
                inputs = "; ".join(f"{k} = {_fmt(v)}" for k, v in item.inputs.items())
                lines.append(f"    {item.name:<34} {_fmt(item.score):>6}  {item.finding}  [{inputs}]")
    lines.append("Features:")
    width = max(len(n) for n in table.names)
    for spec, value in zip(table.specs, table.values):
        if show_all or math.isfinite(value):
            lines.append(f"  {spec.name:<{width}}  {_fmt(value):>10} {spec.unit}")
    if table.warnings:
        lines.append("Warnings:")
        lines.extend(f"  - {w.code}: {w.message}" for w in table.warnings)
    lines.append("Methods: " + table.record.methods_text())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from acquisition.native import SUFFIX, content_hash, stored_hash
    from acquisition.readers import read_any
    from models.features import extract_features, stream_emg_features

    session = read_any(args.session)
    digest = stored_hash(args.session) if args.session.lower().endswith(SUFFIX) else content_hash(session)
    if args.long:
        table = stream_emg_features(session, powerline=args.powerline, session_id=digest)
    else:
        table = extract_features(session, powerline=args.powerline, session_id=digest)
    if args.json:
        print(json.dumps(table.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_table(table, title=args.session, show_all=args.all))
    return 0
