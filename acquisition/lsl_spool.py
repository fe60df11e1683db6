"""The capture spool: everything received from LSL, appended to disk as it arrives.

A live capture writes into a spool directory (by default ``<out>.spool/``
beside the session file) and only builds the session at the end, so a crash,
a power cut or a killed process loses at most the last ``fsync_s`` (0.5 s)
of data; :func:`acquisition.lsl_record.recover_capture` rebuilds the session
from whatever the spool holds.

Layout::

    meta.json        format, version, session-clock origin, streams (their
                     LSL XML descriptions), EMG mapping, protocol; written
                     atomically at start, updated with the stop time
    <key>.chunks     one file per stream (key ``emg``, ``motion``,
                     ``markers-0``, ...): a sequence of records

Record (little-endian)::

    4s    b"FPSC"
    u8    payload kind: 0 float32 samples, 1 UTF-8 JSON strings
    u32   n_samples
    u32   n_channels
    f64   LSL time correction applied to this chunk (s)
    u32   payload bytes P
    n_samples x f64   LSL time stamps (sender's clock, s)
    P bytes           float32 samples (n_samples x n_channels, C order), or
                      for string streams UTF-8 JSON: a list of n_samples lists

Every record is flushed to the operating system when written and the file is
fsync'ed at least every ``fsync_s``; a reader stops at the first incomplete
record.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SessionFileError

FORMAT = "fpcds-lsl-spool"
VERSION = 1
_MAGIC = b"FPSC"
_RECORD = struct.Struct("<4sBIIdI")


@dataclass
class Chunk:
    """One received chunk.

    Attributes
    ----------
    stamps : ndarray, shape (n_samples,), float64
        LSL time stamps on the sender's clock, seconds.
    values : ndarray, shape (n_samples, n_channels), float32, or list of list of str
    correction : float
        LSL time correction (seconds) to add to ``stamps``.
    """

    stamps: np.ndarray
    values: Any
    correction: float


@dataclass
class SpoolContents:
    """What :func:`read_spool` found.

    Attributes
    ----------
    meta : dict
    chunks : dict of str to list of Chunk
    truncated : dict of str to int
        Bytes of incomplete trailing records ignored, per stream key.
    """

    meta: dict[str, Any]
    chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    truncated: dict[str, int] = field(default_factory=dict)


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class SpoolWriter:
    """Append received chunks to a spool directory (thread-safe per stream key).

    Parameters
    ----------
    directory : path-like
        Created if missing; must not already hold a spool.
    meta : dict
        JSON-ready description (see the module docstring).
    fsync_s : float
        Longest time between fsyncs of a stream file, seconds.
    """

    def __init__(self, directory: str | os.PathLike[str], *, meta: dict[str, Any], fsync_s: float = 0.5) -> None:
        self.directory = Path(directory)
        if (self.directory / "meta.json").exists():
            raise SessionFileError(str(self.directory), "already holds a capture spool; recover or remove it first")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.meta = {"format": FORMAT, "version": VERSION, **meta}
        _write_json_atomic(self.directory / "meta.json", self.meta)
        self.fsync_s = fsync_s
        self._files: dict[str, Any] = {}
        self._synced: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._meta_lock = threading.Lock()

    def append(self, key: str, stamps: np.ndarray, values: Any, correction: float) -> None:
        """Write one chunk of stream ``key`` (see :class:`Chunk`)."""
        stamps = np.ascontiguousarray(stamps, dtype="<f8")
        if isinstance(values, np.ndarray) and values.dtype != object:
            block = np.ascontiguousarray(values, dtype="<f4")
            n_channels = block.shape[1] if block.ndim == 2 else 1
            payload = memoryview(block).cast("B")
            kind = 0
        else:
            rows = [[v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row] for row in values]
            n_channels = len(rows[0]) if rows else 1
            payload = json.dumps(rows, ensure_ascii=False).encode("utf-8")
            kind = 1
        header = _RECORD.pack(_MAGIC, kind, len(stamps), n_channels, float(correction), len(payload))
        lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            fh = self._files.get(key)
            if fh is None:
                fh = self._files[key] = open(self.directory / f"{key}.chunks", "ab")
                self._synced[key] = time.monotonic()
            fh.write(header + memoryview(stamps).cast("B").tobytes() + bytes(payload))
            fh.flush()
            now = time.monotonic()
            if now - self._synced[key] >= self.fsync_s:
                os.fsync(fh.fileno())
                self._synced[key] = now

    def update_meta(self, **items: Any) -> None:
        """Add or replace top-level meta entries (written atomically)."""
        with self._meta_lock:
            self.meta.update(items)
            _write_json_atomic(self.directory / "meta.json", self.meta)

    def close(self) -> None:
        """Fsync and close every stream file."""
        for key, fh in list(self._files.items()):
            with self._locks[key]:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
        self._files.clear()


def read_spool(directory: str | os.PathLike[str]) -> SpoolContents:
    """Read a spool directory, ignoring an incomplete last record per stream.

    Raises
    ------
    SessionFileError
        No spool there, or its ``meta.json`` is unreadable or of another format.
    """
    directory = Path(directory)
    meta_path = directory / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SessionFileError(str(directory), "is not a capture spool (no meta.json)") from None
    except (OSError, ValueError) as exc:
        raise SessionFileError(str(meta_path), f"cannot be read as spool metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SessionFileError(str(meta_path), f"is not {FORMAT} metadata")
    if int(meta.get("version", 0)) > VERSION:
        raise SessionFileError(str(meta_path), f"spool version {meta.get('version')} is newer than this software reads")
    contents = SpoolContents(meta)
    for key in meta.get("streams", {}):
        path = directory / f"{key}.chunks"
        chunks, bad = _read_chunks(path) if path.exists() else ([], 0)
        contents.chunks[key] = chunks
        if bad:
            contents.truncated[key] = bad
    return contents


def _read_chunks(path: Path) -> tuple[list[Chunk], int]:
    data = path.read_bytes()
    pos, out = 0, []
    while pos + _RECORD.size <= len(data):
        magic, kind, n, n_channels, correction, n_payload = _RECORD.unpack_from(data, pos)
        end = pos + _RECORD.size + 8 * n + n_payload
        if magic != _MAGIC or kind > 1 or end > len(data):
            break
        stamps = np.frombuffer(data, dtype="<f8", count=n, offset=pos + _RECORD.size).copy()
        raw = data[pos + _RECORD.size + 8 * n : end]
        if kind == 0:
            if n_payload != 4 * n * n_channels:
                break
            values: Any = np.frombuffer(raw, dtype="<f4").reshape(n, n_channels).copy()
        else:
            try:
                values = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                break
        out.append(Chunk(stamps, values, correction))
        pos = end
    return out, len(data) - pos
