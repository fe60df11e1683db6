"""The standard facial-palsy examination protocol, as data.

Ten tasks, each held about 3 s and repeated 3 times (shared/docs/clinical.md,
"Standard protocol"): a superset of the five Sunnybrook expressions and of the
eFACE items. Each task carries the instruction a patient is shown, the
muscles it is meant to activate (its *target* muscles, used to tell voluntary
activity from synkinesis) and the grading items it feeds.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One task of the protocol.

    Attributes
    ----------
    name : str
        Stable identifier used in segments, markers and feature names.
    title : str
        Short human title.
    instruction : str
        The text shown to the patient.
    target_muscles : tuple of str
        Muscles (anatomy.MUSCLES) the task voluntarily activates.
    sunnybrook_item : str or None
        The Sunnybrook voluntary-movement expression this task scores, if any.
    """

    name: str
    title: str
    instruction: str
    target_muscles: tuple[str, ...]
    sunnybrook_item: str | None = None


@dataclass(frozen=True)
class Protocol:
    """An ordered list of tasks with their timing.

    Attributes
    ----------
    name : str
    tasks : tuple of Task
    hold_s : float
        How long each repetition is held, in seconds.
    rest_s : float
        Relaxation between repetitions, in seconds.
    repetitions : int
    """

    name: str
    tasks: tuple[Task, ...]
    hold_s: float = 3.0
    rest_s: float = 2.0
    repetitions: int = 3

    def task(self, name: str) -> Task:
        """Return the task called ``name``."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(f"protocol {self.name!r} has no task {name!r}; tasks: {self.task_names}")

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tasks)

    def schedule(self, *, start_s: float = 0.0) -> list[tuple[str, int, float, float]]:
        """Lay the protocol out on a clock.

        Parameters
        ----------
        start_s : float
            Time of the first task onset, in seconds.

        Returns
        -------
        list of (task, repetition, start_s, end_s)
            Repetitions are numbered from 1; times in seconds.
        """
        rows = []
        t = start_s
        for task in self.tasks:
            for rep in range(1, self.repetitions + 1):
                rows.append((task.name, rep, t, t + self.hold_s))
                t += self.hold_s + self.rest_s
        return rows

    @property
    def duration_s(self) -> float:
        """Total duration of the schedule (last rest included), in seconds."""
        return len(self.tasks) * self.repetitions * (self.hold_s + self.rest_s)


STANDARD_PROTOCOL = Protocol(
    name="fpcds-standard-v1",
    tasks=(
        Task("rest", "Rest", "Relax your face completely and look straight ahead.", ()),
        Task(
            "brow_raise",
            "Brow raise",
            "Raise your eyebrows as high as you can, as if surprised.",
            ("frontalis_medial", "frontalis_lateral"),
            "brow_lift",
        ),
        Task(
            "gentle_eye_closure",
            "Gentle eye closure",
            "Close your eyes gently, as if falling asleep.",
            ("orbicularis_oculi",),
            "gentle_eye_closure",
        ),
        Task(
            "tight_eye_closure",
            "Tight eye closure",
            "Squeeze your eyes shut as tightly as you can.",
            ("orbicularis_oculi", "corrugator", "depressor_supercilii"),
        ),
        Task(
            "snarl",
            "Nose wrinkle",
            "Wrinkle your nose and lift your upper lip, as if smelling something bad.",
            ("levator_labii", "corrugator"),
            "snarl",
        ),
        Task(
            "smile_closed",
            "Closed-mouth smile",
            "Smile with your lips closed.",
            ("zygomaticus",),
        ),
        Task(
            "smile_open",
            "Big smile",
            "Give a big smile showing your teeth.",
            ("zygomaticus", "levator_labii"),
            "open_mouth_smile",
        ),
        Task(
            "pucker",
            "Lip pucker",
            "Pucker your lips as if saying 'ooo' or about to whistle.",
            ("orbicularis_oris",),
            "lip_pucker",
        ),
        Task(
            "eee",
            "Say 'eee'",
            "Say a long 'eee', pulling your lower lip down and back.",
            ("depressor_anguli_oris", "mentalis"),
        ),
        Task(
            "cheek_puff",
            "Cheek puff",
            "Fill your cheeks with air and keep your lips sealed.",
            ("orbicularis_oris",),
        ),
    ),
)


def get_protocol(name: str = STANDARD_PROTOCOL.name) -> Protocol:
    """Return a known protocol by name."""
    if name == STANDARD_PROTOCOL.name:
        return STANDARD_PROTOCOL
    raise KeyError(f"unknown protocol {name!r}; known: {[STANDARD_PROTOCOL.name]}")
