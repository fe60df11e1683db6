"""XDF (LabRecorder / Lab Streaming Layer) recordings.

Streams are chosen by the mapping (:mod:`acquisition.mapping`): by default
the stream of type ``EMG`` is the EMG, a stream of type ``Mocap``,
``FaceLandmarks`` or ``Landmarks`` the motion, and every stream of type
``Markers`` supplies event markers (the :mod:`acquisition.segments`
vocabulary turns them into task segments). Other streams are listed in the
provenance as unmapped.

Timing: pyxdf applies the LSL ``ClockOffset`` chunks (clock
synchronisation, with clock resets handled) and, with ``dejitter=True``,
fits a line to the timestamps of each unbroken run of samples. A *break* is
a step between consecutive timestamps larger than ``max(0.05 s, 5 sample
periods)`` (or any step backwards); the samples after it are placed on the
stream's grid at their time and the missing interval is NaN and a Gap (never
interpolated). The session clock starts at the first sample of the earliest
imported data stream; ``Provenance.clock_offsets`` holds, per stream, the
offset from its raw LSL time to session time at its first sample. The
nominal rate is kept; an effective rate that differs from it by more than
0.5 % is a quality warning.

EMG channels are named from the stream's ``desc/channels/channel/label``
(``ch1``, ``ch2``, ... when absent) with units from ``unit`` (or the
mapping's ``emg.units``). Motion channels are grouped into points from
``marker`` + ``type`` (``PositionX/Y/Z``, the LSL MoCap meta-data
convention) or from labels ending in an axis (``LMCOR_X``); a channel of
type ``Confidence`` is per-frame tracking confidence. Without channel
descriptions, ``3 n`` channels are ``n`` points in x, y, z order named
``0`` ... ``n-1``.

Before pyxdf reads anything, the chunk structure is checked (lengths,
tags, stream headers, sample counts), so a truncated or corrupted file is
refused with one error naming the byte offset, instead of being partly
read; files above ``max_bytes`` are refused because XDF is read into memory.
"""

from __future__ import annotations

import logging
import math
import os
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import MappingError, SessionFileError, SessionValidationError
from ..mapping import ChannelMapping, resolve_mapping, split_axis_label
from ..session import EmgBlock, Gap, MotionBlock, QualityIssue, Session, Subject
from ..segments import Event
from ._common import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MEMMAP_BYTES,
    RawListing,
    RawStream,
    SessionParts,
    allocate_emg,
    assemble,
    nothing_to_import,
    check_file,
    emg_scales,
    library_errors,
    motion_unit,
    nan_runs,
    wrong_format,
)

#: Timestamp steps above max(BREAK_SECONDS, BREAK_SAMPLES / rate) are breaks.
BREAK_SECONDS = 0.05
BREAK_SAMPLES = 5
#: Longer total gaps in a data stream are taken for corrupt timestamps.
MAX_GAP_S = 3600.0
#: Relative departure of the timestamps from the nominal rate that is reported.
RATE_TOLERANCE = 0.005
MAX_CHANNELS = 65536
MAX_RATE_HZ = 1e6
_MAX_XML = 16 * 1024 * 1024
_FORMATS = {"float32": 4, "double64": 8, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "string": 0}


@dataclass
class StreamInfo:
    """A stream header as found by the structure scan."""

    stream_id: int
    name: str
    type: str
    channel_count: int
    channel_format: str
    nominal_srate: float
    xml: ET.Element
    n_samples: int = 0
    n_chunks: int = 0
    clock_offsets: int = 0
    labels: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)


# --------------------------------------------------------------- scanning
def _varlen(fh: Any, path: str, pos: int) -> tuple[int, int]:
    """Read an XDF variable-length integer; returns (value, bytes used)."""
    head = fh.read(1)
    if not head:
        raise SessionFileError(path, f"file is truncated at byte {pos}")
    width = head[0]
    if width not in (1, 4, 8):
        raise SessionFileError(
            path, f"corrupt XDF chunk at byte {pos}: length field of {width} bytes (expected 1, 4 or 8)"
        )
    raw = fh.read(width)
    if len(raw) < width:
        raise SessionFileError(path, f"file is truncated at byte {pos}")
    return int.from_bytes(raw, "little"), 1 + width


def _parse_xml(path: str, raw: bytes, what: str, pos: int) -> ET.Element:
    try:
        return ET.fromstring(raw.decode("utf-8", "replace"))
    except ET.ParseError as exc:
        raise SessionFileError(path, f"corrupt XDF {what} at byte {pos}: not valid XML ({exc})") from None


def _text(elem: ET.Element | None, tag: str, default: str = "") -> str:
    found = None if elem is None else elem.find(tag)
    return default if found is None or found.text is None else found.text.strip()


def scan_xdf(path: str, size: int) -> tuple[ET.Element, dict[int, StreamInfo]]:
    """Check the chunk structure of an XDF file without loading its data.

    Returns
    -------
    file_header : Element
    streams : dict
        Stream id -> StreamInfo, in order of appearance.

    Raises
    ------
    SessionFileError
        Naming the byte offset and the problem.
    """
    try:
        return _scan(path, size)
    except OSError as exc:
        raise SessionFileError(path, f"cannot be read: {exc.strerror or exc}") from None


def _scan(path: str, size: int) -> tuple[ET.Element, dict[int, StreamInfo]]:
    """The structure walk of :func:`scan_xdf`."""
    streams: dict[int, StreamInfo] = {}
    header: ET.Element | None = None
    with open(path, "rb") as fh:
        if fh.read(4) != b"XDF:":
            raise wrong_format(path, "XDF")
        pos = 4
        while pos < size:
            length, used = _varlen(fh, path, pos)
            content = pos + used
            if length < 2 or content + length > size:
                raise SessionFileError(
                    path,
                    f"file is truncated or corrupt: the chunk at byte {pos} declares {length} bytes but "
                    f"{size - content} remain",
                )
            tag = int.from_bytes(fh.read(2), "little")
            body = length - 2
            if tag not in (1, 2, 3, 4, 5, 6):
                raise SessionFileError(path, f"corrupt XDF chunk at byte {pos}: unknown tag {tag}")
            if header is None and tag != 1:
                raise SessionFileError(path, "the first XDF chunk is not a FileHeader")
            if tag == 1:
                if header is not None:
                    raise SessionFileError(path, f"corrupt XDF: a second FileHeader at byte {pos}")
                if body > _MAX_XML:
                    raise SessionFileError(path, f"XDF FileHeader at byte {pos} is {body} bytes; too large")
                header = _parse_xml(path, fh.read(body), "FileHeader", pos)
            elif tag == 5:
                fh.seek(body, os.SEEK_CUR)
            else:
                if body < 4:
                    raise SessionFileError(path, f"corrupt XDF chunk at byte {pos}: too short for a stream id")
                sid = int.from_bytes(fh.read(4), "little")
                body -= 4
                if tag == 2:
                    if sid in streams:
                        raise SessionFileError(path, f"corrupt XDF: stream {sid} has two headers (byte {pos})")
                    if body > _MAX_XML:
                        raise SessionFileError(path, f"XDF StreamHeader at byte {pos} is {body} bytes; too large")
                    streams[sid] = _stream_info(path, sid, _parse_xml(path, fh.read(body), "StreamHeader", pos), pos)
                elif sid not in streams:
                    raise SessionFileError(
                        path, f"corrupt XDF chunk at byte {pos}: stream {sid} has no header before it"
                    )
                elif tag == 3:
                    _check_samples(fh, path, streams[sid], body, pos)
                elif tag == 4:
                    if body != 16:
                        raise SessionFileError(
                            path, f"corrupt XDF ClockOffset chunk at byte {pos}: {body} bytes, expected 16"
                        )
                    values = struct.unpack("<dd", fh.read(16))
                    if not all(math.isfinite(v) for v in values):
                        raise SessionFileError(path, f"corrupt XDF ClockOffset chunk at byte {pos}: non-finite value")
                    streams[sid].clock_offsets += 1
                else:  # footer: tolerated when damaged, like pyxdf does
                    fh.seek(body, os.SEEK_CUR)
            pos = content + length
            fh.seek(pos)
    if header is None:
        raise SessionFileError(path, "XDF file has no FileHeader chunk")
    return header, streams


def _stream_info(path: str, sid: int, xml: ET.Element, pos: int) -> StreamInfo:
    where = f"XDF stream {sid} (header at byte {pos})"
    fmt = _text(xml, "channel_format")
    if fmt not in _FORMATS:
        raise SessionFileError(path, f"{where} has channel_format {fmt!r}; expected one of {sorted(_FORMATS)}")
    try:
        count = int(_text(xml, "channel_count"))
        srate = float(_text(xml, "nominal_srate", "0"))
    except ValueError:
        raise SessionFileError(path, f"{where} has a malformed channel_count or nominal_srate") from None
    if not 1 <= count <= MAX_CHANNELS:
        raise SessionFileError(path, f"{where} has channel_count {count}; expected 1-{MAX_CHANNELS}")
    if not math.isfinite(srate) or srate < 0:
        raise SessionFileError(path, f"{where} has nominal_srate {srate}; expected a finite rate >= 0")
    info = StreamInfo(sid, _text(xml, "name") or f"stream {sid}", _text(xml, "type"), count, fmt, srate, xml)
    channels = xml.findall("./desc/channels/channel")
    if len(channels) == count:
        info.labels = [_text(c, "label") or f"ch{i + 1}" for i, c in enumerate(channels)]
        info.units = [_text(c, "unit") for c in channels]
    else:
        info.labels = [f"ch{i + 1}" for i in range(count)]
        info.units = [""] * count
    return info


def _check_samples(fh: Any, path: str, info: StreamInfo, body: int, pos: int) -> None:
    """Check that a Samples chunk holds exactly its declared samples (flags, timestamps, values)."""
    start = fh.tell()
    n, used = _varlen(fh, path, start)
    remaining = body - used
    bad = f"corrupt XDF Samples chunk at byte {pos} (stream {info.name!r})"
    if info.channel_format != "string":
        per = info.channel_count * _FORMATS[info.channel_format]
        if not n * (1 + per) <= remaining <= n * (9 + per):
            raise SessionFileError(path, f"{bad}: {n} samples cannot fill {remaining} bytes")
        raw = np.frombuffer(fh.read(remaining), dtype=np.uint8)
        for stride, flag in ((9 + per, 8), (1 + per, 0)):
            if remaining == n * stride and np.all(raw[::stride] == flag):
                break
        else:  # mixed timestamped and deduced samples: walk them
            offset = 0
            for _ in range(n):
                if offset >= remaining or raw[offset] not in (0, 8):
                    raise SessionFileError(path, f"{bad}: bad timestamp flag")
                offset += 1 + int(raw[offset]) + per
            if offset != remaining:
                raise SessionFileError(path, f"{bad}: {n} samples do not fill its {remaining} bytes")
    else:
        end = start + body
        for _ in range(n):
            flag = fh.read(1)
            if flag not in (b"\x00", b"\x08"):
                raise SessionFileError(path, f"{bad}: bad timestamp flag")
            if flag == b"\x08":
                fh.seek(8, os.SEEK_CUR)
            for _ in range(info.channel_count):
                size, _used = _varlen(fh, path, fh.tell())
                if fh.tell() + size > end:
                    raise SessionFileError(path, f"{bad}: samples overrun the chunk")
                fh.seek(size, os.SEEK_CUR)
        if fh.tell() != end:
            raise SessionFileError(path, f"{bad}: {end - fh.tell()} stray bytes")
    info.n_samples += n
    info.n_chunks += 1


# ---------------------------------------------------------------- reading
def describe_xdf(path: str | os.PathLike[str]) -> RawListing:
    """List the streams and channels of an XDF file (no sample data is loaded)."""
    path = os.fspath(path)
    size = check_file(path, fmt="XDF")
    _, streams = scan_xdf(path, size)
    out = []
    for s in streams.values():
        kind = "markers" if s.nominal_srate == 0 else "signals"
        detail = f"type {s.type!r}, {s.channel_format}, stream id {s.stream_id}"
        out.append(
            RawStream(s.name, kind, s.nominal_srate or None, tuple(s.labels), tuple(s.units), s.n_samples, detail)
        )
    return RawListing(path, "XDF", tuple(out))


def read_xdf(
    path: str | os.PathLike[str],
    *,
    mapping: ChannelMapping | str | os.PathLike[str] | None = None,
    segments: str | os.PathLike[str] | None = None,
    dejitter: bool = True,
    mains_hz: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    memmap_bytes: int = DEFAULT_MEMMAP_BYTES,
) -> Session:
    """Read an XDF recording.

    Parameters
    ----------
    path : path-like
    mapping : ChannelMapping, path or built-in name, optional
        Stream selection and channel identities (default: ``fridlund``).
    segments : path-like, optional
        Timing sidecar whose segments replace those from markers.
    dejitter : bool
        Fit regular timestamps per unbroken run (pyxdf jitter removal).
    mains_hz : float, optional
        Mains frequency for the powerline check (default: 50 and 60 Hz).
    max_bytes : int
        Larger files are refused (XDF is read into memory).
    memmap_bytes : int
        EMG arrays above this size are backed by a temporary file.

    Returns
    -------
    Session
    """
    path = os.fspath(path)
    cmap = resolve_mapping(mapping)
    size = check_file(path, fmt="XDF", max_bytes=max_bytes)
    file_header, streams = scan_xdf(path, size)
    emg_info = _select(path, streams, cmap.emg.stream, "EMG", "emg.stream")
    motion_info = _select(path, streams, cmap.motion.stream, "motion", "motion.stream", exclude=emg_info)
    marker_infos = [
        s for s in streams.values() if cmap.markers.matches(s.name, s.type) and s not in (emg_info, motion_info)
    ]
    parts = SessionParts(path, "XDF")
    for s in streams.values():
        if s not in (emg_info, motion_info) and s not in marker_infos:
            parts.unmapped.append(
                f"stream {s.name!r} ({s.type or 'no type'}, {s.channel_count} ch, {s.n_samples} samples)"
            )
    data_infos = [s for s in (emg_info, motion_info) if s is not None]
    if not data_infos:
        raise nothing_to_import(path, cmap, parts.unmapped)
    for s in data_infos:
        _check_data_stream(path, s)
    selected = [s.stream_id for s in data_infos + marker_infos]
    loaded, raw_first, log = _load(path, selected, dejitter)
    for record in log:
        parts.notes.append(f"pyxdf: {record}")
    by_id = {int(s["info"]["stream_id"]): s for s in loaded}
    lost = [s.name for s in data_infos + marker_infos if s.stream_id not in by_id]
    if lost:
        raise SessionFileError(path, f"XDF streams {lost} could not be read")
    starts = [by_id[s.stream_id]["time_stamps"][0] for s in data_infos]
    origin = float(min(starts))
    if emg_info is not None:
        _read_emg(parts, cmap, emg_info, by_id[emg_info.stream_id], origin, raw_first, memmap_bytes)
    if motion_info is not None:
        _read_motion(parts, cmap, motion_info, by_id[motion_info.stream_id], origin, raw_first)
    for info in marker_infos:
        _read_markers(parts, info, by_id[info.stream_id], origin, raw_first)
    _file_header(parts, file_header)
    parts.notes.append(
        f"LSL clocks synchronised from ClockOffset chunks; timestamps {'dejittered' if dejitter else 'as recorded'}; "
        f"session time 0 = LSL time {origin:.6f} s"
    )
    return assemble(parts, mapping=cmap, segments=segments, mains_hz=mains_hz)


def _check_data_stream(path: str, s: StreamInfo) -> None:
    """An EMG or motion stream must be regular, numeric and not empty."""
    if s.nominal_srate > MAX_RATE_HZ:
        raise SessionFileError(path, f"stream {s.name!r} declares nominal_srate {s.nominal_srate:g} Hz; "
                                     f"expected <= {MAX_RATE_HZ:g}")
    if s.nominal_srate <= 0:
        raise MappingError(f"{path}: stream {s.name!r} is irregular (nominal_srate 0) and cannot be EMG or motion")
    if s.channel_format == "string":
        raise MappingError(f"{path}: stream {s.name!r} holds strings and cannot be EMG or motion")
    if s.n_samples == 0:
        raise SessionFileError(path, f"stream {s.name!r} has no samples")


def _select(path: str, streams: dict[int, StreamInfo], selector: Any, what: str, key: str,
            exclude: StreamInfo | None = None) -> StreamInfo | None:
    found = [s for s in streams.values() if selector.matches(s.name, s.type) and s is not exclude]
    if len(found) > 1:
        names = ", ".join(repr(s.name) for s in found)
        raise MappingError(
            f"{path}: {len(found)} streams match the {what} selector ({selector.describe()}): {names}; "
            f"name one in the mapping ({key}.name)"
        )
    return found[0] if found else None


def _load(path: str, selected: list[int], dejitter: bool) -> tuple[list[dict], dict[int, float], list[str]]:
    import pyxdf

    raw_first: dict[int, float] = {}

    def first_stamps(values: Any, stamps: Any, header: Any, stream_id: int) -> tuple[Any, Any, Any]:
        if stream_id not in raw_first and len(stamps):
            raw_first[stream_id] = float(stamps[0])
        return values, stamps, header

    records: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("pyxdf.pyxdf")
    handler = _Collect(logging.WARNING)
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with library_errors(path, "XDF data cannot be read"):
            loaded, _ = pyxdf.load_xdf(
                path,
                select_streams=selected,
                on_chunk=first_stamps,
                synchronize_clocks=True,
                handle_clock_resets=True,
                dejitter_timestamps=dejitter,
                jitter_break_threshold_seconds=BREAK_SECONDS,
                jitter_break_threshold_samples=BREAK_SAMPLES,
            )
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate
    return loaded, raw_first, records


def _grid(
    parts: SessionParts, info: StreamInfo, stamps: np.ndarray, what: str
) -> tuple[int, list[tuple[int, int, int]]]:
    """Place samples on the stream's nominal grid: (n_grid, [(grid_start, src_start, length), ...])."""
    sfreq = info.nominal_srate
    if not np.all(np.isfinite(stamps)):
        raise SessionFileError(parts.path, f"{what} stream {info.name!r} has non-finite timestamps")
    span = float(np.max(stamps) - np.min(stamps))
    if span - stamps.size / sfreq > MAX_GAP_S:
        raise SessionFileError(
            parts.path, f"{what} stream {info.name!r}: {stamps.size} samples at {sfreq:g} Hz have timestamps spanning "
            f"{span:.6g} s, more than {MAX_GAP_S:g} s of gaps (corrupt timestamps?)"
        )
    period = 1.0 / sfreq
    diffs = np.diff(stamps)
    threshold = max(BREAK_SECONDS, BREAK_SAMPLES * period)
    breaks = np.flatnonzero((diffs > threshold) | (diffs < -BREAK_SECONDS)) + 1
    bounds = np.concatenate(([0], breaks, [stamps.size]))
    runs: list[tuple[int, int, int]] = []
    end = 0
    back = 0
    for a, b in zip(bounds[:-1], bounds[1:]):
        start = int(round((stamps[a] - stamps[0]) * sfreq))
        if start < end:
            back += 1
            start = end
        runs.append((start, int(a), int(b - a)))
        end = start + int(b - a)
    _report_timing(parts, info, stamps, end, back, what)
    return end, runs


def _report_timing(parts: SessionParts, info: StreamInfo, stamps: np.ndarray, n_grid: int, back: int,
                   what: str) -> None:
    """Quality warnings for timestamps that step back or drift from the nominal rate (never resampled)."""
    if back:
        parts.issues.append(QualityIssue(
            "xdf.timestamps_back", "warning",
            f"{what} stream {info.name!r}: timestamps step backwards {back} time(s); the samples were kept in "
            f"recorded order", what.lower(),
        ))
    period = 1.0 / info.nominal_srate
    duration = float(stamps[-1] - stamps[0])
    expected = (n_grid - 1) * period
    drift = duration - expected
    if stamps.size > 1 and abs(drift) > max(period, RATE_TOLERANCE * duration):
        parts.issues.append(QualityIssue(
            "xdf.rate_mismatch", "warning",
            f"{what} stream {info.name!r}: timestamps span {duration:.3f} s but {n_grid} samples at the nominal "
            f"{info.nominal_srate:g} Hz span {expected:.3f} s (drift {drift * 1e3:.1f} ms); samples were kept at "
            f"the nominal rate, not resampled", what.lower(),
        ))


def _offset(parts: SessionParts, key: str, info: StreamInfo, synced_first: float, origin: float,
            raw_first: dict[int, float]) -> None:
    raw = raw_first.get(info.stream_id)
    if raw is not None:
        parts.clock_offsets.append((key, (synced_first - origin) - raw))
    parts.devices.append(_device(info))
    if info.clock_offsets:
        parts.notes.append(f"XDF stream {info.name!r}: {info.clock_offsets} ClockOffset measurements applied")


def _device(info: StreamInfo) -> str:
    bits = [f"XDF stream {info.name!r} (type {info.type or '-'}"]
    for tag in ("source_id", "hostname"):
        value = _text(info.xml, tag)
        if value:
            bits.append(f"{tag.replace('_', ' ')} {value}")
    manufacturer = _text(info.xml.find("desc"), "manufacturer")
    if manufacturer:
        bits.append(f"manufacturer {manufacturer}")
    return ", ".join(bits) + ")"


def _read_emg(parts: SessionParts, cmap: ChannelMapping, info: StreamInfo, stream: dict, origin: float,
              raw_first: dict[int, float], memmap_bytes: int) -> None:
    path = parts.path
    assignment = cmap.assign_emg(info.labels, source=path)
    parts.unmapped.extend(f"{info.name}:{label}" for label in assignment.unmapped)
    if not assignment.indices:
        return
    labels = [info.labels[i] for i in assignment.indices]
    scales, issues = emg_scales(labels, [info.units[i] for i in assignment.indices], cmap, path=path)
    parts.issues.extend(issues)
    stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    values = stream["time_series"]
    n_grid, runs = _grid(parts, info, stamps, "EMG")
    data = allocate_emg(len(labels), n_grid, memmap_bytes=memmap_bytes)
    filled = np.zeros(n_grid, dtype=bool) if len(runs) > 1 else None
    for grid_start, src, n in runs:
        block = np.asarray(values[src : src + n][:, list(assignment.indices)], dtype=np.float64) * scales
        data[:, grid_start : grid_start + n] = block.T
        if filled is not None:
            filled[grid_start : grid_start + n] = True
    if filled is not None:
        for a, b in nan_runs(~filled):
            data[:, a:b] = np.nan
            t0 = float(stamps[0]) - origin
            parts.gaps.append(Gap("emg", t0 + a / info.nominal_srate, t0 + b / info.nominal_srate,
                                  "LSL timestamps break (no samples)"))
    parts.emg = _block(path, lambda: EmgBlock(data, info.nominal_srate, assignment.channels, float(stamps[0]) - origin))
    _offset(parts, "emg", info, float(stamps[0]), origin, raw_first)


def _block(path: str, make: Any) -> Any:
    try:
        return make()
    except SessionValidationError as exc:
        raise SessionFileError(path, f"content is invalid: {exc}") from None


def _motion_layout(path: str, info: StreamInfo) -> tuple[list[str], list[list[int]], int | None, str | None]:
    """Group the channels into points: (point labels, [[ix, iy, iz], ...], confidence channel, unit)."""
    channels = info.xml.findall("./desc/channels/channel")
    described = len(channels) == info.channel_count
    points: dict[str, dict[str, int]] = {}
    confidence = None
    units: set[str] = set()
    for i in range(info.channel_count):
        c = channels[i] if described else None
        label = info.labels[i]
        ctype = _text(c, "type").lower()
        if ctype == "confidence" or label.lower() == "confidence":
            confidence = i
            continue
        marker = _text(c, "marker")
        if marker and ctype.startswith("position") and ctype[-1:] in ("x", "y", "z"):
            point, axis = marker, ctype[-1]
        else:
            split = split_axis_label(label) if described else None
            if split is None:
                if described:
                    raise SessionFileError(
                        path,
                        f"motion stream {info.name!r} channel {label!r} names no point axis (expected e.g. 'LMCOR_X')",
                    )
                if info.channel_count % 3:
                    raise SessionFileError(
                        path, f"motion stream {info.name!r} has {info.channel_count} channels without descriptions; "
                        f"expected a multiple of 3 (x, y, z per point)"
                    )
                point, axis = str(i // 3), "xyz"[i % 3]
            else:
                point, axis = split
        if axis in points.setdefault(point, {}):
            raise SessionFileError(path, f"motion stream {info.name!r} has two {axis} channels for point {point!r}")
        points[point][axis] = i
        if info.units[i]:
            units.add(info.units[i])
    incomplete = [p for p, axes in points.items() if set(axes) != {"x", "y", "z"}]
    if incomplete:
        raise SessionFileError(path, f"motion stream {info.name!r}: points {incomplete[:5]} lack an x, y or z channel")
    if not points:
        raise SessionFileError(path, f"motion stream {info.name!r} has no position channels")
    if len(units) > 1:
        raise SessionFileError(path, f"motion stream {info.name!r} mixes units {sorted(units)}")
    labels = list(points)
    return labels, [[points[p][a] for a in "xyz"] for p in labels], confidence, units.pop() if units else None


def _read_motion(parts: SessionParts, cmap: ChannelMapping, info: StreamInfo, stream: dict, origin: float,
                 raw_first: dict[int, float]) -> None:
    path = parts.path
    labels, index, conf_ch, unit_text = _motion_layout(path, info)
    declared = _text(info.xml.find("desc"), "point_scheme") or None
    assignment = cmap.assign_points(labels, source=path, default_set=info.name, declared_scheme=declared)
    unit, issues = motion_unit(unit_text, cmap, path=path)
    parts.issues.extend(issues)
    stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    values = stream["time_series"]
    n_grid, runs = _grid(parts, info, stamps, "motion")
    data = np.full((n_grid, len(labels), 3), np.nan, dtype=np.float32)
    conf = None if conf_ch is None else np.zeros(n_grid, dtype=np.float32)
    flat = np.asarray(index).reshape(-1)
    for grid_start, src, n in runs:
        chunk = np.asarray(values[src : src + n], dtype=np.float64)
        data[grid_start : grid_start + n] = chunk[:, flat].reshape(n, len(labels), 3)
        if conf is not None:
            conf[grid_start : grid_start + n] = np.clip(chunk[:, conf_ch], 0, 1)
    t0 = float(stamps[0]) - origin
    parts.motion = _block(path, lambda: MotionBlock(
        data, info.nominal_srate, assignment.scheme, unit, assignment.point_names, t0, conf, assignment.facial_points
    ))
    for raw, name in assignment.renamed:
        parts.notes.append(f"motion point {raw!r} mapped to landmark {name!r}")
    _offset(parts, "motion", info, float(stamps[0]), origin, raw_first)


def _read_markers(
    parts: SessionParts, info: StreamInfo, stream: dict, origin: float, raw_first: dict[int, float]
) -> None:
    stamps = np.asarray(stream["time_stamps"], dtype=np.float64)
    series = stream["time_series"]
    if not np.all(np.isfinite(stamps)):
        raise SessionFileError(parts.path, f"marker stream {info.name!r} has non-finite timestamps")
    for t, sample in zip(stamps, series):
        value = sample[0] if len(sample) else ""
        if not isinstance(value, str):
            value = f"{float(value):g}"
        parts.events.append(Event(float(t) - origin, value))
    if info.channel_count > 1:
        parts.notes.append(f"marker stream {info.name!r}: only the first of {info.channel_count} channels is used")
    if stamps.size:
        _offset(parts, f"markers:{info.name}", info, float(stamps[0]), origin, raw_first)


def _file_header(parts: SessionParts, header: ET.Element) -> None:
    recorded = _text(header, "datetime")
    if recorded:
        parts.recorded_at = recorded
    fp = header.find("fpcds")
    if fp is None:
        return
    protocol = _text(fp, "protocol")
    if protocol:
        parts.protocol = protocol
    subj = fp.find("subject")
    if subj is None:
        return
    values: dict[str, Any] = {}
    for elem in subj:
        text = (elem.text or "").strip()
        if elem.tag in ("sex", "affected_side"):
            values[elem.tag] = text
        elif elem.tag in ("age", "days_since_onset", "fdi_physical", "fdi_social"):
            try:
                values[elem.tag] = float(text)
            except ValueError:
                raise SessionFileError(parts.path, f"FileHeader subject {elem.tag} {text!r} is not a number") from None
    try:
        parts.subject = Subject(**values)
    except SessionValidationError as exc:
        raise SessionFileError(parts.path, f"FileHeader subject is invalid: {exc}") from None

