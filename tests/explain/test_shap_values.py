"""Exact SHAP on the deployed models: additivity against onnxruntime for every output, identity with shap."""

from __future__ import annotations

import dataclasses
import shutil
import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax

from explain.errors import ExplanationError
from explain.explanation import explain_assessment, explain_model
from explain.shap_values import TOLERANCE, tree_shap, verified_boosters
from models.errors import ModelIntegrityError
from models.registry import load_models


@pytest.mark.parametrize("name", ["healthy", "severe", "central", "emg_only", "motion_only"])
def test_every_output_adds_up_to_the_onnx_raw_output(cases, models, name):
    explanation = cases[name].explanation
    assessment = cases[name].assessment
    assert set(explanation.models) == set(models.models) == set(assessment.outputs)
    for model_id, model in explanation.models.items():
        raw, _ = models[model_id].predict(assessment.inputs[model_id][None, :])
        assert len(model.outputs) == raw.shape[1]
        for j, out in enumerate(model.outputs):
            assert abs(out.raw_base + float(np.sum(out.raw_values)) - raw[0, j]) <= TOLERANCE
            assert out.additivity_error <= TOLERANCE
            assert out.onnx_raw == pytest.approx(raw[0, j], abs=1e-12)


def test_display_spaces_reproduce_the_published_outputs(cases):
    """Softmax of the six grade logits, sigmoid of the log-odds and the interval point are the published values."""
    e = cases["severe"].explanation
    a = cases["severe"].assessment
    hb = e["hb_grade"]
    probs = softmax([o.value for o in hb.outputs])
    assert probs == pytest.approx([a.outputs["hb_grade"].probabilities[o.name] for o in hb.outputs], abs=1e-9)
    for model_id in ("lesion", "synkinesis", "recovery_6mo"):
        out = e[model_id].primary_output
        assert expit(out.value) == pytest.approx(a.outputs[model_id].probability, abs=1e-9)
        # the calibration is linear in margin space: contributions are the raw ones times the Platt slope
        assert out.values == pytest.approx(e[model_id].calibration["a"] * out.raw_values, rel=1e-12)
    sb = e["sunnybrook"].output("point")
    assert float(np.clip(sb.value, 0, 100)) == pytest.approx(a.outputs["sunnybrook"].value, abs=1e-6)
    wk = e["weeks_to_recovery"].output("q50")
    assert float(np.clip(np.expm1(wk.value), 0, 520)) == pytest.approx(a.outputs["weeks_to_recovery"].value,
                                                                       rel=1e-6)


def test_values_equal_shap_tree_explainer(cases, models):
    """LightGBM's pred_contrib and shap.TreeExplainer (defaults: path-dependent, raw output) agree."""
    shap = pytest.importorskip("shap")
    a = cases["central"].assessment
    for model_id, model in cases["central"].explanation.models.items():
        x = a.inputs[model_id][None, :]
        expected = []
        for booster in verified_boosters(models[model_id]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # shap's note on the binary LightGBM output format
                values = np.asarray(shap.TreeExplainer(booster).shap_values(x))
            # (rows, features) for one output; (rows, features, classes) for multiclass
            expected.append(values[None, 0] if values.ndim == 2 else np.moveaxis(values, -1, 1)[0])
        got = np.stack([o.raw_values for o in model.outputs])
        assert got == pytest.approx(np.concatenate(expected, axis=0), abs=1e-9)


def test_explanation_serialises_and_hashes_stably(cases):
    e = cases["severe"].explanation
    data = e.to_dict()
    assert data["format"] == "fpcds-explanation"
    assert set(data["models"]["hb_grade"]["outputs"]) == {"I", "II", "III", "IV", "V", "VI"}
    assert set(data["models"]["sunnybrook"]["outputs"]) == {"lower", "point", "upper"}
    assert len(e.values_sha256()) == 64
    assert e.values_sha256() == e.values_sha256()


def test_wrong_input_width_is_refused(models):
    model = models["lesion"]
    with pytest.raises(ExplanationError, match=r"model 'lesion' takes \d+ features; the input has shape \(1, 3\)"):
        tree_shap(model, np.zeros(3))


def test_a_model_other_than_the_one_recorded_is_refused(cases, models):
    a = cases["severe"].assessment
    with pytest.raises(ExplanationError, match="the prediction was made by ONNX SHA-256 0{64}"):
        explain_model(models["lesion"], a.inputs["lesion"], expected_sha256="0" * 64)


def test_a_published_raw_output_the_model_does_not_reproduce_is_refused(cases, models):
    a = cases["severe"].assessment
    with pytest.raises(ExplanationError, match="differs from the published raw output"):
        explain_model(models["lesion"], a.inputs["lesion"], expected_raw=(123.0,))


def test_an_assessment_without_input_vectors_is_refused(cases, models):
    a = dataclasses.replace(cases["severe"].assessment, inputs={})
    with pytest.raises(ExplanationError, match="the assessment has no input vector for model 'hb_grade'"):
        explain_assessment(a, models)


def test_a_changed_booster_file_is_refused(model_dir, tmp_path, cases):
    copy = tmp_path / "set"
    shutil.copytree(model_dir, copy)
    models = load_models(copy)
    booster = copy / models["synkinesis"].card.boosters[0]["file"]
    booster.write_text(booster.read_text() + "\n")
    with pytest.raises(ModelIntegrityError, match="differs from the model card's"):
        tree_shap(models["synkinesis"], cases["severe"].assessment.inputs["synkinesis"])
