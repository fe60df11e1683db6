"""A camera (or a video file) as an LSL source of MediaPipe face-mesh landmarks.

:func:`run_camera_source` reads frames with OpenCV (``VideoCapture`` of a
device index or a file path), runs MediaPipe's face mesh
(``mp.solutions.face_mesh``, ``refine_landmarks=True``: 478 points with the
irises) and pushes one sample per frame on an LSL outlet of type ``Mocap``
(1434 float32 channels).

Coordinates on the stream are MediaPipe's **normalised image coordinates**
(x, y in [0, 1] of the image width and height, z in units of the image
width, smaller = nearer the camera), declared in the stream description as
``coordinates = image_normalized`` with the image ``width`` and ``height``
in pixels. Frames without a face are sent as NaN. The recorder maps them
into the session's head-fixed millimetre frame when it builds the session
(:mod:`acquisition.lsl_assemble`, using :mod:`acquisition.headframe`, as
the video reader does), so the stream stays a faithful record of what the
camera saw.

Device frames are stamped with the LSL clock when they are grabbed; file
frames are paced at the file's frame rate and stamped on that schedule.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from .lsl_streams import LslError

N_POINTS = 478


@dataclass
class CameraReport:
    """What a camera source did.

    Attributes
    ----------
    frames : int
        Frames read and pushed.
    faces : int
        Frames in which a face was found.
    fps : float
        Nominal frame rate of the stream, Hz.
    width, height : int
        Image size, pixels.
    """

    frames: int
    faces: int
    fps: float
    width: int
    height: int


def open_capture(source: int | str) -> Any:
    """Open an OpenCV capture (device index or file path) or raise :class:`LslError`."""
    import cv2

    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise LslError(f"camera source {source!r} could not be opened (no such device or unreadable video file)")
    return cap


def run_camera_source(
    source: int | str,
    *,
    name: str = "fpcds-Camera",
    source_id: str | None = None,
    seconds: float | None = None,
    stop: threading.Event | None = None,
    on_ready: Any = None,
    fps: float | None = None,
    wait_consumers_s: float = 0.0,
) -> CameraReport:
    """Publish face-mesh landmarks from a camera or video file until it ends or ``stop`` is set.

    Parameters
    ----------
    source : int or str
        OpenCV device index, or a video file path (a string of digits is a
        device index).
    name, source_id : str
        LSL stream name and source id (default a random id).
    seconds : float, optional
        Stop after this long (seconds of video for files).
    stop : threading.Event, optional
    on_ready : callable, optional
        Called with ``(stream name, source id)`` once the outlet exists.
    fps : float, optional
        Nominal frame rate to announce; default the capture's own (30 if unknown).
    wait_consumers_s : float
        Wait up to this long for a recorder to connect before the first
        frame, seconds (useful for video files).
    """
    import cv2
    import pylsl

    from .lsl_publish import landmark_stream_info

    if isinstance(source, str) and source.isdigit():
        source = int(source)
    is_file = isinstance(source, str)
    cap = open_capture(source)
    import mediapipe as mp  # slow import: only once the source is known to open

    stop = stop or threading.Event()
    try:
        rate = float(fps or cap.get(cv2.CAP_PROP_FPS) or 30.0)
        if not rate > 0 or rate > 1000:
            rate = 30.0
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        source_id = source_id or f"fpcds-camera-{uuid.uuid4().hex[:12]}"
        info = landmark_stream_info(n_points=N_POINTS, sfreq=rate, scheme="mediapipe478",
                                    point_names=[str(i) for i in range(N_POINTS)], name=name, source_id=source_id,
                                    coordinates="image_normalized", width=width, height=height)
        desc = info.desc()
        desc.append_child("acquisition").append_child_value("manufacturer", "fpcds").append_child_value(
            "model", f"OpenCV {cv2.__version__} + MediaPipe face mesh {mp.__version__} (refine_landmarks)")
        outlet = pylsl.StreamOutlet(info)
        if on_ready is not None:
            on_ready((name, source_id))
        if wait_consumers_s > 0:
            outlet.wait_for_consumers(wait_consumers_s)
        frames = faces = 0
        start = pylsl.local_clock()
        nan_sample = np.full(3 * N_POINTS, np.nan, dtype=np.float32)
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True,
                                             min_detection_confidence=0.5, min_tracking_confidence=0.5) as mesh:
            while not stop.is_set():
                if seconds is not None and frames >= seconds * rate:
                    break
                if is_file:
                    due = start + frames / rate
                    wait = due - pylsl.local_clock()
                    if wait > 0 and stop.wait(wait):
                        break
                ok, frame = cap.read()
                stamp = start + frames / rate if is_file else pylsl.local_clock()
                if not ok:
                    if is_file:
                        break
                    time.sleep(0.005)
                    continue
                result = mesh.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                sample = nan_sample
                if result.multi_face_landmarks:
                    lm = result.multi_face_landmarks[0].landmark
                    sample = np.array([(p.x, p.y, p.z) for p in lm], dtype=np.float32).reshape(-1)
                    faces += 1
                outlet.push_sample(sample, stamp)
                frames += 1
        return CameraReport(frames, faces, rate, width, height)
    finally:
        cap.release()
