"""Prediction: Session or FeatureTable -> Assessment, with the verified model set.

:func:`assess` extracts the features and calls :func:`assess_table`, which
runs every head in onnxruntime on the feature vector its card names, and
collects the warnings a reader needs: data-quality findings of the feature
code, a missing modality (reduced confidence), an unknown affected side, and
a healthy-looking face (conditional outputs).
"""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import numpy as np

from acquisition.session import Session

from .assessment import Assessment, AssessmentWarning, GradeOutput, IntervalOutput, ModelRef, ProbabilityOutput
from .card import STATEMENT
from .errors import ModelError
from .heads import HB_GRADES, Head
from .registry import LoadedModel, ModelSet, load_models

#: P(House-Brackmann I) from which a session is called healthy-looking.
HEALTHY_LOOKING = 0.5
MODALITY_WORDS = {"emg": "sEMG", "motion": "facial motion"}


def assess(
    session: Session,
    *,
    models: ModelSet | None = None,
    session_sha256: str | None = None,
    powerline: float | str | None = "auto",
) -> Assessment:
    """Assess one session.

    Parameters
    ----------
    session : Session
    models : ModelSet, optional
        Verified models (default: the shipped set, :func:`models.registry.load_models`).
    session_sha256 : str, optional
        The session's content hash (computed when not given).
    powerline : float, 'auto' or None
        Powerline frequency to notch, Hz (see :func:`models.features.extract_features`).

    Returns
    -------
    Assessment
    """
    from acquisition.native import content_hash
    from models.features import extract_features

    digest = session_sha256 or content_hash(session)
    table = extract_features(session, powerline=powerline, session_id=digest)
    return assess_table(table, models=models, modalities=session.modalities)


def _output(model: LoadedModel, raw: np.ndarray, out: np.ndarray) -> GradeOutput | IntervalOutput | ProbabilityOutput:
    head: Head = model.head
    raw_t = tuple(float(v) for v in raw)
    conditional = head.conditional or None
    if head.kind == "multiclass":
        probs = {g: float(p) for g, p in zip(HB_GRADES, out)}
        return GradeOutput(model.id, probs, float(np.dot(np.arange(1, len(out) + 1), out)),
                           HB_GRADES[int(np.argmax(out))], raw_t)
    if head.kind == "binary":
        p = float(out[0])
        return ProbabilityOutput(model.id, head.classes[1], p, {head.classes[0]: 1.0 - p, head.classes[1]: p},
                                 conditional, raw_t)
    cal = model.card.calibration
    return IntervalOutput(model.id, float(out[1]), float(out[0]), float(out[2]), float(cal["coverage"]),
                          "median" if head.point_objective == "median" else "mean", head.unit, conditional, raw_t)


def _warnings(table: Any, modalities: tuple[str, ...], outputs: dict[str, Any]) -> list[AssessmentWarning]:
    out = [AssessmentWarning(f"features.{w.code}", w.message) for w in table.warnings]
    present = set(modalities)
    for modality in ("emg", "motion"):
        if modality not in present:
            other = " and ".join(MODALITY_WORDS[m] for m in sorted(present)) or "clinical facts"
            out.append(AssessmentWarning(
                f"evidence.no_{modality}",
                f"The session has no {MODALITY_WORDS[modality]}: the outputs rest on {other} and clinical facts "
                "only; the models were trained for this (modality dropout), so their probabilities are less "
                "certain and their intervals wider than with both modalities."))
    if table.affected_side_source == "unknown":
        out.append(AssessmentWarning("evidence.side_unknown",
                                     "The affected side could not be determined; side-specific features describe "
                                     "the left side as 'affected'."))
    grade = outputs.get("hb_grade")
    if isinstance(grade, GradeOutput) and grade.probabilities["I"] >= HEALTHY_LOOKING:
        out.append(AssessmentWarning(
            "outputs.healthy_looking",
            f"The face looks healthy (P(House-Brackmann I) = {grade.probabilities['I']:.2f}): the lesion-type and "
            "prognosis outputs are conditional on a facial palsy and have no clinical meaning for a healthy face."))
    return out


def assess_table(table: Any, *, models: ModelSet | None = None, modalities: tuple[str, ...]) -> Assessment:
    """Assess one session from its FeatureTable.

    Parameters
    ----------
    table : FeatureTable
    models : ModelSet, optional
        Default: the shipped set.
    modalities : tuple of str
        The signal streams of the session ('emg', 'motion').

    Returns
    -------
    Assessment
    """
    if not modalities or set(modalities) - {"emg", "motion"}:
        raise ModelError(f"modalities {modalities!r}: expected a non-empty subset of ('emg', 'motion')")
    models = models if models is not None else load_models()
    outputs: dict[str, Any] = {}
    inputs: dict[str, np.ndarray] = {}
    refs = []
    for model_id, model in models.models.items():
        x = table.vector(model.feature_names)
        raw, out = model.predict(x[None, :])
        outputs[model_id] = _output(model, raw[0], out[0])
        inputs[model_id] = x
        refs.append(ModelRef(model_id, model.card.version, model.sha256,
                             str(model.card.training.get("data_sha256", "")), model.card.code_version))
    counts = {m: len(table.available(modality=m)) for m in ("clinical", "emg", "motion")}
    ordered = tuple(m for m in ("emg", "motion") if m in modalities)
    return Assessment(
        session_sha256=table.session_id, modalities=ordered, affected_side=table.affected_side,
        affected_side_source=table.affected_side_source, features_available=counts,
        rule_based=None if table.scores is None else table.scores.to_dict(), outputs=outputs,
        model_set={"set_version": models.version, "manifest_sha256": models.manifest_sha256, "statement": STATEMENT},
        models=tuple(refs), warnings=tuple(_warnings(table, ordered, outputs)),
        inferred_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        software={"fpcds": _version("fpcds"), "onnxruntime": _version("onnxruntime")}, inputs=inputs,
    )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"
