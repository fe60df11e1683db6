"""The contract every reader passes (one shared helper, as in MNE-Python's reader tests).

:func:`check_reader` reads a good file and checks the common promises: a
valid Session, provenance naming the source file with its SHA-256, quality
findings of the known kinds, JSON-ready metadata, a lossless native round
trip and a deterministic result; then the common error promises on copies of
the file: missing, empty, garbage, truncated and mislabelled files each give
one SessionFileError that names the file.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from acquisition.errors import FpcdsError, SessionFileError
from acquisition.native import content_hash, file_sha256, read_session, write_session
from acquisition.session import SEVERITIES, QualityIssue, Session

REAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "real"
PYEDFLIB_DATA = Path(__import__("pyedflib").__file__).parent / "tests" / "data"


def check_reader(
    reader: Callable[..., Session],
    path: str | os.PathLike[str],
    tmp_path: Path,
    *,
    fmt: str,
    truncation_is_error: bool = True,
    **options,
) -> Session:
    """Check the reader contract on ``path``; return the session it read.

    Parameters
    ----------
    reader : callable
        ``read_<fmt>``.
    path : path-like
        A good file.
    tmp_path : Path
        Scratch directory for the damaged copies.
    fmt : str
        The format name the reader records in the provenance.
    truncation_is_error : bool
        False for text formats where a shorter file can still be a valid one.
    **options
        Passed to the reader (a mapping, for instance).
    """
    path = Path(path)
    session = reader(path, **options)
    assert isinstance(session, Session)
    source = session.provenance.sources[0]
    assert source.name == path.name and os.sep not in source.name
    assert source.sha256 == file_sha256(path)
    assert source.format == fmt
    assert all(isinstance(q, QualityIssue) and q.severity in SEVERITIES for q in session.quality)
    json.dumps(session.metadata(), allow_nan=False)
    assert session.provenance.notes, "the provenance records how the file was read"
    native = tmp_path / "contract.fpcds"
    digest = write_session(session, native)
    assert content_hash(read_session(native)) == digest == content_hash(session)
    assert content_hash(reader(path, **options)) == digest, "reading twice gives the same session"
    for block in (session.emg, session.motion):
        if block is not None:
            assert block.data.dtype == np.float32
    _check_errors(reader, path, tmp_path, truncation_is_error=truncation_is_error, **options)
    return session


def _expect_file_error(reader: Callable[..., Session], path: Path, match: str, **options) -> SessionFileError:
    with pytest.raises(SessionFileError, match=match) as info:
        reader(path, **options)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    return info.value


def _check_errors(reader: Callable[..., Session], path: Path, tmp_path: Path, *, truncation_is_error: bool,
                  **options) -> None:
    raw = path.read_bytes()
    _expect_file_error(reader, tmp_path / f"missing{path.suffix}", "no such file", **options)
    empty = tmp_path / f"empty{path.suffix}"
    empty.write_bytes(b"")
    _expect_file_error(reader, empty, "empty", **options)
    garbage = tmp_path / f"garbage{path.suffix}"
    garbage.write_bytes(bytes(range(256)) * 8)
    _expect_file_error(reader, garbage, "is not a", **options)
    truncated = tmp_path / f"truncated{path.suffix}"
    truncated.write_bytes(raw[: len(raw) * 2 // 3])
    if truncation_is_error:
        _expect_file_error(reader, truncated, "truncated|corrupt|cannot be read", **options)
    else:
        try:
            assert isinstance(reader(truncated, **options), Session)
        except FpcdsError as exc:
            assert str(truncated) in str(exc)
    other = REAL / ("minimal.xdf" if path.suffix.lower() != ".xdf" else "markers_analogs.c3d")
    mislabelled = tmp_path / f"mislabelled{path.suffix}"
    shutil.copy(other, mislabelled)
    _expect_file_error(reader, mislabelled, "is not a", **options)
