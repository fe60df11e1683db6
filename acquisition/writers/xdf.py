"""Write a Session as XDF 1.0 (the LabRecorder container), readable by pyxdf and :func:`read_xdf`.

Chunks (XDF specification): ``FileHeader`` (tag 1), then per stream a
``StreamHeader`` (2), ``ClockOffset`` chunks (4) at its first and last
sample (offset 0: the timestamps already are session times), ``Samples``
chunks (3) of about ``chunk_s`` seconds with a timestamp on every sample,
and a ``StreamFooter`` (6). Streams: ``EMG`` (type EMG, float32, volts;
channel labels are the channel names), the motion (type Mocap; channels
``<point>_X/Y/Z`` with ``marker``, ``type`` PositionX/Y/Z and the unit, the
scheme in ``desc/point_scheme``, plus a ``Confidence`` channel when present)
and ``Markers`` (strings, irregular). The output is deterministic: the same
session gives the same bytes.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO, Callable, Iterable
from xml.sax.saxutils import escape

import numpy as np

from ..session import FACE_MESH_SCHEMES, Session
from ._common import events_for

_STREAM_EMG, _STREAM_MOTION, _STREAM_MARKERS = 1, 2, 3


def _varlen(n: int) -> bytes:
    if n < 256:
        return b"\x01" + n.to_bytes(1, "little")
    if n < 2**32:
        return b"\x04" + n.to_bytes(4, "little")
    return b"\x08" + n.to_bytes(8, "little")


def _chunk(fh: BinaryIO, tag: int, content: bytes, stream_id: int | None = None) -> None:
    head = b"" if stream_id is None else struct.pack("<I", stream_id)
    fh.write(_varlen(2 + len(head) + len(content)) + struct.pack("<H", tag) + head + content)


def _xml(tag: str, value: object) -> str:
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _header_xml(name: str, type_: str, count: int, srate: float, fmt: str, desc: str) -> bytes:
    return (
        '<?xml version="1.0"?><info>'
        + _xml("name", name) + _xml("type", type_) + _xml("channel_count", count)
        + _xml("nominal_srate", repr(float(srate))) + _xml("channel_format", fmt)
        + _xml("source_id", f"fpcds-{name}") + _xml("version", "1.1") + _xml("created_at", 0)
        + _xml("uid", f"fpcds-{name}") + _xml("session_id", "fpcds") + _xml("hostname", "fpcds")
        + f"<desc>{desc}</desc></info>"
    ).encode()


def _channels_xml(channels: Iterable[dict[str, str]]) -> str:
    return "<channels>" + "".join(
        "<channel>" + "".join(_xml(k, v) for k, v in ch.items()) + "</channel>" for ch in channels
    ) + "</channels>"


def _footer(fh: BinaryIO, sid: int, first: float, last: float, count: int) -> None:
    offsets = "".join(f"<offset>{_xml('time', repr(t))}{_xml('value', 0)}</offset>" for t in (first, last))
    xml = (
        '<?xml version="1.0"?><info>' + _xml("first_timestamp", repr(first)) + _xml("last_timestamp", repr(last))
        + _xml("sample_count", count) + f"<clock_offsets>{offsets}</clock_offsets></info>"
    )
    _chunk(fh, 6, xml.encode(), sid)


def _clock(fh: BinaryIO, sid: int, t: float) -> None:
    _chunk(fh, 4, struct.pack("<dd", t, 0.0), sid)


def _numeric(fh: BinaryIO, sid: int, t0: float, sfreq: float, n: int, rows: Callable[[int, int], np.ndarray],
             n_ch: int, chunk: int) -> None:
    """Samples chunks of float32 rows; ``rows(a, b)`` returns samples a..b as (b - a, n_ch)."""
    record = np.dtype([("flag", "u1"), ("ts", "<f8"), ("v", "<f4", (n_ch,))], align=False)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        buf = np.empty(b - a, dtype=record)
        buf["flag"] = 8
        buf["ts"] = t0 + np.arange(a, b) / sfreq
        buf["v"] = rows(a, b)
        _chunk(fh, 3, _varlen(b - a) + buf.tobytes(), sid)


def write_xdf(session: Session, path: str | os.PathLike[str], *, chunk_s: float = 1.0) -> None:
    """Write ``session`` to ``path`` as XDF.

    Parameters
    ----------
    session : Session
    path : path-like
    chunk_s : float
        Duration of each Samples chunk, s.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        with open(tmp, "wb") as fh:
            fh.write(b"XDF:")
            _chunk(fh, 1, _file_header(session))
            if session.emg is not None:
                _write_emg(fh, session, chunk_s)
            if session.motion is not None:
                _write_motion(fh, session, chunk_s)
            _write_markers(fh, session)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _file_header(session: Session) -> bytes:
    subject = "".join(
        _xml(k, v) for k, v in session.metadata()["subject"].items() if v is not None
    )
    recorded = _xml("datetime", session.recorded_at) if session.recorded_at else ""
    return (
        '<?xml version="1.0"?><info>' + _xml("version", "1.0") + recorded
        + f"<fpcds>{_xml('protocol', session.protocol)}<subject>{subject}</subject></fpcds></info>"
    ).encode()


def _write_emg(fh: BinaryIO, session: Session, chunk_s: float) -> None:
    emg = session.emg
    desc = _channels_xml({"label": ch.name, "unit": "V", "type": "EMG"} for ch in emg.channels)
    desc += _xml("manufacturer", "fpcds")
    _chunk(fh, 2, _header_xml("EMG", "EMG", len(emg.channels), emg.sfreq, "float32", desc), _STREAM_EMG)
    first, last = emg.t0, emg.t0 + (emg.n_samples - 1) / emg.sfreq
    _clock(fh, _STREAM_EMG, first)
    _numeric(fh, _STREAM_EMG, emg.t0, emg.sfreq, emg.n_samples, lambda a, b: np.asarray(emg.data[:, a:b]).T,
             len(emg.channels), max(1, int(round(chunk_s * emg.sfreq))))
    _clock(fh, _STREAM_EMG, last)
    _footer(fh, _STREAM_EMG, first, last, emg.n_samples)


def _write_motion(fh: BinaryIO, session: Session, chunk_s: float) -> None:
    m = session.motion
    name = "FaceMesh" if m.scheme in FACE_MESH_SCHEMES else m.scheme.removeprefix("markers:")
    channels = [
        {"label": f"{p}_{axis}", "marker": p, "type": f"Position{axis}", "unit": m.units}
        for p in m.point_names for axis in "XYZ"
    ]
    has_conf = m.confidence is not None
    if has_conf:
        channels.append({"label": "confidence", "type": "Confidence", "unit": ""})
    desc = _channels_xml(channels) + _xml("point_scheme", m.scheme) + _xml("manufacturer", "fpcds")
    n_ch = len(channels)
    _chunk(fh, 2, _header_xml(name, "Mocap", n_ch, m.sfreq, "float32", desc), _STREAM_MOTION)

    def rows(a: int, b: int) -> np.ndarray:
        block = np.asarray(m.data[a:b]).reshape(b - a, -1)
        if has_conf:
            block = np.concatenate([block, np.asarray(m.confidence[a:b])[:, None]], axis=1)
        return block

    first, last = m.t0, m.t0 + (m.n_frames - 1) / m.sfreq
    _clock(fh, _STREAM_MOTION, first)
    _numeric(fh, _STREAM_MOTION, m.t0, m.sfreq, m.n_frames, rows, n_ch, max(1, int(round(chunk_s * m.sfreq))))
    _clock(fh, _STREAM_MOTION, last)
    _footer(fh, _STREAM_MOTION, first, last, m.n_frames)


def _write_markers(fh: BinaryIO, session: Session) -> None:
    events = events_for(session)
    if not events:
        return
    desc = _xml("manufacturer", "fpcds")
    _chunk(fh, 2, _header_xml("Markers", "Markers", 1, 0.0, "string", desc), _STREAM_MARKERS)
    _clock(fh, _STREAM_MARKERS, events[0].time)
    body = bytearray(_varlen(len(events)))
    for ev in events:
        text = ev.label.encode("utf-8")
        body += b"\x08" + struct.pack("<d", ev.time) + _varlen(len(text)) + text
    _chunk(fh, 3, bytes(body), _STREAM_MARKERS)
    _clock(fh, _STREAM_MARKERS, events[-1].time)
    _footer(fh, _STREAM_MARKERS, events[0].time, events[-1].time, len(events))
