"""read_video on real faces: warped and moved astronaut videos read back through OpenCV and MediaPipe.

Stated tolerances (the test face's scale is about 1.02 mm per pixel, so one
pixel of MediaPipe jitter is about 1 mm):

* lifted mouth corner: vertical excursion within 1.5 mm of the applied warp
  at every frame, horizontal within 2.5 mm, slope of measured on applied
  0.8-1.2; the other corner moves at most 2.5 mm and under 40 % of the lifted one
  (MediaPipe's mesh couples the two corners slightly);
* whole frames rotated (up to 12 degrees), scaled (0.85-1.15) and translated
  (up to 20 px): the clinical landmarks stay within 1 mm of the neutral face
  in median, 2.5 mm at the 95th percentile and 4 mm at worst, where the raw
  image points move more than 15 mm;
* eye closure: the palpebral fissure shrinks by 40-120 % of the applied lid
  travel (MediaPipe follows eyelids with reduced gain), the other eye's
  changes by at most 1 mm.
"""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.errors import MappingError, SessionFileError
from acquisition.face_mesh import IRIS_DIAMETER_MM, LANDMARKS, iris_diameter
from acquisition.readers.video import read_video, track_video
from acquisition.session import Segment

from .conftest import BLANK_FRAMES, FLASH_FRAMES, FPS, REST

CLINICAL = sorted(set(LANDMARKS.values()))
L_CORNER, R_CORNER = LANDMARKS["commissure_left"], LANDMARKS["commissure_right"]


def neutral(motion: np.ndarray) -> np.ndarray:
    """Mean of the rest frames, skipping the first two (tracker settling)."""
    return np.nanmean(motion[2:REST], axis=0)


@pytest.fixture(scope="module")
def scale(face_points) -> float:
    """mm per pixel of the unmoved test face, from its iris diameter (static-image face mesh)."""
    rings = [(469, 471), (470, 472), (474, 476), (475, 477)]
    iris_px = np.mean([np.linalg.norm(face_points[a] - face_points[b]) for a, b in rings])
    return IRIS_DIAMETER_MM / iris_px


@pytest.fixture(scope="module")
def smile(smile_clip):
    return read_video(smile_clip.path)


def excursions(session, truth_px, scale):
    """Measured corner excursions (mm, head frame) and the applied ones (mm, head frame)."""
    m = session.motion.data
    base = neutral(m)
    applied = truth_px * [1, -1] * scale  # image y down -> head y up
    return m[:, L_CORNER] - base[L_CORNER], m[:, R_CORNER] - base[R_CORNER], applied


def assert_tracks_lift(session, truth_px, scale):
    left, right, applied = excursions(session, truth_px, scale)
    assert np.abs(left[:, 1] - applied[:, 1]).max() <= 1.5
    assert np.abs(left[:, 0] - applied[:, 0]).max() <= 2.5
    slope = np.polyfit(applied[:, 1], left[:, 1], 1)[0]
    assert 0.8 <= slope <= 1.2
    peak_left = np.linalg.norm(left[-3:], axis=1).mean()
    assert peak_left > 5.0
    assert np.linalg.norm(right, axis=1).max() <= min(2.5, 0.4 * peak_left)


def test_session_shape_units_and_provenance(smile, smile_clip):
    motion = smile.motion
    assert motion.scheme == "mediapipe478" and motion.units == "mm"
    assert motion.data.shape == (45, 478, 3) and motion.sfreq == FPS and motion.t0 == 0.0
    assert motion.confidence.shape == (45,) and motion.confidence.min() > 0.8
    assert smile.gaps == () and smile.emg is None
    assert smile.provenance.sources[0].name == "smile.avi" and len(smile.provenance.sources[0].sha256) == 64
    notes = " | ".join(smile.provenance.notes)
    assert "refine_landmarks=True, 478 points, tracking mode" in notes
    assert "unmirrored video" in notes and "iris diameter" in notes and "head motion removed" in notes


def test_head_frame_axes_scale_and_patient_sides(smile):
    face = neutral(smile.motion.data)
    centre = (face[LANDMARKS["iris_center_left"]] + face[LANDMARKS["iris_center_right"]]) / 2
    np.testing.assert_allclose(centre, 0, atol=0.2)
    assert iris_diameter(face) == pytest.approx(IRIS_DIAMETER_MM, rel=0.03)
    # patient's left is +x, up is +y, out of the face is +z
    assert face[LANDMARKS["iris_center_left"], 0] > 25 and face[LANDMARKS["iris_center_right"], 0] < -25
    assert face[LANDMARKS["commissure_left"], 0] > 0 > face[LANDMARKS["commissure_right"], 0]
    assert face[LANDMARKS["forehead"], 1] > 0 > face[LANDMARKS["chin"], 1]
    assert face[LANDMARKS["nose_tip"], 2] > face[LANDMARKS["eye_outer_left"], 2] + 5
    # the inter-iris line is the x axis (exactly for the neutral face; this is a mean of rest frames)
    d = face[LANDMARKS["iris_center_left"]] - face[LANDMARKS["iris_center_right"]]
    assert abs(d[1]) < 0.3 and abs(d[2]) < 0.3


def test_lifted_mouth_corner_is_measured_on_the_patients_left(smile, smile_clip, scale):
    assert_tracks_lift(smile, smile_clip.truth_px, scale)
    left, _, _ = excursions(smile, smile_clip.truth_px, scale)
    assert left[-1, 1] > 5 and left[-1, 0] > 1  # up and outwards, towards the patient's left (+x)


def test_head_motion_does_not_change_the_measured_lift(smile_moving_clip, scale):
    session = read_video(smile_moving_clip.path)
    assert_tracks_lift(session, smile_moving_clip.truth_px, scale)


def test_rigid_head_motion_alone_shows_no_facial_movement(still_moving_clip, scale):
    session = read_video(still_moving_clip.path)
    m = session.motion.data
    dist = np.linalg.norm(m[:, CLINICAL] - neutral(m)[CLINICAL], axis=2)
    assert np.median(dist) <= 1.0
    assert np.percentile(dist, 95) <= 2.5
    assert dist.max() <= 4.0
    # the raw image points did move a lot: the test would fail without head-pose removal
    raw = track_video(still_moving_clip.path).points[:, CLINICAL, :2]
    raw_mm = np.linalg.norm(raw - raw[0], axis=2).max() * scale
    assert raw_mm > 15


def test_mirrored_video_needs_the_mirrored_option(mirrored_smile_clip, smile_clip, scale):
    fixed = read_video(mirrored_smile_clip.path, mirrored=True)
    assert_tracks_lift(fixed, smile_clip.truth_px, scale)
    assert "mirrored video, frames flipped horizontally" in " | ".join(fixed.provenance.notes)
    # read as if unmirrored, the lift lands on the wrong (right) side
    wrong = read_video(mirrored_smile_clip.path)
    m = wrong.motion.data
    base = neutral(m)
    assert m[-1, R_CORNER, 1] - base[R_CORNER, 1] > 5
    assert abs(m[-1, L_CORNER, 1] - base[L_CORNER, 1]) < 2.5


def test_closing_one_eye_narrows_only_that_fissure(eye_clip, scale):
    session = read_video(eye_clip.path)
    m = session.motion.data
    left = np.linalg.norm(m[:, LANDMARKS["upper_lid_left"]] - m[:, LANDMARKS["lower_lid_left"]], axis=1)
    right = np.linalg.norm(m[:, LANDMARKS["upper_lid_right"]] - m[:, LANDMARKS["lower_lid_right"]], axis=1)
    applied = eye_clip.truth_px[:, 1] * scale
    closed = left[2:REST].mean() - left[-3:].mean()
    assert 0.4 * applied[-2] <= closed <= 1.2 * applied[-2]
    assert np.corrcoef(applied[REST:], left[REST:])[0, 1] < -0.9
    assert np.abs(right - right[2:REST].mean()).max() <= 1.0


def test_lost_face_frames_are_nan_gaps_with_zero_confidence(events_clip):
    session = read_video(events_clip.path, sync_flash=True)
    m, conf = session.motion.data, session.motion.confidence
    lost = sorted(FLASH_FRAMES + BLANK_FRAMES)
    assert np.isnan(m[lost]).all() and (conf[lost] == 0).all()
    kept = np.setdiff1d(np.arange(45), lost)
    assert np.isfinite(m[kept]).all() and conf[kept].min() > 0.8
    spans = [(round(g.start * FPS), round(g.end * FPS)) for g in session.gaps]
    assert spans == [(10, 11), (20, 24), (40, 41)]
    assert all(g.stream == "motion" and "face not found" in g.reason for g in session.gaps)
    assert [round(mk.time * FPS) for mk in session.markers] == list(FLASH_FRAMES)
    assert {mk.label for mk in session.markers} == {"sync"}
    assert "face lost in 6 of 45 frames" in " | ".join(session.provenance.notes)
    # the shared quality checks run on every read
    assert [(q.code, q.severity) for q in session.quality] == [("motion.frame_drops", "warning")]


def test_t0_shifts_frames_gaps_and_segments(events_clip):
    session = read_video(events_clip.path, t0=100.0, segments=[Segment("rest", 0.0, 0.6)])
    assert session.motion.t0 == 100.0
    assert session.gaps[0].start == pytest.approx(100 + 10 / FPS)
    assert session.segments == (Segment("rest", 100.0, 100.6),)
    assert dict(session.provenance.clock_offsets)["motion"] == 100.0


def test_given_segments_and_neutral_window(smile_clip):
    given = [Segment("rest", 0.0, 0.9), Segment("smile_closed", 1.2, 3.0)]
    session = read_video(smile_clip.path, segments=given, neutral=(0.2, 0.9))
    assert session.segments == tuple(given)
    notes = " | ".join(session.provenance.notes)
    assert "segments: 2 given with the video" in notes and "neutral window 0.200-0.900 s" in notes


def test_segments_for_unknown_tasks_are_refused(smile_clip):
    with pytest.raises(MappingError, match="segment task 'smirk' is not in protocol 'fpcds-standard-v1'"):
        read_video(smile_clip.path, segments=[Segment("smirk", 0.0, 1.0)])


def test_neutral_window_without_face_is_refused(events_clip):
    with pytest.raises(SessionFileError, match=r"no face was tracked in the neutral window 1\.400-1\.500 s"):
        read_video(events_clip.path, neutral=(1.4, 1.5))


def test_empty_neutral_window_is_refused(events_clip):
    with pytest.raises(MappingError, match="neutral window 2.0-1.0 s is empty"):
        read_video(events_clip.path, neutral=(2.0, 1.0))


def test_frame_rate_override(events_clip):
    session = read_video(events_clip.path, sfreq=30.0)
    assert session.motion.sfreq == 30.0 and session.motion.duration == pytest.approx(1.5)
