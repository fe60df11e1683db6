"""Guide a patient through a protocol and push its task markers on an LSL marker stream.

The guide owns a marker outlet (type ``Markers``; vocabulary in
:mod:`acquisition.lsl_markers`). For each repetition of each task it shows
the instruction (``cue``), tells the patient to hold (``start``), to relax
(``end``), then waits the rest period. Markers are stamped with the LSL
clock at the instant the corresponding instruction is shown. Anything that
listens to LSL (the fpcds recorder, LabRecorder) records them.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from .lsl_markers import protocol_marker, task_marker
from .lsl_publish import marker_stream_info
from .protocol import Protocol, Task

PHASES = ("prepare", "hold", "rest", "done", "aborted")


@dataclass(frozen=True)
class GuideEvent:
    """What the patient should be told now.

    Attributes
    ----------
    phase : {'prepare', 'hold', 'rest', 'done', 'aborted'}
    task : Task or None
        The task being prepared or held (None for done/aborted).
    repetition : int
        1-based repetition of ``task``.
    step, steps : int
        Position of this repetition in the whole protocol (1-based) and the
        number of repetitions in it.
    seconds : float
        Duration of this phase, seconds.
    """

    phase: str
    task: Task | None
    repetition: int
    step: int
    steps: int
    seconds: float


def format_event(event: GuideEvent) -> str:
    """A line of terminal text for ``event``."""
    if event.phase == "done":
        return "Protocol complete - thank you."
    if event.phase == "aborted":
        return "Protocol stopped."
    task = event.task
    assert task is not None
    head = f"[{event.step:>2}/{event.steps}] {task.title} ({event.repetition})"
    if event.phase == "prepare":
        return f"{head}: relax. Next: {task.instruction} Starting in {event.seconds:g} s ..."
    if event.phase == "hold":
        return f"{head}: NOW - hold for {event.seconds:g} s"
    return f"{head}: relax ({event.seconds:g} s)"


class ProtocolGuide:
    """Runs a protocol's schedule, pushing markers and reporting events to a display.

    The whole run lasts ``lead_in_s + n_steps * hold_s + (n_steps - 1) * rest_s
    + rest_s`` (the final rest before ``protocol/end``).

    Parameters
    ----------
    protocol : Protocol
    name : str
        LSL stream name of the marker outlet.
    source_id : str, optional
        Unique source id (default: random).
    display : callable, optional
        Called with each :class:`GuideEvent` (default: nothing shown).
    lead_in_s : float
        Preparation time before the first hold, seconds.
    """

    def __init__(self, protocol: Protocol, *, name: str = "fpcds-Guide", source_id: str | None = None,
                 display: Callable[[GuideEvent], Any] | None = None, lead_in_s: float = 3.0) -> None:
        import pylsl

        self.protocol = protocol
        self.source_id = source_id or f"fpcds-guide-{uuid.uuid4().hex[:12]}"
        self.name = name
        self.outlet = pylsl.StreamOutlet(marker_stream_info(name=name, source_id=self.source_id))
        self.display = display or (lambda event: None)
        self.lead_in_s = float(lead_in_s)
        self.pushed: list[tuple[float, str]] = []

    def _push(self, label: str) -> None:
        import pylsl

        stamp = pylsl.local_clock()
        self.outlet.push_sample([label], stamp)
        self.pushed.append((stamp, label))

    def run(self, *, stop: threading.Event | None = None) -> bool:
        """Guide through the whole protocol; returns False if ``stop`` ended it early."""
        stop = stop or threading.Event()
        schedule = self.protocol.schedule(start_s=0.0)
        steps = len(schedule)
        self._push(protocol_marker("start", self.protocol.name))
        for step, (name, rep, start, end) in enumerate(schedule, 1):
            task = self.protocol.task(name)
            # the lead-in, then each rest, is the time to read the next instruction
            prepare = self.lead_in_s if step == 1 else self.protocol.rest_s
            self._push(task_marker(name, "cue", rep))
            self.display(GuideEvent("prepare", task, rep, step, steps, prepare))
            if stop.wait(prepare):
                return self._abort()
            self._push(task_marker(name, "start", rep))
            self.display(GuideEvent("hold", task, rep, step, steps, end - start))
            if stop.wait(end - start):
                self._push(task_marker(name, "abort", rep))
                return self._abort()
            self._push(task_marker(name, "end", rep))
        last = self.protocol.task(schedule[-1][0]) if schedule else None
        self.display(GuideEvent("rest", last, schedule[-1][1] if schedule else 0, steps, steps, self.protocol.rest_s))
        if stop.wait(self.protocol.rest_s):
            return self._abort()
        self._push(protocol_marker("end", self.protocol.name))
        self.display(GuideEvent("done", None, 0, steps, steps, 0.0))
        return True

    def _abort(self) -> bool:
        self._push(protocol_marker("abort", self.protocol.name))
        self.display(GuideEvent("aborted", None, 0, 0, 0, 0.0))
        return False

    def close(self) -> None:
        """Destroy the marker outlet."""
        self.outlet = None
