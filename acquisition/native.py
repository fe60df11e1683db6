"""The native session file format (``.fpcds``): lossless, versioned, memory-mappable.

Layout (all integers little-endian)::

    offset 0   8 bytes   magic  b"FPCDSES\\0"
    offset 8   4 bytes   uint32 format version (currently 1)
    offset 12  8 bytes   uint64 header length H in bytes
    offset 20  H bytes   header: UTF-8 JSON (schema below)
    ...        zero padding up to a multiple of 64 bytes
    data       raw C-ordered little-endian arrays, each starting on a 64-byte
               boundary; offsets in the header are relative to the data start

The header JSON holds ``format``, ``version``, ``content_sha256``,
``metadata`` (:meth:`Session.metadata`) and ``arrays``: a mapping from array
name (``emg``, ``motion``, ``motion_confidence``) to ``dtype``, ``shape``,
``offset`` and ``nbytes``.

The **content hash** identifies a session independently of file layout: the
SHA-256 of the canonical JSON of the metadata (sorted keys, no white space,
no NaN) followed, for each array in name order, by its name, dtype, shape and
raw little-endian bytes. Two files with the same hash hold the same session.
Reading memory-maps the arrays (``mmap=True``), so a multi-hour recording
opens in constant time and memory; ``verify=True`` recomputes the hash in
bounded memory and refuses a file whose content does not match it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .errors import SessionFileError, SessionValidationError
from .session import Session

MAGIC = b"FPCDSES\0"
FORMAT_VERSION = 1
SUFFIX = ".fpcds"
_ALIGN = 64
_PREFIX = struct.Struct("<8sIQ")
_MAX_HEADER = 64 * 1024 * 1024
_HASH_CHUNK = 16 * 1024 * 1024
_DTYPES = {"float32": np.dtype("<f4")}


def _session_arrays(session: Session) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    if session.emg is not None:
        arrays["emg"] = session.emg.data
    if session.motion is not None:
        arrays["motion"] = session.motion.data
        if session.motion.confidence is not None:
            arrays["motion_confidence"] = session.motion.confidence
    return arrays


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, compact, NaN refused)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True).encode()


def _hash_array(digest: "hashlib._Hash", name: str, array: np.ndarray) -> None:
    digest.update(canonical_json({"name": name, "dtype": "float32", "shape": list(array.shape)}))
    flat = array.reshape(-1) if array.flags.c_contiguous else None
    if flat is None:
        flat = np.ascontiguousarray(array).reshape(-1)
    step = max(1, _HASH_CHUNK // max(1, array.itemsize))
    for start in range(0, flat.size, step):
        chunk = np.asarray(flat[start : start + step], dtype="<f4")
        digest.update(memoryview(chunk).cast("B"))


def content_hash(session: Session) -> str:
    """SHA-256 (hex) of a session's canonical form; see the module docstring."""
    digest = hashlib.sha256()
    digest.update(b"fpcds-session-v1\0")
    digest.update(canonical_json(session.metadata()))
    for name, array in sorted(_session_arrays(session).items()):
        _hash_array(digest, name, array)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pad(n: int) -> int:
    return (-n) % _ALIGN


def write_session(session: Session, path: str | os.PathLike[str]) -> str:
    """Write ``session`` to ``path`` in the native format.

    The file is written to a temporary name and renamed, so a crash never
    leaves a half-written session under the final name.

    Returns
    -------
    content_sha256 : str
        The session's content hash (also stored in the header).
    """
    path = Path(path)
    arrays = _session_arrays(session)
    table: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in sorted(arrays.items()):
        nbytes = int(array.size) * 4
        table[name] = {"dtype": "float32", "shape": list(array.shape), "offset": offset, "nbytes": nbytes}
        offset += nbytes + _pad(nbytes)
    header = {
        "format": "fpcds-session",
        "version": FORMAT_VERSION,
        "content_sha256": content_hash(session),
        "metadata": session.metadata(),
        "arrays": table,
    }
    header_bytes = canonical_json(header)
    tmp = path.with_name(path.name + ".partial")
    try:
        with open(tmp, "wb") as fh:
            fh.write(_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header_bytes)))
            fh.write(header_bytes)
            fh.write(b"\0" * _pad(_PREFIX.size + len(header_bytes)))
            for name, array in sorted(arrays.items()):
                _write_array(fh, array)
                fh.write(b"\0" * _pad(table[name]["nbytes"]))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return header["content_sha256"]


def _write_array(fh: BinaryIO, array: np.ndarray) -> None:
    flat = array.reshape(-1) if array.flags.c_contiguous else np.ascontiguousarray(array).reshape(-1)
    step = max(1, _HASH_CHUNK // 4)
    for start in range(0, flat.size, step):
        fh.write(memoryview(np.asarray(flat[start : start + step], dtype="<f4")).cast("B"))


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check the header of a native session file (no array data)."""
    path = str(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            prefix = fh.read(_PREFIX.size)
            if len(prefix) < _PREFIX.size:
                raise SessionFileError(path, f"file is {size} bytes, too short for an fpcds session header")
            magic, version, header_len = _PREFIX.unpack(prefix)
            if magic != MAGIC:
                raise SessionFileError(path, "not an fpcds session file (wrong magic bytes)")
            if version > FORMAT_VERSION:
                raise SessionFileError(
                    path, f"session format version {version} is newer than this software reads ({FORMAT_VERSION})"
                )
            if header_len > min(_MAX_HEADER, size - _PREFIX.size):
                raise SessionFileError(path, f"header length {header_len} bytes exceeds the file ({size} bytes)")
            raw = fh.read(header_len)
    except OSError as exc:
        raise SessionFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionFileError(path, f"header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != "fpcds-session":
        raise SessionFileError(path, "header does not describe an fpcds session")
    data_start = _PREFIX.size + header_len + _pad(_PREFIX.size + header_len)
    arrays = header.get("arrays")
    if not isinstance(arrays, dict):
        raise SessionFileError(path, "header has no array table")
    for name, spec in arrays.items():
        try:
            shape = tuple(int(n) for n in spec["shape"])
            nbytes = int(np.prod(shape, dtype=np.int64)) * _DTYPES[spec["dtype"]].itemsize
            end = data_start + int(spec["offset"]) + nbytes
        except (KeyError, TypeError, ValueError):
            raise SessionFileError(path, f"array {name!r} has a malformed description") from None
        if any(n < 0 for n in shape) or int(spec["offset"]) < 0 or nbytes != int(spec["nbytes"]):
            raise SessionFileError(path, f"array {name!r} has an inconsistent size")
        if end > size:
            raise SessionFileError(
                path, f"file is truncated: array {name!r} needs {end} bytes but the file has {size}"
            )
    header["_data_start"] = data_start
    return header


def read_session(path: str | os.PathLike[str], *, mmap: bool = True, verify: bool = False) -> Session:
    """Read a native session file.

    Parameters
    ----------
    path : path-like
    mmap : bool
        Memory-map the arrays read-only instead of loading them.
    verify : bool
        Recompute the content hash and raise if it differs from the header's.

    Returns
    -------
    Session
    """
    path = str(path)
    header = read_header(path)
    arrays: dict[str, np.ndarray] = {}
    for name, spec in header["arrays"].items():
        offset = header["_data_start"] + int(spec["offset"])
        shape = tuple(int(n) for n in spec["shape"])
        dtype = _DTYPES[spec["dtype"]]
        if mmap and int(np.prod(shape)) > 0:
            array = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
        else:
            with open(path, "rb") as fh:
                fh.seek(offset)
                array = np.fromfile(fh, dtype=dtype, count=int(np.prod(shape))).reshape(shape)
        arrays[name] = array
    try:
        session = Session.from_metadata(
            header["metadata"],
            emg_data=arrays.get("emg"),
            motion_data=arrays.get("motion"),
            motion_confidence=arrays.get("motion_confidence"),
        )
    except (SessionValidationError, KeyError, TypeError) as exc:
        raise SessionFileError(path, f"session content is invalid: {exc}") from None
    if verify:
        actual = content_hash(session)
        if actual != header.get("content_sha256"):
            raise SessionFileError(
                path, f"content hash mismatch: header says {header.get('content_sha256')}, data hashes to {actual}"
            )
    return session


def stored_hash(path: str | os.PathLike[str]) -> str:
    """The content hash recorded in a native file's header (not recomputed)."""
    return str(read_header(path)["content_sha256"])
