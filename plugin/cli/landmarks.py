"""``fpcds landmarks VIDEO --out SESSION``: face video -> head-fixed landmarks in a session file.

Tracks the MediaPipe face mesh in VIDEO, removes head motion, scales to mm
(:func:`acquisition.readers.video.read_video`) and writes a native ``.fpcds``
session. Task segments come from a timing sidecar (``--segments FILE``) or
are detected from facial motion in protocol order (``--segments motion``).
With ``--emg FILE`` the motion is combined with an EMG recording on the EMG
clock (:func:`acquisition.sync.combine_sessions`), by ``--offset SECONDS``,
``--sync-event LABEL`` (the EMG marker LABEL paired with the light flashes
found in the video) or ``--lsl [LABEL]`` (the camera's LSL frame time stamps,
recorded as markers in the EMG capture).
"""

from __future__ import annotations

import argparse

from acquisition.errors import FpcdsError
from acquisition.sync import LSL_FRAME_LABEL

_DESCRIPTION = (
    "Track the MediaPipe face mesh (478 points) in VIDEO, remove head motion, scale to millimetres by the "
    "iris diameter and write a session file. Task segments come from a timing sidecar or are detected "
    "from facial motion. With --emg the motion joins an EMG recording on the EMG clock, synchronised by a "
    "given offset, by a sync event (EMG marker paired with light flashes in the video) or by the camera's "
    "LSL frame time stamps."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "landmarks",
        help="track facial landmarks in a video and write a session file",
        description=_DESCRIPTION,
    )
    p.add_argument("video", metavar="VIDEO", help="face video (.mp4, .avi, .mov, .mkv, .webm)")
    p.add_argument("--out", required=True, metavar="SESSION", help="output session file (.fpcds)")
    p.add_argument(
        "--segments",
        metavar="T",
        help="task timing: a sidecar file with the header task,start,end[,repetition] (CSV or TSV, seconds "
        "from the first frame), "
        "or 'motion' to detect the tasks from facial motion in protocol order",
    )
    p.add_argument("--mirrored", action="store_true", help="the video is mirrored (front-camera preview)")
    p.add_argument(
        "--neutral",
        nargs=2,
        type=float,
        metavar=("START", "END"),
        help="time window (s) of the neutral face (default: first rest segment or first second)",
    )
    p.add_argument("--fps", type=float, help="frame rate in Hz, overriding the container's")
    p.add_argument("--landmarker-task", metavar="FILE", help="local MediaPipe FaceLandmarker .task bundle to use")
    sync = p.add_argument_group("combining with an EMG recording")
    sync.add_argument("--emg", metavar="FILE", help="EMG recording (any supported session format)")
    how = sync.add_mutually_exclusive_group()
    how.add_argument("--offset", type=float, metavar="SECONDS", help="video time + SECONDS = EMG time")
    how.add_argument(
        "--sync-event", metavar="LABEL", help="EMG marker LABEL of a sync event seen as a light flash in the video"
    )
    how.add_argument(
        "--lsl",
        nargs="?",
        const=LSL_FRAME_LABEL,
        metavar="LABEL",
        help=f"the EMG capture holds the camera's LSL frame time stamps as markers LABEL "
        f"(default {LSL_FRAME_LABEL!r})",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from acquisition.native import SUFFIX, write_session
    from acquisition.readers.video import read_video

    if not args.out.lower().endswith(SUFFIX):
        raise FpcdsError(f"output {args.out!r} must be a {SUFFIX} session file")
    method = "offset" if args.offset is not None else "event" if args.sync_event else "lsl" if args.lsl else None
    event = args.sync_event if method == "event" else args.lsl
    if args.emg and method is None:
        raise FpcdsError("--emg needs a synchronisation method: --offset SECONDS, --sync-event LABEL or --lsl")
    if method and not args.emg:
        raise FpcdsError("--offset, --sync-event and --lsl need an EMG recording (--emg FILE)")
    session = read_video(
        args.video,
        mirrored=args.mirrored,
        segments=args.segments,
        neutral=tuple(args.neutral) if args.neutral else None,
        sync_flash=method == "event",
        sfreq=args.fps,
        landmarker_task=args.landmarker_task,
    )
    if args.emg:
        from acquisition.readers import read_any
        from acquisition.sync import combine_sessions

        emg = read_any(args.emg)
        session = combine_sessions(
            emg, session, method=method, offset_s=args.offset, event=event, video_event="sync"
        )
    digest = write_session(session, args.out)
    motion = session.motion
    lost = sum(1 for g in session.gaps if g.stream == "motion")
    print(
        f"{args.video}: {motion.n_frames} frames at {motion.sfreq:g} fps, {lost} face-lost gaps, "
        f"{len(session.segments)} segments{', with EMG' if session.emg is not None else ''} "
        f"-> {args.out} (sha256 {digest[:12]})"
    )
    return 0
