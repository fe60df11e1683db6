"""Real-face test videos (scikit-image's astronaut), written with OpenCV once per test session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from .faces import bump_warp, close_eye, face_image, landmarks_px, move_head, true_shift, write_video

FPS = 15.0
#: Frames at rest before the movement starts (1 s) and frames of movement.
REST, MOVE = 15, 30
#: Largest lift of the mouth corner, px of the test image (about 8 mm).
LIFT_PX = 8.0
SIGMA_PX = 18.0


@dataclass(frozen=True)
class Clip:
    """A written test video and what was done to it."""

    path: Path
    truth_px: np.ndarray  # (n_frames, 2) true image displacement of the warped point (x right, y down)


@pytest.fixture(scope="session")
def face() -> np.ndarray:
    return face_image()


@pytest.fixture(scope="session")
def face_points(face) -> np.ndarray:
    return landmarks_px(face)


def _lifts() -> np.ndarray:
    return np.concatenate([np.zeros(REST), np.linspace(0, LIFT_PX, MOVE)])


@pytest.fixture(scope="session")
def smile_frames(face, face_points):
    """The patient's left mouth corner (mesh 291, image right) lifted up and out progressively."""
    corner = tuple(face_points[291])
    frames, truth = [], []
    for d in _lifts():
        shift = (0.5 * d, -d)
        frames.append(bump_warp(face, corner, shift, SIGMA_PX))
        truth.append(true_shift(corner, shift, SIGMA_PX))
    return frames, np.array(truth)


def _head_path(n: int) -> list[dict]:
    """A smooth rigid head movement from the upright pose: roll up to 12 degrees, scale 0.85-1.15,
    translation up to 20 px."""
    return [
        {
            "angle_deg": 12 * np.sin(2 * np.pi * x),
            "scale": 1 + 0.15 * np.sin(3 * np.pi * x),
            "shift": (20 * np.sin(np.pi * x), -15 * x),
        }
        for x in np.linspace(0, 1, n)
    ]


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="session")
def smile_clip(videos, smile_frames) -> Clip:
    frames, truth = smile_frames
    return Clip(write_video(videos / "smile.avi", frames, fps=FPS), truth)


@pytest.fixture(scope="session")
def smile_moving_clip(videos, smile_frames) -> Clip:
    frames, truth = smile_frames
    moved = [move_head(fr, **pose) for fr, pose in zip(frames, _head_path(len(frames)), strict=True)]
    return Clip(write_video(videos / "smile_moving.mp4", moved, fps=FPS, fourcc="mp4v"), truth)


@pytest.fixture(scope="session")
def still_moving_clip(videos, face) -> Clip:
    n = REST + MOVE
    frames = [move_head(face, **pose) for pose in _head_path(n)]
    return Clip(write_video(videos / "still_moving.avi", frames, fps=FPS), np.zeros((n, 2)))


@pytest.fixture(scope="session")
def mirrored_smile_clip(videos, smile_frames) -> Clip:
    frames, truth = smile_frames
    flipped = [np.ascontiguousarray(fr[:, ::-1]) for fr in frames]
    return Clip(write_video(videos / "smile_mirrored.avi", flipped, fps=FPS), truth * [-1, 1])


@pytest.fixture(scope="session")
def eye_clip(videos, face, face_points) -> Clip:
    """The patient's left upper eyelid (mesh 386) lowered to 90 % closure."""
    upper, lower, brow = face_points[386], face_points[374], face_points[334]
    fractions = np.concatenate([np.zeros(REST), np.linspace(0, 0.9, MOVE)])
    frames = [
        close_eye(face, upper=tuple(upper), lower=tuple(lower), brow_y=brow[1], half_width=12.0, fraction=f)
        for f in fractions
    ]
    truth = np.stack([np.zeros_like(fractions), fractions * (lower[1] - upper[1])], axis=1)
    return Clip(write_video(videos / "eye.avi", frames, fps=FPS), truth)


#: Frames of the events clip: white flashes and grey frames without a face.
FLASH_FRAMES = (10, 40)
BLANK_FRAMES = (20, 21, 22, 23)


@pytest.fixture(scope="session")
def events_clip(videos, face) -> Clip:
    """3 s of the still face with two white flash frames and four grey frames without a face."""
    frames = []
    for i in range(45):
        if i in FLASH_FRAMES:
            frames.append(np.full_like(face, 255))
        elif i in BLANK_FRAMES:
            frames.append(np.full_like(face, 128))
        else:
            frames.append(face)
    return Clip(write_video(videos / "events.avi", frames, fps=FPS), np.zeros((45, 2)))
