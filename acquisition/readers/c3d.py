"""C3D motion-capture files (ezc3d): points to motion, analog channels to EMG, events to segments.

Points keep their unit (``POINT:UNITS``: mm, cm or m) and become a
``markers:<set>`` motion block (the set named by ``SUBJECTS:MARKER_SETS``
or the file name) unless the mapping or the point labels say it is a face
mesh; points whose residual is negative (not reconstructed) are NaN. Point
labels are matched to facial landmarks by the mapping (``motion.points``)
or when they already are canonical landmark names; a marker set without
any (e.g. a body marker set) imports, with a ``motion.not_facial`` quality
warning saying facial motion measures will not be available.

Analog channels mapped by the mapping to a muscle and side become the EMG,
converted to volts from ``ANALOG:UNITS``; all other analog channels are
listed as unmapped. C3D events (``EVENT:LABELS``, ``EVENT:TIMES`` in
minutes and seconds) follow the :mod:`acquisition.segments` vocabulary.

The session clock starts at frame 1 of the capture: data start at
``(first frame - 1) / point rate`` and events keep their times.

Before ezc3d reads anything, the 512-byte header is checked against the
file size (a truncated file is refused with the numbers; ezc3d alone would
silently read fewer frames). ezc3d (C++) can crash or stall on corrupted
parameters, so it runs in a child process (:mod:`._c3d_parse`) with a memory
limit and a timeout; a crash becomes a SessionFileError. The frame counts it
returns are checked against the header.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SessionFileError, SessionValidationError
from ..mapping import ChannelMapping, resolve_mapping
from ..segments import Event
from ..session import EmgBlock, MotionBlock, Session
from ._common import (
    DEFAULT_MAX_BYTES,
    RawListing,
    RawStream,
    SessionParts,
    assemble,
    check_file,
    emg_scales,
    motion_unit,
    wrong_format,
)

_PROCESSORS = {84: "<", 85: "<", 86: ">"}
#: ezc3d runs in a child process with this time (+1 s per 10 MB) and memory (+ factor x file size).
PARSE_TIMEOUT_S = 30.0
PARSE_MEMORY_BYTES = 1024**3
PARSE_MEMORY_FACTOR = 16


def check_c3d_header(path: str, size: int) -> dict[str, float]:
    """Validate the C3D header against the file size; returns its fields."""
    with open(path, "rb") as fh:
        head = fh.read(512)
        if len(head) < 2 or head[1] != 0x50:
            raise wrong_format(path, "C3D")
        if len(head) < 512:
            raise SessionFileError(path, f"file is truncated: {size} bytes, shorter than the 512-byte C3D header")
        param_block = head[0]
        if param_block < 2 or (param_block - 1) * 512 + 4 > size:
            raise SessionFileError(
                path, f"C3D header points to parameter block {param_block}; expected a block from 2 to {size // 512}"
            )
        fh.seek((param_block - 1) * 512)
        param_head = fh.read(4)
    processor = param_head[3] if len(param_head) == 4 else 0
    if processor not in _PROCESSORS:
        raise SessionFileError(path, f"C3D parameter section has processor type {processor}; expected 84, 85 or 86")
    end = _PROCESSORS[processor]
    words = struct.unpack(end + "10H", head[2:22])
    n_points, analog_per_frame, first, last = words[0], words[1], words[2], words[3]
    scale = struct.unpack(end + "f", head[12:16])[0]
    data_block = struct.unpack(end + "H", head[16:18])[0]
    spf = struct.unpack(end + "H", head[18:20])[0]
    rate = struct.unpack(end + "f", head[20:24])[0]
    if processor == 85:  # DEC floats: exponent bias differs by 2 (a factor of 4)
        scale, rate = scale / 4, rate / 4
    if data_block <= param_block:
        raise SessionFileError(path, f"C3D header puts the data (block {data_block}) before the parameters")
    if last < first:
        raise SessionFileError(path, f"C3D header declares frames {first}-{last}; expected last >= first")
    if not (rate > 0 and np.isfinite(rate)):
        raise SessionFileError(path, f"C3D header declares a frame rate of {rate}; expected > 0")
    n_frames = last - first + 1
    width = 4 if scale < 0 else 2
    frame_bytes = (4 * n_points + analog_per_frame) * width
    expected = (data_block - 1) * 512 + n_frames * frame_bytes
    if last < 65535 and size < expected:
        raise SessionFileError(
            path,
            f"file is truncated: the header declares {n_frames} frames of {frame_bytes} bytes from byte "
            f"{(data_block - 1) * 512} ({expected} bytes in all) but the file has {size} bytes",
        )
    return {"n_points": n_points, "analog_per_frame": analog_per_frame, "first": first, "last": last,
            "n_frames": n_frames, "spf": spf, "rate": rate}


@dataclass
class C3dContent:
    """What the reader takes from a C3D file (parsed by ezc3d in a child process)."""

    header: dict[str, float]
    parameters: dict[str, dict[str, Any]]
    points: np.ndarray  # (n_frames, n_points, 3) float32
    analogs: np.ndarray  # (n_channels, n_samples) float32

    def param(self, group: str, name: str, default: Any = None) -> Any:
        return self.parameters.get(group, {}).get(name, default)

    def labels(self, group: str, name: str) -> list[str]:
        """A string parameter with its continuation parameters (LABELS, LABELS2, ...)."""
        out = [str(x).strip() for x in _flat(self.param(group, name) or [])]
        k = 2
        while self.param(group, f"{name}{k}") is not None:
            out.extend(str(x).strip() for x in _flat(self.param(group, f"{name}{k}")))
            k += 1
        return out


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [value]


def _load(path: str, max_bytes: int) -> C3dContent:
    size = check_file(path, fmt="C3D", max_bytes=max_bytes)
    header = check_c3d_header(path, size)
    timeout = PARSE_TIMEOUT_S + size / 10e6
    allowance = PARSE_MEMORY_BYTES + PARSE_MEMORY_FACTOR * size
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory(prefix="fpcds-c3d-") as tmp:
        out = os.path.join(tmp, "content")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "acquisition.readers._c3d_parse", path, out, str(int(allowance))],
                capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise SessionFileError(
                path, f"C3D parsing did not finish within {timeout:.0f} s (corrupt parameters?)"
            ) from None
        if proc.returncode == 3:
            with open(out + ".json") as fh:
                raise SessionFileError(path, f"C3D file cannot be read: {json.load(fh)['error'][:300]}")
        if proc.returncode != 0:
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"status {proc.returncode}"
            memory = " (out of memory)" if b"MemoryError" in proc.stderr or b"bad_alloc" in proc.stderr else ""
            raise SessionFileError(path, f"C3D file cannot be read: the C3D parser failed with {how}{memory}")
        with open(out + ".json") as fh:
            meta = json.load(fh)
        with np.load(out + ".npz", allow_pickle=False) as arrays:
            content = C3dContent(header, meta["parameters"], arrays["points"], arrays["analogs"])
    n_frames = content.points.shape[0]
    if header["last"] < 65535 and n_frames != header["n_frames"]:
        raise SessionFileError(
            path, f"C3D content has {n_frames} frames but the header declares {header['n_frames']}: "
            f"the parameters are corrupt"
        )
    if content.points.shape[1] != header["n_points"]:
        raise SessionFileError(
            path, f"C3D content has {content.points.shape[1]} points but the header declares {header['n_points']}"
        )
    return content


def describe_c3d(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawListing:
    """List the points, analog channels and events of a C3D file."""
    path = os.fspath(path)
    c3d = _load(path, max_bytes)
    header = c3d.header
    point_labels = c3d.labels("POINT", "LABELS")[: header["n_points"]]
    units = (c3d.param("POINT", "UNITS") or [""])[0]
    analog_labels = c3d.labels("ANALOG", "LABELS")
    analog_units = c3d.labels("ANALOG", "UNITS")
    rate = float(c3d.param("POINT", "RATE", [header["rate"]])[0])
    arate = float(c3d.param("ANALOG", "RATE", [0])[0])
    streams = [
        RawStream("POINT", "points", rate, tuple(point_labels), (units,) * len(point_labels), header["n_frames"])
    ]
    if analog_labels:
        streams.append(RawStream("ANALOG", "analogs", arate or None, tuple(analog_labels),
                                 tuple((analog_units + [""] * len(analog_labels))[: len(analog_labels)]),
                                 int(c3d.analogs.shape[1])))
    events = c3d.labels("EVENT", "LABELS")
    if events:
        streams.append(RawStream("EVENT", "markers", None, tuple(dict.fromkeys(events)), (), len(events)))
    return RawListing(path, "C3D", tuple(streams))


def read_c3d(
    path: str | os.PathLike[str],
    *,
    mapping: ChannelMapping | str | os.PathLike[str] | None = None,
    segments: str | os.PathLike[str] | None = None,
    mains_hz: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Session:
    """Read a C3D file.

    Parameters
    ----------
    path : path-like
    mapping : ChannelMapping, path or built-in name, optional
        Which analog channels are which muscles and which points which
        landmarks (default: ``fridlund``).
    segments : path-like, optional
        Timing sidecar whose segments replace those from events.
    mains_hz : float, optional
        Mains frequency for the powerline check.
    max_bytes : int
        Larger files are refused (C3D is read into memory).

    Returns
    -------
    Session
    """
    path = os.fspath(path)
    cmap = resolve_mapping(mapping)
    c3d = _load(path, max_bytes)
    header = c3d.header
    parts = SessionParts(path, "C3D")
    rate = float(c3d.param("POINT", "RATE", [header["rate"]])[0])
    t0 = (header["first"] - 1) / rate
    software = " ".join(str(x) for key in ("COMPANY", "SOFTWARE", "VERSION_LABEL")
                        for x in (c3d.param("MANUFACTURER", key) or []) if str(x).strip())
    if software:
        parts.devices.append(f"C3D written by {software}")
    _points(parts, cmap, c3d, header, rate, t0)
    _analogs(parts, cmap, c3d, header, rate, t0)
    _events(parts, c3d)
    if t0:
        parts.notes.append(f"C3D data start at frame {header['first']} ({t0:.6g} s after frame 1)")
    return assemble(parts, mapping=cmap, segments=segments, mains_hz=mains_hz)


def _points(parts: SessionParts, cmap: ChannelMapping, c3d, header: dict, rate: float, t0: float) -> None:
    n = header["n_points"]
    if n == 0:
        return
    path = parts.path
    labels = (c3d.labels("POINT", "LABELS") + [f"point {i + 1}" for i in range(n)])[:n]
    sets = [str(s).strip() for s in (c3d.param("SUBJECTS", "MARKER_SETS") or []) if str(s).strip()]
    default_set = "+".join(sets) if sets else os.path.splitext(os.path.basename(path))[0]
    assignment = cmap.assign_points(labels, source=path, default_set=default_set)
    unit_text = (c3d.param("POINT", "UNITS") or [""])[0]
    unit, issues = motion_unit(str(unit_text), cmap, path=path)
    parts.issues.extend(issues)
    data = c3d.points
    try:
        parts.motion = MotionBlock(data, rate, assignment.scheme, unit, assignment.point_names, t0,
                                   facial_points=assignment.facial_points)
    except SessionValidationError as exc:
        raise SessionFileError(path, f"content is invalid: {exc}") from None
    for raw, name in assignment.renamed:
        parts.notes.append(f"motion point {raw!r} mapped to landmark {name!r}")


def _analogs(parts: SessionParts, cmap: ChannelMapping, c3d, header: dict, rate: float, t0: float) -> None:
    analogs = c3d.analogs
    if analogs.size == 0:
        return
    path = parts.path
    n_ch = analogs.shape[0]
    labels = (c3d.labels("ANALOG", "LABELS") + [f"analog {i + 1}" for i in range(n_ch)])[:n_ch]
    units = (c3d.labels("ANALOG", "UNITS") + [""] * n_ch)[:n_ch]
    descriptions = (c3d.labels("ANALOG", "DESCRIPTIONS") + [""] * n_ch)[:n_ch]
    assignment = cmap.assign_emg(labels, source=path)
    parts.unmapped.extend(assignment.unmapped)
    if not assignment.indices:
        return
    idx = list(assignment.indices)
    scales, issues = emg_scales([labels[i] for i in idx], [units[i] for i in idx], cmap, path=path)
    parts.issues.extend(issues)
    arate = float(c3d.param("ANALOG", "RATE", [rate * max(1, header["spf"])])[0])
    data = (analogs[idx, :] * scales[:, None]).astype(np.float32)
    for i in idx:
        device = descriptions[i].split("::")[0].strip()
        if device:
            parts.devices.append(device)
    try:
        parts.emg = EmgBlock(data, arate, assignment.channels, t0)
    except SessionValidationError as exc:
        raise SessionFileError(path, f"content is invalid: {exc}") from None


def _events(parts: SessionParts, c3d) -> None:
    labels = c3d.labels("EVENT", "LABELS")
    times = c3d.param("EVENT", "TIMES")
    if not labels:
        return
    try:
        times = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError):
        raise SessionFileError(parts.path, "C3D EVENT:TIMES is not a numeric table") from None
    if times.ndim != 2 or times.shape[0] != 2 or times.shape[1] < len(labels):
        raise SessionFileError(parts.path, f"C3D EVENT:TIMES has shape {times.shape}; expected (2, {len(labels)})")
    contexts = c3d.labels("EVENT", "CONTEXTS")
    for i, label in enumerate(labels):
        t = float(times[0, i] * 60.0 + times[1, i])
        if not np.isfinite(t):
            raise SessionFileError(parts.path, f"C3D event {label!r} has a non-finite time")
        parts.events.append(Event(t, label))
    if contexts and any(c not in ("", "General") for c in contexts):
        parts.notes.append("C3D event contexts (Left/Right) are not part of the marker labels")
