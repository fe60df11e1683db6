"""A video file as a live camera: OpenCV -> MediaPipe face mesh -> LSL -> head-fixed session."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from acquisition.face_mesh import LANDMARKS
from acquisition.lsl import capture_lsl, discover_streams, run_camera_source, select_streams
from acquisition.lsl_streams import LslError

from .helpers import unique_id

FPS = 15.0


def _face_video(path, *, face_frames_before: int, blank: int, face_frames_after: int):
    import cv2
    from skimage import data

    face = cv2.resize(data.astronaut()[5:245, 105:345], None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)
    bgr = cv2.cvtColor(face, cv2.COLOR_RGB2BGR)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, bgr.shape[1::-1])
    for frame in [bgr] * face_frames_before + [np.zeros_like(bgr)] * blank + [bgr] * face_frames_after:
        writer.write(frame)
    writer.release()
    return path


def test_camera_source_feeds_a_head_fixed_motion_block_with_face_lost_gaps(tmp_path):
    video = _face_video(tmp_path / "face.avi", face_frames_before=30, blank=8, face_frames_after=22)
    sid = unique_id("cam")
    ready, done, reports = threading.Event(), threading.Event(), []

    def camera():
        reports.append(run_camera_source(str(video), name=sid, source_id=sid, on_ready=lambda _: ready.set(),
                                         wait_consumers_s=20))
        time.sleep(0.3)  # let the last frame travel
        done.set()  # the recording stops when the video has been played

    thread = threading.Thread(target=camera, daemon=True)
    thread.start()
    assert ready.wait(30)
    selection = select_streams(discover_streams(wait_s=10, source_ids=[sid]))
    session = capture_lsl(tmp_path / "cam.fpcds", selection=selection, seconds=60, stop=done)
    thread.join(timeout=30)
    (report,) = reports
    assert (report.frames, report.faces, report.width, report.height) == (60, 52, 360, 360)
    motion = session.motion
    assert (motion.scheme, motion.units, motion.sfreq) == ("mediapipe478", "mm", FPS)
    assert motion.n_frames >= 45  # frames stamped before the recording started are not kept
    lost = [g for g in session.gaps if g.reason == "face not tracked"]
    assert len(lost) == 1 and lost[0].end - lost[0].start == pytest.approx(8 / FPS, abs=1e-6)
    tracked = ~np.isnan(motion.data).any(axis=(1, 2))
    assert tracked.sum() >= 37 and (~tracked).sum() == 8
    frame = motion.data[np.flatnonzero(tracked)[0]]
    # head-fixed frame: origin between the irises, +x towards the patient's left, iris line horizontal
    left, right = frame[LANDMARKS["iris_center_left"]], frame[LANDMARKS["iris_center_right"]]
    np.testing.assert_allclose((left + right) / 2, 0, atol=0.5)
    assert 50 < left[0] - right[0] < 75 and abs(left[1] - right[1]) < 0.5
    assert frame[LANDMARKS["forehead"]][1] > frame[LANDMARKS["chin"]][1]
    assert motion.confidence is not None and (motion.confidence[~tracked] == 0).all()
    assert any("neutral window" in n for n in session.provenance.notes)


def test_camera_source_that_cannot_be_opened_is_an_error(tmp_path):
    with pytest.raises(LslError, match=r"camera source '.*missing.avi' could not be opened"):
        run_camera_source(str(tmp_path / "missing.avi"))
