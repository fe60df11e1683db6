"""Test videos made from a real face: scikit-image's astronaut photograph, warped.

The photograph (public domain, NASA) is cropped around the face and enlarged;
facial movements are produced by smooth local warps whose true displacement
is known, and head movements by similarity transforms of whole frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

#: Crop of the 512x512 photograph around the face (rows, columns) and enlargement.
_CROP = (slice(5, 245), slice(105, 345))
ENLARGE = 1.5


def face_image() -> np.ndarray:
    """The astronaut's face, RGB uint8, shape (360, 360, 3)."""
    from skimage import data

    crop = data.astronaut()[_CROP]
    return cv2.resize(crop, None, fx=ENLARGE, fy=ENLARGE, interpolation=cv2.INTER_CUBIC)


def landmarks_px(image: np.ndarray) -> np.ndarray:
    """Face-mesh points of a still image in image pixels (x right, y down), shape (478, 2)."""
    import mediapipe as mp

    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1) as mesh:
        result = mesh.process(image)
    h, w = image.shape[:2]
    return np.array([(p.x * w, p.y * h) for p in result.multi_face_landmarks[0].landmark])


def bump_warp(
    image: np.ndarray, centre: tuple[float, float], shift: tuple[float, float], sigma: float
) -> np.ndarray:
    """Move the content around ``centre`` by about ``shift`` pixels (Gaussian falloff ``sigma`` px)."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * sigma**2))
    map_x = (xx - shift[0] * g).astype(np.float32)
    map_y = (yy - shift[1] * g).astype(np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def true_shift(centre: tuple[float, float], shift: tuple[float, float], sigma: float) -> np.ndarray:
    """Where :func:`bump_warp` actually moves the point at ``centre``: displacement in px, shape (2,)."""
    c = np.asarray(centre, dtype=float)
    p = c.copy()
    for _ in range(100):  # fixed point of p = c + shift * g(p)
        p = c + np.asarray(shift) * np.exp(-np.sum((p - c) ** 2) / (2 * sigma**2))
    return p - c


def move_head(image: np.ndarray, *, angle_deg: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    """Rotate (counter-clockwise on screen), scale and translate a whole frame about its centre."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, scale)
    m[:, 2] += shift
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def write_video(path: Path, frames: Iterable[np.ndarray], *, fps: float, fourcc: str = "MJPG") -> Path:
    """Write RGB frames with OpenCV (MJPG .avi or mp4v .mp4)."""
    writer = None
    for frame in frames:
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
            assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path}"
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    assert writer is not None, "no frames"
    writer.release()
    return path


def close_eye(
    image: np.ndarray,
    *,
    upper: tuple[float, float],
    lower: tuple[float, float],
    brow_y: float,
    half_width: float,
    fraction: float,
) -> np.ndarray:
    """Lower the upper eyelid at ``upper`` towards ``lower`` by ``fraction`` of the lid gap.

    Skin between the brow row and the upper lid is stretched down, the eye
    opening between the lids is squeezed, the lower lid stays; the effect
    fades out horizontally with a Gaussian of ``half_width`` px.
    """
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    up, lo = upper[1], lower[1]
    d = fraction * (lo - up)
    src = yy.copy()
    top = (yy >= brow_y) & (yy < up + d)
    src[top] = brow_y + (yy[top] - brow_y) * (up - brow_y) / (up + d - brow_y)
    mid = (yy >= up + d) & (yy <= lo)
    src[mid] = up + (yy[mid] - up - d) * (lo - up) / max(lo - up - d, 1e-6)
    weight = np.exp(-((xx - upper[0]) ** 2) / (2 * half_width**2))
    map_y = (yy + weight * (src - yy)).astype(np.float32)
    return cv2.remap(image, xx.astype(np.float32), map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
