"""Which stretches of a session belong to which task, and which are rest."""

from __future__ import annotations

from acquisition.session import Session

from .names import TASKS
from .record import Recorder

#: Margin trimmed from each end of an inter-task pause used as rest, s.
PAUSE_MARGIN_S = 0.5
#: Shortest usable rest stretch, s.
MIN_REST_S = 0.5


def task_intervals(session: Session, *, recorder: Recorder) -> dict[str, list[tuple[float, float]]]:
    """Repetitions of each protocol task as (start, end) seconds, in protocol task order.

    Segments of tasks that are not in the protocol are ignored with a warning.
    """
    out: dict[str, list[tuple[float, float]]] = {t: [] for t in TASKS}
    unknown = sorted({s.task for s in session.segments if s.task not in out})
    if unknown:
        recorder.warn("session.unknown_tasks", f"segments of tasks {unknown} are not in the protocol and were ignored")
    for seg in session.segments:
        if seg.task in out:
            out[seg.task].append((seg.start, seg.end))
    if not session.segments:
        recorder.warn("session.no_segments", "the session has no task segments: per-task features are unavailable")
    return out


def rest_intervals(session: Session, *, recorder: Recorder) -> list[tuple[float, float]]:
    """Stretches at rest: the 'rest' task, else the pauses between tasks (with a warning).

    Returns
    -------
    list of (start, end)
        Seconds on the session clock; empty when there is neither.
    """
    rest = [(s.start, s.end) for s in session.segments if s.task == "rest"]
    if rest:
        return rest
    segs = [s for s in session.segments if s.task in TASKS]
    pauses = []
    for a, b in zip(segs, segs[1:]):
        start, end = a.end + PAUSE_MARGIN_S, b.start - PAUSE_MARGIN_S
        if end - start >= MIN_REST_S:
            pauses.append((start, end))
    if pauses:
        recorder.warn("session.no_rest", f"no 'rest' task: the resting level was taken from {len(pauses)} pauses "
                      "between tasks")
    elif segs:
        recorder.warn("session.no_rest", "no 'rest' task and no pauses between tasks: rest-referenced features "
                      "(rest-normalised sEMG, excursions, asymmetry at rest) are unavailable")
    return pauses
