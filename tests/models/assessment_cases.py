"""Assessments of simulated sessions for the care-plan and FHIR mapping tests.

The session, its features and the rule-based scores are real (simulator ->
feature code); the model outputs are set by the test, so that each rule and
each mapping branch can be reached on purpose (the conformance tests use the
real predictor instead). Model references carry hashes of their names.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from acquisition.native import content_hash
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from models.assessment import Assessment, AssessmentWarning, GradeOutput, IntervalOutput, ModelRef, ProbabilityOutput
from models.card import STATEMENT
from models.features import FeatureTable, extract_features
from models.heads import HB_GRADES

#: A short protocol: one repetition of 2-s tasks, EMG at 1 kHz.
FAST = SimulationOptions(repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)
INFERRED_AT = "2026-03-02T09:27:10+00:00"
MODEL_IDS = ("hb_grade", "sunnybrook", "lesion", "synkinesis", "recovery_6mo", "weeks_to_recovery")
CONDITIONAL = "conditional on a facial palsy (lesion peripheral or central)"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@lru_cache(maxsize=32)
def simulated_table(condition: str = "bell", *, seed: int = 3, modalities: tuple[str, ...] = ("emg", "motion"),
                    onset_severity: float = 0.6, days_since_onset: float | None = 2.0, age: float = 45.0,
                    synkinesis: float | None = None) -> FeatureTable:
    """The FeatureTable of one simulated session (cached per arguments)."""
    patient = make_patient(condition=condition, onset_severity=onset_severity, days_since_onset=days_since_onset,
                           age=age, synkinesis=synkinesis, seed=seed)
    session = simulate_session(patient, seed=seed, options=FAST)
    if tuple(modalities) != ("emg", "motion"):
        session = session.select(modalities=list(modalities))
    return extract_features(session, session_id=content_hash(session))


def grade_distribution(grade: str, *, p: float = 0.7) -> dict[str, float]:
    """Probability ``p`` on ``grade``, the rest spread evenly."""
    rest = (1.0 - p) / (len(HB_GRADES) - 1)
    return {g: (p if g == grade else rest) for g in HB_GRADES}


def make_assessment(
    table: FeatureTable,
    *,
    grade: str = "III",
    grade_p: float = 0.7,
    central: float = 0.1,
    synkinesis: float = 0.2,
    recovery: float = 0.7,
    weeks: tuple[float, float, float] = (4.0, 9.0, 20.0),
    sunnybrook: tuple[float, float, float] = (40.0, 50.0, 60.0),
    modalities: tuple[str, ...] | None = None,
    set_version: str = "0.1.0",
    inferred_at: str = INFERRED_AT,
) -> Assessment:
    """An Assessment with the table's rule-based scores and the given model outputs."""
    probs = grade_distribution(grade, p=grade_p)
    if modalities is None:
        modalities = tuple(m for m in ("emg", "motion") if table.available(modality=m))
    outputs: dict[str, Any] = {
        "hb_grade": GradeOutput("hb_grade", probs, sum((i + 1) * probs[g] for i, g in enumerate(HB_GRADES)),
                                max(probs, key=probs.get), tuple(0.0 for _ in HB_GRADES)),
        "sunnybrook": IntervalOutput("sunnybrook", sunnybrook[1], sunnybrook[0], sunnybrook[2], 0.8, "mean",
                                     "points", None, sunnybrook),
        "lesion": ProbabilityOutput("lesion", "central", central, {"peripheral": 1 - central, "central": central},
                                    CONDITIONAL, (0.0,)),
        "synkinesis": ProbabilityOutput("synkinesis", "present", synkinesis,
                                        {"absent": 1 - synkinesis, "present": synkinesis}, None, (0.0,)),
        "recovery_6mo": ProbabilityOutput("recovery_6mo", "recovered", recovery,
                                          {"not recovered": 1 - recovery, "recovered": recovery}, CONDITIONAL, (0.0,)),
        "weeks_to_recovery": IntervalOutput("weeks_to_recovery", weeks[1], weeks[0], weeks[2], 0.8, "median", "wk",
                                            CONDITIONAL, weeks),
    }
    warnings = []
    for modality, words in (("emg", "sEMG"), ("motion", "facial motion")):
        if modality not in modalities:
            warnings.append(AssessmentWarning(f"evidence.no_{modality}", f"The session has no {words}."))
    if probs["I"] >= 0.5:
        warnings.append(AssessmentWarning("outputs.healthy_looking", "The face looks healthy: the lesion-type and "
                                          "prognosis outputs are conditional on a facial palsy."))
    refs = tuple(ModelRef(m, set_version, _sha(f"onnx {m} {set_version}"), _sha("training data"), "git:test")
                 for m in MODEL_IDS)
    return Assessment(
        session_sha256=table.session_id, modalities=tuple(modalities), affected_side=table.affected_side,
        affected_side_source=table.affected_side_source,
        features_available={m: len(table.available(modality=m)) for m in ("clinical", "emg", "motion")},
        rule_based=None if table.scores is None else table.scores.to_dict(), outputs=outputs,
        model_set={"set_version": set_version, "manifest_sha256": _sha(f"manifest {set_version}"),
                   "statement": STATEMENT},
        models=refs, warnings=tuple(warnings), inferred_at=inferred_at,
        software={"fpcds": "0.1.0", "onnxruntime": "1.20.0"},
    )
