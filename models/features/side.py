"""Which side is affected: from the subject record, else the weaker side by the measures.

Evidence is every voluntary movement with a clear response: the primary
landmark excursion of each active task (at least 1 mm on one side) and the
activation above rest of each task's target muscles (sEMG RMS / rest - 1,
at least 0.5 on one side). Each gives ``log(left / right)``; their median
decides (negative: the left side moves less). Healthy faces differ by about
7 % between sides (shared/docs/clinical.md), so a median ratio within 10 %
of 1 is reported as "no clear asymmetry".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from acquisition.anatomy import Side, other_side
from acquisition.protocol import STANDARD_PROTOCOL
from acquisition.session import Subject

from .measures import Measures
from .names import ACTIVE_TASKS, TASK_PRIMARY
from .record import Recorder

#: Ratios within this factor of 1 are not a clear asymmetry.
CLEAR_RATIO = 1.10
#: Ratios beyond this factor contradict a recorded side.
CONTRADICT_RATIO = 1.25
MIN_MOVEMENT_MM = 1.0
MIN_ACTIVATION = 0.5


@dataclass(frozen=True)
class SideDecision:
    """The affected side and how it was decided.

    Attributes
    ----------
    side : {'left', 'right'}
    source : {'subject', 'inferred', 'unknown'}
    log_ratio : float
        Median ``log(left / right)`` of the evidence (NaN without evidence).
    n_evidence : int
    """

    side: Side
    source: str
    log_ratio: float
    n_evidence: int


def side_evidence(measures: Measures) -> list[tuple[str, float, float]]:
    """The (measure key, left, right) pairs that carry side evidence."""
    out = []
    for task in ACTIVE_TASKS:
        key = f"motion.{TASK_PRIMARY[task]}.excursion.{task}"
        left, right = abs(measures.get(key, "left")), abs(measures.get(key, "right"))
        if math.isfinite(left) and math.isfinite(right) and max(left, right) >= MIN_MOVEMENT_MM:
            out.append((key, left, right))
        for muscle in STANDARD_PROTOCOL.task(task).target_muscles:
            key = f"emg.{muscle}.rms_rest_norm.{task}"
            left, right = measures.get(key, "left") - 1, measures.get(key, "right") - 1
            if math.isfinite(left) and math.isfinite(right) and max(left, right) >= MIN_ACTIVATION:
                out.append((key, max(left, 0.0), max(right, 0.0)))
    return out


def decide_side(subject: Subject, measures: Measures, *, recorder: Recorder) -> SideDecision:
    """Decide the affected side and record how.

    Parameters
    ----------
    subject : Subject
        ``affected_side`` wins when given.
    measures : Measures
    recorder : Recorder

    Returns
    -------
    SideDecision
    """
    evidence = side_evidence(measures)
    eps = 1e-3
    logs = [math.log((left + eps) / (right + eps)) for _, left, right in evidence]
    log_ratio = float(np.median(logs)) if logs else math.nan
    weaker: Side | None = None
    if logs:
        weaker = "left" if log_ratio < 0 else "right"
    ratio_text = f"median left/right movement ratio {math.exp(log_ratio):.2f} over {len(logs)} measures" if logs else ""
    if subject.affected_side is not None:
        side: Side = subject.affected_side  # type: ignore[assignment]
        recorder.step(f"The affected side ({side}) was taken from the subject record.",
                      **{"side.affected": side, "side.source": "subject"})
        if weaker is not None and weaker != side and abs(log_ratio) > math.log(CONTRADICT_RATIO):
            recorder.warn("side.contradiction", f"the subject record gives the {side} side as affected, but the "
                          f"{weaker} side moves less ({ratio_text})")
        return SideDecision(side, "subject", log_ratio, len(logs))
    if weaker is None:
        recorder.warn("side.unknown", "the affected side is not recorded and there is no movement to infer it "
                      "from: 'affected' features describe the left side")
        recorder.param(**{"side.affected": "left", "side.source": "unknown"})
        return SideDecision("left", "unknown", log_ratio, 0)
    recorder.step(f"The affected side was not recorded; it was inferred as the {weaker} side, which moves less "
                  f"({ratio_text}).", **{"side.affected": weaker, "side.source": "inferred",
                                         "side.log_ratio": log_ratio})
    if abs(log_ratio) < math.log(CLEAR_RATIO):
        recorder.warn("side.unclear", f"no clear asymmetry ({ratio_text}): the {weaker} side was called affected, "
                      f"and the {other_side(weaker)} side healthy, only by a small margin")
    return SideDecision(weaker, "inferred", log_ratio, len(logs))
