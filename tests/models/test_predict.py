"""Assessments: every output, documented JSON, honest warnings, less confidence with one modality."""

from __future__ import annotations

import json

import jsonschema
import pytest

from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from models.assessment import assessment_schema
from models.errors import ModelError
from models.features import extract_features
from models.predict import assess, assess_table

OPTIONS = SimulationOptions(repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)


def _validate(data: dict) -> None:
    validator = jsonschema.Draft202012Validator(assessment_schema(),
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(data)


@pytest.fixture(scope="module")
def palsy_session():
    patient = make_patient(condition="bell", affected_side="right", onset_severity=0.7, days_since_onset=20, seed=4)
    return simulate_session(patient, seed=4, options=OPTIONS)


def test_assessment_has_every_output_and_validates_against_the_schema(models, palsy_session):
    a = assess(palsy_session, models=models)
    data = json.loads(a.to_json())
    _validate(data)
    assert set(data["outputs"]) == {"hb_grade", "sunnybrook", "lesion", "synkinesis", "recovery_6mo",
                                    "weeks_to_recovery"}
    hb = data["outputs"]["hb_grade"]
    assert sum(hb["probabilities"].values()) == pytest.approx(1.0)
    assert hb["expected_grade"] == pytest.approx(sum((i + 1) * p for i, p in enumerate(hb["probabilities"].values())))
    assert hb["argmax_probability"] == max(hb["probabilities"].values())
    sb = data["outputs"]["sunnybrook"]
    assert 0 <= sb["lower"] <= sb["value"] <= sb["upper"] <= 100
    assert data["outputs"]["lesion"]["conditional_on"].startswith("conditional on a facial palsy")
    assert data["session"]["sha256"] == a.session_sha256 and len(a.session_sha256) == 64
    assert data["evidence"] == "fused" and data["rule_based"]["rules_version"]
    assert {m["id"] for m in data["models"]} == set(data["outputs"])
    for ref in data["models"]:
        assert ref["sha256"] == models[ref["id"]].sha256
    assert data["statement"] == "trained on simulated data; not clinically validated"
    # the vectors each model saw are kept for the explainer
    assert a.inputs["lesion"].shape == (len(models["lesion"].feature_names),)


def test_single_modality_sessions_get_outputs_and_a_warning(models, palsy_session):
    for keep, missing in (("emg", "motion"), ("motion", "emg")):
        a = assess(palsy_session.select(modalities=[keep]), models=models)
        data = a.to_dict()
        _validate(data)
        assert data["evidence"] == f"{keep}_only"
        codes = {w["code"] for w in data["warnings"]}
        assert f"evidence.no_{missing}" in codes
        assert data["session"]["features_available"][missing] == 0


def test_healthy_looking_faces_get_conditional_outputs_with_a_warning(models):
    patient = make_patient(condition="healthy", seed=11)
    a = assess(simulate_session(patient, seed=11, options=OPTIONS), models=models)
    _validate(a.to_dict())
    assert a.outputs["hb_grade"].probabilities["I"] >= 0.5
    warning = next(w for w in a.warnings if w.code == "outputs.healthy_looking")
    assert "conditional on a facial palsy" in warning.message
    assert 0 <= a.outputs["recovery_6mo"].probability <= 1


def test_modalities_are_checked(models, palsy_session):
    table = extract_features(palsy_session)
    with pytest.raises(ModelError, match="expected a non-empty subset of"):
        assess_table(table, models=models, modalities=("eeg",))
