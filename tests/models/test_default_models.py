"""The shipped default models: verified against this software's feature catalogue, and honest about evidence.

These tests fail when the feature catalogue changes under the shipped models;
rebuild them with ``scripts/make_default_models.sh``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from acquisition.simulate import SimulationOptions, cohort_patient, simulate_session
from models.features import extract_features
from models.predict import assess_table
from models.registry import DEFAULT_DIR, load_models


@pytest.fixture(scope="module")
def default_models():
    return load_models(verify_equivalence=True)


def test_default_models_load_verified_and_carry_their_evaluation(default_models):
    assert default_models.directory == DEFAULT_DIR
    assert default_models.manifest["statement"] == "trained on simulated data; not clinically validated"
    report = json.loads((DEFAULT_DIR / "evaluation.json").read_text())
    # the shipped evaluation is of exactly these files
    assert report["model_set"]["manifest_sha256"] == default_models.manifest_sha256
    assert report["cohort"]["n_sessions"] >= 1000
    size = sum(p.stat().st_size for p in DEFAULT_DIR.iterdir())
    assert size < 8e6, f"shipped models take {size / 1e6:.1f} MB"


def test_one_modality_gives_less_confidence_and_wider_intervals(default_models):
    """Over fresh palsy sessions, one modality alone widens the intervals; sEMG alone lowers the grade's confidence."""
    options = SimulationOptions(repetitions=1, rest_s=1.5)
    patients = [p for p in (cohort_patient(4242, i) for i in range(40)) if p.condition != "healthy"][:16]
    stats: dict[str, dict[str, list[float]]] = {v: {"hb": [], "sb": [], "wk": []} for v in ("fused", "emg", "motion")}
    for patient in patients:
        session = simulate_session(patient, seed=patient.seed, options=options)
        for variant, part in (("fused", session), ("emg", session.select(modalities=["emg"])),
                              ("motion", session.select(modalities=["motion"]))):
            a = assess_table(extract_features(part, with_scores=False), models=default_models,
                             modalities=part.modalities)
            stats[variant]["hb"].append(a.outputs["hb_grade"].argmax_probability)
            stats[variant]["sb"].append(a.outputs["sunnybrook"].width)
            stats[variant]["wk"].append(a.outputs["weeks_to_recovery"].width)
    mean = {v: {k: float(np.mean(x)) for k, x in s.items()} for v, s in stats.items()}
    assert mean["emg"]["hb"] < mean["fused"]["hb"], mean
    assert mean["emg"]["sb"] > mean["fused"]["sb"], mean
    assert mean["emg"]["wk"] > mean["fused"]["wk"], mean
    assert mean["motion"]["wk"] > mean["fused"]["wk"], mean
