"""Camera landmarks to the head-fixed millimetre frame: head-pose removal and metric scale.

The face mesh gives points in *image* coordinates, which move whenever the
head turns, nods, tilts or comes closer to the camera. This module maps them
into the head-fixed frame documented in :mod:`acquisition.session`, in which
only facial movement remains:

1. **Camera frame.** :func:`image_to_camera` turns MediaPipe's normalised
   image coordinates into pixels with +x to the image's right, +y up and +z
   towards the camera (MediaPipe's depth has the scale of x). For a patient
   facing an unmirrored camera, the image's right is the patient's left, so
   +x already points to the patient's left. Mirrored (selfie) video is
   flipped horizontally *before* tracking (``read_video(..., mirrored=True)``),
   so that the mesh indices, which name the patient's sides, stay correct.
2. **Neutral face.** :func:`neutral_head_frame` builds the subject's own
   neutral face from frames at rest: each frame is aligned to the first by a
   similarity transform on :data:`~acquisition.face_mesh.RIGID_POINTS`, and
   the per-point median is taken. Its orientation is set by rotating its rigid
   points onto those of the reference face
   (:func:`acquisition.face_mesh.neutral_face`), then turning it so that the
   inter-iris line is exactly the x axis (right iris to left iris), with y as
   close as possible to the reference face's up. The
   origin is the midpoint between the iris centres (468 right, 473 left), and
   the scale is ``IRIS_DIAMETER_MM / iris diameter`` (11.77 mm, the Emotrics
   reference), measured on the neutral face.
3. **Per frame.** :func:`to_head_frame` aligns every frame's rigid points to
   the neutral face's with a weighted similarity transform (Umeyama's
   closed form, reweighted to down-weight rigid points that an expression
   moved) and applies it to all 478 points. Rotation, translation and the
   change of apparent size with distance are removed; what is left is facial
   movement in millimetres. The root-mean-square residual of the rigid points
   (mm) is returned per frame as a measure of how well the frame fits a
   rigidly moving head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import MappingError
from .face_mesh import IRIS_DIAMETER_MM, LANDMARKS, RIGID_POINTS, iris_diameter, neutral_face

N_POINTS = 478
_IRIS_RIGHT = LANDMARKS["iris_center_right"]
_IRIS_LEFT = LANDMARKS["iris_center_left"]
_RIGID = np.asarray(RIGID_POINTS, dtype=np.intp)
#: Residual scale (mm) of the robust reweighting: rigid points that moved
#: much more than this count less in the alignment.
_ROBUST_MM = 1.0
#: Frames aligned at a time (bounds the float64 working memory).
_CHUNK = 2048


@dataclass(frozen=True, eq=False)
class NeutralFace:
    """The subject's neutral face in the head-fixed frame.

    Attributes
    ----------
    points : ndarray, shape (478, 3), float64
        Millimetres; +x patient's left, +y up, +z out of the face, origin
        between the iris centres.
    mm_per_px : float
        Scale of the camera pixels at the neutral face, mm per pixel.
    iris_px : float
        Iris diameter measured on the neutral face, pixels.
    n_frames : int
        Number of tracked frames the neutral face was built from.
    """

    points: np.ndarray
    mm_per_px: float
    iris_px: float
    n_frames: int


@dataclass(frozen=True, eq=False)
class HeadFrameResult:
    """Landmarks in the head-fixed frame.

    Attributes
    ----------
    points : ndarray, shape (n_frames, 478, 3), float32
        Millimetres in the head-fixed frame; NaN for frames without a face.
    residual_mm : ndarray, shape (n_frames,), float32
        RMS distance of the rigid points to the neutral face after alignment,
        mm; NaN for frames without a face.
    mm_per_px : ndarray, shape (n_frames,), float32
        Scale of each frame, mm per pixel (it grows as the head moves away
        from the camera); NaN for frames without a face.
    neutral : NeutralFace
    notes : tuple of str
        Processing record, one sentence per step.
    """

    points: np.ndarray
    residual_mm: np.ndarray
    mm_per_px: np.ndarray
    neutral: NeutralFace
    notes: tuple[str, ...]


def image_to_camera(landmarks: np.ndarray, *, width: int, height: int) -> np.ndarray:
    """MediaPipe normalised coordinates to camera-frame pixels.

    Parameters
    ----------
    landmarks : ndarray, shape (..., n_points, 3)
        x in [0, 1] of the image width (left to right), y in [0, 1] of the
        height (top to bottom), z relative depth in units of the width
        (negative towards the camera).
    width, height : int
        Image size in pixels.

    Returns
    -------
    ndarray, shape (..., n_points, 3), float32
        Pixels, +x to the image's right, +y up, +z towards the camera.
    """
    if width <= 0 or height <= 0:
        raise MappingError(f"image size {width}x{height} px is not positive")
    pts = np.asarray(landmarks, dtype=np.float32)
    if pts.shape[-1] != 3:
        raise MappingError(f"landmarks have shape {pts.shape}; expected (..., n_points, 3)")
    out = np.empty(pts.shape, dtype=np.float32)
    out[..., 0] = pts[..., 0] * width
    out[..., 1] = -pts[..., 1] * height
    out[..., 2] = -pts[..., 2] * width
    return out


def similarity_fit(
    source: np.ndarray, target: np.ndarray, *, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least-squares similarity transforms (Umeyama), one per frame.

    Finds ``s, R, t`` minimising ``sum_i w_i |s R x_i + t - y_i|^2``.

    Parameters
    ----------
    source : ndarray, shape (n_frames, k, 3)
        Points to move (finite).
    target : ndarray, shape (k, 3)
        Where they should land.
    weights : ndarray, shape (n_frames, k), optional
        Non-negative weights; equal weights when omitted.

    Returns
    -------
    scale : ndarray, shape (n_frames,)
    rotation : ndarray, shape (n_frames, 3, 3)
        Proper rotations (determinant +1).
    translation : ndarray, shape (n_frames, 3)
    """
    x = np.asarray(source, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    n, k = x.shape[:2]
    w = np.ones((n, k)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum(axis=1, keepdims=True)
    mx = np.einsum("nk,nkd->nd", w, x)
    my = np.einsum("nk,kd->nd", w, y)
    xc = x - mx[:, None, :]
    yc = y[None, :, :] - my[:, None, :]
    cov = np.einsum("nk,nki,nkj->nij", w, yc, xc)
    u, d, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u) * np.linalg.det(vt))
    sign[sign == 0] = 1.0
    u[:, :, 2] *= sign[:, None]
    d[:, 2] *= sign
    rotation = u @ vt
    var_x = np.einsum("nk,nkd,nkd->n", w, xc, xc)
    scale = d.sum(axis=1) / var_x
    translation = my - scale[:, None] * np.einsum("nij,nj->ni", rotation, mx)
    return scale, rotation, translation


def _apply(points: np.ndarray, scale: np.ndarray, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    return scale[:, None, None] * np.einsum("nij,npj->npi", rotation, points) + translation[:, None, :]


def align_frames(
    points: np.ndarray, reference: np.ndarray, *, robust_scale: float, iterations: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Align each frame's rigid points to a reference face, robustly.

    Parameters
    ----------
    points : ndarray, shape (n_frames, 478, 3)
        Finite coordinates (any units).
    reference : ndarray, shape (478, 3)
        The face to align to; the output is in its units and frame.
    robust_scale : float
        Distance ``c`` in the reference's units beyond which a rigid point
        counts less (weights ``1 / (1 + (r/c)^2)`` in the reweighting passes),
        so that rigid points an expression displaced do not tilt the head.
    iterations : int
        Reweighting passes after the first, equally weighted, fit.

    Returns
    -------
    aligned : ndarray, shape (n_frames, 478, 3), float64
    residual : ndarray, shape (n_frames,)
        RMS distance of the rigid points to the reference after alignment,
        in the reference's units.
    scale : ndarray, shape (n_frames,)
        Reference units per input unit (mm per pixel for a reference in mm).
    """
    src = points[:, _RIGID, :]
    dst = reference[_RIGID]
    c = float(robust_scale)
    weights = None
    for _ in range(iterations + 1):
        scale, rotation, translation = similarity_fit(src, dst, weights=weights)
        moved = _apply(src, scale, rotation, translation)
        dist = np.linalg.norm(moved - dst[None], axis=2)
        weights = 1.0 / (1.0 + (dist / c) ** 2)
    residual = np.sqrt(np.mean(dist**2, axis=1))
    return _apply(points, scale, rotation, translation), residual, scale


def _rotation_to_x(direction: np.ndarray) -> np.ndarray:
    """Rotation matrix mapping ``direction`` to +x and keeping +y as close to +y as possible."""
    x = direction / np.linalg.norm(direction)
    y = np.array([0.0, 1.0, 0.0]) - x[1] * x
    y /= np.linalg.norm(y)
    return np.stack([x, y, np.cross(x, y)])


def neutral_head_frame(points: np.ndarray) -> NeutralFace:
    """Build the subject's neutral face in the head-fixed frame.

    Parameters
    ----------
    points : ndarray, shape (n_frames, 478, 3)
        Camera-frame pixels (:func:`image_to_camera`) of frames at rest; lost
        frames (NaN) are skipped.

    Returns
    -------
    NeutralFace
    """
    pts = np.asarray(_check_points(points), dtype=np.float64)
    ok = np.all(np.isfinite(pts), axis=(1, 2))
    if not ok.any():
        raise MappingError(f"none of the {len(pts)} neutral frames has a tracked face")
    pts = pts[ok]
    first = pts[0]
    first_iris = float(iris_diameter(first))
    if not np.isfinite(first_iris) or first_iris <= 0:
        raise MappingError(f"iris diameter of the first neutral frame is {first_iris} px; expected > 0")
    aligned, _, _ = align_frames(pts, first, robust_scale=_ROBUST_MM * first_iris / IRIS_DIAMETER_MM)
    face = np.median(aligned, axis=0)
    iris_px = float(iris_diameter(face))
    if not np.isfinite(iris_px) or iris_px <= 0:
        raise MappingError(f"iris diameter of the neutral face is {iris_px} px; expected > 0")
    mm_per_px = IRIS_DIAMETER_MM / iris_px
    centre = (face[_IRIS_RIGHT] + face[_IRIS_LEFT]) / 2
    face_mm = (face - centre) * mm_per_px
    # orientation: rotate the rigid points onto the reference face's, then level the iris line
    canon = np.asarray(neutral_face(), dtype=np.float64)
    _, rot, _ = similarity_fit(face_mm[None, _RIGID], canon[_RIGID])
    face_mm = face_mm @ rot[0].T
    level = _rotation_to_x(face_mm[_IRIS_LEFT] - face_mm[_IRIS_RIGHT])
    face_mm = face_mm @ level.T
    return NeutralFace(points=face_mm, mm_per_px=mm_per_px, iris_px=iris_px, n_frames=int(ok.sum()))


def to_head_frame(points: np.ndarray, *, neutral_frames: np.ndarray) -> HeadFrameResult:
    """Remove head pose and scale every frame to millimetres in the head-fixed frame.

    Parameters
    ----------
    points : ndarray, shape (n_frames, 478, 3)
        Camera-frame pixels (:func:`image_to_camera`); NaN rows for frames
        without a face.
    neutral_frames : ndarray of bool, shape (n_frames,)
        Frames at rest from which the neutral face is built.

    Returns
    -------
    HeadFrameResult
    """
    pts = _check_points(points)
    mask = np.asarray(neutral_frames, dtype=bool)
    if mask.shape != (len(pts),):
        raise MappingError(f"neutral frame mask has shape {mask.shape}; expected ({len(pts)},)")
    neutral = neutral_head_frame(pts[mask])
    out = np.full(pts.shape, np.nan, dtype=np.float32)
    residual = np.full(len(pts), np.nan, dtype=np.float32)
    mm_per_px = np.full(len(pts), np.nan, dtype=np.float32)
    for first in range(0, len(pts), _CHUNK):
        block = np.asarray(pts[first : first + _CHUNK], dtype=np.float64)
        ok = np.all(np.isfinite(block), axis=(1, 2))
        if not ok.any():
            continue
        rows = np.flatnonzero(ok) + first
        aligned, res, sc = align_frames(block[ok], neutral.points, robust_scale=_ROBUST_MM)
        out[rows] = aligned
        residual[rows] = res
        mm_per_px[rows] = sc
    tracked = np.isfinite(residual)
    notes = (
        f"neutral face: per-point median of {neutral.n_frames} rest frames after rigid alignment; "
        f"scale {neutral.mm_per_px:.4g} mm/px from its iris diameter {neutral.iris_px:.3g} px "
        f"= {IRIS_DIAMETER_MM} mm",
        f"head motion removed: robust similarity alignment of {len(RIGID_POINTS)} rigid face-mesh points "
        f"to the neutral face in every tracked frame (median rigid residual "
        f"{float(np.nanmedian(residual)) if tracked.any() else float('nan'):.2g} mm)",
        "head-fixed frame: origin between the iris centres, +x patient's left along the inter-iris line, "
        "+y up, +z out of the face",
    )
    return HeadFrameResult(points=out, residual_mm=residual, mm_per_px=mm_per_px, neutral=neutral, notes=notes)


def _check_points(points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points)
    if not np.issubdtype(pts.dtype, np.floating):
        raise MappingError(f"face-mesh points have dtype {pts.dtype}; expected floating point")
    if pts.ndim != 3 or pts.shape[1:] != (N_POINTS, 3):
        raise MappingError(f"face-mesh points have shape {pts.shape}; expected (n_frames, {N_POINTS}, 3)")
    if len(pts) == 0:
        raise MappingError("face-mesh points have 0 frames; expected at least 1")
    return pts
