"""Ground truth from the physiological simulator (acquisition.simulate).

A small cohort with known labels: the affected side comes out right, the
measured severity follows the simulated one, the rule-based grades track the
simulated House-Brackmann and Sunnybrook (rank correlation), and central
palsy shows its left-right movement delay.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import spearmanr

simulate = pytest.importorskip("acquisition.simulate")
from models.features import extract_features  # noqa: E402

#: (condition, side, onset severity, days since onset, synkinesis)
COHORT = [
    ("healthy", "none", 0.0, None, None),
    ("bell", "left", 0.2, 10, 0.0),
    ("bell", "right", 0.4, 10, 0.0),
    ("bell", "left", 0.6, 10, 0.0),
    ("bell", "right", 0.8, 10, 0.0),
    ("bell", "left", 1.0, 10, 0.0),
    ("trauma", "right", 0.6, 60, 0.8),
    ("central", "left", 0.7, 5, 0.0),
    ("central", "right", 0.5, 5, 0.0),
]


@pytest.fixture(scope="module")
def cohort():
    out = []
    for i, (condition, side, severity, days, synk) in enumerate(COHORT):
        patient = simulate.make_patient(patient_id=f"T{i}", condition=condition, affected_side=side,
                                        onset_severity=severity, days_since_onset=days, synkinesis=synk,
                                        seed=100 + i)
        session = simulate.simulate_session(patient, seed=200 + i)
        out.append((patient, extract_features(session)))
    return out


def test_affected_side_is_found_for_every_palsy(cohort):
    for patient, table in cohort:
        if patient.condition == "healthy":
            continue
        assert table.affected_side_source == "inferred"
        assert table.affected_side == patient.affected_side, patient.patient_id


def test_measured_weakness_orders_like_the_simulated_severity(cohort):
    peripheral = [(p.severity, t) for p, t in cohort if p.condition in ("healthy", "bell")]
    severity = [s for s, _ in peripheral]
    smile = [t["motion.commissure_displacement.excursion_ratio.smile_open"] for _, t in peripheral]
    emg = [t["emg.zygomaticus.rms_ratio.smile_open"] for _, t in peripheral]
    assert spearmanr(severity, smile).statistic < -0.9
    assert spearmanr(severity, emg).statistic < -0.9


def test_rule_based_grades_track_the_simulated_grades(cohort):
    hb_true = [p.labels["hb_grade"] for p, _ in cohort]
    hb_rule = [t.scores.house_brackmann.total for _, t in cohort]
    sb_true = [p.labels["sunnybrook_composite"] for p, _ in cohort]
    sb_rule = [t.scores.sunnybrook.total for _, t in cohort]
    assert all(math.isfinite(v) for v in hb_rule + sb_rule)
    assert spearmanr(hb_true, hb_rule).statistic > 0.85
    assert spearmanr(sb_true, sb_rule).statistic > 0.85
    healthy = cohort[0][1]
    assert healthy.scores.house_brackmann.total == 1 and healthy.scores.sunnybrook.total >= 90


def test_synkinesis_is_seen_only_where_simulated(cohort):
    for patient, table in cohort:
        synk = table.scores.sunnybrook.subscores["synkinesis"]
        if patient.synkinesis > 0.5:
            assert synk >= 5, patient.patient_id
        else:
            assert synk <= 1, patient.patient_id


def test_central_palsy_shows_the_left_right_delay(cohort):
    delay = {p.patient_id: t["motion.commissure_displacement.lr_delay.smile_open"] for p, t in cohort}
    central = [delay[p.patient_id] for p, _ in cohort if p.condition == "central"]
    peripheral = [delay[p.patient_id] for p, _ in cohort
                  if p.condition == "bell" and p.severity < 0.9 and math.isfinite(delay[p.patient_id])]
    assert min(central) > 0.2 > np.median(peripheral)
    for patient, table in cohort:
        if patient.condition == "central":
            # forehead spared: brow movement nearly normal while the smile is weak
            assert table["motion.brow_height.excursion_ratio.brow_raise"] > 0.85
            assert table["motion.commissure_displacement.excursion_ratio.smile_open"] < 0.8
