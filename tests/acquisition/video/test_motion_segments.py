"""Task segmentation from facial motion energy: synthetic protocol recordings and a real warped video."""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.face_mesh import LANDMARKS, neutral_face
from acquisition.motion_segments import (
    MotionSegmentationError,
    detect_segments,
    landmark_energy,
    movement_bouts,
)
from acquisition.protocol import STANDARD_PROTOCOL, Protocol
from acquisition.readers.video import read_video

from .faces import bump_warp, close_eye, write_video

FACE = np.asarray(neutral_face(), dtype=np.float64)
SFREQ = 30.0


def region(name: str, sigma_mm: float) -> np.ndarray:
    """Weights (478,) of mesh points around a landmark, Gaussian in distance on the neutral face."""
    d = np.linalg.norm(FACE - FACE[LANDMARKS[name]], axis=1)
    return np.exp(-(d**2) / (2 * sigma_mm**2))


def both(name: str, sigma: float, vec_left: tuple[float, float, float]) -> np.ndarray:
    """A displacement field (478, 3): vec on the patient's left, x-mirrored on the right."""
    left = region(f"{name}_left", sigma)[:, None] * np.asarray(vec_left)
    right = region(f"{name}_right", sigma)[:, None] * (np.asarray(vec_left) * [-1, 1, 1])
    return left + right


#: Peak displacement field of each moving task of the standard protocol, mm.
TASK_FIELDS = {
    "brow_raise": both("brow_mid", 12, (0, 6, 0)),
    "gentle_eye_closure": both("upper_lid", 4, (0, -8, 0)),
    "tight_eye_closure": both("upper_lid", 6, (0, -9, 0)) + both("brow_mid", 10, (0, -3, 0)),
    "snarl": both("ala", 8, (0, 5, 2)),
    "smile_closed": both("commissure", 8, (4, 3, 0)),
    "smile_open": both("commissure", 8, (6, 4, 0)) + region("lower_lip_mid", 8)[:, None] * [0, -5, 0],
    "pucker": both("commissure", 8, (-5, 0, 4)),
    "eee": both("commissure", 8, (3, 0, 0)) + region("lower_lip_mid", 8)[:, None] * [0, -4, 0],
    "cheek_puff": both("cheek", 15, (3, 0, 5)),
}


def protocol_recording(
    protocol: Protocol = STANDARD_PROTOCOL,
    *,
    seed: int = 0,
    right_gain: float = 1.0,
    skip: tuple[str, int] | None = None,
    lead_s: float = 0.0,
) -> tuple[np.ndarray, list]:
    """Head-fixed motion (n, 478, 3) mm following the protocol schedule, with 0.15 mm tracking noise."""
    rng = np.random.default_rng(seed)
    schedule = protocol.schedule(start_s=lead_s)
    n = int(round((protocol.duration_s + lead_s) * SFREQ))
    t = np.arange(n) / SFREQ
    motion = np.repeat(FACE[None], n, axis=0)
    gain = np.where(FACE[:, 0] < 0, right_gain, 1.0)[:, None]
    for task, rep, start, end in schedule:
        if task not in TASK_FIELDS or (task, rep) == skip:
            continue
        # 0.3 s ramps in and out of the hold
        envelope = np.clip(np.minimum(t - start, end - t) / 0.3, 0, 1)
        motion += envelope[:, None, None] * (TASK_FIELDS[task] * gain)[None]
    motion += rng.normal(0, 0.15, motion.shape)
    return motion.astype(np.float32), schedule


def test_standard_protocol_is_segmented_in_order_within_a_quarter_second():
    motion, schedule = protocol_recording()
    result = detect_segments(motion, sfreq=SFREQ, reference=FACE, protocol=STANDARD_PROTOCOL, t0=0.0)
    assert len(result.segments) == len(schedule) == 30
    by_key = {(s.task, s.repetition): s for s in result.segments}
    for task, rep, start, end in schedule:
        seg = by_key[(task, rep)]
        if task == "rest":
            assert 0 <= seg.start < seg.end <= 15.0  # the quiet lead-in before the first brow raise
        else:
            assert abs(seg.start - start) < 0.25 and abs(seg.end - end) < 0.25, (task, rep, seg)
    assert "detected from facial motion energy" in result.notes[0]
    assert "still tasks ['rest'] placed in quiet intervals" in result.notes[0]
    assert result.energy.shape == (len(motion),)


def test_a_weak_side_and_a_session_clock_offset_are_handled():
    motion, schedule = protocol_recording(right_gain=0.3, seed=1)
    result = detect_segments(motion, sfreq=SFREQ, reference=FACE, protocol=STANDARD_PROTOCOL, t0=50.0)
    smile = [s for s in result.segments if s.task == "smile_open"]
    planned = [row for row in schedule if row[0] == "smile_open"]
    assert [s.repetition for s in smile] == [1, 2, 3]
    assert all(abs(s.start - (50.0 + p[2])) < 0.25 for s, p in zip(smile, planned, strict=True))


def test_lost_frames_do_not_split_or_invent_bouts():
    motion, _ = protocol_recording(seed=2)
    motion[int(16 * SFREQ) : int(16.5 * SFREQ)] = np.nan  # inside the first brow raise
    motion[int(3 * SFREQ) : int(4 * SFREQ)] = np.nan  # during rest
    result = detect_segments(motion, sfreq=SFREQ, reference=FACE, protocol=STANDARD_PROTOCOL)
    assert len(result.segments) == 30


def test_missing_repetition_is_reported_not_guessed():
    motion, _ = protocol_recording(skip=("snarl", 2))
    with pytest.raises(
        MotionSegmentationError,
        match=r"found 26 movement bouts in the motion but protocol 'fpcds-standard-v1' expects 27 "
        r"\(9 moving tasks x 3 repetitions\); give the task timing as a segment sidecar",
    ):
        detect_segments(motion, sfreq=SFREQ, reference=FACE, protocol=STANDARD_PROTOCOL)


def test_no_quiet_time_for_the_rest_task_is_reported():
    short = Protocol("short", STANDARD_PROTOCOL.tasks[:2], hold_s=2.0, rest_s=1.0, repetitions=1)
    motion, _ = protocol_recording(short)
    # drop the rest repetition: the brow raise starts at once
    motion = motion[int(3.0 * SFREQ) - 3 :]
    with pytest.raises(
        MotionSegmentationError, match=r"the quiet interval .* is too short for the 1 repetitions of \['rest'\]"
    ):
        detect_segments(motion, sfreq=SFREQ, reference=FACE, protocol=short)


def test_movement_bouts_merge_short_dips_and_drop_blips():
    energy = np.full(300, 0.3)
    energy[30:60] = 5.0
    energy[63:90] = 5.0  # 0.1 s dip: same bout
    energy[150:155] = 5.0  # 0.17 s blip: dropped
    energy[200:260] = 4.0
    bouts, (off, on) = movement_bouts(energy, sfreq=SFREQ)
    assert bouts == [(30, 90), (200, 260)]
    assert (off, on) == pytest.approx((0.6, 0.9))  # resting 0.3 mm + the 0.6 mm floor; off halfway


def test_energy_uses_the_most_displaced_points():
    frames = np.repeat(FACE[None], 3, axis=0)
    frames[1, [0, 13, 14, 17, 61], 1] += 10.0  # 5 (non-rigid) points moved 10 mm
    energy = landmark_energy(frames, sfreq=SFREQ, reference=FACE, top_k=5, smooth_s=0.0)
    np.testing.assert_allclose(energy, [0, 10, 0], atol=1e-4)


def test_energy_input_errors():
    with pytest.raises(MotionSegmentationError, match=r"motion has shape \(2, 478\) and the neutral face"):
        landmark_energy(np.zeros((2, 478)), sfreq=SFREQ, reference=FACE)
    with pytest.raises(MotionSegmentationError, match="frame rate is 0 Hz; expected > 0"):
        landmark_energy(FACE[None], sfreq=0, reference=FACE)
    with pytest.raises(MotionSegmentationError, match="no frame of the motion has a tracked face"):
        landmark_energy(np.full((2, 478, 3), np.nan), sfreq=SFREQ, reference=FACE)


MINI = Protocol(
    "mini",
    (
        STANDARD_PROTOCOL.task("rest"),
        STANDARD_PROTOCOL.task("smile_closed"),
        STANDARD_PROTOCOL.task("gentle_eye_closure"),
    ),
    hold_s=1.0,
    rest_s=1.0,
    repetitions=2,
)


def test_tasks_are_found_in_a_real_face_video(tmp_path, face, face_points):
    """A 10 fps video: 2 s rest, then two smiles and two eye closures of 1 s each, 1 s apart."""
    fps = 10.0
    schedule = MINI.schedule(start_s=0.0)
    times = np.arange(int(MINI.duration_s * fps)) / fps
    frames = []
    for t in times:
        frame = face
        for task, _, start, end in schedule:
            level = float(np.clip(min(t - start, end - t) / 0.2 + 0.5, 0, 1))
            if level > 0 and task == "smile_closed":
                frame = bump_warp(frame, tuple(face_points[291]), (4 * level, -8 * level), 18.0)
                frame = bump_warp(frame, tuple(face_points[61]), (-4 * level, -8 * level), 18.0)
            elif level > 0 and task == "gentle_eye_closure":
                for up, lo in ((386, 374), (159, 145)):
                    frame = close_eye(
                        frame,
                        upper=tuple(face_points[up]),
                        lower=tuple(face_points[lo]),
                        brow_y=face_points[334][1],
                        half_width=12.0,
                        fraction=0.9 * level,
                    )
        frames.append(frame)
    path = write_video(tmp_path / "mini.avi", frames, fps=fps)
    session = read_video(path, segments="motion", protocol=MINI)
    assert session.protocol == "mini"
    got = [(s.task, s.repetition) for s in session.segments]
    assert got == [(task, rep) for task, rep, _, _ in schedule]
    for seg, (task, _, start, end) in zip(session.segments, schedule, strict=True):
        if task != "rest":
            assert abs(seg.start - start) <= 0.35 and abs(seg.end - end) <= 0.35, (seg, start, end)
    assert any("detected from facial motion energy" in n for n in session.provenance.notes)


def _task_frame(face, pts, task: str, level: float):
    """The test face performing ``task`` at ``level`` (0-1) by local warps (image x right, y down)."""

    def lift(frame, index, shift, sigma):
        return bump_warp(frame, tuple(pts[index]), (shift[0] * level, shift[1] * level), sigma)

    def pair(frame, left, right, shift, sigma):  # shift given for the patient's left (image right)
        frame = lift(frame, left, shift, sigma)
        return lift(frame, right, (-shift[0], shift[1]), sigma)

    def eyes(frame, fraction):
        for up, lo in ((386, 374), (159, 145)):
            frame = close_eye(
                frame,
                upper=tuple(pts[up]),
                lower=tuple(pts[lo]),
                brow_y=pts[334][1],
                half_width=12.0,
                fraction=fraction * level,
            )
        return frame

    f = face
    if task == "brow_raise":
        f = pair(f, 334, 105, (0, -6), 14)
    elif task == "gentle_eye_closure":
        f = eyes(f, 0.8)
    elif task == "tight_eye_closure":
        f = pair(eyes(f, 0.95), 334, 105, (0, 3), 14)
    elif task == "snarl":
        f = lift(pair(f, 358, 129, (0, -4), 10), 0, (0, -3), 10)
    elif task == "smile_closed":
        f = pair(f, 291, 61, (3, -6), 18)
    elif task == "smile_open":
        f = lift(pair(f, 291, 61, (5, -7), 18), 17, (0, 6), 14)
    elif task == "pucker":
        f = pair(f, 291, 61, (-5, 0), 14)
    elif task == "eee":
        f = lift(pair(f, 291, 61, (5, 1), 18), 17, (0, 4), 14)
    elif task == "cheek_puff":
        f = pair(f, 280, 50, (5, 0), 25)
    return f


@pytest.mark.slow
def test_full_standard_protocol_in_a_real_face_video(tmp_path, face, face_points):
    """150 s at 10 fps: all ten tasks, three repetitions each, found in order from the video alone."""
    fps = 10.0
    schedule = STANDARD_PROTOCOL.schedule(start_s=0.0)
    frames = []
    for t in np.arange(int(STANDARD_PROTOCOL.duration_s * fps)) / fps:
        frame = face
        for task, _, start, end in schedule:
            level = float(np.clip(min(t - start, end - t) / 0.3 + 0.5, 0, 1))
            if level > 0:
                frame = _task_frame(face, face_points, task, level)
        frames.append(frame)
    path = write_video(tmp_path / "protocol.avi", frames, fps=fps)
    session = read_video(path, segments="motion")
    assert [(s.task, s.repetition) for s in session.segments] == [(t, r) for t, r, _, _ in schedule]
    for seg, (task, _, start, end) in zip(session.segments, schedule, strict=True):
        if task != "rest":
            assert abs(seg.start - start) <= 0.4 and abs(seg.end - end) <= 0.4, (seg, start, end)
