"""``fpcds explain SESSION``: SHAP explanation of every model output, optionally with the PDF report and audit record.

Also provides the report options of ``fpcds assess`` (:func:`add_report_arguments`,
:func:`write_reports`), so both commands write the same files the same way.
The patient identity options go into the PDF header only; they are never
printed, logged or written to the audit record.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """``--report``, ``--audit`` and the patient identity shown in the report."""
    g = p.add_argument_group("report and audit")
    g.add_argument("--report", metavar="PDF", default=None, help="write the PDF report (PHI) to this file")
    g.add_argument("--audit", metavar="JSON", default=None, help="write the audit record to this file")
    g.add_argument("--patient-name", default=None, help="patient name for the report header (PDF only)")
    g.add_argument("--patient-id", default=None, help="patient identifier for the report header (PDF only)")
    g.add_argument("--birth-date", default=None, help="patient birth date for the report header (PDF only)")


def powerline_option(text: str) -> float | str | None:
    """The ``--powerline`` text as the feature code takes it ('auto', None or Hz), as recorded in the audit."""
    from acquisition.errors import FpcdsError

    if text in ("auto", "none"):
        return None if text == "none" else "auto"
    try:
        return float(text)
    except ValueError:
        raise FpcdsError(f"--powerline {text!r}: expected 'auto', 'none' or a frequency in Hz") from None


def write_reports(run: Any, args: argparse.Namespace) -> tuple[Any, list[str]]:
    """Explain, render and record one assessment run as the options ask.

    Returns the :class:`explain.pipeline.ReportedAssessment` (None when neither
    ``--report`` nor ``--audit`` is given) and lines to print (no PHI).

    Parameters
    ----------
    run : plugin.cli.assess.AssessRun
    args : argparse.Namespace
        With ``session``, ``powerline`` and the options of :func:`add_report_arguments`.
    """
    from explain.pipeline import assess_with_report
    from explain.report import Patient

    if args.report is None and args.audit is None:
        return None, []
    patient = Patient(args.patient_name, args.patient_id, args.birth_date)
    done = assess_with_report(run.session, run.table, run.models, run.assessment, session_path=args.session,
                              powerline=powerline_option(args.powerline), report_path=args.report,
                              audit_path=args.audit,
                              patient=patient)
    lines = []
    if args.report is not None:
        lines.append(f"report: {args.report} ({len(done.report or b'')} bytes, SHA-256 "
                     f"{done.audit.report['sha256'] if done.audit.report else '?'})")
    if args.audit is not None:
        lines.append(f"audit record: {args.audit} (id {done.audit.id})")
    return done, lines


def register(subparsers: argparse._SubParsersAction) -> None:
    from .assess import add_arguments

    p = subparsers.add_parser("explain", help="SHAP explanation of every model output of a session "
                                              "(optionally with the PDF report and audit record)")
    add_arguments(p)
    p.add_argument("--top", type=int, default=3, metavar="N", help="contributions shown per output (default 3)")
    add_report_arguments(p)
    p.set_defaults(handler=run)


def format_explanation(explanation: Any, *, top: int) -> str:
    """Every model's headline output with its largest contributions in words."""
    from explain.aggregate import MODALITY_TITLES, by_modality
    from explain.wording import Sides, top_sentences

    sides = Sides(explanation.affected_side, explanation.affected_side_source)
    lines = [f"explanation of session {(explanation.session_sha256 or '?')[:12]} ({explanation.method}); "
             f"largest additivity error {explanation.max_additivity_error:.1e}"]
    for model_id, model in explanation.models.items():
        out = model.primary_output
        shares = ", ".join(f"{MODALITY_TITLES[s.group]} {s.share:.0%}" for s in by_modality(out))
        lines.append(f"{model_id}: {out.published_label} = {out.published:.3g}; {out.unit}: base {out.base_value:.3f}"
                     f" + contributions {out.value - out.base_value:+.3f} = {out.value:.3f} ({shares})")
        lines.extend(f"  - {s}" for s in top_sentences(model, sides=sides, context=explanation.context, n=top))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from acquisition.errors import FpcdsError
    from explain.explanation import explain_assessment

    from .assess import assess_file

    if args.top < 1:
        raise FpcdsError(f"--top {args.top}: expected a count >= 1")
    result = assess_file(args.session, model_dir=args.model, powerline=args.powerline)
    done, lines = write_reports(result, args)
    explanation = done.explanation if done is not None else explain_assessment(result.assessment, result.models,
                                                                               table=result.table)
    if args.json:
        print(json.dumps(explanation.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_explanation(explanation, top=args.top))
    for line in lines:
        print(line, file=sys.stderr if args.json else sys.stdout)
    return 0
