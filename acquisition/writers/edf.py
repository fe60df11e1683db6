"""Write a Session's EMG as EDF+ (16-bit) or BDF+ (24-bit) with annotations (pyedflib / edflib).

Each channel gets a symmetric physical range in uV, the smallest value of
the 1-2-5 series covering its largest magnitude, so the resolution is range
/ 32767 (EDF) or / 8388607 (BDF) and zero is exact. Data records last 1 s
(or what edflib needs for a fractional rate); the last record is padded and
a ``recording/end`` annotation marks where the recording really ends. NaN
samples (gaps) are written as 0 with a ``gap/emg`` annotation. Markers and
segment boundaries are annotations (onset resolution 100 us), on a clock
starting at the EMG's first sample. Data are written record block by
record block, so a memory-mapped recording of any length is written in
bounded memory.

Limits of the format (WriterError): motion cannot be stored (pass
``drop_motion=True`` to write the EMG alone), labels longer than 16
characters, annotation texts longer than 40 characters (edflib truncates
them). Events before the first or after the last sample cannot be stored
and are skipped with a :class:`~acquisition.errors.QualityWarning`.
"""

from __future__ import annotations

import math
import os
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import QualityWarning
from ..segments import RECORDING_END, Event, gap_label
from ..session import Session
from ._common import WriterError, events_for

_MAX_LABEL = 16
_MAX_ANNOTATION = 40
_MAX_SIGNALS = 640
_DEFAULT_START = datetime(2000, 1, 1)
_BLOCK_RECORDS = 64


def _nice_range_uv(peak_uv: float) -> float:
    """Smallest 1-2-5 series value >= ``peak_uv`` (at least 1 uV)."""
    if not math.isfinite(peak_uv) or peak_uv <= 1.0:
        return 1.0
    exponent = math.floor(math.log10(peak_uv))
    for mantissa in (1, 2, 5, 10):
        value = mantissa * 10.0**exponent
        if value >= peak_uv:
            return float(f"{value:.6g}")
    return 10.0 ** (exponent + 1)


def _peaks(data: np.ndarray) -> np.ndarray:
    peaks = np.zeros(data.shape[0])
    step = 1 << 20
    for a in range(0, data.shape[1], step):
        block = np.abs(np.asarray(data[:, a : a + step], dtype=np.float64))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            peaks = np.fmax(peaks, np.nanmax(block, axis=1))
    return np.nan_to_num(peaks)


def write_edf(
    session: Session,
    path: str | os.PathLike[str],
    *,
    bdf: bool = False,
    drop_motion: bool = False,
) -> None:
    """Write the EMG of ``session`` to ``path`` as EDF+ (or BDF+ with ``bdf=True``).

    Parameters
    ----------
    session : Session
    path : path-like
    bdf : bool
        24-bit BDF+ instead of 16-bit EDF+.
    drop_motion : bool
        Write a session that has motion, leaving the motion out.

    Raises
    ------
    WriterError
        The session cannot be stored in EDF (see the module docstring).
    """
    import pyedflib

    path = Path(path)
    emg = session.emg
    if emg is None:
        raise WriterError(f"{path}: EDF holds EMG and the session has none; use write_xdf, write_c3d or write_csv")
    if session.motion is not None and not drop_motion:
        raise WriterError(
            f"{path}: EDF cannot hold the session's motion ({session.motion.n_points} points, at most "
            f"{_MAX_SIGNALS} signals in all); pass drop_motion=True (fpcds convert --drop-motion) to write the EMG "
            f"alone, or use XDF, C3D or CSV"
        )
    long = [ch.name for ch in emg.channels if len(ch.name) > _MAX_LABEL]
    if long:
        raise WriterError(f"{path}: EDF signal labels are at most {_MAX_LABEL} characters; too long: {long}")
    events = _annotations(session, path)
    digital = 8388607 if bdf else 32767
    ranges = [_nice_range_uv(p * 1e6) for p in _peaks(emg.data)]
    file_type = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    tmp = path.with_name(path.name + ".partial")
    writer = None
    try:
        writer = pyedflib.EdfWriter(str(tmp), len(emg.channels), file_type)
        writer.setSignalHeaders([
            {"label": ch.name, "dimension": "uV", "sample_frequency": emg.sfreq, "physical_max": r,
             "physical_min": -r, "digital_max": digital, "digital_min": -digital, "transducer": "",
             "prefilter": ""}
            for ch, r in zip(emg.channels, ranges)
        ])
        writer.setStartdatetime(_start(session))
        if session.subject.sex in ("male", "female"):
            writer.setSex(1 if session.subject.sex == "male" else 0)
        spr = writer.get_smp_per_record(0)
        n_records = math.ceil(emg.n_samples / spr)
        padded = n_records * spr - emg.n_samples
        if padded:
            events.append(Event(emg.n_samples / emg.sfreq, RECORDING_END))
        per_record = math.ceil(len(events) / n_records) if events else 1
        if per_record > 64:
            raise WriterError(
                f"{path}: {len(events)} annotations do not fit {n_records} EDF data records (at most 64 each)"
            )
        writer.set_number_of_annotation_signals(max(1, per_record))
        _write_records(writer, emg.data, np.asarray(ranges), digital, spr, n_records, bdf)
        for ev in events:
            if writer.writeAnnotation(ev.time, -1 if ev.duration is None else ev.duration, ev.label) != 0:
                raise WriterError(f"{path}: edflib refused annotation {ev.label!r} at {ev.time:.4f} s")
        writer.close()
        writer = None
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.close()
        if tmp.exists():
            tmp.unlink()


def _start(session: Session) -> datetime:
    if session.recorded_at:
        try:
            start = datetime.fromisoformat(session.recorded_at)
        except ValueError:
            return _DEFAULT_START
        return start.replace(tzinfo=None)
    return _DEFAULT_START


def _annotations(session: Session, path: Path) -> list[Event]:
    emg = session.emg
    t0, end = emg.t0, emg.t0 + emg.duration
    out: list[Event] = []
    skipped = []
    for ev in events_for(session):
        if len(ev.label.encode("utf-8")) > _MAX_ANNOTATION:
            raise WriterError(
                f"{path}: EDF annotations hold at most {_MAX_ANNOTATION} bytes; marker {ev.label[:60]!r} is longer "
                f"(use XDF or CSV)"
            )
        if not t0 <= ev.time < end:
            skipped.append(ev.label)
            continue
        out.append(Event(ev.time - t0, ev.label))
    for gap in session.gaps:
        if gap.stream == "emg" and gap.end > t0 and gap.start < end:
            start = max(gap.start, t0)
            out.append(Event(start - t0, gap_label(gap)[:_MAX_ANNOTATION], min(gap.end, end) - start))
    if skipped:
        warnings.warn(QualityWarning(
            f"{path}: {len(skipped)} marker(s) lie outside the EMG recording and cannot be stored in EDF: "
            f"{skipped[:5]}"
        ), stacklevel=3)
    return out


def _write_records(writer, data: np.ndarray, ranges_uv: np.ndarray, digital: int, spr: int, n_records: int,
                   bdf: bool) -> None:
    n_ch, n = data.shape
    gain = (digital / ranges_uv * 1e6)[:, None]
    for first in range(0, n_records, _BLOCK_RECORDS):
        count = min(_BLOCK_RECORDS, n_records - first)
        a, b = first * spr, (first + count) * spr
        block = np.zeros((n_ch, b - a), dtype=np.float64)
        chunk = np.asarray(data[:, a:min(b, n)], dtype=np.float64)
        block[:, : chunk.shape[1]] = chunk
        digits = np.rint(np.nan_to_num(block * gain, nan=0.0))
        np.clip(digits, -digital, digital, out=digits)
        records = digits.reshape(n_ch, count, spr).transpose(1, 0, 2)
        for rec in records:
            flat = np.ascontiguousarray(rec.reshape(-1))
            if bdf:
                status = writer.blockWriteDigitalSamples(flat.astype(np.int32))
            else:
                status = writer.blockWriteDigitalShortSamples(flat.astype(np.int16))
            if status != 0:
                raise WriterError(f"edflib could not write data record {first}: status {status}")
