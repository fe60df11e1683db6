"""Shared fixtures of the model tests: one small simulated cohort and one model set per test session.

The cohort (72 patients, short protocol, EMG at 1 kHz) is simulated in
memory and its features cached under pytest's temporary directory; the
models are trained on it with small settings. Both take well under a minute
on two cores and are reused by every test module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.dataset import SimulatedCohort, build_cache
from models.train import TrainOptions, train_models

#: Small, fast cohort: 72 patients, one repetition of 2-s tasks, EMG at 1 kHz.
SMALL = SimulatedCohort(72, 31, repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)
#: Small training settings (one LightGBM thread: on tiny data, threads only wait for each other).
FAST = TrainOptions(seed=7, n_features=16, n_features_by_head=(), max_rounds=200, early_stopping=20, threads=1)


@pytest.fixture(scope="session")
def cohort_cache_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cohort") / "small.npz"
    build_cache(SMALL, path, jobs=2)
    return path


@pytest.fixture(scope="session")
def cohort(cohort_cache_path: Path):
    from models.dataset import load_cache

    return load_cache(cohort_cache_path)


@pytest.fixture(scope="session")
def model_dir(cohort, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "set"
    train_models(cohort, out, options=FAST)
    return out


@pytest.fixture(scope="session")
def models(model_dir: Path):
    from models.registry import load_models

    return load_models(model_dir)
