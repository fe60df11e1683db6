"""Assemble the full FeatureTable of a session: clinical facts, sEMG, motion, side, scores."""

from __future__ import annotations

from acquisition.session import Session

from . import emg as E
from .emg_measures import emg_measures
from .measures import Measures, orient
from .motion_measures import motion_measures
from .names import feature_names, feature_specs, recipes
from .record import Recorder
from .scores import score_all
from .side import decide_side
from .table import FeatureTable


def clinical_measures(session: Session) -> Measures:
    """Clinical facts of ``session.subject`` as single measures (missing facts left out)."""
    s = session.subject
    out = Measures()
    out.put_single("clinical.age", s.age)
    out.put_single("clinical.days_since_onset", s.days_since_onset)
    out.put_single("clinical.fdi_physical", s.fdi_physical)
    out.put_single("clinical.fdi_social", s.fdi_social)
    out.put_single("clinical.sex_female", {"female": 1.0, "male": 0.0}.get(s.sex or ""))
    return out


def extract_features(
    session: Session,
    *,
    powerline: float | str | None = "auto",
    band: tuple[float, float] = E.DEFAULT_BAND,
    session_id: str | None = None,
    with_scores: bool = True,
) -> FeatureTable:
    """Every feature of the catalogue for one session.

    A session with only EMG or only motion yields every feature it can; the
    rest are NaN, and the names are always :func:`feature_names`.

    Parameters
    ----------
    session : Session
    powerline : float, 'auto' or None
        Powerline frequency to notch, Hz ('auto': detect 50/60 Hz; None: no notch).
    band : (float, float)
        sEMG band-pass edges, Hz.
    session_id : str, optional
        Content hash of the session, kept in the table for provenance.
    with_scores : bool
        Also grade (Sunnybrook, eFACE, House-Brackmann).

    Returns
    -------
    FeatureTable
    """
    recorder = Recorder()
    for issue in session.quality:
        recorder.warn(f"session.{issue.code}", f"session quality ({issue.severity}): {issue.message}")
    measures = clinical_measures(session)
    if session.emg is not None:
        measures.update(emg_measures(session, recorder=recorder, powerline=powerline, band=band))
    else:
        recorder.warn("emg.absent", "the session has no sEMG: sEMG features are unavailable")
    if session.motion is not None:
        measures.update(motion_measures(session, recorder=recorder))
    else:
        recorder.warn("motion.absent", "the session has no facial motion: motion features are unavailable")
    decision = decide_side(session.subject, measures, recorder=recorder)
    names = feature_names()
    values = orient(measures, recipes(), names, affected=decision.side)
    scores = None
    if with_scores:
        scores = score_all(dict(zip(names, values.tolist())))
        recorder.step("Rule-based grades (Sunnybrook, eFACE, House-Brackmann measured form) were computed from "
                      "the measures with the documented thresholds of " + scores.rules_version + ".")
    return FeatureTable(feature_specs(), values, decision.side, decision.source, recorder.finish(), scores,
                        session_id)
