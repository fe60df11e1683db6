"""``fpcds assess SESSION``: the Assessment of one session (rule-based scores, model outputs, warnings).

Built to be extended: :func:`add_arguments` and :func:`assess_file` are
reusable, and :func:`assess_file` returns every intermediate (session,
feature table, verified model set, assessment) for options that explain or
report on the same run.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class AssessRun:
    """One assessment with everything it was computed from."""

    session: Any  # acquisition.session.Session
    table: Any  # models.features.FeatureTable
    models: Any  # models.registry.ModelSet
    assessment: Any  # models.assessment.Assessment


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``fpcds assess``."""
    p.add_argument("session", metavar="SESSION", help="session file (any supported format)")
    p.add_argument("--model", metavar="MODELDIR", default=None, help="model directory (default: the shipped models)")
    p.add_argument("--json", action="store_true", help="print the Assessment as JSON (docs/assessment.md)")
    p.add_argument("--powerline", default="auto", metavar="HZ",
                   help="powerline frequency to notch: 'auto' (default), 'none', or Hz")


def register(subparsers: argparse._SubParsersAction) -> None:
    from .explain import add_report_arguments

    p = subparsers.add_parser("assess", help="grade a session, predict lesion type, synkinesis and prognosis")
    add_arguments(p)
    add_report_arguments(p)  # --report PDF --audit JSON (docs/audit.md)
    p.add_argument("--fhir-bundle", metavar="OUT.json", default=None,
                   help="write the FHIR R4 transaction Bundle that write-back would send (preliminary: not approved)")
    p.add_argument("--patient", metavar="PATIENT_ID", default=None, help="FHIR Patient id (needed by --fhir-bundle)")
    p.set_defaults(handler=run)


def _powerline(text: str) -> float | str | None:
    from acquisition.errors import FpcdsError

    if text in ("auto", "none"):
        return None if text == "none" else "auto"
    try:
        return float(text)
    except ValueError:
        raise FpcdsError(f"--powerline {text!r}: expected 'auto', 'none' or a frequency in Hz") from None


def assess_file(path: str, *, model_dir: str | None = None, powerline: str = "auto",
                progress: Callable[[str], None] | None = None) -> AssessRun:
    """Read a session, extract its features, load and verify the models, and assess it.

    Parameters
    ----------
    path : str
        Session file (any supported format).
    model_dir : str, optional
        Model directory (default: the shipped models).
    powerline : str
        ``'auto'``, ``'none'`` or a frequency in Hz (the ``--powerline`` option).
    progress : callable, optional
        Called with each stage as it starts: ``'session'``, ``'models'``,
        ``'features'``, ``'assessment'``.
    """
    from acquisition.native import SUFFIX, content_hash, stored_hash
    from acquisition.readers import read_any
    from models.features import extract_features
    from models.predict import assess_table
    from models.registry import load_models

    step = progress or (lambda stage: None)
    step("session")
    session = read_any(path)
    step("models")
    models = load_models(model_dir)
    step("features")
    digest = stored_hash(path) if str(path).lower().endswith(SUFFIX) else content_hash(session)
    table = extract_features(session, powerline=_powerline(powerline), session_id=digest)
    step("assessment")
    assessment = assess_table(table, models=models, modalities=session.modalities)
    return AssessRun(session, table, models, assessment)


def format_assessment(a: Any) -> str:
    """Human-readable Assessment."""
    o = a.outputs
    hb = o["hb_grade"]
    lines = [f"session {a.session_sha256[:12] if a.session_sha256 else '?'}: {', '.join(a.modalities)} "
             f"(evidence {a.evidence}); affected side {a.affected_side} ({a.affected_side_source})"]
    if a.rule_based is not None:
        rb = a.rule_based
        lines.append("rule-based: " + "; ".join(f"{k} {rb[k]['label']}" for k in ("house_brackmann", "sunnybrook",
                                                                                     "eface") if rb.get(k)))
    lines.append(f"House-Brackmann: {hb.argmax_grade} (p = {hb.argmax_probability:.2f}), expected grade "
                 f"{hb.expected_grade:.2f}; " + ", ".join(f"{g} {p:.2f}" for g, p in hb.probabilities.items()))
    sb = o["sunnybrook"]
    lines.append(f"Sunnybrook composite: {sb.value:.0f} ({sb.coverage:.0%} interval {sb.lower:.0f}-{sb.upper:.0f})")
    for key, title in (("lesion", "central lesion"), ("synkinesis", "synkinesis"),
                       ("recovery_6mo", "complete recovery by 6 months")):
        p = o[key]
        note = " [conditional on a palsy]" if p.conditional_on else ""
        lines.append(f"P({title}) = {p.probability:.2f}{note}")
    w = o["weeks_to_recovery"]
    lines.append(f"weeks from onset to recovery: median {w.value:.1f} ({w.coverage:.0%} interval {w.lower:.1f}-"
                 f"{w.upper:.1f}) [conditional on a palsy]")
    lines.append("models: " + ", ".join(f"{m.id} {m.sha256[:12]}" for m in a.models)
                 + f" (set {a.model_set['set_version']}; {a.model_set['statement']})")
    if a.warnings:
        lines.append("warnings:")
        lines.extend(f"  - {w.code}: {w.message}" for w in a.warnings)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import sys

    from .explain import write_reports

    from acquisition.errors import FpcdsError

    if args.fhir_bundle and not args.patient:
        raise FpcdsError("--fhir-bundle needs --patient PATIENT_ID (the FHIR Patient the resources are about)")
    result = assess_file(args.session, model_dir=args.model, powerline=args.powerline)
    print(result.assessment.to_json(indent=2) if args.json else format_assessment(result.assessment))
    for line in write_reports(result, args)[1]:
        print(line, file=sys.stderr if args.json else sys.stdout)
    if args.fhir_bundle:
        _write_bundle(result, args)
        print(f"FHIR transaction bundle (preliminary): {args.fhir_bundle}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _write_bundle(result: AssessRun, args: argparse.Namespace) -> None:
    """Map the assessment (and the PDF written by --report, if any) to a transaction Bundle file."""
    import json
    import os
    from pathlib import Path

    from plugin.fhir.mapping import assessment_bundle

    pdf = Path(args.report).read_bytes() if getattr(args, "report", None) else None
    bundle = assessment_bundle(
        result.assessment, patient=args.patient, features=result.table, report_pdf=pdf,
        recorded_at=result.session.recorded_at, session_title=Path(args.session).name,
        model_cards={k: m.card for k, m in result.models.models.items()},
    )
    out = Path(args.fhir_bundle)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(json.dumps(bundle, indent=2, sort_keys=True))
    os.replace(tmp, out)
