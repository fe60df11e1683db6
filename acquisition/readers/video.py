"""Video files (.mp4, .avi, .mov, .mkv, .webm) to a Session of head-fixed facial landmarks.

:func:`read_video` decodes the video with OpenCV, runs the MediaPipe face
mesh on every frame in tracking (video) mode with iris refinement (478
points), and maps the points into the head-fixed millimetre frame of
:mod:`acquisition.session` with :mod:`acquisition.headframe` (head pose
removed by similarity alignment of rigid points to the subject's neutral
face, scale from the iris diameter). The result is a ``mediapipe478``
:class:`MotionBlock` in mm that the feature code treats like marker data.

Sides
    Mesh indices name the *patient's* sides, which is right only if the
    image is not mirrored. Front-camera ("selfie") recordings are often
    mirrored; pass ``mirrored=True`` and every frame is flipped back before
    tracking. Nothing in a single video can tell a mirrored face from an
    unmirrored one, so this is an explicit, recorded choice.
Lost face
    Frames where the mesh finds no face are NaN, have confidence 0 and are
    listed as ``Gap(stream='motion', ...)``. MediaPipe's (short-range) face
    detector needs the face to span about a fifth of the frame width or more
    to find it. After each (re)detection the same frame is tracked twice, so
    that its landmarks come from the landmark-based face region like those of
    every later frame (landmarks from the detector's box are off by up to a
    few pixels).
Confidence
    The face-mesh solution reports no per-frame score, so the per-frame
    confidence is the tracker's own consistency: ``exp(-(r / 2 mm)^2 / 2)``
    where ``r`` is the RMS residual of the rigid points after head-pose
    removal (a frame whose "rigid" points deform is a frame the mesh tracked
    badly), and 0 for frames without a face.
Segments
    From a timing sidecar (:func:`acquisition.segments.read_timing_sidecar`:
    CSV or TSV with a header ``task,start,end[,repetition]``, seconds from the
    first frame), from given :class:`Segment` objects, or detected from the
    motion itself when the protocol order is known (``segments='motion'``,
    see :mod:`acquisition.motion_segments`). Times are shifted by ``t0``. The
    method is recorded in the provenance notes.
Neutral face
    Built from the first ``rest`` segment when there is one, otherwise from
    the first second of tracked frames (the standard protocol starts at
    rest); ``neutral=(start, end)`` chooses the window explicitly.
FaceLandmarker
    With ``landmarker_task=`` the MediaPipe tasks API runs a local
    FaceLandmarker ``.task`` bundle instead (optionally with blendshapes,
    returned by :func:`track_video`). Nothing is ever downloaded: the file
    must exist locally and is checked before use (:func:`check_landmarker_task`).
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MappingError, SessionFileError
from ..headframe import image_to_camera, to_head_frame
from ..motion_segments import MotionSegmentationError, detect_segments
from ..native import file_sha256
from ..protocol import STANDARD_PROTOCOL, Protocol
from ..quality import check_quality
from ..segments import read_timing_sidecar
from ..session import Gap, Marker, MotionBlock, Provenance, QualityIssue, Segment, Session, SourceFile, Subject
from ..sync import detect_flash

#: File suffixes this reader handles (lower case).
SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
N_POINTS = 478
#: Rigid-point residual (mm) at which the per-frame confidence is exp(-1/2).
CONFIDENCE_RESIDUAL_MM = 2.0
_NEUTRAL_S = 1.0
_TASK_MEMBERS = ("face_detector.tflite", "face_landmarks_detector.tflite")
_BLENDSHAPE_MEMBER = "face_blendshapes.tflite"


@dataclass(frozen=True, eq=False)
class FaceTrack:
    """Raw face-mesh tracking of a video, before head-pose removal.

    Attributes
    ----------
    points : ndarray, shape (n_frames, 478, 3), float32
        Camera-frame pixels (+x image right after any un-mirroring, +y up,
        +z towards the camera); NaN for frames without a face.
    found : ndarray of bool, shape (n_frames,)
    brightness : ndarray, shape (n_frames,), float32
        Mean grey level of each frame (0-255), for flash synchronisation.
    sfreq : float
        Frame rate in Hz.
    width, height : int
        Frame size in pixels.
    codec : str
        FourCC of the video stream.
    reported_frames : int
        Frame count the container declares (may differ from ``n_frames``).
    timing_error_s : float
        Largest difference between a frame's container timestamp and
        ``index / sfreq``, seconds (large for variable-frame-rate video).
    tracker : str
        Description of the landmark model and mode.
    mirrored : bool
        Whether frames were flipped horizontally before tracking.
    blendshapes : ndarray, shape (n_frames, n_blendshapes), float32, optional
        FaceLandmarker blendshape scores (tasks API only); NaN without a face.
    blendshape_names : tuple of str
    """

    points: np.ndarray
    found: np.ndarray
    brightness: np.ndarray
    sfreq: float
    width: int
    height: int
    codec: str
    reported_frames: int
    timing_error_s: float
    tracker: str
    mirrored: bool
    blendshapes: np.ndarray | None = None
    blendshape_names: tuple[str, ...] = ()

    @property
    def n_frames(self) -> int:
        return int(self.points.shape[0])


def check_landmarker_task(path: str | os.PathLike[str], *, blendshapes: bool = False) -> Path:
    """Check that a FaceLandmarker ``.task`` bundle is usable, without running it.

    Parameters
    ----------
    path : path-like
        A local MediaPipe FaceLandmarker bundle (an uncompressed zip holding
        ``face_detector.tflite`` and ``face_landmarks_detector.tflite``, and
        ``face_blendshapes.tflite`` for blendshapes). Nothing is downloaded.
    blendshapes : bool
        Whether blendshapes will be requested.

    Returns
    -------
    Path
    """
    task = Path(path)
    if not task.is_file():
        raise SessionFileError(
            str(task),
            "FaceLandmarker model file not found; configure the path of a local .task bundle "
            "(models are never downloaded)",
        )
    if not zipfile.is_zipfile(task):
        raise SessionFileError(
            str(task), "is not a MediaPipe .task bundle (expected a zip archive of .tflite models)"
        )
    with zipfile.ZipFile(task) as bundle:
        infos = {info.filename: info for info in bundle.infolist()}
    missing = [m for m in _TASK_MEMBERS if m not in infos]
    if missing:
        raise SessionFileError(str(task), f"FaceLandmarker bundle lacks {missing}; it holds {sorted(infos)}")
    if blendshapes and _BLENDSHAPE_MEMBER not in infos:
        raise SessionFileError(
            str(task), f"FaceLandmarker bundle has no {_BLENDSHAPE_MEMBER}; blendshapes cannot be computed"
        )
    compressed = sorted(name for name, info in infos.items() if info.compress_type != zipfile.ZIP_STORED)
    if compressed:
        raise SessionFileError(
            str(task),
            f"FaceLandmarker bundle members {compressed} are compressed; MediaPipe reads only "
            "stored (uncompressed) zip members",
        )
    return task


class _MeshTracker:
    """MediaPipe face mesh (solutions API), 478 points, tracking mode."""

    def __init__(self, *, min_detection_confidence: float, min_tracking_confidence: float) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self.description = (
            f"MediaPipe {mp.__version__} face mesh (refine_landmarks=True, 478 points, tracking mode, "
            f"detection/tracking thresholds {min_detection_confidence:g}/{min_tracking_confidence:g})"
        )
        self.blendshape_names: tuple[str, ...] = ()
        self._tracking = False

    def process(self, rgb: np.ndarray, timestamp_ms: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        faces = self._mesh.process(rgb).multi_face_landmarks
        if faces and not self._tracking:
            # Just (re)detected: these landmarks come from the detector's face box. Tracking the same
            # frame once more gives landmarks from the landmark-derived region, like every later frame.
            faces = self._mesh.process(rgb).multi_face_landmarks or faces
        self._tracking = bool(faces)
        if not faces:
            return None, None
        return np.array([(p.x, p.y, p.z) for p in faces[0].landmark], dtype=np.float32), None

    def close(self) -> None:
        self._mesh.close()


class _TaskTracker:
    """MediaPipe tasks FaceLandmarker from a local ``.task`` bundle, video mode."""

    def __init__(
        self, task: Path, *, blendshapes: bool, min_detection_confidence: float, min_tracking_confidence: float
    ) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(task)),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=1,
            min_face_detection_confidence=min_detection_confidence,
            min_face_presence_confidence=min_tracking_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_face_blendshapes=blendshapes,
        )
        try:
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise SessionFileError(str(task), f"MediaPipe cannot load this FaceLandmarker bundle: {exc}") from None
        self._task = task
        self._last_ms = -1
        self.description = f"MediaPipe {mp.__version__} FaceLandmarker ({task.name}, video mode)"
        self.blendshape_names: tuple[str, ...] = ()

    def process(self, rgb: np.ndarray, timestamp_ms: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        # the tasks API needs strictly increasing millisecond timestamps (matters above 1000 fps)
        self._last_ms = max(timestamp_ms, self._last_ms + 1)
        result = self._landmarker.detect_for_video(image, self._last_ms)
        if not result.face_landmarks:
            return None, None
        points = np.array([(p.x, p.y, p.z) for p in result.face_landmarks[0]], dtype=np.float32)
        if len(points) != N_POINTS:
            raise SessionFileError(
                str(self._task),
                f"FaceLandmarker gives {len(points)} landmarks; expected {N_POINTS} (mesh with irises)",
            )
        scores = None
        if result.face_blendshapes:
            categories = result.face_blendshapes[0]
            if not self.blendshape_names:
                self.blendshape_names = tuple(c.category_name for c in categories)
            scores = np.array([c.score for c in categories], dtype=np.float32)
        return points, scores

    def close(self) -> None:
        self._landmarker.close()


def _open_video(path: str):  # -> cv2.VideoCapture
    import cv2

    if not os.path.isfile(path):
        raise SessionFileError(path, "no such file")
    if os.path.getsize(path) == 0:
        raise SessionFileError(path, "is empty (0 bytes); expected a video")
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise SessionFileError(path, "is not a video OpenCV can decode (no decodable video stream found)")
    return cap


def track_video(
    path: str | os.PathLike[str],
    *,
    mirrored: bool = False,
    sfreq: float | None = None,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
    landmarker_task: str | os.PathLike[str] | None = None,
    blendshapes: bool = False,
) -> FaceTrack:
    """Decode a video and track the face mesh in every frame.

    Parameters
    ----------
    path : path-like
        The video file.
    mirrored : bool
        The video is mirrored (front-camera preview); frames are flipped
        horizontally before tracking so that mesh sides are the patient's.
    sfreq : float, optional
        Frame rate in Hz, overriding the container's (required when the
        container declares none).
    min_detection_confidence, min_tracking_confidence : float
        MediaPipe thresholds in [0, 1].
    landmarker_task : path-like, optional
        A local FaceLandmarker ``.task`` bundle; the tasks API is used instead
        of the face-mesh solution.
    blendshapes : bool
        Also compute blendshapes (needs ``landmarker_task``).

    Returns
    -------
    FaceTrack
    """
    import cv2

    path = str(path)
    for name, value in (
        ("min_detection_confidence", min_detection_confidence),
        ("min_tracking_confidence", min_tracking_confidence),
    ):
        if not 0.0 <= value <= 1.0:
            raise MappingError(f"{name} is {value}; expected a value in [0, 1]")
    if sfreq is not None and not (isinstance(sfreq, (int, float)) and math.isfinite(sfreq) and sfreq > 0):
        raise MappingError(f"frame rate sfreq={sfreq!r} Hz; expected a finite number > 0")
    if blendshapes and landmarker_task is None:
        raise MappingError("blendshapes need a FaceLandmarker .task bundle (landmarker_task); none was configured")
    task = None if landmarker_task is None else check_landmarker_task(landmarker_task, blendshapes=blendshapes)
    cap = _open_video(path)
    try:
        container_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        rate = float(sfreq) if sfreq is not None else container_fps
        if not (math.isfinite(rate) and rate > 0):
            raise SessionFileError(
                path, f"has no valid frame rate (container reports {container_fps:g} fps); pass sfreq= in Hz"
            )
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\0 ") or "unknown"
        reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        tracker = (
            _MeshTracker(
                min_detection_confidence=min_detection_confidence, min_tracking_confidence=min_tracking_confidence
            )
            if task is None
            else _TaskTracker(
                task,
                blendshapes=blendshapes,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
        )
        try:
            raw, found, bright, shapes, timing_error, size = _track_frames(cap, tracker, rate, mirrored)
            description, names = tracker.description, tracker.blendshape_names
        finally:
            tracker.close()
    finally:
        cap.release()
    if not raw:
        raise SessionFileError(path, "is not a playable video: it contains no decodable frames")
    height, width = size
    normalised = np.stack(raw)
    raw.clear()  # keep at most two copies of the landmarks in memory
    points = image_to_camera(normalised, width=width, height=height)
    del normalised
    blend = None
    if blendshapes:
        n_shapes = len(names)
        blend = np.full((len(points), n_shapes), np.nan, dtype=np.float32)
        for i, s in enumerate(shapes):
            if s is not None and len(s) == n_shapes:
                blend[i] = s
    return FaceTrack(
        points=points,
        found=np.asarray(found, dtype=bool),
        brightness=np.asarray(bright, dtype=np.float32),
        sfreq=rate,
        width=width,
        height=height,
        codec=codec,
        reported_frames=reported,
        timing_error_s=timing_error,
        tracker=description,
        mirrored=mirrored,
        blendshapes=blend,
        blendshape_names=names,
    )


def _decoded_frames(cap, *, mirrored: bool) -> Iterator[tuple[np.ndarray, float, float]]:
    """Yield ``(rgb, container_timestamp_s, brightness)`` per decoded frame, in order.

    Decoding stays on the calling thread: MediaPipe holds the GIL while it
    waits for its graph, so a decoding thread would not run alongside it.
    """
    import cv2

    while True:
        ok, bgr = cap.read()
        if not ok:
            return
        stamp_s = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        b, g, r, _ = cv2.mean(bgr)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if mirrored:
            rgb = cv2.flip(rgb, 1)
        yield rgb, stamp_s, 0.114 * b + 0.587 * g + 0.299 * r


def _track_frames(cap, tracker, rate: float, mirrored: bool):
    lost = np.full((N_POINTS, 3), np.nan, dtype=np.float32)
    raw: list[np.ndarray] = []
    found: list[bool] = []
    bright: list[float] = []
    shapes: list[np.ndarray | None] = []
    timing_error = 0.0
    size = (0, 0)
    for i, (rgb, stamp_s, brightness) in enumerate(_decoded_frames(cap, mirrored=mirrored)):
        timing_error = max(timing_error, abs(stamp_s - i / rate))
        size = rgb.shape[:2]
        bright.append(brightness)
        points, scores = tracker.process(rgb, int(round(i * 1000.0 / rate)))
        found.append(points is not None)
        raw.append(lost if points is None else points)
        shapes.append(scores)
    return raw, found, bright, shapes, timing_error, size


def tracking_confidence(found: np.ndarray, residual_mm: np.ndarray) -> np.ndarray:
    """Per-frame confidence in [0, 1] from face presence and rigid-point residual.

    Parameters
    ----------
    found : ndarray of bool, shape (n_frames,)
    residual_mm : ndarray, shape (n_frames,)
        RMS rigid-point residual after head-pose removal, mm.

    Returns
    -------
    ndarray, shape (n_frames,), float32
        ``exp(-(r / CONFIDENCE_RESIDUAL_MM)^2 / 2)`` where a face was found, else 0.
    """
    r = np.nan_to_num(np.asarray(residual_mm, dtype=np.float64), nan=np.inf)
    conf = np.exp(-0.5 * (r / CONFIDENCE_RESIDUAL_MM) ** 2)
    return np.where(np.asarray(found, dtype=bool), conf, 0.0).astype(np.float32)


def read_video(
    path: str | os.PathLike[str],
    *,
    mirrored: bool = False,
    segments: Sequence[Segment] | str | os.PathLike[str] | None = None,
    protocol: Protocol = STANDARD_PROTOCOL,
    neutral: tuple[float, float] | None = None,
    sync_flash: bool = False,
    t0: float = 0.0,
    sfreq: float | None = None,
    subject: Subject | None = None,
    min_detection_confidence: float = 0.5,
    min_tracking_confidence: float = 0.5,
    landmarker_task: str | os.PathLike[str] | None = None,
) -> Session:
    """Read a face video as a Session of head-fixed facial landmarks in mm.

    Parameters
    ----------
    path : path-like
        .mp4, .avi, .mov, .mkv or .webm (anything OpenCV decodes).
    mirrored : bool
        The video is mirrored (front-camera preview); see the module docstring.
    segments : sequence of Segment, path-like or 'motion', optional
        Task segments (times from the first frame, shifted by ``t0``): given
        directly, read from a timing sidecar file
        (:func:`acquisition.segments.read_timing_sidecar`), or ``'motion'``
        to detect them from facial motion in ``protocol`` order.
    protocol : Protocol
        The protocol followed; task names are checked against it.
    neutral : (start, end), optional
        Session-time window (seconds) of the neutral face; see the module docstring.
    sync_flash : bool
        Add a ``'sync'`` marker at every light flash in the video
        (:func:`acquisition.sync.detect_flash`).
    t0 : float
        Session time of the first frame, seconds.
    sfreq : float, optional
        Frame rate in Hz overriding the container's.
    subject : Subject, optional
        Facts about the patient to store with the session.
    min_detection_confidence, min_tracking_confidence : float
        MediaPipe thresholds in [0, 1].
    landmarker_task : path-like, optional
        A local FaceLandmarker ``.task`` bundle to use instead of the face mesh.

    Returns
    -------
    Session
        Motion only: ``mediapipe478`` in mm with per-frame confidence, gaps
        where the face was lost, segments and provenance notes.
    """
    path = str(path)
    track = track_video(
        path,
        mirrored=mirrored,
        sfreq=sfreq,
        min_detection_confidence=min_detection_confidence,
        min_tracking_confidence=min_tracking_confidence,
        landmarker_task=landmarker_task,
    )
    n, rate = track.n_frames, track.sfreq
    if not track.found.any():
        raise SessionFileError(
            path,
            f"no face was found in any of its {n} frames (the face should span a fifth of the frame width or more)",
        )
    times = t0 + np.arange(n) / rate
    notes = [
        f"motion: {track.tracker} on {n} frames of {track.width}x{track.height} {track.codec} video at {rate:g} fps",
        "left/right: mirrored video, frames flipped horizontally before tracking"
        if mirrored
        else "left/right: unmirrored video (patient's left on the image's right)",
    ]
    given, how = _given_segments(segments, protocol, t0)
    window = _neutral_window(neutral, given, times, track.found)
    mask = (times >= window[0]) & (times <= window[1]) & track.found
    if not mask.any():
        raise SessionFileError(
            path,
            f"no face was tracked in the neutral window {window[0]:.3f}-{window[1]:.3f} s; pass neutral=(start, end)",
        )
    try:
        head = to_head_frame(track.points, neutral_frames=mask)
    except MappingError as exc:
        raise SessionFileError(path, f"cannot normalise the landmarks: {exc}") from None
    notes += list(head.notes)
    notes.append(f"neutral window {window[0]:.3f}-{window[1]:.3f} s")
    confidence = tracking_confidence(track.found, head.residual_mm)
    notes.append(
        f"confidence: exp(-(r / {CONFIDENCE_RESIDUAL_MM:g} mm)^2 / 2) of the rigid-point residual r; 0 without a face"
    )
    gaps = _gaps(track.found, t0, rate)
    if gaps:
        lost = int((~track.found).sum())
        notes.append(f"face lost in {lost} of {n} frames ({100 * lost / n:.1f}%), recorded as {len(gaps)} gaps")
    if given is None and how == "motion":
        try:
            found_segments = detect_segments(
                head.points, sfreq=rate, reference=head.neutral.points, protocol=protocol, t0=t0
            )
        except MotionSegmentationError as exc:
            raise SessionFileError(path, str(exc)) from None
        given = found_segments.segments
        notes += list(found_segments.notes)
    elif how:
        notes.append(how)
    quality = []
    if track.reported_frames > 0 and n < track.reported_frames - 1:
        quality.append(
            QualityIssue(
                "motion.video_truncated",
                "warning",
                f"the container declares {track.reported_frames} frames but {n} could be decoded",
                "motion",
            )
        )
    if track.timing_error_s > 0.5 / rate:
        quality.append(
            QualityIssue(
                "motion.variable_frame_rate",
                "warning",
                f"frame timestamps depart up to {track.timing_error_s * 1e3:.1f} ms from a constant {rate:g} fps; "
                "frames were placed at the constant rate",
                "motion",
            )
        )
    markers = ()
    if sync_flash:
        onsets = detect_flash(track.brightness, sfreq=rate)
        markers = tuple(Marker(float(times[i]), "sync") for i in onsets)
        notes.append(f"sync: {len(onsets)} light flashes found, marked 'sync'")
    motion = MotionBlock(head.points, rate, "mediapipe478", "mm", t0=t0, confidence=confidence)
    sources = [SourceFile(Path(path).name, file_sha256(path), "video")]
    if isinstance(segments, (str, os.PathLike)) and how != "motion":
        sources.append(SourceFile(Path(segments).name, file_sha256(segments), "timing-sidecar"))
    session = Session(
        motion=motion,
        segments=given or (),
        markers=markers,
        gaps=gaps,
        subject=subject or Subject(),
        provenance=Provenance(
            sources=tuple(sources),
            devices=(f"camera video {track.width}x{track.height} {track.codec} {rate:g} fps", track.tracker),
            clock_offsets=(("motion", t0),),
            notes=tuple(notes),
        ),
        protocol=protocol.name,
    )
    return session.with_quality(tuple(quality) + check_quality(session))


def _given_segments(
    segments: Sequence[Segment] | str | os.PathLike[str] | None, protocol: Protocol, t0: float
) -> tuple[tuple[Segment, ...] | None, str]:
    """Segments given by the caller (shifted by ``t0``) and how they were obtained."""
    if segments is None:
        return None, ""
    if isinstance(segments, str) and segments == "motion":
        return None, "motion"
    if isinstance(segments, (str, os.PathLike)):
        parsed = read_timing_sidecar(segments, protocol=protocol)
        how = f"segments: {len(parsed)} from timing sidecar {Path(segments).name}"
    else:
        parsed = tuple(segments)
        for s in parsed:
            if not isinstance(s, Segment):
                raise MappingError(f"segment {s!r} is not a Segment")
            if s.task not in protocol.task_names:
                raise MappingError(f"segment task {s.task!r} is not in protocol {protocol.name!r}")
        how = f"segments: {len(parsed)} given with the video"
    return tuple(Segment(s.task, s.start + t0, s.end + t0, s.repetition) for s in parsed), how


def _neutral_window(
    neutral: tuple[float, float] | None, segments: tuple[Segment, ...] | None, times: np.ndarray, found: np.ndarray
) -> tuple[float, float]:
    if neutral is not None:
        start, end = (float(x) for x in neutral)
        if not end > start:
            raise MappingError(f"neutral window {start}-{end} s is empty; expected start < end")
        return start, end
    rest = [s for s in (segments or ()) if s.task == "rest"]
    if rest:
        return rest[0].start, rest[0].end
    first = float(times[np.argmax(found)])
    return first, first + _NEUTRAL_S


def _gaps(found: np.ndarray, t0: float, rate: float) -> tuple[Gap, ...]:
    lost = np.concatenate([[False], ~found, [False]])
    edges = np.flatnonzero(np.diff(lost.astype(np.int8)))
    return tuple(
        Gap("motion", t0 + a / rate, t0 + b / rate, "face not found by the face mesh")
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    )
