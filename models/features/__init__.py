"""Pure signal processing: Session -> FeatureTable.

Entry points:

* :func:`extract_features` - every feature of the catalogue for a session
  (zero-phase sEMG filtering, Emotrics-style landmark measures, synkinesis,
  clinical facts), oriented by the affected side, with rule-based scores.
* :func:`stream_emg_features` - sEMG features of long recordings in bounded
  memory (causal, block by block), with involuntary-activity episode counts.
* :func:`feature_names` - the canonical ordered feature list the models use.

No Flask, no HTTP: this package depends only on :mod:`acquisition`, numpy and scipy.
"""

from .errors import FeatureError, UnknownFeatureError
from .fusion import extract_features
from .names import FeatureSpec, feature_names, feature_specs, long_feature_names
from .record import FeatureWarning, ProcessingRecord
from .scores import ScaleScore, ScoreItem, Scores
from .streaming import stream_emg_features
from .table import FeatureTable

__all__ = [
    "FeatureError",
    "FeatureSpec",
    "FeatureTable",
    "FeatureWarning",
    "ProcessingRecord",
    "ScaleScore",
    "ScoreItem",
    "Scores",
    "UnknownFeatureError",
    "extract_features",
    "feature_names",
    "feature_specs",
    "long_feature_names",
    "stream_emg_features",
]
