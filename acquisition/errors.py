"""Typed exceptions and warnings shared by every fpcds package.

Every message names the input, what was expected and what was found, so that
the command line and the web app can show it to a person unchanged, e.g.
``"EMG channel 'Zyg re' has sampling rate 0 Hz; expected > 0"``.
"""

from __future__ import annotations


class FpcdsError(Exception):
    """Base class of every error that fpcds raises on purpose."""


class SessionValidationError(FpcdsError, ValueError):
    """A Session (or one of its parts) was given inconsistent values."""


class SessionFileError(FpcdsError):
    """A file could not be read as a session: corrupt, truncated or unsupported.

    Parameters
    ----------
    path : str
        The file that failed.
    problem : str
        What is wrong with it, in words a user can act on.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnsupportedFormatError(SessionFileError):
    """The file's format is not one fpcds reads."""


class MappingError(FpcdsError, ValueError):
    """A channel or point mapping does not fit the data it is applied to."""


class QualityWarning(UserWarning):
    """A recoverable data-quality problem (recorded, never silent)."""
