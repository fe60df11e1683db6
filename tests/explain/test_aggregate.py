"""Contributions per modality and per facial region."""

from __future__ import annotations

import numpy as np
import pytest

from explain.aggregate import NOT_REGIONAL, REGIONS, by_modality, by_region, feature_region
from models.features import feature_names


@pytest.mark.parametrize("name, region", [
    ("emg.frontalis_lateral.rms_ratio.brow_raise", "forehead/brow"),
    ("emg.orbicularis_oculi.coactivation_affected.smile_open", "eye"),
    ("emg.levator_labii.mdf_healthy.snarl", "mid-face/nose"),
    ("emg.zygomaticus.rms_affected.smile_open", "mouth"),
    ("emg.mentalis.onset_delay.eee", "lower lip/chin"),
    ("motion.brow_height.excursion_ratio.brow_raise", "forehead/brow"),
    ("motion.fissure.excursion_affected.gentle_eye_closure", "eye"),
    ("motion.ocular_synkinesis.narrowing_affected.smile_open", "eye"),
    ("motion.nasolabial.asym_pct.rest", "mid-face/nose"),
    ("motion.commissure_displacement.excursion_affected.smile_open", "mouth"),
    ("motion.lower_lip.excursion_ratio.eee", "lower lip/chin"),
    ("emg.orbicularis_oculi-zygomaticus.coactivation_per_h_affected.outside_tasks", "eye"),
    ("emg.masseter.rms_ratio.smile_open", None),
    ("clinical.age", None),
])
def test_regions_are_read_from_feature_names(name, region):
    assert feature_region(name) == region


def test_every_facial_feature_of_the_catalogue_has_a_region():
    orphans = [n for n in feature_names() if feature_region(n) is None
               and not n.startswith("clinical.") and ".masseter." not in n]
    assert orphans == []


@pytest.mark.parametrize("name", ["severe", "emg_only", "motion_only"])
def test_group_totals_add_up_and_shares_sum_to_one(cases, name):
    for model in cases[name].explanation.models.values():
        for out in model.outputs:
            contribution = out.value - out.base_value
            for shares in (by_modality(out), by_region(out)):
                assert sum(s.total for s in shares) == pytest.approx(contribution, abs=1e-9)
                if np.any(out.values != 0):
                    assert sum(s.share for s in shares) == pytest.approx(1.0)
                assert sum(s.n_features for s in shares) == len(out.features)
            assert [s.group for s in by_region(out)] == [*REGIONS, NOT_REGIONAL]


def test_a_missing_modality_contributes_only_through_missing_values(cases):
    """sEMG features of a motion-only session are NaN: their share is whatever the missing branches give."""
    case = cases["motion_only"]
    for model in case.explanation.models.values():
        emg = [i for i, (_, _, m) in enumerate(model.features) if m == "emg"]
        assert np.all(np.isnan(model.feature_values[emg]))
