"""Bad input to the video reader: files, options, timing sidecars and FaceLandmarker bundles."""

from __future__ import annotations

import zipfile

import cv2
import numpy as np
import pytest

from acquisition.errors import MappingError, SessionFileError
from acquisition.readers.video import (
    SUFFIXES,
    check_landmarker_task,
    read_video,
    track_video,
)
from acquisition.session import Segment

from ..readers.contract import check_reader
from .faces import write_video


def test_missing_file(tmp_path):
    with pytest.raises(SessionFileError, match="nope.mp4: no such file"):
        read_video(tmp_path / "nope.mp4")


def test_file_that_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    with pytest.raises(SessionFileError, match="notes.mp4: is not a video OpenCV can decode"):
        read_video(path)


def test_video_without_frames(tmp_path):
    path = tmp_path / "empty.avi"
    cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, (64, 64)).release()
    with pytest.raises(
        SessionFileError, match="empty.avi: is not a playable video: it contains no decodable frames"
    ):
        read_video(path)


def test_video_without_a_face(tmp_path):
    path = write_video(tmp_path / "wall.avi", [np.full((120, 160, 3), 128, np.uint8)] * 5, fps=10)
    with pytest.raises(
        SessionFileError, match=r"wall.avi: no face was found in any of its 5 frames \(the face should span a fifth"
    ):
        read_video(path)


def test_truncated_video_is_read_with_a_quality_warning(tmp_path, face):
    full = write_video(tmp_path / "full.avi", [face] * 30, fps=15)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(full.read_bytes()[: int(full.stat().st_size * 0.6)])
    session = read_video(cut)
    assert 0 < session.motion.n_frames < 30
    (issue,) = session.quality
    assert issue.code == "motion.video_truncated" and issue.severity == "warning"
    assert f"declares 30 frames but {session.motion.n_frames} could be decoded" in issue.message
    assert read_video(full).quality == ()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sfreq": 0.0}, r"frame rate sfreq=0.0 Hz; expected a finite number > 0"),
        ({"min_detection_confidence": 1.5}, r"min_detection_confidence is 1.5; expected a value in \[0, 1\]"),
        ({"blendshapes": True}, "blendshapes need a FaceLandmarker .task bundle"),
    ],
)
def test_bad_tracking_options(tmp_path, kwargs, message):
    path = write_video(tmp_path / "x.avi", [np.zeros((32, 32, 3), np.uint8)], fps=10)
    with pytest.raises(MappingError, match=message):
        track_video(path, **kwargs)


def test_reader_suffixes():
    assert SUFFIXES == (".mp4", ".avi", ".mov", ".mkv", ".webm")


def test_reader_contract(tmp_path, smile_clip):
    """The contract every reader passes; a cut video still plays up to the cut (see the truncation test)."""
    session = check_reader(read_video, smile_clip.path, tmp_path, fmt="video", truncation_is_error=False)
    assert session.motion is not None


# ---------------------------------------------------------------- sidecar


def test_sidecar_segments_reach_the_session(tmp_path, smile_clip):
    path = tmp_path / "timing.csv"
    path.write_text("task,start,end\nrest,0,0.9\nsmile_closed,1.0,3.0\n")
    session = read_video(smile_clip.path, segments=path, t0=10.0)
    assert session.segments == (Segment("rest", 10.0, 10.9), Segment("smile_closed", 11.0, 13.0))
    assert "segments: 2 from timing sidecar timing.csv" in session.provenance.notes
    assert [(f.name, f.format) for f in session.provenance.sources] == [
        ("smile.avi", "video"),
        ("timing.csv", "timing-sidecar"),
    ]
    assert "neutral window 10.000-10.900 s" in session.provenance.notes  # the rest segment


def test_bad_sidecar_is_a_file_error_naming_the_line(tmp_path, smile_clip):
    path = tmp_path / "timing.csv"
    path.write_text("task,start,end\nsmirk,0,1\n")
    with pytest.raises(SessionFileError, match=r"timing.csv: line 2: task 'smirk' is not in protocol"):
        read_video(smile_clip.path, segments=path)


# ------------------------------------------------------- FaceLandmarker bundle


def bundle(path, members: dict[str, bytes], *, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_landmarker_task_checks(tmp_path):
    with pytest.raises(SessionFileError, match="FaceLandmarker model file not found; .*never downloaded"):
        check_landmarker_task(tmp_path / "face_landmarker.task")
    (tmp_path / "plain.task").write_text("not a zip")
    with pytest.raises(SessionFileError, match=r"is not a MediaPipe .task bundle \(expected a zip archive"):
        check_landmarker_task(tmp_path / "plain.task")
    partial = bundle(tmp_path / "partial.task", {"face_detector.tflite": b"x"})
    with pytest.raises(SessionFileError, match=r"bundle lacks \['face_landmarks_detector.tflite'\]"):
        check_landmarker_task(partial)
    members = {"face_detector.tflite": b"x" * 100, "face_landmarks_detector.tflite": b"y" * 100}
    squeezed = bundle(tmp_path / "squeezed.task", members, compress=zipfile.ZIP_DEFLATED)
    with pytest.raises(SessionFileError, match="are compressed; MediaPipe reads only stored"):
        check_landmarker_task(squeezed)
    ok = bundle(tmp_path / "ok.task", members)
    assert check_landmarker_task(ok) == ok
    with pytest.raises(SessionFileError, match="has no face_blendshapes.tflite; blendshapes cannot be computed"):
        check_landmarker_task(ok, blendshapes=True)


def test_read_video_checks_the_task_before_decoding(tmp_path, smile_clip):
    with pytest.raises(SessionFileError, match="missing.task: FaceLandmarker model file not found"):
        read_video(smile_clip.path, landmarker_task=tmp_path / "missing.task")


def test_unloadable_task_bundle_is_a_file_error(tmp_path, smile_clip):
    junk = bundle(
        tmp_path / "junk.task", {"face_detector.tflite": b"x" * 64, "face_landmarks_detector.tflite": b"y" * 64}
    )
    with pytest.raises(SessionFileError, match="junk.task: MediaPipe cannot load this FaceLandmarker bundle"):
        read_video(smile_clip.path, landmarker_task=junk)
