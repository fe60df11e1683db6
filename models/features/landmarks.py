"""Canonical facial landmarks in the Emotrics measurement frame.

:func:`face_track` takes a :class:`~acquisition.session.MotionBlock` (face
mesh or a marker set whose ``facial_points`` carry the canonical names of
:data:`acquisition.face_mesh.LANDMARKS`) and returns the named landmark
trajectories in millimetres, in the frame of shared/docs/clinical.md:

* origin midway between the pupils (session medians of the iris centres, or
  of the eye-corner midpoints when there is no iris);
* rotated in the frontal (x, y) plane so the inter-pupil line is horizontal
  (+x towards the patient's left, +y up); the midline is x = 0;
* scaled so the iris diameter is 11.77 mm (face mesh with iris refinement:
  ``mm/px = 11.77 / iris diameter``); other schemes keep their recorded mm;
* for face-mesh schemes, residual rigid head motion left by head-pose
  removal is taken out first: each frame's rigid points
  (:data:`acquisition.face_mesh.RIGID_POINTS`) are fitted to their session
  median by a rotation and translation (Kabsch), which is applied to the
  frame.

One rotation and one scale are estimated for the whole session (the block is
already head-fixed), which keeps frames with closed eyes, where iris points
are unreliable, from disturbing the frame.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from acquisition.face_mesh import IRIS_DIAMETER_MM, IRIS_RINGS, LANDMARKS, RIGID_POINTS
from acquisition.session import FACE_MESH_SCHEMES, MotionBlock

from .errors import FeatureError
from .record import Recorder

#: Relative deviation of the iris scale from 1 above which the units are suspect.
SCALE_TOLERANCE = 0.25


@dataclass(frozen=True, eq=False)
class FaceTrack:
    """Named landmark trajectories in the measurement frame.

    Attributes
    ----------
    points : dict
        Canonical name -> ndarray, shape (n_frames, 3), float64, mm; NaN where lost.
    sfreq : float
        Frame rate, Hz.
    t0 : float
        Session time of the first frame, s.
    pupils : dict
        Side -> reference pupil position, shape (3,), mm (absent without eye landmarks).
    scale : float
        Factor applied to reach an iris diameter of 11.77 mm (1 when not applied).
    roll_deg : float
        Rotation removed, degrees.
    """

    points: dict[str, np.ndarray]
    sfreq: float
    t0: float
    pupils: dict[str, np.ndarray]
    scale: float
    roll_deg: float

    @property
    def n_frames(self) -> int:
        return next(iter(self.points.values())).shape[0] if self.points else 0

    def has(self, *names: str) -> bool:
        """True when every named landmark is present."""
        return all(n in self.points for n in names)

    def frame(self, time: float) -> int:
        """Index of the frame nearest to session time ``time`` (s), clipped to the block."""
        return int(min(max(round((time - self.t0) * self.sfreq), 0), self.n_frames - 1))


def _indices(motion: MotionBlock, recorder: Recorder) -> dict[str, int]:
    if motion.scheme in FACE_MESH_SCHEMES:
        return {name: i for name, i in LANDMARKS.items() if i < motion.n_points}
    position = {p: i for i, p in enumerate(motion.point_names)}
    known = {p: position[p] for p in motion.facial_points if p in LANDMARKS}
    unknown = sorted(set(motion.facial_points) - set(LANDMARKS))
    if unknown:
        recorder.warn("motion.unknown_points",
                      f"motion facial points {unknown} are not canonical landmark names and were ignored")
    return known


def nanmedian(x: np.ndarray, axis: int) -> np.ndarray:
    """``np.nanmedian`` that returns NaN for all-NaN slices without a RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(x, axis=axis)


def rigid_align(points: np.ndarray, rigid: np.ndarray) -> np.ndarray:
    """Remove per-frame rigid motion: fit each frame's rigid points to their median (Kabsch).

    Parameters
    ----------
    points : ndarray, shape (n_frames, n_points, 3)
        Points to move, mm.
    rigid : ndarray, shape (n_frames, n_rigid, 3)
        Points that move only with the head, mm (n_rigid >= 3). Frames with a
        lost rigid point are left as they are.

    Returns
    -------
    ndarray, shape (n_frames, n_points, 3)
    """
    reference = nanmedian(rigid, axis=0)
    ok = np.isfinite(rigid).all(axis=(1, 2))
    out = points.copy()
    if not ok.any() or not np.isfinite(reference).all():
        return out
    src = rigid[ok]
    src_c = src.mean(axis=1, keepdims=True)
    ref_c = reference.mean(axis=0)
    cov = (src - src_c).transpose(0, 2, 1) @ (reference - ref_c)
    u, _, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.ones((d.size, 3))
    fix[:, 2] = d
    rot = (u * fix[:, None, :]) @ vt  # maps src -> reference as x @ rot
    out[ok] = (points[ok] - src_c) @ rot + ref_c
    return out


def _pupil_traces(pts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for side in ("left", "right"):
        iris = f"iris_center_{side}"
        inner, outer = f"eye_inner_{side}", f"eye_outer_{side}"
        if iris in pts:
            out[side] = pts[iris]
        elif inner in pts and outer in pts:
            out[side] = (pts[inner] + pts[outer]) / 2
    return out


def face_track(motion: MotionBlock, *, recorder: Recorder) -> FaceTrack:
    """Landmarks of a facial motion block in the Emotrics measurement frame.

    Parameters
    ----------
    motion : MotionBlock
        Head-fixed facial motion (face mesh or marker set with facial points).
    recorder : Recorder
        Receives the methods sentence, the frame parameters and warnings.

    Returns
    -------
    FaceTrack

    Raises
    ------
    FeatureError
        If the block has no facial points.
    """
    if not motion.is_facial:
        raise FeatureError(f"motion scheme {motion.scheme!r} has no facial points; facial measures need landmarks")
    index = _indices(motion, recorder)
    if not index:
        raise FeatureError(f"motion scheme {motion.scheme!r} has none of the canonical facial landmarks")
    names = list(index)
    unit = {"mm": 1.0, "cm": 10.0, "m": 1000.0}[motion.units]
    data = np.asarray(motion.data[:, [index[n] for n in names], :], dtype=np.float64) * unit
    if motion.scheme in FACE_MESH_SCHEMES:
        rigid = np.asarray(motion.data[:, list(RIGID_POINTS), :], dtype=np.float64) * unit
        data = rigid_align(data, rigid)
        recorder.step("Residual rigid head motion was removed from the face mesh by fitting each frame's rigid "
                      "points to their session median (rotation and translation, Kabsch).")
    pts = {n: data[:, i, :] for i, n in enumerate(names)}
    pupils = {side: nanmedian(trace, axis=0) for side, trace in _pupil_traces(pts).items()}
    pupils = {s: p for s, p in pupils.items() if np.isfinite(p).all()}
    roll = 0.0
    origin = np.zeros(3)
    if len(pupils) == 2:
        vec = pupils["left"] - pupils["right"]
        roll = math.atan2(vec[1], vec[0])
        origin = (pupils["left"] + pupils["right"]) / 2
        origin[2] = 0.0
    else:
        recorder.warn("motion.no_eyes", "motion has no eye landmarks on both sides: the head-fixed frame is used "
                      "as recorded and pupil-referenced measures (brow height, MRD, heights) are unavailable")
    c, s = math.cos(-roll), math.sin(-roll)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    scale = 1.0
    if motion.scheme == "mediapipe478":
        diameters = []
        for pairs in IRIS_RINGS.values():
            for a, b in pairs:
                diameters.append(np.linalg.norm(motion.data[:, a, :] - motion.data[:, b, :], axis=-1))
        iris = float(nanmedian(np.mean(diameters, axis=0), axis=0)) * unit
        if not (math.isfinite(iris) and iris > 0):
            raise FeatureError("motion iris landmarks give no usable iris diameter; cannot scale the face")
        scale = IRIS_DIAMETER_MM / iris
        if abs(scale - 1) > SCALE_TOLERANCE:
            recorder.warn("motion.iris_scale", f"the iris measures {iris:.2f} mm in the recorded units, not "
                          f"{IRIS_DIAMETER_MM} mm: check the motion units (scaled by {scale:.3f})")
        recorder.step(f"Landmark coordinates were rotated so the inter-pupil line is horizontal "
                      f"(roll {math.degrees(roll):.1f} deg) and scaled to an iris diameter of {IRIS_DIAMETER_MM} mm "
                      f"(factor {scale:.3f}), as in Emotrics.", **{"motion.iris_scale": scale,
                                                                   "motion.roll_deg": math.degrees(roll)})
    else:
        recorder.step(f"Landmark coordinates were rotated so the inter-pupil line is horizontal "
                      f"(roll {math.degrees(roll):.1f} deg) and kept in the recorded millimetres "
                      f"(no iris landmarks to scale by).", **{"motion.iris_scale": 1.0,
                                                              "motion.roll_deg": math.degrees(roll)})
    for n in names:
        pts[n] = ((pts[n] - origin) @ rot.T) * scale
    pupils = {side: ((p - origin) @ rot.T) * scale for side, p in pupils.items()}
    return FaceTrack(pts, motion.sfreq, motion.t0, pupils, scale, math.degrees(roll))
