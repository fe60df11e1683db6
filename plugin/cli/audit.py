"""``fpcds audit verify RECORD``: recompute an assessment from its audit record and compare, field by field.

Exit status 0 when every checked field is identical, 1 when any differs, 2
when the record, the session file or the model directory cannot be used.
Environment differences (software versions) are shown as notes and do not
by themselves fail the verification.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("audit", help="audit records: verify that a result reproduces")
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = sub.add_parser("verify", help="recompute from the stored inputs and report identical or different")
    v.add_argument("record", metavar="RECORD", help="audit record (JSON) written by `fpcds assess --audit`")
    v.add_argument("--session", metavar="PATH", default=None, help="session file (default: the recorded path)")
    v.add_argument("--model", metavar="DIR", default=None, help="model directory (default: the recorded one)")
    v.add_argument("--report", metavar="PDF", default=None, help="report PDF whose SHA-256 to check")
    v.add_argument("--json", action="store_true", help="print the field-by-field result as JSON")
    v.add_argument("--all", action="store_true", help="list identical fields too (default: only the others)")
    v.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from explain.audit import read_audit_record, verify_audit_record

    record = read_audit_record(args.record)
    result = verify_audit_record(record, session_path=args.session, model_dir=args.model, report_path=args.report)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        shown = [c for c in result.checks if args.all or c.status != "identical"]
        for check in shown:
            print(check.line())
        same = sum(c.status == "identical" for c in result.checks)
        verdict = "IDENTICAL" if result.identical else f"DIFFERENT ({len(result.differences)} field(s))"
        print(f"{verdict}: {same} of {len(result.checks)} fields identical; record {record.id}")
    return 0 if result.identical else 1
