"""``fpcds inspect FILE``: a readable (or ``--json``) summary of a session file.

``--raw`` lists a recording's raw streams and channels as the device
labelled them, before any mapping, to help write a mapping file;
``--mapping`` reads the file with a given mapping.
"""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("inspect", help="summarise a session file (any supported format)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--verify", action="store_true", help="recompute the content hash of native files")
    p.add_argument("--raw", action="store_true", help="list the raw streams and channels (to write a mapping)")
    p.add_argument("--mapping", metavar="M", help="mapping file or built-in name used to read non-native files")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from acquisition.errors import FpcdsError
    from acquisition.native import SUFFIX, content_hash, stored_hash
    from acquisition.readers import describe_any, read_any
    from acquisition.summary import format_summary, session_summary

    summaries = []
    for path in args.files:
        native = path.lower().endswith(SUFFIX)
        if args.raw:
            if native:
                raise FpcdsError(f"{path}: a native session has no raw channels; inspect it without --raw")
            listing = describe_any(path)
            summaries.append(listing.to_dict())
            if not args.json:
                print(listing.format_text())
            continue
        if native:
            if args.mapping:
                raise FpcdsError(f"{path}: a native session is already mapped; --mapping does not apply")
            session = read_any(path, verify=args.verify)
            digest = stored_hash(path)
        else:
            session = read_any(path, **({"mapping": args.mapping} if args.mapping else {}))
            digest = content_hash(session)
        summary = session_summary(session, content_sha256=digest)
        summary["file"] = path
        summaries.append(summary)
        if not args.json:
            print(format_summary(summary, title=path))
    if args.json:
        print(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=2))
    return 0
