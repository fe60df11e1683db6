"""Shared fixtures of the explainer, report and audit tests.

The models are the shipped set in ``models/artifacts`` (the deployed
models) when it is there; otherwise a small set is trained once per test
session on a small simulated cohort (~1 min on two cores). Five simulated
sessions cover the cases a report must handle: healthy, severe peripheral,
central, sEMG only and motion only (one repetition per task, 1.5 s rests).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from acquisition.native import content_hash, write_session
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from models.features import extract_features
from models.predict import assess_table
from models.registry import DEFAULT_DIR, MANIFEST, load_models

OPTIONS = SimulationOptions(repetitions=1, rest_s=1.5)
CASES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "healthy": (dict(condition="healthy", age=38.0, seed=11), ("emg", "motion")),
    "severe": (dict(condition="bell", onset_severity=0.95, days_since_onset=2.0, age=52.0, seed=12),
               ("emg", "motion")),
    "central": (dict(condition="central", onset_severity=0.8, days_since_onset=1.0, age=71.0, seed=13),
                ("emg", "motion")),
    "emg_only": (dict(condition="bell", onset_severity=0.7, days_since_onset=5.0, age=45.0, seed=14), ("emg",)),
    "motion_only": (dict(condition="bell", onset_severity=0.7, days_since_onset=5.0, age=45.0, seed=15),
                    ("motion",)),
}


@dataclass(frozen=True, eq=False)
class Case:
    """One simulated session assessed and explained."""

    name: str
    session: Any
    table: Any
    assessment: Any
    explanation: Any


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if (DEFAULT_DIR / MANIFEST).is_file():
        return DEFAULT_DIR
    from models.dataset import SimulatedCohort, build_cache, load_cache
    from models.train import TrainOptions, train_models

    cohort = SimulatedCohort(72, 31, repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)
    path = tmp_path_factory.mktemp("explain-cohort") / "small.npz"
    build_cache(cohort, path, jobs=2)
    out = tmp_path_factory.mktemp("explain-models") / "set"
    train_models(load_cache(path), out, options=TrainOptions(seed=7, n_features=16, max_rounds=200,
                                                              early_stopping=20, threads=2))
    return out


@pytest.fixture(scope="session")
def models(model_dir: Path):
    return load_models(model_dir)


def simulated(name: str):
    """The simulated session of case ``name``."""
    facts, modalities = CASES[name]
    session = simulate_session(make_patient(**facts), seed=facts["seed"], options=OPTIONS)
    return session if modalities == ("emg", "motion") else session.select(modalities=list(modalities))


@pytest.fixture(scope="session")
def cases(models) -> dict[str, Case]:
    from explain.explanation import explain_assessment

    out = {}
    for name in CASES:
        session = simulated(name)
        table = extract_features(session, session_id=content_hash(session))
        assessment = assess_table(table, models=models, modalities=session.modalities)
        out[name] = Case(name, session, table, assessment, explain_assessment(assessment, models, table=table))
    return out


@pytest.fixture(scope="session")
def severe_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("explain-session") / "severe.fpcds"
    write_session(simulated("severe"), path)
    return path
