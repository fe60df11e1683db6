"""CSV recordings: a documented schema for exports from other software.

A CSV recording is one to three files sharing a base name: ``NAME.csv`` or
``NAME.emg.csv`` (EMG), ``NAME.motion.csv`` (motion) and ``NAME.events.csv``
(events). Reading any one of them reads the others that exist. A single
exported table needs no companions and no fpcds-specific content.

Each file (UTF-8, comma- or tab-separated) may start with comment lines
``# key: value``:

``# stream: emg|motion|events``   what the file holds (otherwise: the
                                   ``.emg``/``.motion``/``.events`` infix,
                                   else the columns decide)
``# sfreq: 2000``                  sampling rate, Hz (otherwise from the
                                   median step of the time column)
``# units: uV``                    unit of data columns that give none
``# scheme: mediapipe478``         motion point scheme (``markers:<set>``)
``# protocol: fpcds-standard-v1``, ``# recorded_at: <ISO time>``,
``# subject.<field>: <value>``     (age, sex, days_since_onset,
                                   affected_side, fdi_physical, fdi_social)

then a header row and one row per sample:

* EMG: ``time`` (``time [s]`` or ``time [ms]``) then one column per
  channel, named by the device label with an optional unit in brackets:
  ``Zyg li [uV]``. The mapping assigns muscles and sides.
* Motion: ``time``, then three columns per point named ``<point>_x``,
  ``<point>_y``, ``<point>_z`` (``.x``, `` x``, ``:x`` also accepted) with a
  length unit, and optionally ``confidence`` (0-1 per frame). Empty cells
  or ``nan`` are untracked points.
* Events: ``time``, ``label`` and optionally ``duration`` (s), following the
  :mod:`acquisition.segments` vocabulary.

Times are seconds on the session clock. Rows must lie on a regular grid at
the sampling rate (within 0.1 sample); a step of several samples is a gap
(NaN + Gap, never interpolated); repeated or decreasing times are errors
naming the line. An empty EMG cell is a missing sample (NaN).
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SessionFileError, SessionValidationError
from ..mapping import ChannelMapping, resolve_mapping, split_axis_label
from ..segments import Event
from ..session import EmgBlock, Gap, MotionBlock, Session, Subject
from ._common import (
    DEFAULT_MAX_BYTES,
    RawListing,
    RawStream,
    SessionParts,
    assemble,
    check_file,
    emg_scales,
    motion_unit,
    nan_runs,
)

KINDS = ("emg", "motion", "events")
_TIME_NAMES = ("time", "t", "timestamp")
_TIME_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "seconds": 1.0, "ms": 1e-3}
_GRID_TOLERANCE = 0.1
#: More missing time than this (s) means the time column or the rate is wrong.
MAX_GAP_S = 3600.0
_SUBJECT_FIELDS = ("age", "sex", "days_since_onset", "affected_side", "fdi_physical", "fdi_social")


@dataclass
class CsvTable:
    """One CSV file: comment metadata, columns (names and units), kind, and the text of its rows."""

    path: str
    meta: dict[str, str]
    columns: list[str]
    units: list[str]
    kind: str
    header_line: int
    delimiter: str
    time_scale: float
    text: str = field(repr=False, default="")


def split_unit(column: str) -> tuple[str, str]:
    """``'Zyg li [uV]'`` -> ``('Zyg li', 'uV')``; no brackets -> unit ''."""
    name = column.strip()
    if name.endswith("]") and "[" in name:
        head, _, unit = name[:-1].rpartition("[")
        return head.strip(), unit.strip()
    return name, ""


def companions(path: str) -> dict[str, str]:
    """The files of a CSV recording that exist: {'emg'|'motion'|'events'|'main': path}."""
    p = Path(path)
    name = p.name
    base = name
    for kind in KINDS:
        if name.lower().endswith(f".{kind}.csv"):
            base = name[: -len(f".{kind}.csv")]
            break
    else:
        base = name[:-4] if name.lower().endswith(".csv") else name
    found = {}
    for key, suffix in (("main", ".csv"), ("emg", ".emg.csv"), ("motion", ".motion.csv"), ("events", ".events.csv")):
        candidate = p.with_name(base + suffix)
        if candidate.exists():
            found[key] = str(candidate)
    return found


def _open_table(path: str, *, max_bytes: int, infix: str | None) -> CsvTable:
    check_file(path, fmt="CSV", max_bytes=max_bytes)
    with open(path, "rb") as fh:
        raw = fh.read()
    if b"\0" in raw[:4096]:
        raise SessionFileError(path, "is not a CSV text file (it contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SessionFileError(path, f"is not UTF-8 text (byte {exc.start})") from None
    meta: dict[str, str] = {}
    lines = text.splitlines()
    header_line = None
    for n, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            key, sep, value = stripped[1:].partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
            continue
        header_line = n
        break
    if header_line is None:
        raise SessionFileError(path, "CSV file has no header row")
    header = lines[header_line - 1]
    delimiter = "\t" if "\t" in header else ","
    columns = next(csv.reader([header], delimiter=delimiter))
    if len(columns) < 2:
        raise SessionFileError(path, f"line {header_line}: header {header.strip()!r} has fewer than 2 columns")
    names_units = [split_unit(c) for c in columns]
    first, time_unit = names_units[0]
    if first.lower() not in _TIME_NAMES or time_unit.lower() not in _TIME_UNITS:
        raise SessionFileError(
            path, f"line {header_line}: the first column is {columns[0]!r}; expected 'time' (seconds, or 'time [ms]')"
        )
    names = [n for n, _ in names_units]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise SessionFileError(path, f"line {header_line}: duplicate columns {dupes}")
    kind = meta.get("stream", "").lower() or infix or _infer_kind(names[1:])
    if kind not in KINDS:
        raise SessionFileError(path, f"'# stream: {meta.get('stream')}' is not one of {list(KINDS)}")
    body = "\n".join(lines[header_line:])
    return CsvTable(path, meta, names, [u for _, u in names_units], kind, header_line, delimiter,
                    _TIME_UNITS[time_unit.lower()], body)


def _infer_kind(columns: list[str]) -> str:
    lowered = {c.lower() for c in columns}
    if lowered in ({"label"}, {"label", "duration"}):
        return "events"
    axes = [split_axis_label(c) for c in columns if c.lower() != "confidence"]
    if axes and all(a is not None for a in axes):
        points: dict[str, set[str]] = {}
        for p, a in axes:  # type: ignore[misc]
            points.setdefault(p, set()).add(a)
        if all(v == {"x", "y", "z"} for v in points.values()):
            return "motion"
    return "emg"


def _rows(table: CsvTable) -> tuple[np.ndarray, np.ndarray]:
    """Parse the numeric body: (times in s, shape (n,); values, shape (n, n_columns - 1), float64).

    numpy's C parser does the work; when it refuses a row, a line-by-line
    pass finds the line and column to name in the error.
    """
    delimiter = table.delimiter
    body = table.text
    has_empty = (delimiter * 2) in body or f"{delimiter}\n" in body or body.rstrip("\n").endswith(delimiter)
    converters = (lambda cell: float(cell) if cell.strip() else np.nan) if has_empty else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # numpy warns on an empty body; handled below
            data = np.loadtxt(io.StringIO(body), delimiter=delimiter, ndmin=2, converters=converters,
                              dtype=np.float64, comments=None)
    except ValueError:
        _locate_bad_cell(table)
        raise SessionFileError(table.path, "CSV body cannot be parsed as numbers") from None
    if data.shape[0] == 0:
        raise SessionFileError(table.path, "CSV file has a header but no rows")
    if data.shape[1] != len(table.columns):
        _locate_bad_cell(table)
    times = data[:, 0] * table.time_scale
    if not np.all(np.isfinite(times)):
        bad = int(np.flatnonzero(~np.isfinite(times))[0])
        raise SessionFileError(table.path, f"data row {bad + 1}: time is not a finite number")
    return times, data[:, 1:]


def _locate_bad_cell(table: CsvTable) -> None:
    """Raise the SessionFileError naming the first malformed line of the body."""
    reader = csv.reader(io.StringIO(table.text), delimiter=table.delimiter)
    width = len(table.columns)
    for lineno, row in enumerate(reader, table.header_line + 1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            raise SessionFileError(table.path, f"line {lineno}: has {len(row)} fields; the header has {width}")
        for j, cell in enumerate(row):
            cell = cell.strip()
            if not cell and j == 0:
                raise SessionFileError(table.path, f"line {lineno}: the time is empty")
            if cell:
                try:
                    float(cell)
                except ValueError:
                    raise SessionFileError(
                        table.path, f"line {lineno}: {table.columns[j]!r} value {cell[:40]!r} is not a number"
                    ) from None


def _grid(table: CsvTable, times: np.ndarray) -> tuple[float, np.ndarray]:
    """The rate (Hz) and each row's sample index on the regular grid starting at the first time."""
    path = table.path
    if "sfreq" in table.meta:
        try:
            sfreq = float(table.meta["sfreq"])
        except ValueError:
            raise SessionFileError(path, f"'# sfreq: {table.meta['sfreq']}' is not a number") from None
    elif times.size < 2:
        raise SessionFileError(path, "CSV file has one row and no '# sfreq:' line; the rate cannot be known")
    else:
        steps = np.diff(times)
        if np.any(steps <= 0):
            bad = int(np.flatnonzero(steps <= 0)[0])
            raise SessionFileError(path, f"data row {bad + 2}: time {float(times[bad + 1]):g} does not increase")
        sfreq = 1.0 / float(np.median(steps))
    if not (math.isfinite(sfreq) and sfreq > 0):
        raise SessionFileError(path, f"sampling rate {sfreq} Hz is not a finite rate > 0")
    pos = (times - times[0]) * sfreq
    index = np.rint(pos).astype(np.int64)
    off = np.abs(pos - index)
    if np.any(off > _GRID_TOLERANCE):
        bad = int(np.argmax(off > _GRID_TOLERANCE))
        raise SessionFileError(
            path, f"data row {bad + 1}: time {float(times[bad]):g} s is {off[bad]:.2f} samples off the regular "
            f"{sfreq:g} Hz grid; resample the export to a constant rate"
        )
    if np.any(np.diff(index) <= 0):
        bad = int(np.flatnonzero(np.diff(index) <= 0)[0])
        raise SessionFileError(path, f"data row {bad + 2}: time {float(times[bad + 1]):g} s repeats or goes back")
    if index[-1] + 1 - index.size > MAX_GAP_S * sfreq:
        raise SessionFileError(
            path, f"the rows span {float(times[-1] - times[0]):.6g} s at {sfreq:g} Hz, more than {MAX_GAP_S:g} s of "
            f"missing rows (wrong time unit or '# sfreq'?)"
        )
    return sfreq, index


def _on_grid(values: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    n = int(index[-1]) + 1
    out = np.full((n,) + values.shape[1:], np.nan, dtype=np.float64)
    out[index] = values
    filled = np.zeros(n, dtype=bool)
    filled[index] = True
    return out, nan_runs(~filled)


def describe_csv(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawListing:
    """List the columns of a CSV recording (all its files)."""
    path = os.fspath(path)
    check_file(path, fmt="CSV", max_bytes=max_bytes)
    streams = []
    for key, file in companions(path).items():
        table = _open_table(file, max_bytes=max_bytes, infix=None if key == "main" else key)
        streams.append(RawStream(os.path.basename(file), table.kind, None, tuple(table.columns[1:]),
                                 tuple(table.units[1:]), table.text.count("\n") + 1, f"{table.kind} table"))
    return RawListing(path, "CSV", tuple(streams))


def read_csv(
    path: str | os.PathLike[str],
    *,
    mapping: ChannelMapping | str | os.PathLike[str] | None = None,
    segments: str | os.PathLike[str] | None = None,
    mains_hz: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Session:
    """Read a CSV recording (see the module docstring for the schema).

    Parameters
    ----------
    path : path-like
        Any file of the recording.
    mapping : ChannelMapping, path or built-in name, optional
        Which EMG columns are which muscles, which points which landmarks.
    segments : path-like, optional
        Timing sidecar whose segments replace those from events.
    mains_hz : float, optional
    max_bytes : int
        Larger files are refused (CSV is read into memory).

    Returns
    -------
    Session
    """
    path = os.fspath(path)
    cmap = resolve_mapping(mapping)
    check_file(path, fmt="CSV", max_bytes=max_bytes)
    tables: dict[str, CsvTable] = {}
    for key, file in companions(path).items():
        table = _open_table(file, max_bytes=max_bytes, infix=None if key == "main" else key)
        if table.kind in tables:
            raise SessionFileError(
                path, f"the CSV recording has two {table.kind} files: {os.path.basename(tables[table.kind].path)} "
                f"and {os.path.basename(file)}"
            )
        tables[table.kind] = table
    parts = SessionParts(path, "CSV")
    _metadata(parts, list(tables.values()))
    if "emg" in tables:
        _emg(parts, cmap, tables["emg"])
    if "motion" in tables:
        _motion(parts, cmap, tables["motion"])
    if "events" in tables:
        _events(parts, tables["events"])
    for t in tables.values():
        if t.path != path:
            parts.notes.append(f"read companion file {os.path.basename(t.path)} ({t.kind})")
    return assemble(parts, mapping=cmap, segments=segments, mains_hz=mains_hz)


def _metadata(parts: SessionParts, tables: list[CsvTable]) -> None:
    meta: dict[str, str] = {}
    for t in tables:
        meta.update(t.meta)
    if meta.get("protocol"):
        parts.protocol = meta["protocol"]
    if meta.get("recorded_at"):
        parts.recorded_at = meta["recorded_at"]
    if meta.get("device"):
        parts.devices.append(meta["device"])
    values: dict[str, object] = {}
    for name in _SUBJECT_FIELDS:
        text = meta.get(f"subject.{name}")
        if not text:
            continue
        if name in ("sex", "affected_side"):
            values[name] = text
        else:
            try:
                values[name] = float(text)
            except ValueError:
                raise SessionFileError(parts.path, f"'# subject.{name}: {text}' is not a number") from None
    try:
        parts.subject = Subject(**values)  # type: ignore[arg-type]
    except SessionValidationError as exc:
        raise SessionFileError(parts.path, f"subject comment lines are invalid: {exc}") from None


def _emg(parts: SessionParts, cmap: ChannelMapping, table: CsvTable) -> None:
    labels = table.columns[1:]
    assignment = cmap.assign_emg(labels, source=table.path)
    parts.unmapped.extend(assignment.unmapped)
    if not assignment.indices:
        return
    default_unit = table.meta.get("units", "")
    units = [table.units[1 + i] or default_unit for i in assignment.indices]
    scales, issues = emg_scales([labels[i] for i in assignment.indices], units, cmap, path=table.path)
    parts.issues.extend(issues)
    times, values = _rows(table)
    sfreq, index = _grid(table, times)
    grid, holes = _on_grid(values[:, list(assignment.indices)] * scales, index)
    t0 = float(times[0])
    for a, b in holes:
        parts.gaps.append(Gap("emg", t0 + a / sfreq, t0 + b / sfreq, "no rows in the CSV file"))
    try:
        parts.emg = EmgBlock(np.ascontiguousarray(grid.T, dtype=np.float32), sfreq, assignment.channels, t0)
    except SessionValidationError as exc:
        raise SessionFileError(table.path, f"content is invalid: {exc}") from None


def _motion(parts: SessionParts, cmap: ChannelMapping, table: CsvTable) -> None:
    path = table.path
    points: dict[str, dict[str, int]] = {}
    conf_col = None
    units: set[str] = set()
    for j, name in enumerate(table.columns[1:]):
        if name.lower() == "confidence":
            conf_col = j
            continue
        split = split_axis_label(name)
        if split is None:
            raise SessionFileError(
                path, f"motion column {name!r} names no point axis (expected e.g. 'commissure_left_x')"
            )
        point, axis = split
        if axis in points.setdefault(point, {}):
            raise SessionFileError(path, f"motion columns give point {point!r} two {axis} columns")
        points[point][axis] = j
        unit = table.units[1 + j] or table.meta.get("units", "")
        if unit:
            units.add(unit)
    incomplete = [p for p, axes in points.items() if set(axes) != {"x", "y", "z"}]
    if incomplete:
        raise SessionFileError(path, f"motion points {incomplete[:5]} lack an x, y or z column")
    if len(units) > 1:
        raise SessionFileError(path, f"motion columns mix units {sorted(units)}")
    labels = list(points)
    assignment = cmap.assign_points(labels, source=path, default_set=Path(path).name.split(".")[0],
                                    declared_scheme=table.meta.get("scheme") or None)
    unit, issues = motion_unit(units.pop() if units else None, cmap, path=path)
    parts.issues.extend(issues)
    times, values = _rows(table)
    sfreq, index = _grid(table, times)
    cols = [points[p][a] for p in labels for a in "xyz"]
    grid, holes = _on_grid(values[:, cols], index)
    data = grid.reshape(grid.shape[0], len(labels), 3).astype(np.float32)
    conf = None
    if conf_col is not None:
        c, _ = _on_grid(values[:, conf_col], index)
        conf = np.nan_to_num(c, nan=0.0).astype(np.float32)
        if np.any((conf < 0) | (conf > 1)):
            raise SessionFileError(path, "motion column 'confidence' has values outside [0, 1]")
    t0 = float(times[0])
    for a, b in holes:
        parts.gaps.append(Gap("motion", t0 + a / sfreq, t0 + b / sfreq, "no rows in the CSV file"))
    try:
        parts.motion = MotionBlock(data, sfreq, assignment.scheme, unit, assignment.point_names, t0, conf,
                                   assignment.facial_points)
    except SessionValidationError as exc:
        raise SessionFileError(path, f"content is invalid: {exc}") from None
    for raw, name in assignment.renamed:
        parts.notes.append(f"motion point {raw!r} mapped to landmark {name!r}")


def _events(parts: SessionParts, table: CsvTable) -> None:
    path = table.path
    cols = [c.lower() for c in table.columns]
    if "label" not in cols or not set(cols[1:]) <= {"label", "duration"}:
        raise SessionFileError(path, f"events columns are {table.columns}; expected time, label[, duration]")
    reader = csv.reader(io.StringIO(table.text), delimiter=table.delimiter)
    li = cols.index("label")
    di = cols.index("duration") if "duration" in cols else None
    scale = table.time_scale
    for lineno, row in enumerate(reader, table.header_line + 1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != len(cols):
            raise SessionFileError(path, f"line {lineno}: has {len(row)} fields; the header has {len(cols)}")
        try:
            t = float(row[0]) * scale
            d = float(row[di]) if di is not None and row[di].strip() else None
        except ValueError:
            raise SessionFileError(path, f"line {lineno}: time or duration is not a number") from None
        if not math.isfinite(t) or (d is not None and not math.isfinite(d)):
            raise SessionFileError(path, f"line {lineno}: time or duration is not finite")
        parts.events.append(Event(t, row[li], d))

