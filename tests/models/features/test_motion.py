"""Landmark measures and kinematics on constructed faces with known displacements."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from acquisition.face_mesh import LANDMARKS, neutral_face
from acquisition.session import Gap, MotionBlock, Session
from models.features import extract_features
from models.features.errors import FeatureError
from models.features.landmarks import face_track, rigid_align
from models.features.motion import landmark_measures, landmark_velocity, movement_onset
from models.features.record import Recorder
from tests.models.features.builders import constructed_motion, constructed_session, schedule

SMILE = "motion.commissure_displacement"


@pytest.fixture(scope="module")
def table():
    """Motion-only session: affected left moves half as far and 0.3 s late."""
    return extract_features(constructed_session(emg=False, weakness=0.5, delay_s=0.3, known_side=True))


def test_known_brow_displacement_gives_known_excursion(table):
    assert table["motion.brow_height.excursion_healthy.brow_raise"] == pytest.approx(10.0, abs=0.02)
    assert table["motion.brow_height.excursion_affected.brow_raise"] == pytest.approx(5.0, abs=0.02)
    assert table["motion.brow_height.excursion_ratio.brow_raise"] == pytest.approx(0.5, abs=0.005)
    assert table["motion.brow_height.excursion_asym_mm.brow_raise"] == pytest.approx(5.0, abs=0.02)
    assert table["motion.brow_height.excursion_asym_pct.brow_raise"] == pytest.approx(50.0, abs=0.5)


def test_known_commissure_displacement_in_mm(table):
    # (5 lateral, 6 up) mm on the healthy side: sqrt(61) mm
    assert table[f"{SMILE}.excursion_healthy.smile_open"] == pytest.approx(math.sqrt(61), abs=0.02)
    assert table[f"{SMILE}.excursion_affected.smile_open"] == pytest.approx(math.sqrt(61) / 2, abs=0.02)
    assert table["motion.commissure.excursion_asym_pct.smile_open"] > 30
    assert table["motion.mouth_width.excursion.pucker"] == pytest.approx(-12.0, abs=0.05)
    assert table["motion.dental_show.excursion.smile_open"] == pytest.approx(6.0, abs=0.05)


def test_static_measures_of_the_symmetric_neutral_face(table):
    face = neutral_face()
    fissure = face[LANDMARKS["upper_lid_left"], 1] - face[LANDMARKS["lower_lid_left"], 1]
    assert table["motion.fissure.value_affected.rest"] == pytest.approx(fissure, abs=0.02)
    assert table["motion.fissure.ratio.rest"] == pytest.approx(1.0, abs=1e-3)
    assert table["motion.brow_height.value_healthy.rest"] == pytest.approx(
        face[LANDMARKS["brow_mid_right"], 1] - face[LANDMARKS["iris_center_right"], 1], abs=0.02)
    assert table["motion.commissure_height.asym_mm.rest"] == pytest.approx(0.0, abs=1e-3)


def test_eye_closure_excursion_is_negative(table):
    assert table["motion.fissure.excursion_healthy.gentle_eye_closure"] == pytest.approx(-8.0, abs=0.02)
    assert table["motion.fissure.excursion_ratio.gentle_eye_closure"] == pytest.approx(0.5, abs=0.02)


def test_left_right_delay_of_shifted_movement(table):
    assert table[f"{SMILE}.lr_delay.smile_open"] == pytest.approx(0.3, abs=1 / 60)
    assert table["motion.brow_height.lr_delay.brow_raise"] == pytest.approx(0.0, abs=1 / 60)
    assert table[f"{SMILE}.onset_healthy.smile_open"] == pytest.approx(0.074, abs=0.02)


def test_peak_velocity_of_a_known_movement():
    fps = 60.0
    t = np.arange(int(fps * 3)) / fps
    phase = np.clip((t - 1.0) / 0.5, 0, 1)
    move = 10.0 * (0.5 - 0.5 * np.cos(np.pi * phase))  # 10 mm in 0.5 s, peak speed 10 pi / (2 * 0.5) mm/s
    pos, vel, acc = landmark_velocity(move, sfreq=fps)
    assert np.max(vel) == pytest.approx(10 * math.pi, rel=0.03)
    assert np.max(acc) == pytest.approx(10 * math.pi**2 / (2 * 0.5**2), rel=0.1)
    onset, peak = movement_onset(pos, sfreq=fps)
    # 20 % of the way: 1 - cos(pi x) = 0.4 at x = acos(0.6) / pi
    assert onset == pytest.approx(1.0 + 0.5 * math.acos(0.6) / math.pi, abs=0.02)
    assert peak == pytest.approx(1.5, abs=0.05)
    assert math.isnan(movement_onset(np.zeros(50), sfreq=fps)[0])


def test_short_tracking_gaps_are_bridged_long_ones_are_not():
    x = np.linspace(0, 5, 60)
    short = x.copy()
    short[20:24] = np.nan
    assert np.isfinite(landmark_velocity(short, sfreq=30.0)[1]).all()
    long_gap = x.copy()
    long_gap[10:40] = np.nan
    assert np.isnan(landmark_velocity(long_gap, sfreq=30.0)[1]).all()
    with pytest.raises(FeatureError, match="frame rate 0 Hz is invalid"):
        landmark_velocity(x, sfreq=0)


def test_measures_do_not_depend_on_roll_or_units():
    segments = schedule(tasks=("rest", "smile_open"), reps=1)
    motion = constructed_motion(segments, duration=segments[-1].end + 1, weakness=0.0)
    angle = math.radians(8)
    rot = np.array([[math.cos(angle), -math.sin(angle), 0], [math.sin(angle), math.cos(angle), 0], [0, 0, 1]])
    tilted = replace(motion, data=((motion.data.astype(np.float64) @ rot.T) / 10).astype(np.float32), units="cm")
    rec = Recorder()
    base = landmark_measures(face_track(motion, recorder=Recorder()))[0]
    turned = landmark_measures(face_track(tilted, recorder=rec))[0]
    for measure in ("brow_height", "fissure", "commissure", "smile_angle", "nasolabial"):
        np.testing.assert_allclose(turned[measure]["left"], base[measure]["left"], atol=0.02)
    assert rec.warnings == ()


def test_wrong_units_are_rescaled_by_the_iris_and_warned():
    segments = schedule(tasks=("rest", "brow_raise"), reps=1)
    motion = constructed_motion(segments, duration=segments[-1].end + 1, weakness=0.0)
    doubled = replace(motion, data=motion.data * 2)
    rec = Recorder()
    track = face_track(doubled, recorder=rec)
    assert track.scale == pytest.approx(0.5, rel=1e-3)
    assert any(w.code == "motion.iris_scale" and "check the motion units" in w.message for w in rec.warnings)


def test_rigid_alignment_removes_head_motion():
    face = np.asarray(neutral_face(), dtype=np.float64)
    n = 20
    frames = np.repeat(face[None], n, axis=0)
    angles = np.linspace(0, 0.05, n)
    for i, a in enumerate(angles):
        rot = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
        frames[i] = face @ rot.T + np.array([1.0, -2.0, 0.5]) * i / n
    aligned = rigid_align(frames, frames[:, [1, 4, 6, 10, 33, 263, 152], :])
    spread = aligned[:, LANDMARKS["commissure_left"], :].std(axis=0)
    assert spread.max() < 1e-6


def _marker_session(names: tuple[str, ...]) -> Session:
    full = constructed_session(emg=False, tasks=("rest", "brow_raise", "smile_open"), reps=1)
    mesh = full.motion
    idx = [LANDMARKS[n] for n in names]
    markers = MotionBlock(mesh.data[:, idx, :].copy(), mesh.sfreq, "markers:face", "mm", names, facial_points=names)
    return replace(full, motion=markers)


def test_marker_sets_with_canonical_names_give_the_same_measures():
    names = tuple(n for n in LANDMARKS if not n.startswith("iris"))
    names += ("iris_center_left", "iris_center_right")
    markers = extract_features(_marker_session(names))
    mesh = extract_features(constructed_session(emg=False, tasks=("rest", "brow_raise", "smile_open"), reps=1))
    for n in ("motion.brow_height.excursion_healthy.brow_raise", f"{SMILE}.excursion_healthy.smile_open"):
        assert markers[n] == pytest.approx(mesh[n], abs=0.05)
    assert "kept in the recorded millimetres" in markers.record.methods_text()


def test_marker_sets_without_eyes_warn_and_skip_pupil_measures():
    names = ("commissure_left", "commissure_right", "lower_lip_mid", "nose_tip", "my_marker")
    full = _marker_session(names[:-1])
    motion = full.motion
    extra = np.concatenate([motion.data, motion.data[:, :1]], axis=1)
    motion = MotionBlock(extra, motion.sfreq, "markers:face", "mm", names, facial_points=names)
    table = extract_features(replace(full, motion=motion))
    codes = {w.code for w in table.warnings}
    assert {"motion.no_eyes", "motion.unknown_points"} <= codes
    assert math.isnan(table["motion.brow_height.value_healthy.rest"])
    assert table[f"{SMILE}.excursion_healthy.smile_open"] == pytest.approx(math.sqrt(61), abs=0.05)


def test_motion_without_facial_points_is_a_warning_not_a_crash():
    full = constructed_session(emg=False, tasks=("rest", "smile_open"), reps=1)
    body = MotionBlock(full.motion.data[:, :3].copy(), full.motion.sfreq, "markers:body", "mm", ("a", "b", "c"))
    table = extract_features(replace(full, motion=body))
    assert any(w.code == "motion.not_facial" and "has no facial points" in w.message for w in table.warnings)
    assert table.available(modality="motion") == ()


def test_lost_tracking_skips_the_repetition_with_a_warning():
    full = constructed_session(emg=False, tasks=("rest", "smile_open"), reps=2)
    data = full.motion.data.copy()
    seg = [s for s in full.segments if s.task == "smile_open"][0]
    data[int(seg.start * 60):int(seg.end * 60)] = np.nan
    session = replace(full, motion=replace(full.motion, data=data),
                      gaps=(Gap("motion", seg.start, seg.end, "face lost"),))
    table = extract_features(session)
    assert any(w.code == "motion.lost" and "smile_open" in w.message for w in table.warnings)
    assert table[f"{SMILE}.excursion_healthy.smile_open"] == pytest.approx(math.sqrt(61), abs=0.05)


def test_missing_primary_landmarks_use_the_middle_of_the_repetition():
    names = ("commissure_left", "commissure_right", "lower_lip_mid", "iris_center_left", "iris_center_right")
    table = extract_features(_marker_session(names))
    warning = next(w for w in table.warnings if w.code == "motion.no_primary")
    assert "brow_height are missing" in warning.message and "'brow_raise'" in warning.message
    assert table[f"{SMILE}.excursion_healthy.smile_open"] == pytest.approx(math.sqrt(61), abs=0.05)


def test_face_track_refuses_unusable_landmarks():
    odd = MotionBlock(np.zeros((5, 2, 3), dtype=np.float32), 30.0, "markers:odd", "mm", ("p", "q"),
                      facial_points=("p",))
    with pytest.raises(FeatureError, match="has none of the canonical facial landmarks"):
        face_track(odd, recorder=Recorder())
    lost = MotionBlock(np.full((5, 478, 3), np.nan, dtype=np.float32), 30.0, "mediapipe478")
    with pytest.raises(FeatureError, match="no usable iris diameter"):
        face_track(lost, recorder=Recorder())
