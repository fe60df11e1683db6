"""Session readers, one module per file format, and a dispatcher by file type.

Every reader is a typed ``read_<fmt>(path, *, mapping=None, ...) -> Session``.
:func:`read_any` picks the reader from the file name; :data:`READERS` is the
registry that format modules add themselves to.
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
}


def reader_for(path: str | os.PathLike[str]) -> Callable[..., Session]:
    """Return the reader function for ``path`` according to its suffix."""
    import importlib

    suffix = Path(path).suffix.lower()
    try:
        module_name, func_name = READERS[suffix]
    except KeyError:
        known = ", ".join(sorted(READERS))
        raise UnsupportedFormatError(str(path), f"file type {suffix or '(none)'!r} is not supported; known: {known}")
    return getattr(importlib.import_module(module_name), func_name)


def read_any(path: str | os.PathLike[str], **options) -> Session:
    """Read a session from any supported file, choosing the reader by suffix."""
    if not os.path.exists(path):
        raise SessionFileError(str(path), "no such file")
    if Path(path).suffix.lower() == NATIVE_SUFFIX:
        return read_session(path, **options)
    return reader_for(path)(path, **options)
