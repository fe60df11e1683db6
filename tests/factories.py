"""Small hand-made sessions for unit tests (simulated ones come from acquisition.simulate)."""

from __future__ import annotations

import numpy as np

from acquisition.session import EmgBlock, EmgChannel, Marker, MotionBlock, Segment, Session, Subject


def tiny_session(*, n_samples: int = 2000, sfreq: float = 1000.0, n_frames: int = 60, fps: float = 30.0,
                 seed: int = 0) -> Session:
    """Two EMG channels (zygomaticus left/right) and a 478-point mesh, 2 s, with one smile segment."""
    rng = np.random.default_rng(seed)
    emg = EmgBlock(
        (rng.standard_normal((2, n_samples)) * 1e-5).astype(np.float32),
        sfreq,
        (EmgChannel("Zyg li", "zygomaticus", "left"), EmgChannel("Zyg re", "zygomaticus", "right")),
    )
    motion = MotionBlock(rng.standard_normal((n_frames, 478, 3)).astype(np.float32), fps, "mediapipe478")
    return Session(
        emg=emg,
        motion=motion,
        segments=(Segment("smile_open", 0.5, 1.5, 1),),
        markers=(Marker(0.5, "smile_open/start"),),
        subject=Subject(age=40, sex="female", days_since_onset=10, affected_side="left"),
    )
