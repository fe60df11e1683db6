"""``fpcds convert FILE --out OUT``: import a recording (XDF, EDF/BDF, C3D, CSV) into a session file.

The output format follows the suffix of ``OUT``: ``.fpcds`` (the native
format, the usual target) or ``.xdf``, ``.edf``, ``.bdf``, ``.c3d``,
``.csv`` (the writers). Quality findings are recorded in the session and
summarised; they do not stop the conversion.
"""

from __future__ import annotations

import argparse
import inspect
import os


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert a recording (XDF, EDF/BDF, C3D, CSV) to a native session file",
        description="Read FILE with a channel mapping (and optional timing sidecar) and write it to OUT; "
        "the output format follows OUT's suffix (.fpcds native, or .xdf .edf .bdf .c3d .csv).",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--out", required=True, metavar="OUT", help="output file (.fpcds for the native format)")
    p.add_argument("--mapping", metavar="M", help="mapping file (YAML/JSON) or built-in name (default: fridlund)")
    p.add_argument("--segments", metavar="T", help="timing sidecar (task,start,end[,repetition]) replacing markers")
    p.add_argument("--emg-sfreq", type=float, metavar="HZ",
                   help="resample EMG channels of different rates to HZ (EDF/BDF)")
    p.add_argument("--mains-hz", type=float, choices=(50.0, 60.0), help="mains frequency for the powerline check")
    p.add_argument("--no-dejitter", action="store_true", help="keep XDF timestamps as recorded (no jitter removal)")
    p.add_argument("--drop-motion", action="store_true",
                   help="write EMG only when the output format cannot hold motion (EDF)")
    p.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    p.set_defaults(handler=run)


def _options(args: argparse.Namespace, reader) -> dict:
    from acquisition.errors import FpcdsError

    wanted = {
        "mapping": args.mapping,
        "segments": args.segments,
        "emg_sfreq": args.emg_sfreq,
        "mains_hz": args.mains_hz,
        "dejitter": False if args.no_dejitter else None,
    }
    accepted = inspect.signature(reader).parameters
    options = {}
    for name, value in wanted.items():
        if value is None:
            continue
        if name not in accepted:
            flag = "--no-dejitter" if name == "dejitter" else "--" + name.replace("_", "-")
            raise FpcdsError(f"{flag} does not apply to {os.path.basename(args.file)} ({reader.__name__})")
        options[name] = value
    return options


def run(args: argparse.Namespace) -> int:
    from acquisition.errors import FpcdsError
    from acquisition.native import SUFFIX, content_hash, read_session, write_session
    from acquisition.readers import reader_for
    from acquisition.segments import read_timing_sidecar

    src, out = args.file, args.out
    if not os.path.exists(src):
        raise FpcdsError(f"{src}: no such file")
    if os.path.exists(out):
        if os.path.samefile(src, out):
            raise FpcdsError(f"{out}: the output would overwrite the input")
        if not args.force:
            raise FpcdsError(f"{out}: exists; pass --force to overwrite it")
    if src.lower().endswith(SUFFIX):
        if args.mapping or args.emg_sfreq or args.no_dejitter:
            raise FpcdsError(f"{src}: a native session is already mapped; only --segments applies")
        session = read_session(src)
        if args.segments:
            session = session.with_segments(read_timing_sidecar(args.segments, protocol=session.protocol))
    else:
        reader = reader_for(src)
        session = reader(src, **_options(args, reader))
    if out.lower().endswith(SUFFIX):
        digest = write_session(session, out)
    else:
        from acquisition.writers import write_any

        write_any(session, out, **({"drop_motion": True} if args.drop_motion else {}))
        digest = content_hash(session)
    print(_summary(session, out, digest))
    return 0


def _summary(session, out: str, digest: str) -> str:
    parts = []
    if session.emg is not None:
        parts.append(f"{len(session.emg.channels)} EMG channels @ {session.emg.sfreq:g} Hz")
    if session.motion is not None:
        m = session.motion
        parts.append(f"{m.n_points} points ({m.scheme}) @ {m.sfreq:g} Hz")
    parts.append(f"{session.duration:.2f} s")
    parts.append(f"{len(session.segments)} segments")
    errors = sum(q.severity == "error" for q in session.quality)
    warnings = len(session.quality) - errors
    parts.append(f"{warnings} quality warning(s), {errors} error(s)")
    if session.provenance.unmapped_channels:
        parts.append(f"{len(session.provenance.unmapped_channels)} unmapped channel(s)")
    return f"wrote {out}: " + ", ".join(parts) + f"\ncontent sha256 {digest}"
