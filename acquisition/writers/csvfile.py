"""Write a Session as a CSV recording (the schema of :mod:`acquisition.readers.csvfile`).

``NAME.csv`` holds the EMG (or the motion when there is no EMG),
``NAME.motion.csv`` the motion beside EMG, ``NAME.events.csv`` the markers
and segment boundaries. Comment lines carry the stream kind, the rate, the
protocol, the recording time and the subject facts. EMG values are volts
written with 9 significant digits and motion coordinates likewise (exact
for float32); NaN is written ``nan``. Rows are written in blocks, so a
memory-mapped recording is written in bounded memory.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Callable, TextIO

import numpy as np

from ..session import Session
from ._common import WriterError, events_for

_BLOCK_ROWS = 8192


def _base(path: Path) -> str:
    name = path.name
    if not name.lower().endswith(".csv"):
        raise WriterError(f"{path}: a CSV recording's file name must end in .csv")
    return name[:-4]


def _comments(session: Session, stream: str, sfreq: float | None, extra: dict[str, str] | None = None) -> list[str]:
    lines = ["# fpcds-csv: 1", f"# stream: {stream}"]
    if sfreq is not None:
        lines.append(f"# sfreq: {sfreq!r}")
    lines.append(f"# protocol: {session.protocol}")
    if session.recorded_at:
        lines.append(f"# recorded_at: {session.recorded_at}")
    for key, value in session.metadata()["subject"].items():
        if value is not None:
            lines.append(f"# subject.{key}: {value}")
    for key, value in (extra or {}).items():
        lines.append(f"# {key}: {value}")
    return lines


def _write_table(fh: TextIO, comments: list[str], header: list[str], t0: float, sfreq: float, n: int,
                 rows: Callable[[int, int], np.ndarray]) -> None:
    for line in comments:
        fh.write(line + "\n")
    csv.writer(fh, lineterminator="\n").writerow(header)
    fmt = ",".join(["%r"] + ["%.9g"] * (len(header) - 1)) + "\n"
    for a in range(0, n, _BLOCK_ROWS):
        b = min(n, a + _BLOCK_ROWS)
        times = (t0 + np.arange(a, b) / sfreq).tolist()
        fh.write("".join(fmt % (t, *values) for t, values in zip(times, rows(a, b).tolist())))


def write_csv(session: Session, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``session`` as a CSV recording whose main file is ``path``.

    Returns
    -------
    list of Path
        The files written.
    """
    path = Path(path)
    base = _base(path)
    written: list[Path] = []
    targets = []
    if session.emg is not None:
        targets.append(("emg", path))
    if session.motion is not None:
        targets.append(("motion", path if session.emg is None else path.with_name(base + ".motion.csv")))
    events = events_for(session)
    if events:
        targets.append(("events", path.with_name(base + ".events.csv")))
    for kind, target in targets:
        tmp = target.with_name(target.name + ".partial")
        try:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                if kind == "emg":
                    _emg(fh, session)
                elif kind == "motion":
                    _motion(fh, session)
                else:
                    _events(fh, session, events)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
        written.append(target)
    return written


def _emg(fh: TextIO, session: Session) -> None:
    emg = session.emg
    header = ["time [s]"] + [f"{ch.name} [V]" for ch in emg.channels]
    _write_table(fh, _comments(session, "emg", emg.sfreq), header, emg.t0, emg.sfreq, emg.n_samples,
                 lambda a, b: np.asarray(emg.data[:, a:b], dtype=np.float64).T)


def _motion(fh: TextIO, session: Session) -> None:
    m = session.motion
    header = ["time [s]"] + [f"{p}_{axis} [{m.units}]" for p in m.point_names for axis in "xyz"]
    if m.confidence is not None:
        header.append("confidence")

    def rows(a: int, b: int) -> np.ndarray:
        block = np.asarray(m.data[a:b], dtype=np.float64).reshape(b - a, -1)
        if m.confidence is not None:
            block = np.concatenate([block, np.asarray(m.confidence[a:b], dtype=np.float64)[:, None]], axis=1)
        return block

    _write_table(fh, _comments(session, "motion", m.sfreq, {"scheme": m.scheme}), header, m.t0, m.sfreq,
                 m.n_frames, rows)


def _events(fh: TextIO, session: Session, events) -> None:
    for line in _comments(session, "events", None):
        fh.write(line + "\n")
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(["time", "label", "duration"])
    for ev in events:
        writer.writerow([repr(float(ev.time)), ev.label, "" if ev.duration is None else repr(float(ev.duration))])
