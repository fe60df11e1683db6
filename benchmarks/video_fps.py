"""Throughput of video -> head-fixed landmarks (read_video) at 640x480 and 1280x720.

Makes a video of a real face (scikit-image's astronaut photograph) that moves
its head and smiles, writes it with OpenCV (MJPG .avi), and times, each in a
fresh process so that peak memory is per case:

* ``decode``: OpenCV decoding and colour conversion only;
* ``read_video``: decoding, MediaPipe face mesh (478 points, tracking mode),
  head-pose removal and metric scaling, building the Session.

Run from the repository root::

    .venv/bin/python benchmarks/video_fps.py [--frames 600] [--sizes 640x480 1280x720] [--repeat 3]

Each case runs ``--repeat`` times and the fastest run is reported (the
machine is shared). Target: >= 150 frames per second end to end at 640x480
on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def make_video(path: Path, *, width: int, height: int, n_frames: int, fps: float = 30.0) -> None:
    """A face video: the astronaut photograph on a grey canvas, head moving, mouth corner lifting."""
    import cv2
    from skimage import data

    # a head-and-shoulders crop of the photograph, scaled so the face spans about a third of the height
    crop = data.astronaut()[0:300, 75:375]
    side = height
    face = cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((height, width, 3), 128, dtype=np.uint8)
    x0 = (width - side) // 2
    canvas[:, x0 : x0 + side] = face
    # the patient's left mouth corner of the photograph (image right), in canvas pixels
    corner = (x0 + (245 - 75) * side / 300, 141 * side / 300)
    sigma = 12 * side / 300
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    bump = np.exp(-((xx - corner[0]) ** 2 + (yy - corner[1]) ** 2) / (2 * sigma**2))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    for i in range(n_frames):
        phase = 2 * np.pi * i / fps / 4.0  # 4 s cycles
        lift = float(6 * side / 300 * max(0.0, np.sin(phase)))
        frame = cv2.remap(canvas, xx - 0.5 * lift * bump, yy + lift * bump, cv2.INTER_LINEAR)
        m = cv2.getRotationMatrix2D((width / 2, height / 2), 8 * np.sin(phase / 2), 1 + 0.08 * np.sin(phase / 3))
        m[:, 2] += (15 * np.sin(phase / 5), 10 * np.cos(phase / 4))
        frame = cv2.warpAffine(frame, m, (width, height), borderMode=cv2.BORDER_REPLICATE)
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def run_case(video: Path, case: str) -> dict:
    """Time one case in this process; returns frames, seconds, fps and peak RSS (MiB).

    Imports happen before the clock starts; ``read_video`` timing includes
    building the MediaPipe graph, hashing the file, decoding, tracking,
    head-pose removal and the Session.
    """
    import cv2

    from acquisition.readers.video import read_video

    notes = ""
    start = time.perf_counter()
    if case == "decode":
        cap = cv2.VideoCapture(str(video))
        n = 0
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            n += 1
        cap.release()
    else:
        session = read_video(video)
        n = session.motion.n_frames
        lost = int(np.isnan(session.motion.data[:, 0, 0]).sum())
        notes = f"face lost in {lost} frames"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "case": case,
        "frames": n,
        "seconds": round(seconds, 3),
        "fps": round(n / seconds, 1),
        "peak_rss_mib": round(peak, 1),
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=600, help="frames per video (30 fps)")
    parser.add_argument("--sizes", nargs="+", default=["640x480", "1280x720"])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the fastest is reported")
    parser.add_argument("--run", nargs=2, metavar=("VIDEO", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_case(Path(args.run[0]), args.run[1])))
        return 0
    env = dict(os.environ, PYTHONPATH=str(ROOT), GLOG_minloglevel="2", TF_CPP_MIN_LOG_LEVEL="2")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (other work on the machine lowers the figures)")
    print(f"{'size':>10} {'case':>11} {'frames':>7} {'s':>7} {'fps':>8} {'peak MiB':>9}  notes")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            width, height = (int(v) for v in size.split("x"))
            video = Path(tmp) / f"face_{size}.avi"
            make_video(video, width=width, height=height, n_frames=args.frames)
            for case in ("decode", "read_video"):
                runs = []
                for _ in range(max(1, args.repeat)):
                    out = subprocess.run(
                        [sys.executable, __file__, "--run", str(video), case],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
                r = min(runs, key=lambda x: x["seconds"])
                print(
                    f"{size:>10} {r['case']:>11} {r['frames']:>7} {r['seconds']:>7.2f} {r['fps']:>8.1f} "
                    f"{r['peak_rss_mib']:>9.1f}  {r['notes']}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
