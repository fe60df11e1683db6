"""Sessions whose samples identify themselves, and LSL publishers running in child processes."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np

from acquisition.face_mesh import neutral_face
from acquisition.native import write_session
from acquisition.session import EmgBlock, EmgChannel, Gap, MotionBlock, Segment, Session

EMG_TICK = np.float32(2.0**-20)  # row 0 of the EMG is sample index x EMG_TICK (exact in float32)
INDEX_POINT = 200  # mesh point whose x holds the frame index (no facial measure uses it)


def identifiable_session(seconds: float = 20.0, *, emg_sfreq: float = 1000.0, fps: float = 30.0,
                         gaps: Sequence[Gap] = (), segments: Sequence[Segment] = ()) -> Session:
    """Zygomaticus left/right EMG and a 478-point face whose samples encode their own index.

    EMG row 0 holds ``k * EMG_TICK`` (k = sample index); the x coordinate of
    mesh point ``INDEX_POINT`` holds the frame index (other points: the
    neutral face).
    """
    n = int(seconds * emg_sfreq)
    rng = np.random.default_rng(1)
    emg = np.empty((2, n), dtype=np.float32)
    emg[0] = np.arange(n, dtype=np.float32) * EMG_TICK
    emg[1] = (rng.standard_normal(n) * 2e-5).astype(np.float32)
    frames = int(seconds * fps)
    face = np.repeat(neutral_face()[None].astype(np.float32), frames, axis=0)
    face[:, INDEX_POINT, 0] = np.arange(frames, dtype=np.float32)
    return Session(
        emg=EmgBlock(emg, emg_sfreq, (EmgChannel("Zyg li", "zygomaticus", "left"),
                                      EmgChannel("Zyg re", "zygomaticus", "right"))),
        motion=MotionBlock(face, fps, "mediapipe478"),
        gaps=tuple(gaps),
        segments=tuple(segments),
    )


def emg_index(value: float) -> float:
    """The original sample index encoded in an EMG row-0 value."""
    return float(value) / float(EMG_TICK)


def unique_id(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Publisher:
    """``python -m acquisition.lsl_publish`` in a child process (real outlets, real sockets)."""

    def __init__(self, session_path: Path, *, kinds: Sequence[str] = ("emg", "motion"), name: str | None = None,
                 source_id: str | None = None, start_in_s: float = 0.3) -> None:
        self.session_path = Path(session_path)
        self.kinds = tuple(kinds)
        self.source_id = source_id or unique_id("pub")
        self.name = name or self.source_id
        self.start_in_s = start_in_s
        self.proc: subprocess.Popen | None = None

    @classmethod
    def for_session(cls, session: Session, folder: Path, **kwargs) -> "Publisher":
        path = folder / f"{uuid.uuid4().hex[:8]}-published.fpcds"
        write_session(session, path)
        return cls(path, **kwargs)

    def source_ids(self) -> list[str]:
        return [f"{self.source_id}-{k}" for k in self.kinds]

    def start(self) -> "Publisher":
        argv = [sys.executable, "-m", "acquisition.lsl_publish", str(self.session_path), "--name", self.name,
                "--source-id", self.source_id, "--start-wall", repr(time.time() + self.start_in_s)]
        for kind in self.kinds:
            argv += ["--stream", kind]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        assert line == "ready", f"publisher did not start (exit {self.proc.poll()})"
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> "Publisher":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()
