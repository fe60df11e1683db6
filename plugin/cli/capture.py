"""``fpcds capture``: record live LSL streams into a session (guided or timed), pair, upload, recover.

Usage::

    fpcds capture --out S.fpcds                      guided through the standard protocol
    fpcds capture --seconds 60 --out S.fpcds         timed, no interaction
    fpcds capture ... --server URL --code K7Q-4MX9TZ  pair with the physician's assessment,
                                                     stream biofeedback, upload at the end
    fpcds capture streams [--json]                   list the LSL streams visible
    fpcds capture camera SOURCE                      publish face-mesh landmarks from a camera/video
    fpcds capture recover SPOOL --out S.fpcds        rebuild the session of a crashed capture
    fpcds capture upload S.fpcds --server URL (--code CODE | --pairing FILE)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import threading
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "capture",
        help="record live EMG + face motion over LSL into a session (guided or timed); pair and upload",
        description="Record live LSL streams into a native session file. Without --seconds the patient is "
                    "guided through the protocol in the terminal. Sub-commands: streams, camera, recover, upload.",
    )
    p.add_argument("--out", help="session file to write (.fpcds)")
    p.add_argument("--seconds", type=float, help="record this long without guidance (seconds)")
    p.add_argument("--wait", type=float, default=2.0, help="seconds to look for streams (default 2)")
    p.add_argument("--emg", help="EMG stream name or source id ('none' to skip EMG)")
    p.add_argument("--motion", help="motion stream name or source id ('none' to skip motion)")
    p.add_argument("--markers", action="append", help="marker stream to record (repeatable; default all)")
    p.add_argument("--map", help="JSON or YAML file: EMG channel label -> 'muscle/side'")
    p.add_argument("--camera", help="also run a camera source: device index or video file")
    p.add_argument("--tasks", help="guided: comma-separated subset of the protocol's tasks")
    p.add_argument("--repetitions", type=int, help="guided: repetitions per task")
    p.add_argument("--hold", type=float, help="guided: hold time per repetition (s)")
    p.add_argument("--rest", type=float, help="guided: rest between repetitions (s)")
    p.add_argument("--lead-in", type=float, default=3.0, help="guided: preparation before the first task (s)")
    p.add_argument("--server", help="plugin URL to pair with (https://...)")
    p.add_argument("--code", help="one-time pairing code shown in the physician's assessment")
    p.add_argument("--ca-file", help="extra CA certificates (PEM) for the server")
    p.add_argument("--keep-spool", action="store_true", help="keep the spool directory after saving")
    p.set_defaults(handler=run_capture)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("streams", help="list visible LSL streams")
    s.add_argument("--wait", type=float, default=2.0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=run_streams)
    c = sub.add_parser("camera", help="publish MediaPipe face-mesh landmarks of a camera or video over LSL")
    c.add_argument("source", help="device index (0, 1, ...) or video file")
    c.add_argument("--name", default="fpcds-Camera", help="LSL stream name")
    c.add_argument("--source-id", help="LSL source id (default random)")
    c.add_argument("--seconds", type=float, help="stop after this long")
    c.set_defaults(handler=run_camera)
    r = sub.add_parser("recover", help="rebuild the session of an interrupted capture from its spool")
    r.add_argument("spool")
    r.add_argument("--out", required=True)
    r.set_defaults(handler=run_recover)
    u = sub.add_parser("upload", help="upload a session file to a paired assessment (resumable)")
    u.add_argument("session")
    u.add_argument("--server")
    u.add_argument("--code")
    u.add_argument("--pairing", help="pairing file saved by an earlier capture (<session>.pairing.json)")
    u.add_argument("--ca-file")
    u.set_defaults(handler=run_upload)


def _stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


def _load_mapping(path: str | None) -> dict[str, Any] | None:
    from acquisition.errors import MappingError

    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        if path.lower().endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # json/yaml parse errors
        raise MappingError(f"{path}: not valid {'YAML' if path.lower().endswith(('.yaml', '.yml')) else 'JSON'} "
                           f"({exc})") from None
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected an object mapping channel labels to 'muscle/side'")
    return data


def _protocol(args: argparse.Namespace):  # -> Protocol
    from acquisition.errors import FpcdsError
    from acquisition.protocol import STANDARD_PROTOCOL

    protocol = STANDARD_PROTOCOL
    changes: dict[str, Any] = {}
    if args.tasks:
        names = [t.strip() for t in args.tasks.split(",") if t.strip()]
        try:
            changes["tasks"] = tuple(protocol.task(n) for n in names)
        except KeyError as exc:
            raise FpcdsError(f"--tasks: {exc.args[0]}") from None
    if args.repetitions is not None:
        if args.repetitions < 1:
            raise FpcdsError(f"--repetitions is {args.repetitions}; expected at least 1")
        changes["repetitions"] = args.repetitions
    if args.hold is not None:
        if not args.hold > 0:
            raise FpcdsError(f"--hold is {args.hold} s; expected > 0")
        changes["hold_s"] = args.hold
    if args.rest is not None:
        if not args.rest >= 0:
            raise FpcdsError(f"--rest is {args.rest} s; expected >= 0")
        changes["rest_s"] = args.rest
    return dataclasses.replace(protocol, **changes) if changes else protocol


def _watch(recorder: Any, stop: threading.Event) -> None:
    """Tell the operator when a stream goes silent or comes back."""
    silent: set[str] = set()
    while not stop.wait(0.5):
        for st in recorder.status():
            if st.kind == "markers" or st.samples == 0:
                continue
            if not st.connected and st.key not in silent:
                silent.add(st.key)
                print(f"  ! {st.kind} stream {st.name!r} silent at {recorder.elapsed_s:.1f} s; "
                      "recording continues, waiting for it to return", flush=True)
            elif st.connected and st.key in silent:
                silent.discard(st.key)
                print(f"  {st.kind} stream {st.name!r} is back at {recorder.elapsed_s:.1f} s", flush=True)


def run_capture(args: argparse.Namespace) -> int:
    from acquisition.capture_agent import CaptureAgent, FeedbackSender
    from acquisition.errors import FpcdsError
    from acquisition.lsl import (
        BiofeedbackMonitor,
        capture_lsl,
        discover_streams,
        format_event,
        run_camera_source,
        select_streams,
    )
    from acquisition.native import stored_hash

    if not args.out:
        raise FpcdsError("--out SESSION is required (the .fpcds file to write)")
    if (args.server is None) != (args.code is None):
        raise FpcdsError("--server and --code go together (pair with the physician's assessment)")
    out = Path(args.out)
    mapping = _load_mapping(args.map)
    protocol = None if args.seconds is not None else _protocol(args)
    stop = threading.Event()
    _stop_on_signals(stop)
    camera_stop = threading.Event()
    camera_thread = None
    agent = pairing = sender = None
    if args.server:
        agent = CaptureAgent(args.server, ca_file=args.ca_file)
        pairing = agent.pair(args.code)
        pairing.save(out.with_name(out.name + ".pairing.json"))
        sender = FeedbackSender(agent, pairing)
        print(f"paired with the assessment (capture {pairing.capture_id}); biofeedback is live", flush=True)
    try:
        motion_key = args.motion
        if args.camera is not None:
            ready = threading.Event()
            ids: list[str] = []

            def camera() -> None:
                run_camera_source(args.camera, stop=camera_stop,
                                  on_ready=lambda pair: (ids.append(pair[1]), ready.set()))

            camera_thread = threading.Thread(target=camera, name="fpcds-camera", daemon=True)
            camera_thread.start()
            if not ready.wait(30):
                raise FpcdsError(f"camera source {args.camera!r} did not start")
            motion_key = motion_key or ids[0]
        found = discover_streams(wait_s=args.wait)
        selection = select_streams(found, emg=args.emg, motion=motion_key, markers=args.markers)
        for stream in selection.streams:
            print(f"recording {stream.kind:<7} {stream.describe()}", flush=True)

        def started(recorder: Any) -> None:
            threading.Thread(target=_watch, args=(recorder, stop), daemon=True).start()
            if sender is not None:
                recorder.listeners.append(BiofeedbackMonitor(
                    sender.submit, origin=recorder.origin, emg_mapping=recorder.emg_mapping,
                    emg_sfreq=recorder.emg_sfreq, motion_layout=recorder.motion_layout,
                    motion_sfreq=recorder.motion_sfreq))
            if protocol is None:
                print(f"recording {args.seconds:g} s (Ctrl-C stops early and keeps the data) ...", flush=True)

        session = capture_lsl(out, selection=selection, seconds=args.seconds, protocol=protocol,
                              display=lambda e: print(format_event(e), flush=True), lead_in_s=args.lead_in,
                              mapping=mapping, stop=stop, keep_spool=args.keep_spool, on_started=started)
    finally:
        camera_stop.set()
        if camera_thread is not None:
            camera_thread.join(timeout=10)
        if sender is not None:
            sender.close()
    parts = [f"{session.duration:.2f} s"]
    if session.emg is not None:
        parts.append(f"EMG {len(session.emg.channels)} ch @ {session.emg.sfreq:g} Hz")
    if session.motion is not None:
        parts.append(f"motion {session.motion.n_points} points @ {session.motion.sfreq:g} Hz")
    parts.append(f"{len(session.segments)} task segments, {len(session.gaps)} gaps")
    print(f"saved {out}: " + ", ".join(parts), flush=True)
    print(f"content sha256 {stored_hash(out)}", flush=True)
    for issue in session.quality:
        print(f"  {issue.severity}: [{issue.code}] {issue.message}", flush=True)
    if agent is not None and pairing is not None:
        result = agent.upload(out, pairing)
        out.with_name(out.name + ".pairing.json").unlink(missing_ok=True)
        print(f"uploaded to the assessment: {result['bytes']} bytes, content sha256 {result['content_sha256']}",
              flush=True)
    return 0


def run_streams(args: argparse.Namespace) -> int:
    from acquisition.lsl import discover_streams

    found = discover_streams(wait_s=args.wait)
    if args.json:
        rows = [{f.name: getattr(s, f.name) for f in dataclasses.fields(s) if f.name != "info"} for s in found]
        print(json.dumps(rows, indent=2))
    else:
        for s in found:
            print(f"{s.kind or '-':<8} {s.describe()}")
        if not found:
            print("no LSL streams found")
    return 0


def run_camera(args: argparse.Namespace) -> int:
    from acquisition.lsl import run_camera_source

    stop = threading.Event()
    _stop_on_signals(stop)
    report = run_camera_source(args.source, name=args.name, source_id=args.source_id, seconds=args.seconds, stop=stop,
                               on_ready=lambda pair: print(f"publishing {pair[0]!r} (source_id {pair[1]!r}); "
                                                           "Ctrl-C stops", flush=True))
    print(f"{report.frames} frames, face found in {report.faces}, {report.width}x{report.height} @ {report.fps:g} fps")
    return 0


def run_recover(args: argparse.Namespace) -> int:
    from acquisition.lsl import recover_capture
    from acquisition.native import stored_hash

    session = recover_capture(args.spool, args.out)
    print(f"recovered {args.out}: {session.duration:.2f} s, {len(session.segments)} task segments, "
          f"{len(session.gaps)} gaps; content sha256 {stored_hash(args.out)}")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    from acquisition.capture_agent import CaptureAgent, Pairing
    from acquisition.errors import FpcdsError

    if args.pairing:
        pairing = Pairing.load(args.pairing)
        agent = CaptureAgent(args.server or pairing.server, ca_file=args.ca_file)
    elif args.server and args.code:
        agent = CaptureAgent(args.server, ca_file=args.ca_file)
        pairing = agent.pair(args.code)
    else:
        raise FpcdsError("upload needs --pairing FILE, or --server URL with --code CODE")
    result = agent.upload(args.session, pairing)
    print(json.dumps(result, indent=2))
    return 0
