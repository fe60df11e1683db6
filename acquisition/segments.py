"""Protocol task segments: from event markers, from timing sidecar files, and back.

Marker vocabulary
-----------------
Readers turn every event of a file (XDF marker strings, EDF+ annotations,
C3D events, CSV event rows) into a :class:`~acquisition.session.Marker`
and derive protocol task segments from the labels below. ``<task>`` is a
task name of the session's protocol (:mod:`acquisition.protocol`, e.g.
``smile_open``); labels are matched exactly.

``<task>/start`` and ``<task>/end``
    Open and close one repetition of ``<task>``. An end closes the most
    recent open start of the same task.
``<task>/start|rep=<n>`` and ``<task>/end|rep=<n>``
    The same with an explicit repetition number ``n`` (>= 1); an end with a
    number closes the start with that number.
``<task>`` or ``<task>|rep=<n>`` *with a duration* (EDF+ annotations, CSV
events)
    One repetition from the onset to onset + duration.

Repetitions without a number are numbered 1, 2, ... per task in time order,
skipping numbers used explicitly. A start without an end (or an end without
a start) makes no segment and is reported as a quality warning, unless it
coincides with the boundary of a segment made otherwise. Labels naming a
task the protocol does not have are kept as markers only, with a warning.

Reserved labels (not kept as markers):

``gap/<stream>`` or ``gap/<stream>: <reason>`` with a duration
    No valid data in ``<stream>`` (``emg`` or ``motion``) for that interval;
    written by formats that cannot store NaN (EDF), read back as NaN + Gap.
``recording/end``
    The recording ends here; later samples are padding (EDF data records
    are whole, so the writer pads the last one).

Timing sidecar files
--------------------
For recordings without markers, segments come from a small table (CSV or
TSV, ``#`` comment lines allowed) with a header naming the columns
``task``, ``start``, ``end`` and optionally ``repetition``, in any order;
times in seconds on the session clock (0 s = the first sample of the
recording as imported). Empty repetitions are numbered as above. Unknown
tasks, unknown columns and malformed numbers are errors naming the line.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .errors import SessionFileError
from .protocol import STANDARD_PROTOCOL, Protocol, get_protocol
from .session import Gap, Marker, QualityIssue, Segment, Session

_REP = re.compile(r"^(?P<body>.*?)\|rep=(?P<rep>\d+)$")
_TIME_TOL = 1e-6
_MAX_SIDECAR_BYTES = 10 * 1024 * 1024
GAP_PREFIX = "gap/"
RECORDING_END = "recording/end"


@dataclass(frozen=True)
class Event:
    """One event as stored in a file.

    Attributes
    ----------
    time : float
        Onset on the session clock, s.
    label : str
    duration : float, optional
        Seconds; None for instantaneous events.
    """

    time: float
    label: str
    duration: float | None = None


@dataclass(frozen=True)
class TaskLabel:
    """A parsed task label: ``kind`` is 'start', 'end' or 'span'."""

    task: str
    kind: str
    repetition: int | None


@dataclass(frozen=True)
class EventResult:
    """What a file's events mean for a session.

    Attributes
    ----------
    markers : tuple of Marker
    segments : tuple of Segment
    gaps : tuple of Gap
        From reserved ``gap/<stream>`` events.
    end_time : float, optional
        From a reserved ``recording/end`` event.
    issues : tuple of QualityIssue
    """

    markers: tuple[Marker, ...]
    segments: tuple[Segment, ...]
    gaps: tuple[Gap, ...]
    end_time: float | None
    issues: tuple[QualityIssue, ...]


def parse_task_label(label: str, *, duration: float | None = None) -> TaskLabel | None:
    """Parse a label of the marker vocabulary (task names are not checked).

    Returns
    -------
    TaskLabel or None
        None when the label is not in the vocabulary.
    """
    body, rep = label.strip(), None
    m = _REP.match(body)
    if m is not None:
        body, rep = m.group("body"), int(m.group("rep"))
        if rep < 1:
            return None
    task, sep, edge = body.rpartition("/")
    if sep and edge in ("start", "end") and task and "/" not in task:
        return TaskLabel(task, edge, rep)
    if not sep and body and duration is not None and duration > 0:
        return TaskLabel(body, "span", rep)
    return None


def task_label(task: str, kind: str, repetition: int | None = None) -> str:
    """Format a label of the vocabulary: ``task_label('pucker', 'start', 2) -> 'pucker/start|rep=2'``."""
    body = task if kind == "span" else f"{task}/{kind}"
    return body if repetition is None else f"{body}|rep={repetition}"


def interpret_events(events: Iterable[Event], *, protocol: str | Protocol = STANDARD_PROTOCOL) -> EventResult:
    """Turn a file's events into markers, segments, gaps and warnings.

    Parameters
    ----------
    events : iterable of Event
    protocol : str or Protocol
        Only its task names are accepted for segments.
    """
    proto = get_protocol(protocol) if isinstance(protocol, str) else protocol
    tasks = set(proto.task_names)
    ordered = sorted(events, key=lambda e: e.time)
    markers: list[Marker] = []
    gaps: list[Gap] = []
    issues: list[QualityIssue] = []
    end_time: float | None = None
    raw_segments: list[tuple[str, float, float, int | None]] = []
    open_starts: dict[str, list[tuple[float, int | None, str]]] = {}
    dangling: list[tuple[str, str, float, str]] = []  # (task, edge, time, label)
    unknown_tasks: dict[str, int] = {}
    for ev in ordered:
        label = ev.label.strip()
        if label.startswith(GAP_PREFIX):
            gap = _gap_event(ev)
            if gap is not None:
                gaps.append(gap)
                continue
        if label == RECORDING_END:
            end_time = ev.time if end_time is None else min(end_time, ev.time)
            continue
        markers.append(Marker(ev.time, label))
        parsed = parse_task_label(label, duration=ev.duration)
        if parsed is None:
            continue
        if parsed.task not in tasks:
            unknown_tasks[parsed.task] = unknown_tasks.get(parsed.task, 0) + 1
            continue
        if parsed.kind == "span":
            raw_segments.append((parsed.task, ev.time, ev.time + float(ev.duration or 0), parsed.repetition))
        elif parsed.kind == "start":
            stack = open_starts.setdefault(parsed.task, [])
            same = [s for s in stack if s[1] == parsed.repetition]
            for s in same:
                stack.remove(s)
                dangling.append((parsed.task, "start", s[0], s[2]))
            stack.append((ev.time, parsed.repetition, label))
        else:
            stack = open_starts.get(parsed.task, [])
            match = [s for s in stack if parsed.repetition is None or s[1] == parsed.repetition]
            if not match:
                dangling.append((parsed.task, "end", ev.time, label))
                continue
            start = match[-1]
            stack.remove(start)
            rep = parsed.repetition if parsed.repetition is not None else start[1]
            if ev.time - start[0] <= _TIME_TOL:
                dangling.append((parsed.task, "end", ev.time, label))
                continue
            raw_segments.append((parsed.task, start[0], ev.time, rep))
    for task, stack in open_starts.items():
        dangling.extend((task, "start", t, lbl) for t, _, lbl in stack)
    segments = _number_repetitions(raw_segments)
    for task, edge, t, lbl in sorted(dangling, key=lambda d: d[2]):
        if any(s.task == task and abs((s.start if edge == "start" else s.end) - t) <= _TIME_TOL for s in segments):
            continue
        other = "end" if edge == "start" else "start"
        issues.append(
            QualityIssue(
                "segments.unpaired_marker",
                "warning",
                f"marker {lbl!r} at {t:.3f} s has no matching {task}/{other}; no segment was made from it",
            )
        )
    for task, count in sorted(unknown_tasks.items()):
        issues.append(
            QualityIssue(
                "segments.unknown_task",
                "warning",
                f"{count} marker(s) name task {task!r}, which protocol {proto.name!r} does not have "
                f"(tasks: {', '.join(proto.task_names)}); kept as markers only",
            )
        )
    seen: dict[tuple[str, int], Segment] = {}
    for seg in segments:
        key = (seg.task, seg.repetition)
        if key in seen:
            issues.append(
                QualityIssue(
                    "segments.duplicate_repetition",
                    "warning",
                    f"task {seg.task!r} repetition {seg.repetition} occurs twice "
                    f"({seen[key].start:.3f}-{seen[key].end:.3f} s and {seg.start:.3f}-{seg.end:.3f} s)",
                )
            )
        seen[key] = seg
    return EventResult(tuple(markers), tuple(segments), tuple(gaps), end_time, tuple(issues))


def _gap_event(ev: Event) -> Gap | None:
    head, _, reason = ev.label.strip().partition(":")
    stream = head[len(GAP_PREFIX):].strip()
    if stream not in ("emg", "motion") or ev.duration is None or ev.duration <= 0:
        return None
    return Gap(stream, ev.time, ev.time + ev.duration, reason.strip() or "gap recorded in the file")


def _number_repetitions(raw: Sequence[tuple[str, float, float, int | None]]) -> tuple[Segment, ...]:
    """Give repetitions without a number the next free number per task, in time order."""
    used: dict[str, set[int]] = {}
    for task, _, _, rep in raw:
        if rep is not None:
            used.setdefault(task, set()).add(rep)
    counters: dict[str, int] = {}
    out: list[Segment] = []
    unique: set[tuple[str, float, float]] = set()
    for task, start, end, rep in sorted(raw, key=lambda r: (r[1], r[0])):
        key = (task, round(start / _TIME_TOL), round(end / _TIME_TOL))
        if key in unique:
            continue
        unique.add(key)
        if rep is None:
            n = counters.get(task, 0) + 1
            while n in used.get(task, set()):
                n += 1
            counters[task] = rep = n
        out.append(Segment(task, start, end, rep))
    return tuple(out)


def boundary_events(session: Session) -> list[Event]:
    """Events a writer adds so that reading the file back yields the session's segments.

    Every marker of the session is written as it is; this returns, for each
    segment that the markers alone do not already produce, a
    ``<task>/start|rep=<n>`` and ``<task>/end|rep=<n>`` pair.
    """
    derived = interpret_events((Event(m.time, m.label) for m in session.markers), protocol=session.protocol)
    have = {(s.task, s.repetition, round(s.start / _TIME_TOL), round(s.end / _TIME_TOL)) for s in derived.segments}
    out: list[Event] = []
    for seg in session.segments:
        if (seg.task, seg.repetition, round(seg.start / _TIME_TOL), round(seg.end / _TIME_TOL)) in have:
            continue
        out.append(Event(seg.start, task_label(seg.task, "start", seg.repetition)))
        out.append(Event(seg.end, task_label(seg.task, "end", seg.repetition)))
    return out


def gap_label(gap: Gap) -> str:
    """The reserved label that stores ``gap`` in a file: ``'gap/emg: <reason>'``."""
    return f"{GAP_PREFIX}{gap.stream}: {gap.reason}" if gap.reason else f"{GAP_PREFIX}{gap.stream}"


# ------------------------------------------------------------- sidecars
def read_timing_sidecar(
    path: str | os.PathLike[str], *, protocol: str | Protocol = STANDARD_PROTOCOL
) -> tuple[Segment, ...]:
    """Read protocol segments from a timing sidecar file (see the module docstring).

    Raises
    ------
    SessionFileError
        Naming the file, the line and the problem.
    """
    path = os.fspath(path)
    proto = get_protocol(protocol) if isinstance(protocol, str) else protocol
    try:
        size = os.path.getsize(path)
        if size > _MAX_SIDECAR_BYTES:
            raise SessionFileError(path, f"timing sidecar is {size} bytes; the limit is {_MAX_SIDECAR_BYTES}")
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise SessionFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionFileError(path, "timing sidecar is not UTF-8 text") from None
    lines = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise SessionFileError(path, "timing sidecar is empty; expected a header 'task,start,end[,repetition]'")
    delimiter = "\t" if "\t" in lines[0][1] else ","
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    allowed = {"task", "start", "end", "repetition"}
    for h in header:
        if h not in allowed:
            raise SessionFileError(
                path, f"line {lines[0][0]}: unknown column {h!r}; expected task, start, end[, repetition]"
            )
    missing = [c for c in ("task", "start", "end") if c not in header]
    if missing or len(set(header)) != len(header):
        raise SessionFileError(
            path, f"line {lines[0][0]}: header {rows[0]} must name task, start and end once each (missing {missing})"
        )
    col = {h: i for i, h in enumerate(header)}
    raw_segments: list[tuple[str, float, float, int | None]] = []
    for (lineno, _), row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise SessionFileError(path, f"line {lineno}: has {len(row)} fields; the header has {len(header)}")
        task = row[col["task"]].strip()
        if task not in proto.task_names:
            raise SessionFileError(
                path, f"line {lineno}: task {task!r} is not in protocol {proto.name!r} ({', '.join(proto.task_names)})"
            )
        start = _number(path, lineno, "start", row[col["start"]])
        end = _number(path, lineno, "end", row[col["end"]])
        if end <= start:
            raise SessionFileError(path, f"line {lineno}: end {end} s is not after start {start} s")
        rep: int | None = None
        if "repetition" in col and row[col["repetition"]].strip():
            text_rep = row[col["repetition"]].strip()
            if not text_rep.isdigit() or int(text_rep) < 1:
                raise SessionFileError(path, f"line {lineno}: repetition {text_rep!r} is not a whole number >= 1")
            rep = int(text_rep)
        raw_segments.append((task, start, end, rep))
    if not raw_segments:
        raise SessionFileError(path, "timing sidecar has a header but no segments")
    return _number_repetitions(raw_segments)


def _number(path: str, lineno: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SessionFileError(path, f"line {lineno}: {name} {text.strip()!r} is not a number of seconds") from None
    if not math.isfinite(value):
        raise SessionFileError(path, f"line {lineno}: {name} {text.strip()!r} is not a finite number of seconds")
    return value


def write_timing_sidecar(segments: Iterable[Segment], path: str | os.PathLike[str]) -> None:
    """Write segments as a timing sidecar (CSV) that :func:`read_timing_sidecar` reads back."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["task", "start", "end", "repetition"])
        for s in segments:
            writer.writerow([s.task, repr(s.start), repr(s.end), s.repetition])
