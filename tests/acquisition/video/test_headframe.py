"""Head-pose removal and metric scaling on the real neutral face seen through known camera poses."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from acquisition.errors import MappingError
from acquisition.face_mesh import IRIS_DIAMETER_MM, LANDMARKS, RIGID_POINTS, iris_diameter, neutral_face
from acquisition.headframe import image_to_camera, neutral_head_frame, similarity_fit, to_head_frame

FACE = np.asarray(neutral_face(), dtype=np.float64)
#: The reference face in exactly iris-diameter scale (the stored one is symmetrised after scaling).
EXPECTED = FACE * IRIS_DIAMETER_MM / iris_diameter(FACE)
PX_PER_MM = 3.7


def camera_view(faces_mm: np.ndarray, seed: int = 0, max_deg: float = 20.0) -> np.ndarray:
    """Head-frame faces (n, 478, 3) seen by a camera: random rotation, distance (scale) and position."""
    rng = np.random.default_rng(seed)
    out = []
    for face in faces_mm:
        rot = Rotation.from_rotvec(np.deg2rad(rng.uniform(-max_deg, max_deg, 3))).as_matrix()
        scale = PX_PER_MM * rng.uniform(0.8, 1.25)
        out.append(scale * face @ rot.T + rng.uniform(-200, 200, 3))
    return np.stack(out)


def test_neutral_frames_recover_the_head_frame_and_scale():
    frames = camera_view(np.repeat(FACE[None], 6, axis=0))
    result = to_head_frame(frames, neutral_frames=np.ones(6, bool))
    np.testing.assert_allclose(result.neutral.points, EXPECTED, atol=1e-3)
    np.testing.assert_allclose(result.points, np.repeat(EXPECTED[None], 6, axis=0), atol=1e-3)
    assert iris_diameter(result.neutral.points) == pytest.approx(IRIS_DIAMETER_MM)
    assert result.neutral.iris_px == pytest.approx(iris_diameter(frames[0]))
    assert result.neutral.mm_per_px == pytest.approx(IRIS_DIAMETER_MM / iris_diameter(frames[0]))
    np.testing.assert_allclose(result.residual_mm, 0, atol=1e-3)
    assert result.points.dtype == np.float32 and result.points.shape == (6, 478, 3)


def test_expression_displacement_survives_head_motion_exactly():
    faces = np.repeat(EXPECTED[None], 10, axis=0)
    corner = LANDMARKS["commissure_left"]
    lifts = np.linspace(0, 6, 10)
    faces[:, corner, 1] += lifts  # 0-6 mm up on the patient's left
    frames = camera_view(faces, seed=3)
    result = to_head_frame(frames, neutral_frames=np.arange(10) == 0)
    np.testing.assert_allclose(result.points[:, corner, 1] - EXPECTED[corner, 1], lifts, atol=1e-3)
    other = np.setdiff1d(np.arange(478), [corner])
    np.testing.assert_allclose(result.points[:, other], faces[:, other], atol=1e-3)


def test_displaced_rigid_points_do_not_tilt_the_head():
    faces = np.repeat(EXPECTED[None], 2, axis=0)
    faces[1, [33, 133], 1] -= 2.0  # an expression pulls two "rigid" eye corners down by 2 mm
    frames = camera_view(faces, seed=5)
    result = to_head_frame(frames, neutral_frames=np.array([True, False]))
    untouched = np.setdiff1d(np.arange(478), [33, 133])
    err = np.linalg.norm(result.points[1, untouched] - EXPECTED[untouched], axis=1)
    assert err.max() < 0.2
    # a plain least-squares fit of the same rigid points tilts the head at least twice as much
    rigid = list(RIGID_POINTS)
    s, r, t = similarity_fit(frames[1:, rigid], EXPECTED[rigid])
    plain = s[0] * frames[1] @ r[0].T + t[0]
    assert np.linalg.norm(plain[untouched] - EXPECTED[untouched], axis=1).max() > 2 * err.max()


def test_neutral_is_a_median_of_several_frames():
    rng = np.random.default_rng(1)
    faces = EXPECTED[None] + rng.normal(0, 0.2, (15, 478, 3))
    neutral = neutral_head_frame(camera_view(faces, seed=2))
    single = neutral_head_frame(camera_view(faces[:1], seed=2))
    assert neutral.n_frames == 15 and single.n_frames == 1
    err = np.median(np.linalg.norm(neutral.points - EXPECTED, axis=1))
    assert err < 0.6 * np.median(np.linalg.norm(single.points - EXPECTED, axis=1))


def test_lost_frames_stay_nan_and_are_skipped():
    frames = camera_view(np.repeat(FACE[None], 4, axis=0))
    frames[1] = np.nan
    result = to_head_frame(frames, neutral_frames=np.array([True, True, False, False]))
    assert np.isnan(result.points[1]).all() and np.isnan(result.residual_mm[1]) and np.isnan(result.mm_per_px[1])
    assert np.isfinite(result.points[[0, 2, 3]]).all()
    assert result.neutral.n_frames == 1
    assert result.mm_per_px[0] == pytest.approx(1 / PX_PER_MM, rel=0.3)


def test_image_to_camera_flips_y_and_scales_depth_by_width():
    pts = np.array([[[0.25, 0.5, -0.1]]])
    np.testing.assert_allclose(image_to_camera(pts, width=640, height=480), [[[160, -240, 64]]], rtol=1e-6)


def test_similarity_fit_recovers_a_known_transform_and_never_reflects():
    rng = np.random.default_rng(4)
    src = rng.normal(size=(1, 19, 3))
    rot = Rotation.from_rotvec([0.3, -0.2, 0.5]).as_matrix()
    dst = 2.5 * src[0] @ rot.T + [1, 2, 3]
    s, r, t = similarity_fit(src, dst)
    assert s[0] == pytest.approx(2.5) and np.allclose(r[0], rot) and np.allclose(t[0], [1, 2, 3])
    s, r, t = similarity_fit(src, src[0] * [-1, 1, 1])  # a mirror image is fitted by a rotation
    assert np.linalg.det(r[0]) == pytest.approx(1.0)


def test_bad_input_is_refused():
    with pytest.raises(
        MappingError, match=r"face-mesh points have shape \(3, 468, 3\); expected \(n_frames, 478, 3\)"
    ):
        to_head_frame(np.zeros((3, 468, 3)), neutral_frames=np.ones(3, bool))
    with pytest.raises(MappingError, match="face-mesh points have dtype int64; expected floating point"):
        to_head_frame(np.zeros((3, 478, 3), dtype=np.int64), neutral_frames=np.ones(3, bool))
    with pytest.raises(MappingError, match=r"neutral frame mask has shape \(2,\); expected \(3,\)"):
        to_head_frame(camera_view(np.repeat(FACE[None], 3, axis=0)), neutral_frames=np.ones(2, bool))
    with pytest.raises(MappingError, match="none of the 2 neutral frames has a tracked face"):
        neutral_head_frame(np.full((2, 478, 3), np.nan))
    with pytest.raises(MappingError, match="face-mesh points have 0 frames"):
        neutral_head_frame(np.zeros((0, 478, 3)))
    with pytest.raises(MappingError, match="image size 0x480 px is not positive"):
        image_to_camera(np.zeros((478, 3)), width=0, height=480)
    collapsed = np.repeat(FACE[None], 1, axis=0)
    collapsed[0, 468:] = 0.0
    with pytest.raises(MappingError, match="iris diameter of the first neutral frame is 0.0 px; expected > 0"):
        neutral_head_frame(collapsed)
