"""The protocol marker vocabulary pushed on the fpcds LSL marker stream.

Each marker is one string sample, time-stamped at the instant it describes::

    protocol/start|name=<protocol>   the guided protocol begins
    <task>/cue|rep=N                 the instruction for repetition N is shown
    <task>/start|rep=N               the patient starts holding the expression
    <task>/end|rep=N                 the hold ends (the patient relaxes)
    <task>/abort|rep=N               the capture stopped during the hold
    protocol/end|name=<protocol>     the protocol finished
    protocol/abort|name=<protocol>   the protocol was stopped early

``<task>`` is a task name of :mod:`acquisition.protocol`; repetitions count
from 1. ``<task>/start`` and ``<task>/end`` are the labels every reader
understands (:mod:`acquisition.segments`, which turns them into segments for
LSL captures too, so an XDF file recorded from these streams by LabRecorder
yields the same segments); the other labels are kept as plain markers. An
aborted repetition therefore has a start without an end: it makes no
segment and is reported as a quality warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .segments import task_label

EVENTS = ("cue", "start", "end", "abort")
_LABEL = re.compile(r"^(?P<subject>[a-z0-9_]+)/(?P<event>[a-z]+)(?P<fields>(\|[a-z_]+=[^|]*)*)$")


@dataclass(frozen=True)
class ProtocolMarker:
    """A parsed marker of the vocabulary above.

    Attributes
    ----------
    subject : str
        Task name, or ``'protocol'``.
    event : str
        ``cue``, ``start``, ``end`` or ``abort``.
    repetition : int
    fields : dict
        All ``|key=value`` fields as strings.
    """

    subject: str
    event: str
    repetition: int
    fields: dict[str, str]


def task_marker(task: str, event: str, repetition: int) -> str:
    """``task_marker('smile_open', 'start', 2) -> 'smile_open/start|rep=2'``."""
    if event not in EVENTS:
        raise ValueError(f"marker event {event!r} is not one of {list(EVENTS)}")
    if event in ("start", "end"):
        return task_label(task, event, int(repetition))
    return f"{task}/{event}|rep={int(repetition)}"


def protocol_marker(event: str, name: str) -> str:
    """``protocol_marker('start', 'fpcds-standard-v1') -> 'protocol/start|name=fpcds-standard-v1'``."""
    if event not in ("start", "end", "abort"):
        raise ValueError(f"protocol marker event {event!r} is not start, end or abort")
    return f"protocol/{event}|name={name}"


def parse_marker(label: str) -> ProtocolMarker | None:
    """Parse a label of the vocabulary; None for any other label."""
    match = _LABEL.match(label.strip())
    if match is None or match["event"] not in EVENTS:
        return None
    fields = dict(part.split("=", 1) for part in match["fields"].split("|")[1:])
    rep = fields.get("rep", "1")
    if not rep.isdigit() or int(rep) < 1:
        return None
    return ProtocolMarker(match["subject"], match["event"], int(rep), fields)
