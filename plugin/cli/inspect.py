"""``fpcds inspect FILE``: a readable (or ``--json``) summary of a session file."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("inspect", help="summarise a session file (any supported format)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--verify", action="store_true", help="recompute the content hash of native files")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from acquisition.native import SUFFIX, content_hash, stored_hash
    from acquisition.readers import read_any
    from acquisition.summary import format_summary, session_summary

    summaries = []
    for path in args.files:
        if path.lower().endswith(SUFFIX):
            session = read_any(path, verify=args.verify)
            digest = stored_hash(path)
        else:
            session = read_any(path)
            digest = content_hash(session)
        summary = session_summary(session, content_sha256=digest)
        summary["file"] = path
        summaries.append(summary)
        if not args.json:
            print(format_summary(summary, title=path))
    if args.json:
        print(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2))
    return 0
