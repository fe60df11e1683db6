"""Write a Session as C3D (ezc3d): motion as points, EMG as analog channels, markers as events.

Points keep the motion's unit and names (a face mesh's points are named
``0`` ... ``n-1``, which the reader recognises; a marker set's name goes to
``SUBJECTS:MARKER_SETS``); untracked points are NaN. Analogs are float
volts (``ANALOG:UNITS`` V), exact to float32. C3D stores analog samples as
a whole number per point frame, so the EMG rate must be a whole multiple of
the frame rate and both streams must start together and last the same
number of frames; an EMG-only session gets a point rate of EMG rate / k
with the largest k <= 40 dividing the sample count. Events are
``EVENT:LABELS`` / ``EVENT:TIMES`` (seconds from frame 1). Per-frame
confidence has no place in C3D and is left out with a QualityWarning.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import QualityWarning
from ..session import FACE_MESH_SCHEMES, Session
from ._common import WriterError, events_for

_MAX_PARAMETER_ITEMS = 255
_MAX_ANALOG_RATIO = 40


def write_c3d(session: Session, path: str | os.PathLike[str]) -> None:
    """Write ``session`` to ``path`` as C3D.

    Raises
    ------
    WriterError
        Rates or lengths that C3D cannot represent, or more than 255 events
        or analog channels.
    """
    import ezc3d

    path = Path(path)
    emg, motion = session.emg, session.motion
    if emg is not None and len(emg.channels) > _MAX_PARAMETER_ITEMS:
        raise WriterError(
            f"{path}: C3D holds at most {_MAX_PARAMETER_ITEMS} analog channels here; the EMG has {len(emg.channels)}"
        )
    rate, n_frames, ratio, t0 = _layout(session, path)
    c3d = ezc3d.c3d()
    params = c3d["parameters"]
    params["POINT"]["RATE"]["value"] = [rate]
    if motion is not None:
        params["POINT"]["LABELS"]["value"] = list(motion.point_names)
        params["POINT"]["UNITS"]["value"] = [motion.units]
        points = np.ones((4, motion.n_points, n_frames))
        points[:3] = np.transpose(np.asarray(motion.data, dtype=np.float64), (2, 1, 0))
        c3d["data"]["points"] = points
        if motion.scheme not in FACE_MESH_SCHEMES:
            c3d.add_parameter("SUBJECTS", "USED", [1])
            c3d.add_parameter("SUBJECTS", "NAMES", ["fpcds"])
            c3d.add_parameter("SUBJECTS", "MARKER_SETS", [motion.scheme.removeprefix("markers:")])
            c3d.add_parameter("SUBJECTS", "USES_PREFIXES", [0])
        if motion.confidence is not None:
            warnings.warn(
                QualityWarning(f"{path}: C3D has no place for per-frame motion confidence; it is not written"),
                stacklevel=2,
            )
    else:
        params["POINT"]["UNITS"]["value"] = ["mm"]
        c3d["data"]["points"] = np.zeros((4, 0, n_frames))
    if emg is not None:
        params["ANALOG"]["RATE"]["value"] = [rate * ratio]
        params["ANALOG"]["LABELS"]["value"] = [ch.name for ch in emg.channels]
        params["ANALOG"]["UNITS"]["value"] = ["V"] * len(emg.channels)
        c3d["data"]["analogs"] = np.asarray(emg.data, dtype=np.float64)[None]
    first = int(round(t0 * rate)) + 1
    c3d["header"]["points"]["first_frame"] = first - 1
    _events(c3d, session, path, end=(first - 1 + n_frames) / rate)
    c3d.add_parameter("MANUFACTURER", "COMPANY", ["fpcds"])
    c3d.add_parameter("MANUFACTURER", "SOFTWARE", ["fpcds writers"])
    tmp = path.with_name(path.name + ".partial.c3d")
    try:
        try:
            c3d.write(str(tmp))
        except (ValueError, TypeError, RuntimeError) as exc:
            raise WriterError(f"{path}: ezc3d cannot write this session: {exc}") from None
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _layout(session: Session, path: Path) -> tuple[float, int, int, float]:
    """(point rate, frames, analog samples per frame, start time) for the session."""
    emg, motion = session.emg, session.motion
    if motion is not None and emg is None:
        return motion.sfreq, motion.n_frames, 1, motion.t0
    if motion is None:
        ratio = max(k for k in range(1, _MAX_ANALOG_RATIO + 1) if emg.n_samples % k == 0)
        return emg.sfreq / ratio, emg.n_samples // ratio, ratio, emg.t0
    ratio_f = emg.sfreq / motion.sfreq
    ratio = int(round(ratio_f))
    if ratio < 1 or abs(ratio_f - ratio) > 1e-9 * ratio_f:
        raise WriterError(
            f"{path}: C3D needs the EMG rate to be a whole multiple of the frame rate; EMG {emg.sfreq:g} Hz / "
            f"motion {motion.sfreq:g} Hz = {ratio_f:.4g}. Resample one of them first (Session.resample) "
            f"or use XDF or CSV"
        )
    if abs(emg.t0 - motion.t0) > 0.5 / emg.sfreq or emg.n_samples != motion.n_frames * ratio:
        raise WriterError(
            f"{path}: C3D needs EMG and motion to start together and last the same frames; EMG starts at "
            f"{emg.t0:.6g} s with {emg.n_samples} samples, motion at {motion.t0:.6g} s with {motion.n_frames} frames "
            f"(x{ratio} = {motion.n_frames * ratio} samples). Crop the session (Session.crop) or use XDF or CSV"
        )
    return motion.sfreq, motion.n_frames, ratio, motion.t0


def _events(c3d, session: Session, path: Path, *, end: float) -> None:
    events = []
    skipped = []
    for ev in events_for(session):
        if ev.time < 0 or ev.time > end:
            skipped.append(ev.label)
        else:
            events.append(ev)
    if skipped:
        warnings.warn(QualityWarning(
            f"{path}: {len(skipped)} marker(s) lie outside the recording and cannot be stored in C3D: {skipped[:5]}"
        ), stacklevel=3)
    if not events:
        return
    if len(events) > _MAX_PARAMETER_ITEMS:
        raise WriterError(
            f"{path}: C3D holds at most {_MAX_PARAMETER_ITEMS} events here; the session has {len(events)} markers "
            f"and segment boundaries (use XDF or CSV)"
        )
    minutes = [math.floor(e.time / 60.0) for e in events]
    times = np.array([minutes, [e.time - 60.0 * m for e, m in zip(events, minutes)]])
    c3d.add_parameter("EVENT", "USED", [len(events)])
    c3d.add_parameter("EVENT", "LABELS", [e.label for e in events])
    c3d.add_parameter("EVENT", "TIMES", times)
    c3d.add_parameter("EVENT", "CONTEXTS", ["General"] * len(events))
    c3d.add_parameter("EVENT", "DESCRIPTIONS", [""] * len(events))
