"""Getting a Session in: readers per file format, live LSL capture, video landmarks, the simulator."""

from .errors import FpcdsError, MappingError, QualityWarning, SessionFileError, SessionValidationError
from .session import (
    EmgBlock,
    EmgChannel,
    Gap,
    Marker,
    MotionBlock,
    Provenance,
    QualityIssue,
    Segment,
    Session,
    SourceFile,
    Subject,
)

__all__ = [
    "EmgBlock",
    "EmgChannel",
    "FpcdsError",
    "Gap",
    "MappingError",
    "Marker",
    "MotionBlock",
    "Provenance",
    "QualityIssue",
    "QualityWarning",
    "Segment",
    "Session",
    "SessionFileError",
    "SessionValidationError",
    "SourceFile",
    "Subject",
]
