"""Synkinesis: sEMG co-activation / envelope correlation and landmark co-movement."""

from __future__ import annotations

import pytest

from models.features import extract_features
from tests.models.features.builders import constructed_session

TASKS = ("rest", "gentle_eye_closure", "smile_open", "pucker")


@pytest.fixture(scope="module")
def synkinetic():
    """Left palsy with the left orbicularis oculi firing (and the eye narrowing) in mouth tasks."""
    return extract_features(constructed_session(weakness=0.3, ocular_synk=0.6, known_side=True, tasks=TASKS))


@pytest.fixture(scope="module")
def clean():
    return extract_features(constructed_session(weakness=0.3, ocular_synk=0.0, known_side=True, tasks=TASKS))


def test_emg_coactivation_of_the_eye_during_smiling(synkinetic, clean):
    name = "emg.orbicularis_oculi.{}.smile_open"
    assert synkinetic[name.format("coactivation_affected")] > 0.9
    assert synkinetic[name.format("coactivation_healthy")] < 0.05
    assert clean[name.format("coactivation_affected")] < 0.05
    assert synkinetic[name.format("xcorr_affected")] > 0.7
    assert synkinetic[name.format("xcorr_affected")] > synkinetic[name.format("xcorr_healthy")] + 0.4
    assert synkinetic[name.format("rms_rest_norm_affected")] > 10 * clean[name.format("rms_rest_norm_affected")] / 2


def test_target_muscles_get_onset_delay_not_coactivation(synkinetic):
    assert "emg.zygomaticus.onset_delay.smile_open" in synkinetic
    assert "emg.zygomaticus.coactivation_affected.smile_open" not in synkinetic
    assert "emg.orbicularis_oculi.coactivation_affected.gentle_eye_closure" not in synkinetic
    assert "emg.masseter.coactivation_affected.smile_open" not in synkinetic  # not facial-nerve


def test_ocular_synkinesis_from_landmarks(synkinetic, clean):
    # upper lid pulled down 0.6 * 4 = 2.4 mm of a ~10.7 mm fissure
    narrowing = synkinetic["motion.ocular_synkinesis.narrowing_affected.smile_open"]
    assert narrowing == pytest.approx(2.4 / synkinetic["motion.fissure.value_affected.rest"], rel=0.02)
    assert synkinetic["motion.ocular_synkinesis.narrowing_healthy.smile_open"] == pytest.approx(0, abs=1e-3)
    assert synkinetic["motion.ocular_synkinesis.comovement_affected.smile_open"] > 0.95
    assert clean["motion.ocular_synkinesis.narrowing_affected.smile_open"] == pytest.approx(0, abs=1e-3)


def test_synkinesis_reaches_the_sunnybrook_items(synkinetic, clean):
    syn = {i.name: i for i in synkinetic.scores.sunnybrook.items}
    assert syn["synkinesis.open_mouth_smile"].score == 3
    assert syn["synkinesis.lip_pucker"].score >= 2
    plain = {i.name: i for i in clean.scores.sunnybrook.items}
    assert plain["synkinesis.open_mouth_smile"].score == plain["synkinesis.lip_pucker"].score == 0
    assert synkinetic.scores.eface.subscores["synkinesis"] < clean.scores.eface.subscores["synkinesis"] - 10
