"""The Session: raw facial sEMG and facial motion on one clock, with protocol segments.

A :class:`Session` is what every reader, the live capture and the simulator
produce, and what the feature code consumes. It is validated on construction
and never mutated: :meth:`Session.crop`, :meth:`Session.select` and
:meth:`Session.resample` return new sessions (sharing array memory where they
can, so a memory-mapped multi-hour recording is never loaded to crop it).

Conventions
-----------
* Times are seconds on the *session clock*; each stream block records the
  session time of its first sample (``t0``).
* EMG is ``(n_channels, n_samples)`` float32 in volts.
* Motion is ``(n_frames, n_points, 3)`` float32. For facial point schemes the
  frame is head-fixed: +x towards the patient's left, +y up, +z out of the
  face (towards a camera in front of the patient). Lost frames are NaN and
  listed in :attr:`Session.gaps`.
* Left and right always mean the patient's sides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from typing import Any, Iterable

import numpy as np

from .anatomy import MUSCLES, PLACEMENT_SCHEMES, SIDES, Side
from .errors import SessionValidationError

#: Point schemes with facial meaning. ``mediapipe478`` is the MediaPipe face
#: mesh with iris refinement; ``mediapipe468`` without. Marker sets are named
#: ``markers:<set>`` and carry their point names.
FACE_MESH_SCHEMES = ("mediapipe478", "mediapipe468")
MOTION_UNITS = {"mm": 1.0, "cm": 10.0, "m": 1000.0}
SEXES = ("female", "male", "other")
STREAMS = ("emg", "motion")
SEVERITIES = ("warning", "error")


def _fail(message: str) -> None:
    raise SessionValidationError(message)


def _check_rate(what: str, sfreq: float) -> float:
    if not isinstance(sfreq, (int, float, np.floating, np.integer)) or not math.isfinite(sfreq) or sfreq <= 0:
        _fail(f"{what} has sampling rate {sfreq!r} Hz; expected a finite number > 0")
    return float(sfreq)


def _check_time(what: str, value: float) -> float:
    if not isinstance(value, (int, float, np.floating, np.integer)) or not math.isfinite(value):
        _fail(f"{what} is {value!r}; expected a finite time in seconds")
    return float(value)


def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True)
class EmgChannel:
    """Identity of one EMG channel.

    Attributes
    ----------
    name : str
        The label as recorded by the device (kept for traceability).
    muscle : str
        A key of :data:`acquisition.anatomy.MUSCLES`.
    side : {'left', 'right'}
        The patient's side.
    placement : str
        Electrode placement scheme, one of :data:`acquisition.anatomy.PLACEMENT_SCHEMES`.
    """

    name: str
    muscle: str
    side: Side
    placement: str = "fridlund1986"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            _fail(f"EMG channel name {self.name!r} is empty; expected the device label")
        if self.muscle not in MUSCLES:
            _fail(f"EMG channel {self.name!r} has muscle {self.muscle!r}; expected one of {sorted(MUSCLES)}")
        if self.side not in SIDES:
            _fail(f"EMG channel {self.name!r} has side {self.side!r}; expected 'left' or 'right'")
        if self.placement not in PLACEMENT_SCHEMES:
            _fail(
                f"EMG channel {self.name!r} has placement {self.placement!r}; "
                f"expected one of {list(PLACEMENT_SCHEMES)}"
            )


@dataclass(frozen=True, eq=False)
class EmgBlock:
    """Surface EMG of all channels at one rate.

    Attributes
    ----------
    data : ndarray, shape (n_channels, n_samples), float32
        Signals in volts.
    sfreq : float
        Sampling rate in Hz.
    channels : tuple of EmgChannel
        One per row of ``data``.
    t0 : float
        Session time of the first sample, in seconds.
    """

    data: np.ndarray
    sfreq: float
    channels: tuple[EmgChannel, ...]
    t0: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sfreq", _check_rate("EMG", self.sfreq))
        object.__setattr__(self, "t0", _check_time("EMG t0", self.t0))
        object.__setattr__(self, "channels", tuple(self.channels))
        data = self.data
        if not isinstance(data, np.ndarray):
            _fail(f"EMG data is a {type(data).__name__}; expected a numpy array")
        if data.ndim != 2:
            _fail(f"EMG data has shape {data.shape}; expected (n_channels, n_samples)")
        if data.dtype != np.float32:
            _fail(f"EMG data has dtype {data.dtype}; expected float32 volts")
        if data.shape[0] != len(self.channels):
            _fail(f"EMG data has {data.shape[0]} rows but {len(self.channels)} channels are described")
        if data.shape[1] == 0:
            _fail("EMG data has 0 samples; expected at least 1")
        seen: dict[tuple[str, str], str] = {}
        for ch in self.channels:
            if not isinstance(ch, EmgChannel):
                _fail(f"EMG channel {ch!r} is not an EmgChannel")
            key = (ch.muscle, ch.side)
            if key in seen:
                _fail(f"EMG channels {seen[key]!r} and {ch.name!r} are both {ch.side} {ch.muscle}")
            seen[key] = ch.name
        object.__setattr__(self, "data", _readonly(data))

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration(self) -> float:
        """Duration in seconds."""
        return self.n_samples / self.sfreq

    @property
    def times(self) -> np.ndarray:
        """Session times of the samples, shape (n_samples,), in seconds."""
        return self.t0 + np.arange(self.n_samples) / self.sfreq

    def index(self, muscle: str, side: Side) -> int | None:
        """Row of the channel on ``muscle`` and ``side``, or None when absent."""
        for i, ch in enumerate(self.channels):
            if ch.muscle == muscle and ch.side == side:
                return i
        return None


@dataclass(frozen=True, eq=False)
class MotionBlock:
    """Facial motion: 3-D points over time.

    Attributes
    ----------
    data : ndarray, shape (n_frames, n_points, 3), float32
        Point coordinates in ``units``; NaN where a point was not tracked.
    sfreq : float
        Frame rate in Hz.
    scheme : str
        ``'mediapipe478'``, ``'mediapipe468'`` or ``'markers:<set name>'``.
    units : {'mm', 'cm', 'm'}
    point_names : tuple of str
        Names of the points; for face-mesh schemes they are the mesh indices
        as strings (filled in automatically).
    t0 : float
        Session time of the first frame, in seconds.
    confidence : ndarray, shape (n_frames,), float32, optional
        Per-frame tracking confidence in [0, 1] (camera sources).
    facial_points : tuple of str
        For marker sets, the names of points that are facial landmarks the
        feature code knows (canonical names of ``acquisition.face_mesh.LANDMARKS``, assigned by a channel mapping); an
        empty tuple means no facial motion measures can be computed.
    """

    data: np.ndarray
    sfreq: float
    scheme: str
    units: str = "mm"
    point_names: tuple[str, ...] = ()
    t0: float = 0.0
    confidence: np.ndarray | None = None
    facial_points: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sfreq", _check_rate("motion", self.sfreq))
        object.__setattr__(self, "t0", _check_time("motion t0", self.t0))
        data = self.data
        if not isinstance(data, np.ndarray):
            _fail(f"motion data is a {type(data).__name__}; expected a numpy array")
        if data.ndim != 3 or data.shape[2] != 3:
            _fail(f"motion data has shape {data.shape}; expected (n_frames, n_points, 3)")
        if data.dtype != np.float32:
            _fail(f"motion data has dtype {data.dtype}; expected float32")
        if data.shape[0] == 0 or data.shape[1] == 0:
            _fail(f"motion data has shape {data.shape}; expected at least 1 frame and 1 point")
        if self.units not in MOTION_UNITS:
            _fail(f"motion units {self.units!r} are not supported; expected one of {list(MOTION_UNITS)}")
        n_points = data.shape[1]
        if self.scheme in FACE_MESH_SCHEMES:
            expected = int(self.scheme.removeprefix("mediapipe"))
            if n_points != expected:
                _fail(f"motion scheme {self.scheme!r} needs {expected} points; data has {n_points}")
            names = tuple(str(i) for i in range(n_points))
            object.__setattr__(self, "point_names", names)
            object.__setattr__(self, "facial_points", names)
        elif self.scheme.startswith("markers:") and len(self.scheme) > len("markers:"):
            names = tuple(self.point_names)
            if len(names) != n_points:
                _fail(f"motion scheme {self.scheme!r} names {len(names)} points; data has {n_points}")
            if len(set(names)) != len(names):
                _fail(f"motion scheme {self.scheme!r} has duplicate point names")
            unknown = [p for p in self.facial_points if p not in names]
            if unknown:
                _fail(f"motion facial points {unknown} are not among the point names")
            object.__setattr__(self, "point_names", names)
            object.__setattr__(self, "facial_points", tuple(self.facial_points))
        else:
            _fail(
                f"motion scheme {self.scheme!r} is not known; expected one of "
                f"{list(FACE_MESH_SCHEMES)} or 'markers:<set name>'"
            )
        if self.confidence is not None:
            conf = np.asarray(self.confidence, dtype=np.float32)
            if conf.shape != (data.shape[0],):
                _fail(f"motion confidence has shape {conf.shape}; expected ({data.shape[0]},)")
            if np.any((conf < 0) | (conf > 1)):
                _fail("motion confidence has values outside [0, 1]")
            object.__setattr__(self, "confidence", _readonly(conf))
        object.__setattr__(self, "data", _readonly(data))

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_points(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration(self) -> float:
        """Duration in seconds."""
        return self.n_frames / self.sfreq

    @property
    def times(self) -> np.ndarray:
        """Session times of the frames, shape (n_frames,), in seconds."""
        return self.t0 + np.arange(self.n_frames) / self.sfreq

    @property
    def is_facial(self) -> bool:
        """True when facial motion measures can be computed from this block."""
        return bool(self.facial_points)

    def in_mm(self) -> np.ndarray:
        """Coordinates in millimetres, shape (n_frames, n_points, 3)."""
        scale = MOTION_UNITS[self.units]
        return self.data if scale == 1.0 else self.data * np.float32(scale)


@dataclass(frozen=True)
class Marker:
    """A time-stamped event (e.g. a task cue or a sync pulse)."""

    time: float
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _check_time(f"marker {self.label!r} time", self.time))


@dataclass(frozen=True)
class Segment:
    """One repetition of one protocol task on the session clock (seconds)."""

    task: str
    start: float
    end: float
    repetition: int = 1

    def __post_init__(self) -> None:
        start = _check_time(f"segment {self.task!r} start", self.start)
        end = _check_time(f"segment {self.task!r} end", self.end)
        if end <= start:
            _fail(f"segment {self.task!r} ends at {end} s, not after its start {start} s")
        if int(self.repetition) < 1:
            _fail(f"segment {self.task!r} has repetition {self.repetition}; expected >= 1")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "repetition", int(self.repetition))


@dataclass(frozen=True)
class Gap:
    """An interval where a stream has no valid data (dropout, face lost)."""

    stream: str
    start: float
    end: float
    reason: str = ""

    def __post_init__(self) -> None:
        if self.stream not in STREAMS:
            _fail(f"gap stream {self.stream!r} is not one of {list(STREAMS)}")
        start = _check_time("gap start", self.start)
        end = _check_time("gap end", self.end)
        if end < start:
            _fail(f"gap in {self.stream} ends at {end} s before its start {start} s")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class QualityIssue:
    """A data-quality finding with its numbers.

    Attributes
    ----------
    code : str
        Stable identifier, e.g. ``'emg.powerline'``.
    severity : {'warning', 'error'}
        ``error`` means the affected data cannot be assessed.
    message : str
        Human text including the measured values.
    stream : str
        ``'emg'``, ``'motion'`` or ``'session'``.
    channel : str
        Channel or point concerned, if any.
    """

    code: str
    severity: str
    message: str
    stream: str = "session"
    channel: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            _fail(f"quality issue {self.code!r} has severity {self.severity!r}; expected {list(SEVERITIES)}")


@dataclass(frozen=True)
class Subject:
    """Facts about the patient known at capture (all optional).

    Attributes
    ----------
    age : float, optional
        Years.
    sex : {'female', 'male', 'other'}, optional
    days_since_onset : float, optional
        Days since palsy onset (None for healthy subjects or unknown).
    affected_side : {'left', 'right'}, optional
        When known clinically.
    fdi_physical, fdi_social : float, optional
        Facial Disability Index sub-scores, 0-100 (100 = no disability).
    """

    age: float | None = None
    sex: str | None = None
    days_since_onset: float | None = None
    affected_side: str | None = None
    fdi_physical: float | None = None
    fdi_social: float | None = None

    def __post_init__(self) -> None:
        ranges = {"age": (0, 130), "days_since_onset": (0, 36500), "fdi_physical": (0, 100), "fdi_social": (0, 100)}
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, (int, float, np.floating, np.integer)) or not low <= value <= high:
                _fail(f"subject {name} is {value!r}; expected a number in [{low}, {high}]")
            object.__setattr__(self, name, float(value))
        if self.sex is not None and self.sex not in SEXES:
            _fail(f"subject sex is {self.sex!r}; expected one of {list(SEXES)}")
        if self.affected_side is not None and self.affected_side not in SIDES:
            _fail(f"subject affected_side is {self.affected_side!r}; expected 'left' or 'right'")


@dataclass(frozen=True)
class SourceFile:
    """A file a session was built from, identified by its SHA-256."""

    name: str
    sha256: str
    format: str = ""

    def __post_init__(self) -> None:
        digest = self.sha256
        if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            _fail(f"source {self.name!r} sha256 {digest!r} is not 64 lowercase hex digits")


@dataclass(frozen=True)
class Provenance:
    """Where a session came from.

    Attributes
    ----------
    sources : tuple of SourceFile
    devices : tuple of str
        Free-text device descriptions (amplifier, camera, software).
    clock_offsets : tuple of (str, float)
        ``(stream, offset_s)`` applied to bring each stream onto the session clock.
    unmapped_channels : tuple of str
        Raw channels present in the source that no mapping assigned (kept, not dropped).
    notes : tuple of str
        Processing steps applied on the way in (resampling, cropping, ...).
    """

    sources: tuple[SourceFile, ...] = ()
    devices: tuple[str, ...] = ()
    clock_offsets: tuple[tuple[str, float], ...] = ()
    unmapped_channels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "devices", tuple(self.devices))
        object.__setattr__(self, "clock_offsets", tuple((str(s), float(o)) for s, o in self.clock_offsets))
        object.__setattr__(self, "unmapped_channels", tuple(self.unmapped_channels))
        object.__setattr__(self, "notes", tuple(self.notes))

    def with_note(self, note: str) -> Provenance:
        """Return a copy with one more processing note."""
        return replace(self, notes=self.notes + (note,))


@dataclass(frozen=True, eq=False)
class Session:
    """A recording of facial sEMG and/or facial motion with its protocol segments.

    At least one of ``emg`` and ``motion`` is present. See the module
    docstring for clock, unit and side conventions.
    """

    emg: EmgBlock | None = None
    motion: MotionBlock | None = None
    segments: tuple[Segment, ...] = ()
    markers: tuple[Marker, ...] = ()
    gaps: tuple[Gap, ...] = ()
    subject: Subject = field(default_factory=Subject)
    provenance: Provenance = field(default_factory=Provenance)
    quality: tuple[QualityIssue, ...] = ()
    protocol: str = "fpcds-standard-v1"
    recorded_at: str | None = None

    def __post_init__(self) -> None:
        if self.emg is None and self.motion is None:
            _fail("session has neither EMG nor motion; expected at least one stream")
        if self.emg is not None and not isinstance(self.emg, EmgBlock):
            _fail(f"session emg is a {type(self.emg).__name__}; expected EmgBlock")
        if self.motion is not None and not isinstance(self.motion, MotionBlock):
            _fail(f"session motion is a {type(self.motion).__name__}; expected MotionBlock")
        segments = tuple(sorted(self.segments, key=lambda s: (s.start, s.task, s.repetition)))
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "markers", tuple(sorted(self.markers, key=lambda m: (m.time, m.label))))
        object.__setattr__(self, "gaps", tuple(sorted(self.gaps, key=lambda g: (g.stream, g.start))))
        object.__setattr__(self, "quality", tuple(self.quality))
        if not isinstance(self.subject, Subject):
            _fail(f"session subject is a {type(self.subject).__name__}; expected Subject")
        if not isinstance(self.provenance, Provenance):
            _fail(f"session provenance is a {type(self.provenance).__name__}; expected Provenance")
        start, end = self.time_span
        for seg in segments:
            if seg.end <= start or seg.start >= end:
                _fail(
                    f"segment {seg.task!r} (repetition {seg.repetition}) at {seg.start:.3f}-{seg.end:.3f} s "
                    f"lies outside the recording {start:.3f}-{end:.3f} s"
                )

    # ------------------------------------------------------------------ info
    @property
    def time_span(self) -> tuple[float, float]:
        """(start, end) of the recorded streams on the session clock, in seconds."""
        blocks = [b for b in (self.emg, self.motion) if b is not None]
        return min(b.t0 for b in blocks), max(b.t0 + b.duration for b in blocks)

    @property
    def duration(self) -> float:
        """Seconds from the first to the last recorded sample of any stream."""
        start, end = self.time_span
        return end - start

    @property
    def modalities(self) -> tuple[str, ...]:
        """The streams present: a subset of ('emg', 'motion')."""
        return tuple(name for name in STREAMS if getattr(self, name) is not None)

    @property
    def tasks(self) -> tuple[str, ...]:
        """Task names with at least one segment, in order of first appearance."""
        return tuple(dict.fromkeys(s.task for s in self.segments))

    def segments_for(self, task: str) -> tuple[Segment, ...]:
        """All repetitions of ``task``."""
        return tuple(s for s in self.segments if s.task == task)

    # -------------------------------------------------------- transformations
    def crop(self, tmin: float | None = None, tmax: float | None = None) -> Session:
        """Return the part of the session between ``tmin`` and ``tmax`` (seconds).

        Sample arrays are views (no copy). Segments, markers and gaps are clipped;
        segments that fall entirely outside are dropped.
        """
        start, end = self.time_span
        tmin = start if tmin is None else float(tmin)
        tmax = end if tmax is None else float(tmax)
        if tmax <= tmin:
            _fail(f"crop window {tmin}-{tmax} s is empty")
        emg = _crop_emg(self.emg, tmin, tmax)
        motion = _crop_motion(self.motion, tmin, tmax)
        if emg is None and motion is None:
            _fail(f"crop window {tmin}-{tmax} s contains no samples of the recording {start}-{end} s")
        spans = [(b.t0, b.t0 + b.duration) for b in (emg, motion) if b is not None]
        lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
        segments = tuple(
            replace(s, start=max(s.start, lo), end=min(s.end, hi))
            for s in self.segments
            if min(s.end, hi) > max(s.start, lo)
        )
        return replace(
            self,
            emg=emg,
            motion=motion,
            segments=segments,
            markers=tuple(m for m in self.markers if tmin <= m.time <= tmax),
            gaps=tuple(
                replace(g, start=max(g.start, tmin), end=min(g.end, tmax))
                for g in self.gaps
                if g.end >= tmin and g.start <= tmax
            ),
            provenance=self.provenance.with_note(f"cropped to {tmin:.6g}-{tmax:.6g} s"),
        )

    def select(
        self,
        *,
        muscles: Iterable[str] | None = None,
        sides: Iterable[str] | None = None,
        modalities: Iterable[str] | None = None,
    ) -> Session:
        """Return a session with only the chosen EMG channels and/or modalities.

        Parameters
        ----------
        muscles, sides : iterable of str, optional
            Keep EMG channels whose muscle and side are listed.
        modalities : iterable of {'emg', 'motion'}, optional
            Keep only these streams.
        """
        keep_modalities = set(STREAMS if modalities is None else modalities)
        unknown = keep_modalities - set(STREAMS)
        if unknown:
            _fail(f"select modalities {sorted(unknown)} are unknown; expected {list(STREAMS)}")
        emg = self.emg if "emg" in keep_modalities else None
        if emg is not None and (muscles is not None or sides is not None):
            muscle_set = set(MUSCLES if muscles is None else muscles)
            side_set = set(SIDES if sides is None else sides)
            rows = [i for i, ch in enumerate(emg.channels) if ch.muscle in muscle_set and ch.side in side_set]
            emg = (
                replace(emg, data=emg.data[rows], channels=tuple(emg.channels[i] for i in rows)) if rows else None
            )
        motion = self.motion if "motion" in keep_modalities else None
        kept = {name for name, block in (("emg", emg), ("motion", motion)) if block is not None}
        return replace(
            self,
            emg=emg,
            motion=motion,
            gaps=tuple(g for g in self.gaps if g.stream in kept),
            provenance=self.provenance.with_note(f"selected streams {sorted(kept)}"),
        )

    def resample(self, *, emg_sfreq: float | None = None, motion_sfreq: float | None = None) -> Session:
        """Return a session resampled to new rates (the only way rates change).

        EMG is resampled with a polyphase anti-aliasing filter
        (:func:`scipy.signal.resample_poly`); motion is linearly interpolated
        between frames, and any output frame next to a lost (NaN) input frame
        stays NaN, so gaps are never filled in.
        """
        emg, motion, notes = self.emg, self.motion, []
        if emg_sfreq is not None and emg is not None:
            emg_sfreq = _check_rate("requested EMG", emg_sfreq)
            if emg_sfreq != emg.sfreq:
                emg = replace(emg, data=_resample_poly(emg.data, emg.sfreq, emg_sfreq), sfreq=emg_sfreq)
                notes.append(f"EMG resampled {self.emg.sfreq:g} -> {emg_sfreq:g} Hz (polyphase)")
        if motion_sfreq is not None and motion is not None:
            motion_sfreq = _check_rate("requested motion", motion_sfreq)
            if motion_sfreq != motion.sfreq:
                motion = _resample_motion(motion, motion_sfreq)
                notes.append(f"motion resampled {self.motion.sfreq:g} -> {motion_sfreq:g} Hz (linear)")
        provenance = self.provenance
        for note in notes:
            provenance = provenance.with_note(note)
        return replace(self, emg=emg, motion=motion, provenance=provenance)

    def with_segments(self, segments: Iterable[Segment]) -> Session:
        """Return a copy whose protocol segments are replaced."""
        return replace(self, segments=tuple(segments))

    def with_quality(self, issues: Iterable[QualityIssue]) -> Session:
        """Return a copy with quality findings replaced."""
        return replace(self, quality=tuple(issues))

    # ------------------------------------------------------------ metadata
    def metadata(self) -> dict[str, Any]:
        """Everything but the sample arrays, as JSON-ready data (stable key order)."""
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "recorded_at": self.recorded_at,
            "subject": _as_dict(self.subject),
            "segments": [_as_dict(s) for s in self.segments],
            "markers": [_as_dict(m) for m in self.markers],
            "gaps": [_as_dict(g) for g in self.gaps],
            "quality": [_as_dict(q) for q in self.quality],
            "provenance": {
                "sources": [_as_dict(s) for s in self.provenance.sources],
                "devices": list(self.provenance.devices),
                "clock_offsets": [list(x) for x in self.provenance.clock_offsets],
                "unmapped_channels": list(self.provenance.unmapped_channels),
                "notes": list(self.provenance.notes),
            },
            "emg": None,
            "motion": None,
        }
        if self.emg is not None:
            out["emg"] = {
                "sfreq": self.emg.sfreq,
                "t0": self.emg.t0,
                "channels": [_as_dict(c) for c in self.emg.channels],
            }
        if self.motion is not None:
            m = self.motion
            out["motion"] = {
                "sfreq": m.sfreq,
                "t0": m.t0,
                "scheme": m.scheme,
                "units": m.units,
                "point_names": [] if m.scheme in FACE_MESH_SCHEMES else list(m.point_names),
                "facial_points": [] if m.scheme in FACE_MESH_SCHEMES else list(m.facial_points),
                "has_confidence": m.confidence is not None,
            }
        return out

    @classmethod
    def from_metadata(
        cls,
        meta: dict[str, Any],
        *,
        emg_data: np.ndarray | None = None,
        motion_data: np.ndarray | None = None,
        motion_confidence: np.ndarray | None = None,
    ) -> Session:
        """Rebuild a session from :meth:`metadata` plus its arrays."""
        emg = motion = None
        if meta.get("emg") is not None:
            if emg_data is None:
                _fail("session metadata describes EMG but no EMG array was given")
            e = meta["emg"]
            emg = EmgBlock(emg_data, e["sfreq"], tuple(EmgChannel(**c) for c in e["channels"]), e["t0"])
        if meta.get("motion") is not None:
            if motion_data is None:
                _fail("session metadata describes motion but no motion array was given")
            m = meta["motion"]
            motion = MotionBlock(
                motion_data,
                m["sfreq"],
                m["scheme"],
                m["units"],
                tuple(m["point_names"]),
                m["t0"],
                motion_confidence,
                tuple(m.get("facial_points", ())),
            )
        p = meta["provenance"]
        return cls(
            emg=emg,
            motion=motion,
            segments=tuple(Segment(**s) for s in meta["segments"]),
            markers=tuple(Marker(**x) for x in meta["markers"]),
            gaps=tuple(Gap(**g) for g in meta["gaps"]),
            subject=Subject(**meta["subject"]),
            provenance=Provenance(
                sources=tuple(SourceFile(**s) for s in p["sources"]),
                devices=tuple(p["devices"]),
                clock_offsets=tuple((s, o) for s, o in p["clock_offsets"]),
                unmapped_channels=tuple(p["unmapped_channels"]),
                notes=tuple(p["notes"]),
            ),
            quality=tuple(QualityIssue(**q) for q in meta["quality"]),
            protocol=meta["protocol"],
            recorded_at=meta["recorded_at"],
        )


def _as_dict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _crop_emg(emg: EmgBlock | None, tmin: float, tmax: float) -> EmgBlock | None:
    if emg is None:
        return None
    i0 = max(0, math.ceil((tmin - emg.t0) * emg.sfreq - 1e-9))
    i1 = min(emg.n_samples, math.floor((tmax - emg.t0) * emg.sfreq + 1e-9))
    if i1 <= i0:
        return None
    return replace(emg, data=emg.data[:, i0:i1], t0=emg.t0 + i0 / emg.sfreq)


def _crop_motion(motion: MotionBlock | None, tmin: float, tmax: float) -> MotionBlock | None:
    if motion is None:
        return None
    i0 = max(0, math.ceil((tmin - motion.t0) * motion.sfreq - 1e-9))
    i1 = min(motion.n_frames, math.floor((tmax - motion.t0) * motion.sfreq + 1e-9))
    if i1 <= i0:
        return None
    conf = None if motion.confidence is None else motion.confidence[i0:i1]
    return replace(motion, data=motion.data[i0:i1], t0=motion.t0 + i0 / motion.sfreq, confidence=conf)


def _resample_poly(data: np.ndarray, old: float, new: float) -> np.ndarray:
    from scipy.signal import resample_poly

    ratio = Fraction(new / old).limit_denominator(1000)
    if abs(float(ratio) - new / old) > 1e-9 * new / old:
        _fail(f"cannot resample {old:g} Hz to {new:g} Hz with a rational ratio of small integers")
    return resample_poly(data, ratio.numerator, ratio.denominator, axis=1).astype(np.float32)


def _resample_motion(motion: MotionBlock, new: float) -> MotionBlock:
    n_out = max(1, int(math.floor(motion.duration * new + 1e-9)))
    pos = np.arange(n_out) * (motion.sfreq / new)
    i0 = np.minimum(np.floor(pos).astype(int), motion.n_frames - 1)
    i1 = np.minimum(i0 + 1, motion.n_frames - 1)
    frac = (pos - i0).astype(np.float32)[:, None, None]
    data = motion.data[i0] * (1 - frac) + motion.data[i1] * frac
    exact = frac[:, 0, 0] == 0
    data[exact] = motion.data[i0[exact]]
    conf = None
    if motion.confidence is not None:
        conf = np.minimum(motion.confidence[i0], motion.confidence[i1])
    return replace(motion, data=data.astype(np.float32), sfreq=new, confidence=conf)
