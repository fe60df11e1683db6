"""Writing a Session to the interchange formats the readers read back.

=========  ============================================================  =================================
writer     what the file holds                                           limits (raise WriterError)
=========  ============================================================  =================================
write_xdf  EMG (float32 V), motion (+ confidence), markers as streams;   none
           subject facts, protocol, recording time in the FileHeader
write_edf  EMG (EDF+ 16-bit or BDF+ 24-bit, uV) and annotations; sex     motion (pass ``drop_motion``);
                                                                         labels > 16 chars, events > 40
write_c3d  motion as points, EMG as analog channels (float, V), events   EMG rate not a whole multiple of
                                                                         the frame rate; > 255 events or
                                                                         analog channels; confidence is
                                                                         not stored (QualityWarning)
write_csv  ``NAME.csv`` (EMG, or motion when there is no EMG),           none
           ``NAME.motion.csv``, ``NAME.events.csv``; subject etc. in
           comment lines
=========  ============================================================  =================================

Times: XDF and EDF readers put 0 s at the first sample of the recording, so
a session that started later than 0 s comes back shifted to start at 0 s
(all streams, markers and segments alike); C3D and CSV keep the times.

Events: every marker is written as it is, and each segment the markers do
not already produce gets ``<task>/start|rep=<n>`` / ``<task>/end|rep=<n>``
events (:func:`acquisition.segments.boundary_events`), so reading the file
back yields the same segments. Gaps are NaN samples (formats without NaN use
the reserved ``gap/<stream>`` annotation). Channel identities are the
channel names: read the file back with a mapping that assigns them (for
Fridlund labels, the default one). Values are equal after a round trip up to
the format's resolution (EDF: physical range / 65534, BDF: / 16777214;
event times in EDF: 100 us).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..native import write_session
from ..session import Session
from ._common import WriterError, events_for
from .c3d import write_c3d
from .csvfile import write_csv
from .edf import write_edf
from .xdf import write_xdf

#: file suffix -> writer.
WRITERS: dict[str, Callable[..., object]] = {
    ".fpcds": write_session,
    ".xdf": write_xdf,
    ".edf": write_edf,
    ".bdf": lambda session, path, **options: write_edf(session, path, bdf=True, **options),
    ".c3d": write_c3d,
    ".csv": write_csv,
}


def write_any(session: Session, path: str | os.PathLike[str], **options) -> None:
    """Write ``session`` in the format named by the suffix of ``path``."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        known = ", ".join(sorted(WRITERS))
        raise WriterError(f"{path}: cannot write {suffix or '(no suffix)'!r} files; known: {known}")
    WRITERS[suffix](session, path, **options)


__all__ = ["WRITERS", "WriterError", "events_for", "write_any", "write_c3d", "write_csv", "write_edf", "write_xdf"]
