"""Typed errors of the feature code."""

from __future__ import annotations

from acquisition.errors import FpcdsError


class FeatureError(FpcdsError, ValueError):
    """Features were asked for with arguments or data they cannot work with.

    The message names the argument or data item, what was expected and what
    was found, e.g. ``"band-pass 20-450 Hz needs a sampling rate above 900 Hz
    ... found 400 Hz"``.
    """


class UnknownFeatureError(FeatureError, KeyError):
    """A feature name is not in the table (also a KeyError, so ``in`` and ``get`` work)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
