"""Simulated patients: latent nerve function, condition, phase, synkinesis, outcomes and labels.

Every number that shapes a cohort is a named constant below with its source
(shared/docs/clinical.md unless said otherwise). The latent state of a
patient is *nerve function* per facial-nerve branch and side, in [0, 1]
(1 = normal); signals and labels are both derived from it, so the labels are
consistent with what the session shows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..anatomy import BRANCHES, SIDES

CONDITIONS = ("healthy", "bell", "ramsay_hunt", "trauma", "central")
LESION_OF = {"healthy": "healthy", "bell": "peripheral", "ramsay_hunt": "peripheral", "trauma": "peripheral",
             "central": "central"}
#: Cohort mix. Bell's palsy dominates peripheral palsy; central palsy and
#: healthy controls are included so that every lesion type is represented.
CONDITION_WEIGHTS = {"healthy": 0.18, "bell": 0.50, "ramsay_hunt": 0.08, "trauma": 0.07, "central": 0.17}

#: Central (supranuclear) palsy spares the forehead; the mouth-corner lift on
#: the affected side retains ~67% (clinical.md, "Effect sizes").
CENTRAL_LOWER_FACE_RETAINED = 0.67
#: Affected-side onset delay in central palsy: healthy vs affected movement
#: sequence difference > 0.2 s in dynamic smiling (clinical.md).
CENTRAL_DELAY_S = (0.2, 0.4)
#: Recovery-time model. Recovery time is set by the degree of axonal
#: degeneration D (0 = conduction block only, 1 = complete degeneration; ENoG
#: degeneration > ~75-90% predicts incomplete recovery, clinical.md): weeks from
#: onset to complete recovery are log-normal with median 2 + 30 * D**2, so that
#: ~94% of incomplete and ~61-66% of complete palsies recover within 26 weeks
#: (Peitersen 2002); slower with age > 60, Ramsay Hunt syndrome and trauma.
RECOVERY_MEDIAN_WEEKS = (2.0, 30.0)
RECOVERY_LOG_SD = 0.1
RECOVERY_FACTOR = {"age_over_60": 1.25, "ramsay_hunt": 1.4, "trauma": 1.3, "central": 1.2}
#: Peitersen's cohort: 71% overall = 94% incomplete x (1 - c) + 61% complete x c
#: gives c ~ 0.7 complete palsies at onset among peripheral palsies.
COMPLETE_PALSY_FRACTION = 0.65
#: Recovery starts after a latency: "85% show first recovery within 3 weeks".
FIRST_RECOVERY_WEEKS = 3.0
#: Synkinesis after aberrant regeneration: 28-32% of patients (clinical.md);
#: it needs time (first signs ~2-3 months) and is likelier after severe palsy.
SYNKINESIS_MIN_DAYS = 45.0
#: Healthy faces are not symmetric: robust spread of ln(left/right) sEMG
#: amplitude in the real Fridlund reference (median |ln(L/R)| = 0.168 over 57
#: muscle x emotion pairs -> sigma = 0.168 / 0.6745 = 0.25).
HEALTHY_LOG_LR_SD = 0.25
#: Healthy bilateral movement difference ~7% (clinical.md, MSD).
HEALTHY_MOTION_ASYM = 0.07
#: Patient-reported outcome: FDI social +0.8 points per 10% symmetry gain
#: (seed literature, clinical.md); physical function tracks severity more
#: strongly (assumption, stated in the model card).
FDI_SOCIAL_PER_10PCT = 0.8
FDI_PHYSICAL_SLOPE = 55.0


@dataclass(frozen=True)
class Patient:
    """Latent truth of one simulated patient.

    Attributes
    ----------
    patient_id : str
    condition : str
        One of :data:`CONDITIONS`.
    affected_side : {'left', 'right', 'none'}
    age : float
        Years.
    sex : {'female', 'male'}
    days_since_onset : float or None
        Days from palsy onset to the session (None for healthy subjects).
    onset_severity : float
        Loss of function at onset, 0 (none) to 1 (complete).
    severity : float
        Loss of function at the session (after any recovery so far).
    function : dict
        ``{side: {branch: f}}`` with f in [0, 1] at the session.
    synkinesis : float
        Strength of synkinesis, 0 (none) to 1.
    central_delay_s : float
        Affected-side onset delay of lower-face movement (central palsy), s.
    degeneration : float
        Fraction of axons degenerated (0-1); sets recovery time and the sEMG
        spectral changes.
    weeks_to_recovery : float
        Weeks from onset to complete recovery (0 for healthy subjects).
    side_gain : dict
        ``{side: {muscle-group: gain}}`` healthy asymmetry of sEMG amplitude.
    motion_gain : dict
        ``{side: gain}`` healthy asymmetry of movement amplitude.
    fdi_physical, fdi_social : float
        Facial Disability Index sub-scores (0-100, 100 = no disability).
    """

    patient_id: str
    condition: str
    affected_side: str
    age: float
    sex: str
    days_since_onset: float | None
    onset_severity: float
    severity: float
    function: dict[str, dict[str, float]]
    synkinesis: float
    central_delay_s: float
    degeneration: float
    weeks_to_recovery: float
    side_gain: dict[str, float]
    motion_gain: dict[str, float]
    fdi_physical: float
    fdi_social: float
    seed: int = 0
    labels: dict = field(default_factory=dict)

    @property
    def lesion(self) -> str:
        return LESION_OF[self.condition]

    def as_dict(self) -> dict:
        return asdict(self)


def degeneration_fraction(rng: np.random.Generator, s0: float) -> float:
    """Axonal degeneration for onset severity ``s0``: at most s0, widely spread in complete palsy."""
    return float(np.clip(s0 * rng.uniform(0.5, 1.15), 0.0, 1.0))


def recovery_weeks(rng: np.random.Generator, condition: str, degeneration: float, age: float) -> float:
    """Weeks from onset to complete recovery."""
    median = RECOVERY_MEDIAN_WEEKS[0] + RECOVERY_MEDIAN_WEEKS[1] * degeneration**2
    if age > 60:
        median *= RECOVERY_FACTOR["age_over_60"]
    median *= RECOVERY_FACTOR.get(condition, 1.0)
    return float(median * math.exp(RECOVERY_LOG_SD * rng.standard_normal()))


def current_severity(s0: float, weeks_since_onset: float, weeks_to_recovery: float) -> float:
    """Loss of function at a time after onset: flat until first recovery, then linear to 0."""
    latency = min(FIRST_RECOVERY_WEEKS, 0.3 * weeks_to_recovery)
    if weeks_since_onset <= latency:
        return s0
    progress = (weeks_since_onset - latency) / max(weeks_to_recovery - latency, 1e-6)
    return float(s0 * max(0.0, 1.0 - progress))


def make_patient(
    *,
    patient_id: str = "P0001",
    condition: str = "bell",
    affected_side: str = "left",
    onset_severity: float = 0.6,
    days_since_onset: float | None = 14.0,
    synkinesis: float | None = None,
    age: float = 45.0,
    sex: str = "female",
    seed: int = 0,
) -> Patient:
    """Build one patient from explicit facts (remaining randomness from ``seed``).

    Parameters
    ----------
    condition : str
        One of :data:`CONDITIONS`.
    affected_side : {'left', 'right', 'none'}
    onset_severity : float
        Loss of function at onset, 0-1.
    days_since_onset : float or None
    synkinesis : float, optional
        Force a synkinesis strength (0-1); drawn from the priors when None.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition {condition!r} is not one of {CONDITIONS}")
    rng = np.random.default_rng([seed, 7])
    recovery_rng = np.random.default_rng([seed, 8])
    healthy = condition == "healthy"
    if healthy:
        affected_side, onset_severity, days_since_onset = "none", 0.0, None
    elif affected_side not in SIDES:
        raise ValueError(f"affected_side {affected_side!r} must be 'left' or 'right' for {condition}")
    if not 0.0 <= onset_severity <= 1.0:
        raise ValueError(f"onset_severity {onset_severity!r} is outside [0, 1]")
    degeneration = 0.0 if healthy else degeneration_fraction(recovery_rng, onset_severity)
    weeks = 0.0 if healthy else recovery_weeks(recovery_rng, condition, degeneration, age)
    days = 0.0 if days_since_onset is None else float(days_since_onset)
    severity = 0.0 if healthy else current_severity(onset_severity, days / 7.0, weeks)
    if synkinesis is None:
        synkinesis = 0.0
        if condition in ("bell", "ramsay_hunt", "trauma") and days >= SYNKINESIS_MIN_DAYS:
            # aberrant regeneration follows severe degeneration
            p = 0.1 + 0.85 * degeneration**2
            if rng.random() < p:
                synkinesis = float(np.clip(0.35 + 0.65 * degeneration * rng.uniform(0.6, 1.0), 0, 1))
    function: dict[str, dict[str, float]] = {}
    for side in SIDES:
        branch_f = {}
        for branch in BRANCHES:
            jitter = float(rng.uniform(-0.05, 0.05))
            if side != affected_side:
                branch_f[branch] = 1.0
            elif condition == "central":
                spared = branch == "temporal"
                # the mean central severity (0.65) retains CENTRAL_LOWER_FACE_RETAINED of lower-face movement
                loss = severity * (0.1 if spared else (1 - CENTRAL_LOWER_FACE_RETAINED) / 0.65)
                branch_f[branch] = float(np.clip(1.0 - loss + jitter * severity, 0.0, 1.0))
            else:
                branch_f[branch] = float(np.clip(1.0 - severity + jitter * severity, 0.0, 1.0))
        function[side] = branch_f
    side_gain = {side: float(math.exp(HEALTHY_LOG_LR_SD / math.sqrt(2) * rng.standard_normal())) for side in SIDES}
    motion_gain = {side: float(1 + HEALTHY_MOTION_ASYM / 1.6 * rng.standard_normal()) for side in SIDES}
    delay = float(rng.uniform(*CENTRAL_DELAY_S)) if condition == "central" else 0.0
    asym_pct = 100.0 * severity
    fdi_physical = float(np.clip(100 - FDI_PHYSICAL_SLOPE * severity - 10 * synkinesis + rng.normal(0, 6), 0, 100))
    fdi_social = float(np.clip(96 - FDI_SOCIAL_PER_10PCT * asym_pct / 10 * 4 - 15 * synkinesis + rng.normal(0, 6),
                               0, 100))
    patient = Patient(
        patient_id=patient_id, condition=condition, affected_side=affected_side, age=float(age), sex=sex,
        days_since_onset=None if healthy else days, onset_severity=float(onset_severity), severity=severity,
        function=function, synkinesis=float(synkinesis), central_delay_s=delay, degeneration=degeneration,
        weeks_to_recovery=weeks,
        side_gain=side_gain, motion_gain=motion_gain, fdi_physical=fdi_physical, fdi_social=fdi_social, seed=seed,
    )
    from .grading import grade_labels

    return _with_labels(patient, grade_labels(patient))


def _with_labels(patient: Patient, labels: dict) -> Patient:
    object.__setattr__(patient, "labels", labels)
    return patient


def sample_patient(rng: np.random.Generator, *, patient_id: str, seed: int) -> Patient:
    """Draw one patient from the cohort priors."""
    conditions = list(CONDITION_WEIGHTS)
    condition = conditions[int(rng.choice(len(conditions), p=list(CONDITION_WEIGHTS.values())))]
    age = float(np.clip(rng.normal(48, 17), 18, 90))
    sex = "female" if rng.random() < 0.5 else "male"
    side = "left" if rng.random() < 0.5 else "right"
    if condition == "healthy":
        return make_patient(patient_id=patient_id, condition="healthy", age=age, sex=sex, seed=seed)
    if condition == "central":
        s0 = float(rng.uniform(0.3, 1.0))
        days = float(rng.uniform(0.5, 30))
    else:
        complete = rng.random() < COMPLETE_PALSY_FRACTION
        s0 = float(rng.uniform(0.93, 1.0)) if complete else float(rng.uniform(0.15, 0.9))
        # patients are assessed while still symptomatic: before ~85% of their recovery time
        recovery_rng = np.random.default_rng([seed, 8])
        weeks = recovery_weeks(recovery_rng, condition, degeneration_fraction(recovery_rng, s0), age)
        days = float(rng.uniform(1, max(2.0, min(150.0, 0.85 * 7 * weeks))))
    return make_patient(patient_id=patient_id, condition=condition, affected_side=side, onset_severity=s0,
                        days_since_onset=days, age=age, sex=sex, seed=seed)
