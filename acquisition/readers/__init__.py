"""Session readers, one module per file format, and a dispatcher by file type.

Every reader is a typed ``read_<fmt>(path, *, mapping=None, ...) -> Session``.
:func:`read_any` picks the reader from the file name; :data:`READERS` is the
registry that format modules add themselves to. :func:`describe_any` lists
the *raw* streams and channels of a file, before any mapping, to help write
one (``fpcds inspect --raw``).

The clock, rate and gap policy shared by all readers is documented in
:mod:`acquisition.readers._common`; channel mappings in
:mod:`acquisition.mapping`; the marker vocabulary and timing sidecars in
:mod:`acquisition.segments`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..errors import SessionFileError, UnsupportedFormatError
from ..native import SUFFIX as NATIVE_SUFFIX
from ..native import read_session
from ..session import Session

#: file suffix (lower case, with dot) -> reader module path and function name.
READERS: dict[str, tuple[str, str]] = {
    NATIVE_SUFFIX: ("acquisition.native", "read_session"),
    ".xdf": ("acquisition.readers.xdf", "read_xdf"),
    ".edf": ("acquisition.readers.edf", "read_edf"),
    ".bdf": ("acquisition.readers.edf", "read_edf"),
    ".c3d": ("acquisition.readers.c3d", "read_c3d"),
    ".csv": ("acquisition.readers.csvfile", "read_csv"),
    **{suffix: ("acquisition.readers.video", "read_video") for suffix in (".mp4", ".avi", ".mov", ".mkv", ".webm")},
}

#: file suffix -> module and function listing the raw content (no mapping applied).
DESCRIBERS: dict[str, tuple[str, str]] = {
    ".xdf": ("acquisition.readers.xdf", "describe_xdf"),
    ".edf": ("acquisition.readers.edf", "describe_edf"),
    ".bdf": ("acquisition.readers.edf", "describe_edf"),
    ".c3d": ("acquisition.readers.c3d", "describe_c3d"),
    ".csv": ("acquisition.readers.csvfile", "describe_csv"),
}


def _lookup(table: dict[str, tuple[str, str]], path: str | os.PathLike[str], what: str) -> Callable:
    import importlib

    from ._common import sniff_format

    suffix = Path(path).suffix.lower()
    try:
        module_name, func_name = table[suffix]
    except KeyError:
        known = ", ".join(sorted(table))
        looks = sniff_format(os.fspath(path)) if os.path.exists(path) else None
        hint = f"; its content looks like {looks}" if looks else ""
        raise UnsupportedFormatError(
            str(path), f"file type {suffix or '(none)'!r} is not supported{what}; known: {known}{hint}"
        ) from None
    return getattr(importlib.import_module(module_name), func_name)


def reader_for(path: str | os.PathLike[str]) -> Callable[..., Session]:
    """Return the reader function for ``path`` according to its suffix."""
    return _lookup(READERS, path, "")


def read_any(path: str | os.PathLike[str], **options) -> Session:
    """Read a session from any supported file, choosing the reader by suffix."""
    if not os.path.exists(path):
        raise SessionFileError(str(path), "no such file")
    if Path(path).suffix.lower() == NATIVE_SUFFIX:
        return read_session(path, **options)
    return reader_for(path)(path, **options)


def describe_any(path: str | os.PathLike[str], **options):  # -> RawListing
    """List the raw streams and channels of a non-native file (see :class:`._common.RawListing`)."""
    if not os.path.exists(path):
        raise SessionFileError(str(path), "no such file")
    return _lookup(DESCRIBERS, path, " for a raw listing")(path, **options)
