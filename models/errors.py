"""Typed errors of the models (datasets, training, export, registry, prediction).

Every message names the file or field, what was expected and what was found,
so the command line can print it unchanged.
"""

from __future__ import annotations

from acquisition.errors import FpcdsError


class ModelError(FpcdsError):
    """Base class of the model errors."""


class DatasetError(ModelError, ValueError):
    """A labelled cohort or a feature cache cannot be used (missing file, bad label, stale cache)."""


class TrainingError(ModelError, ValueError):
    """Training cannot run on the data given (e.g. a split without both classes)."""


class ModelFileError(ModelError):
    """A model directory, manifest or model file is missing or malformed.

    Parameters
    ----------
    path : str
        The file or directory concerned.
    problem : str
        What is wrong, in words a user can act on.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ModelIntegrityError(ModelFileError):
    """A model file's SHA-256 differs from the manifest, or ONNX and LightGBM disagree."""


class FeatureMismatchError(ModelFileError):
    """A model's input features do not match this software's feature catalogue."""
