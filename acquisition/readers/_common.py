"""What every reader shares: file checks, typed errors, units, gaps, and assembling the Session.

Clock and rate policy (all readers)
-----------------------------------
* One session clock: seconds, 0 s at the recording's start as the format
  defines it (EDF: the first data record; C3D: frame 1; CSV: the file's own
  time column; XDF: the first sample of the earliest imported data stream,
  after LSL clock synchronisation). Every stream's ``t0`` and every event
  is on this clock; the offsets applied are in ``Provenance.clock_offsets``
  as ``(stream, offset_s)`` with ``session_time = file_time + offset_s``.
* Rates are never changed silently (as in MNE-Python): a block keeps the
  nominal rate of its source. Channels of one modality at different rates
  are refused unless the caller asks for a rate (``emg_sfreq=``); the
  resampling is then recorded in the provenance notes.
* Gaps (dropouts, timestamp breaks, lost frames) are never interpolated:
  the samples are NaN and the interval is a :class:`~acquisition.session.Gap`.
"""

from __future__ import annotations

import math
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import FpcdsError, MappingError, SessionFileError, SessionValidationError
from ..mapping import ChannelMapping, emg_unit_scale, length_unit
from ..native import file_sha256
from ..protocol import STANDARD_PROTOCOL
from ..quality import check_quality
from ..segments import Event, interpret_events, read_timing_sidecar
from ..session import EmgBlock, Gap, MotionBlock, Provenance, QualityIssue, Session, SourceFile, Subject

#: Files larger than this are refused by readers that load the whole file.
DEFAULT_MAX_BYTES = 2 * 1024**3
#: EMG arrays larger than this are written to a temporary memory-mapped file.
DEFAULT_MEMMAP_BYTES = 256 * 1024**2

_MAGIC = (
    (b"FPCDSES\0", "fpcds native session"),
    (b"XDF:", "XDF"),
    (b"\xffBIOSEMI", "BDF"),
    (b"0       ", "EDF"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"%PDF", "PDF"),
)


def sniff_format(path: str) -> str | None:
    """Guess what a file really is from its first bytes (for error messages)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return None
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if len(head) >= 2 and head[1] == 0x50 and 2 <= head[0] <= 127:
        return "C3D"
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:256]):
        return "text"
    return None


def check_file(path: str, *, fmt: str, max_bytes: int | None = None) -> int:
    """Check that ``path`` is a non-empty regular file within ``max_bytes``; return its size."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SessionFileError(path, "no such file") from None
    except OSError as exc:
        raise SessionFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    if not os.path.isfile(path):
        raise SessionFileError(path, f"is not a regular file; expected a {fmt} file")
    if st.st_size == 0:
        raise SessionFileError(path, f"file is empty (0 bytes); expected a {fmt} file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise SessionFileError(
            path,
            f"file is {st.st_size / 1024**3:.2f} GiB; {fmt} files are read into memory and the limit is "
            f"{max_bytes / 1024**3:.2f} GiB (raise max_bytes to read it anyway)",
        )
    return st.st_size


def wrong_format(path: str, fmt: str) -> SessionFileError:
    """The error for a file whose content is not ``fmt``, saying what it looks like."""
    actual = sniff_format(path)
    hint = f" (its content looks like {actual})" if actual and actual != fmt else ""
    return SessionFileError(path, f"is not a {fmt} file{hint}")


@contextmanager
def library_errors(path: str, what: str) -> Iterator[None]:
    """Turn any exception of a parsing library into one SessionFileError naming the file.

    Only wrap calls into third-party parsers: fpcds' own errors pass through.
    """
    try:
        yield
    except FpcdsError:
        raise
    except MemoryError:
        raise SessionFileError(path, f"{what}: not enough memory (the file declares more data than fits)") from None
    except Exception as exc:  # a parser failing on bad input, whatever its exception type
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise SessionFileError(path, f"{what}: {detail[:300]}") from None


def source_file(path: str, fmt: str) -> SourceFile:
    """Provenance entry for ``path``: its base name (never the directory) and SHA-256."""
    return SourceFile(os.path.basename(path), file_sha256(path), fmt)


# ------------------------------------------------------------------ units
def emg_scales(
    labels: Sequence[str], file_units: Sequence[str | None], mapping: ChannelMapping, *, path: str
) -> tuple[np.ndarray, list[QualityIssue]]:
    """Volts per raw unit for each mapped EMG channel.

    Parameters
    ----------
    labels : sequence of str
        Raw labels of the mapped channels.
    file_units : sequence of str or None
        The unit each channel states in the file (None or '' when none).

    Returns
    -------
    scales : ndarray, shape (n_channels,)
    issues : list of QualityIssue
        One warning per channel whose stated unit the mapping overrode.

    Raises
    ------
    MappingError
        A channel states a unit that is not a voltage, or no unit is known.
    """
    scales = np.empty(len(labels))
    issues = []
    forced = mapping.emg.units if mapping.emg.override_units else None
    for i, (label, unit) in enumerate(zip(labels, file_units)):
        unit = (unit or "").strip() or None
        if forced is not None:
            scales[i] = emg_unit_scale(forced)
            if unit is not None and emg_unit_scale(unit) != scales[i]:
                issues.append(QualityIssue(
                    "emg.unit_override", "warning",
                    f"EMG channel {label!r} is labelled {unit!r} in the file; mapping {mapping.name!r} "
                    f"overrides it as {forced!r}", "emg", label,
                ))
            continue
        if unit is not None:
            scale = emg_unit_scale(unit)
            if scale is None:
                raise MappingError(
                    f"{path}: EMG channel {label!r} has unit {unit!r}, which is not a voltage (V, mV, uV); "
                    f"if the label is wrong, set emg.units and emg.override_units in the mapping"
                )
            scales[i] = scale
        elif mapping.emg.units is not None:
            scales[i] = emg_unit_scale(mapping.emg.units)
        else:
            raise MappingError(
                f"{path}: EMG channel {label!r} states no unit; set emg.units in the mapping "
                f"({mapping.source}) to V, mV or uV"
            )
    return scales, issues


def motion_unit(file_unit: str | None, mapping: ChannelMapping, *, path: str) -> tuple[str, list[QualityIssue]]:
    """MotionBlock unit code for a motion stream, applying the mapping's rules (see :func:`emg_scales`)."""
    stated = (file_unit or "").strip() or None
    if mapping.motion.override_units:
        unit = length_unit(mapping.motion.units)
        issues = []
        if stated is not None and length_unit(stated) != unit:
            issues.append(QualityIssue(
                "motion.unit_override", "warning",
                f"motion is labelled {stated!r} in the file; mapping {mapping.name!r} overrides it as "
                f"{mapping.motion.units!r}", "motion",
            ))
        return unit, issues  # type: ignore[return-value]
    if stated is not None:
        unit = length_unit(stated)
        if unit is None:
            raise MappingError(
                f"{path}: motion has unit {stated!r}, which is not a length (mm, cm, m); if the label is wrong, "
                f"set motion.units and motion.override_units in the mapping"
            )
        return unit, []
    if mapping.motion.units is not None:
        return length_unit(mapping.motion.units), []  # type: ignore[return-value]
    raise MappingError(f"{path}: motion states no unit; set motion.units in the mapping ({mapping.source})")


# ------------------------------------------------------------ arrays
def allocate_emg(n_channels: int, n_samples: int, *, memmap_bytes: int = DEFAULT_MEMMAP_BYTES) -> np.ndarray:
    """A writable float32 array (n_channels, n_samples) for EMG being read.

    Above ``memmap_bytes`` it is backed by an anonymous temporary file (in
    ``TMPDIR``), so long recordings are converted in bounded memory; the
    file disappears when the array is released.
    """
    nbytes = n_channels * n_samples * 4
    if nbytes <= memmap_bytes:
        return np.empty((n_channels, n_samples), dtype=np.float32)
    with tempfile.TemporaryFile(prefix="fpcds-emg-") as fh:
        fh.truncate(nbytes)
        return np.memmap(fh, dtype=np.float32, mode="r+", shape=(n_channels, n_samples))


def nan_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index runs ``[(i0, i1), ...]`` where ``mask`` is True."""
    if mask.size == 0 or not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def emg_gaps(emg: EmgBlock, *, reason: str = "no samples (dropout)") -> list[Gap]:
    """Gaps where every EMG channel is NaN, found block by block."""
    runs: list[tuple[int, int]] = []
    step = 1 << 20
    for start in range(0, emg.n_samples, step):
        mask = np.isnan(np.asarray(emg.data[:, start : start + step])).all(axis=0)
        for a, b in nan_runs(mask):
            a, b = a + start, b + start
            if runs and runs[-1][1] == a:
                runs[-1] = (runs[-1][0], b)
            else:
                runs.append((a, b))
    return [Gap("emg", emg.t0 + a / emg.sfreq, emg.t0 + b / emg.sfreq, reason) for a, b in runs]


def motion_gaps(motion: MotionBlock, *, reason: str = "no tracked point (frame lost)") -> list[Gap]:
    """Gaps where no motion point is tracked."""
    lost = np.zeros(motion.n_frames, dtype=bool)
    step = 4096
    for start in range(0, motion.n_frames, step):
        lost[start : start + step] = np.isnan(np.asarray(motion.data[start : start + step])).all(axis=(1, 2))
    return [Gap("motion", motion.t0 + a / motion.sfreq, motion.t0 + b / motion.sfreq, reason)
            for a, b in nan_runs(lost)]


# ------------------------------------------------------------ assembly
def nothing_to_import(path: str, mapping: ChannelMapping, unmapped: Sequence[str]) -> MappingError:
    """The error for a file in which the mapping finds neither EMG nor motion."""
    shown = ", ".join(repr(u) for u in unmapped[:12]) + (" ..." if len(unmapped) > 12 else "")
    return MappingError(
        f"{path}: nothing to import: no EMG channel is mapped to a muscle and no motion was found "
        f"(mapping {mapping.name!r}); raw channels: {shown or 'none'}. List them with "
        f"'fpcds inspect --raw {path}' and write a mapping file"
    )


@dataclass
class SessionParts:
    """Everything a reader extracted, before it becomes a validated Session."""

    path: str
    fmt: str
    emg: EmgBlock | None = None
    motion: MotionBlock | None = None
    events: list[Event] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    issues: list[QualityIssue] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    clock_offsets: list[tuple[str, float]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subject: Subject = field(default_factory=Subject)
    recorded_at: str | None = None
    protocol: str = STANDARD_PROTOCOL.name


def assemble(
    parts: SessionParts,
    *,
    mapping: ChannelMapping,
    segments: str | os.PathLike[str] | None = None,
    mains_hz: float | None = None,
) -> Session:
    """Build, validate and quality-check the Session from a reader's parts.

    Steps: events -> markers, segments and reserved gaps/end (the
    :mod:`acquisition.segments` vocabulary); a ``recording/end`` event trims
    padding; a timing sidecar, when given, replaces the segments; segments
    outside the recording are dropped with a warning; NaN runs become Gaps;
    sources are the data file, the mapping file and the sidecar; then
    :func:`acquisition.quality.check_quality`.
    """
    path = parts.path
    if parts.emg is None and parts.motion is None:
        raise nothing_to_import(path, mapping, parts.unmapped)
    try:
        result = interpret_events(parts.events, protocol=parts.protocol)
    except KeyError as exc:
        raise SessionFileError(path, f"protocol is unknown: {exc.args[0]}") from None
    except SessionValidationError as exc:
        raise SessionFileError(path, f"events are invalid: {exc}") from None
    emg, motion = parts.emg, parts.motion
    notes = list(parts.notes)
    if result.end_time is not None:
        emg, motion = _trim(emg, result.end_time), _trim(motion, result.end_time)
        if emg is None and motion is None:
            raise SessionFileError(path, f"a recording/end event at {result.end_time:.3f} s leaves no samples")
        notes.append(f"samples after the recording/end event at {result.end_time:.6g} s (padding) were dropped")
    issues = list(parts.issues) + list(result.issues)
    seg_list = list(result.segments)
    sources = [source_file(path, parts.fmt)]
    if mapping.path is not None:
        sources.append(source_file(mapping.path, "mapping"))
    if segments is not None:
        sidecar = os.fspath(segments)
        seg_list = list(read_timing_sidecar(sidecar, protocol=parts.protocol))
        sources.append(source_file(sidecar, "timing-sidecar"))
        notes.append(
            f"segments from timing sidecar {os.path.basename(sidecar)} ({len(seg_list)}) replace the "
            f"{len(result.segments)} made from the file's markers"
        )
    spans = [(b.t0, b.t0 + b.duration) for b in (emg, motion) if b is not None]
    lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    inside = [s for s in seg_list if s.end > lo and s.start < hi]
    for s in seg_list:
        if s not in inside:
            issues.append(QualityIssue(
                "segments.outside", "warning",
                f"segment {s.task!r} repetition {s.repetition} at {s.start:.3f}-{s.end:.3f} s lies outside the "
                f"recording ({lo:.3f}-{hi:.3f} s) and was dropped",
            ))
    gaps = _merge_gaps(list(parts.gaps) + list(result.gaps), emg, motion)
    notes.insert(0, f"read {parts.fmt} file with mapping {mapping.name!r} ({mapping.source})")
    try:
        session = Session(
            emg=emg,
            motion=motion,
            segments=tuple(inside),
            markers=result.markers,
            gaps=tuple(gaps),
            subject=parts.subject,
            provenance=Provenance(
                sources=tuple(sources),
                devices=tuple(dict.fromkeys(d for d in parts.devices if d)),
                clock_offsets=tuple(parts.clock_offsets),
                unmapped_channels=tuple(parts.unmapped),
                notes=tuple(notes),
            ),
            protocol=parts.protocol,
            recorded_at=parts.recorded_at,
        )
    except SessionValidationError as exc:
        raise SessionFileError(path, f"content is invalid: {exc}") from None
    return session.with_quality(tuple(issues) + check_quality(session, mains_hz=mains_hz))


def _trim(block: Any, end_time: float) -> Any:
    if block is None:
        return None
    n = math.floor((end_time - block.t0) * block.sfreq + 1e-9)
    total = block.n_samples if isinstance(block, EmgBlock) else block.n_frames
    if n >= total:
        return block
    if n <= 0:
        return None
    from dataclasses import replace

    if isinstance(block, EmgBlock):
        return replace(block, data=block.data[:, :n])
    conf = None if block.confidence is None else block.confidence[:n]
    return replace(block, data=block.data[:n], confidence=conf)


def _merge_gaps(known: list[Gap], emg: EmgBlock | None, motion: MotionBlock | None) -> list[Gap]:
    """Known gaps plus NaN runs that no known gap of the same stream already covers."""
    found = (emg_gaps(emg) if emg is not None else []) + (motion_gaps(motion) if motion is not None else [])
    out = list(known)
    for g in found:
        if not any(k.stream == g.stream and k.start <= g.start + 1e-9 and k.end >= g.end - 1e-9 for k in known):
            out.append(g)
    return out


# ---------------------------------------------------------- raw listing
@dataclass(frozen=True)
class RawStream:
    """One group of raw channels in a file, as the device labelled it.

    Attributes
    ----------
    name : str
    kind : str
        ``'signals'``, ``'points'``, ``'analogs'``, ``'markers'`` or ``'columns'``.
    sfreq : float, optional
        Hz (None for irregular streams).
    channels : tuple of str
    units : tuple of str
        Per channel ('' when not stated).
    n_samples : int
    detail : str
    """

    name: str
    kind: str
    sfreq: float | None
    channels: tuple[str, ...]
    units: tuple[str, ...] = ()
    n_samples: int = 0
    detail: str = ""


@dataclass(frozen=True)
class RawListing:
    """The raw content of a file, to help write a mapping (``fpcds inspect --raw``)."""

    path: str
    format: str
    streams: tuple[RawStream, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "format": self.format,
            "streams": [
                {"name": s.name, "kind": s.kind, "sfreq_hz": s.sfreq, "n_samples": s.n_samples, "detail": s.detail,
                 "channels": [{"label": c, "unit": u} for c, u in zip(s.channels, s.units or [""] * len(s.channels))]}
                for s in self.streams
            ],
        }

    def format_text(self) -> str:
        lines = [f"{self.path}  ({self.format}, raw content)"]
        for s in self.streams:
            rate = "irregular" if s.sfreq is None else f"{s.sfreq:g} Hz"
            extra = f"; {s.detail}" if s.detail else ""
            lines.append(
                f"  {s.kind:<8} {s.name!r}: {len(s.channels)} channel(s), {rate}, {s.n_samples} samples{extra}"
            )
            units = s.units or ("",) * len(s.channels)
            for label, unit in zip(s.channels, units):
                lines.append(f"             {label!r}" + (f" [{unit}]" if unit else ""))
        return "\n".join(lines)

