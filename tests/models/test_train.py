"""Training writes ONNX models with their cards, equal to the LightGBM boosters, from patient-level splits."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import onnx
import pytest

from models.card import CARD_KEY, STATEMENT
from models.errors import TrainingError
from models.export import output_from_raw
from models.heads import HEADS
from models.onnx_trees import native_raw
from models.train import TrainOptions, split_patients, train_models
from tests.models.conftest import FAST


def test_training_writes_every_head_with_its_card(model_dir, cohort):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert set(manifest["models"]) == set(HEADS)
    assert manifest["statement"] == STATEMENT == "trained on simulated data; not clinically validated"
    assert manifest["training"]["data_sha256"] == cohort.data_hash()
    from models.features import feature_names

    order = {n: i for i, n in enumerate(feature_names())}
    for model_id, entry in manifest["models"].items():
        model = onnx.load(str(model_dir / entry["onnx"]["file"]))
        props = {p.key: p.value for p in model.metadata_props}
        card = json.loads(props[CARD_KEY])
        assert props["model_id"] == card["model_id"] == model_id
        assert props["statement"] == card["statement"] == STATEMENT
        assert props["training_data_sha256"] == cohort.data_hash()
        assert props["input_name"] == "features" == model.graph.input[0].name
        names = json.loads(props["feature_names"])
        assert names == card["feature_names"] and [order[n] for n in names] == sorted(order[n] for n in names)
        assert card["code_version"] and card["library_versions"]["lightgbm"]
        assert card["training"]["modality_dropout"] is True
        assert card["training"]["variants"] == ["fused", "emg", "motion"]
        assert {"validation", "calibration"} <= set(card["metrics"])
        assert "not clinically validated" in card["intended_use"]
        assert entry["onnx_vs_lightgbm_max_abs_diff"] <= 1e-6
        modalities = set(card["feature_modalities"])
        assert {"emg", "motion"} <= modalities, f"{model_id} lost a modality: {modalities}"


def test_onnx_outputs_equal_the_saved_lightgbm_boosters(models, cohort):
    for model_id, model in models.models.items():
        boosters = model.boosters()
        for variant in ("fused", "emg", "motion"):
            x = cohort.matrix(variant, model.feature_names)
            raw, out = model.predict(x)
            native = native_raw(boosters, x)
            assert np.max(np.abs(raw - native)) <= 1e-6, model_id
            expected = output_from_raw(model.head, native, model.card.calibration)
            assert np.max(np.abs(out - expected)) <= 1e-6, model_id


def test_calibration_is_the_documented_map_of_the_raw_margin(models, cohort):
    from scipy.special import expit, softmax

    x = cohort.matrix("fused", models["hb_grade"].feature_names)[:5]
    raw, out = models["hb_grade"].predict(x)
    np.testing.assert_allclose(out, softmax(raw / models["hb_grade"].card.calibration["temperature"], axis=1))
    cal = models["lesion"].card.calibration
    raw, out = models["lesion"].predict(cohort.matrix("fused", models["lesion"].feature_names)[:5])
    np.testing.assert_allclose(out, expit(cal["a"] * raw + cal["b"]))
    raw, out = models["weeks_to_recovery"].predict(cohort.matrix("fused", models["weeks_to_recovery"].feature_names))
    assert np.all(out[:, 0] <= out[:, 1]) and np.all(out[:, 1] <= out[:, 2]) and np.all(out >= 0)
    np.testing.assert_allclose(out[:, 1], np.expm1(raw[:, 1]).clip(0, 520))


def test_splits_are_patient_level_deterministic_and_stratified(cohort):
    split = split_patients(cohort, seed=3, fractions=(0.6, 0.2, 0.2))
    again = split_patients(cohort.subset(np.arange(len(cohort))[::-1]), seed=3, fractions=(0.6, 0.2, 0.2))
    pids = cohort.patient_ids
    reversed_pids = pids[::-1]
    for name in split:
        assert set(pids[split[name]]) == set(reversed_pids[again[name]])
    sets = [set(pids[rows]) for rows in split.values()]
    assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
    assert sum(len(s) for s in sets) == len(set(pids))
    lesion = cohort.column("lesion")
    for rows in split.values():
        assert set(lesion[rows]) == {0.0, 1.0, 2.0}


def test_options_and_small_cohorts_are_refused(cohort, tmp_path):
    with pytest.raises(TrainingError, match="must be three positive shares summing to 1"):
        TrainOptions(fractions=(0.5, 0.5, 0.5))
    with pytest.raises(TrainingError, match="must be a non-empty subset of"):
        TrainOptions(modalities=("eeg",))
    with pytest.raises(TrainingError, match="the cohort has 6 sessions; training needs at least 10"):
        train_models(cohort.subset(np.arange(6)), tmp_path / "m", options=FAST)
    with pytest.raises(TrainingError, match=r"unknown head\(s\) \['grade'\]"):
        train_models(cohort, tmp_path / "m", options=FAST, heads=("grade",))
    without = np.flatnonzero(cohort.column("synkinesis") == 0)
    with pytest.raises(TrainingError, match=r"synkinesis: the train split has only class\(es\) \[0.0\] of synkinesis"):
        train_models(cohort.subset(without), tmp_path / "m", options=FAST, heads=("synkinesis",))


def test_a_modality_specific_model_uses_only_its_modality(cohort, tmp_path):
    options = replace(FAST, modalities=("emg",))
    assert options.variants == ("emg",)
    train_models(cohort, tmp_path / "emg", options=options, heads=("hb_grade",))
    model = onnx.load(str(tmp_path / "emg" / "hb_grade.onnx"))
    card = json.loads({p.key: p.value for p in model.metadata_props}[CARD_KEY])
    assert set(card["feature_modalities"]) <= {"emg", "clinical"} and "emg" in card["feature_modalities"]
