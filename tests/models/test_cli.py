"""``fpcds train``, ``fpcds evaluate`` and ``fpcds assess`` (in process, on the shared small cohort)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from acquisition.native import write_session
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from models.assessment import assessment_schema
from plugin.cli import main
from tests.models.conftest import SMALL


@pytest.fixture(scope="module")
def session_file(tmp_path_factory):
    patient = make_patient(condition="central", affected_side="left", onset_severity=0.8, days_since_onset=3, seed=9)
    session = simulate_session(patient, seed=9, options=SimulationOptions(repetitions=1, rest_s=1.0, hold_s=2.0,
                                                                          emg_sfreq=1000.0))
    path = tmp_path_factory.mktemp("session") / "central.fpcds"
    write_session(session, path)
    return path


def test_assess_prints_schema_valid_json(session_file, model_dir, capsys):
    assert main(["assess", str(session_file), "--model", str(model_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(assessment_schema()).validate(data)
    assert data["session"]["modalities"] == ["emg", "motion"]


def test_assess_prints_a_readable_summary(session_file, model_dir, capsys):
    assert main(["assess", str(session_file), "--model", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "House-Brackmann:" in out and "P(central lesion) =" in out and "not clinically validated" in out


def test_assess_errors_are_one_line(session_file, model_dir, tmp_path, capsys):
    assert main(["assess", str(tmp_path / "missing.fpcds")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.fpcds: no such file" in err
    assert main(["assess", str(session_file), "--model", str(tmp_path)]) == 2
    assert "no manifest; expected a model directory written by `fpcds train`" in capsys.readouterr().err
    assert main(["assess", str(session_file), "--model", str(model_dir), "--powerline", "often"]) == 2
    assert "--powerline 'often': expected 'auto', 'none' or a frequency in Hz" in capsys.readouterr().err


@pytest.fixture
def labelled_dir(cohort, tmp_path):
    """A cohort directory whose labels.csv is the small cohort's, with its feature cache already computed."""
    import csv
    import hashlib

    import numpy as np

    directory = tmp_path / "site"
    directory.mkdir()
    with open(directory / "labels.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(cohort.labels[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(cohort.labels)
    digest = hashlib.sha256((directory / "labels.csv").read_bytes()).hexdigest()
    meta = dict(cohort.meta, source="labels-sha256:" + digest)
    np.savez(directory / "feature-cache.npz", names=np.array(cohort.names),
             labels_json=np.array(json.dumps(list(cohort.labels))), meta_json=np.array(json.dumps(meta)),
             **{f"x_{v}": m for v, m in cohort.x.items()})
    return directory


def test_train_on_a_labelled_directory_reuses_its_cache(labelled_dir, tmp_path, capsys):
    out = tmp_path / "m"
    args = ["train", "--cohort", str(labelled_dir), "--out", str(out), "--features", "8", "--heads",
            "hb_grade,lesion", "--seed", "3", "--threads", "1", "--json"]
    assert main(args) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert set(manifest["models"]) == {"hb_grade", "lesion"}
    assert all(entry["n_features"] <= 8 + 2 * 2 for entry in manifest["models"].values())


def test_train_errors(tmp_path, capsys):
    assert main(["train", "--simulated", "5", "--out", str(tmp_path / "m")]) == 2
    assert "--simulated needs --cache FILE" in capsys.readouterr().err
    assert main(["train", "--simulated", "5", "--cache", str(tmp_path / "c.npz"), "--out", str(tmp_path / "m"),
                 "--modalities", "eeg"]) == 2
    assert "must be a non-empty subset of ('emg', 'motion')" in capsys.readouterr().err
    assert main(["train", "--cohort", str(tmp_path / "none"), "--out", str(tmp_path / "m")]) == 2
    assert "cohort directory does not exist" in capsys.readouterr().err


def test_evaluate_json(labelled_dir, model_dir, capsys):
    assert main(["evaluate", "--cohort", str(labelled_dir), "--model", str(model_dir), "--json", "--oracle"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cohort"]["n_sessions"] == SMALL.n_patients
    assert report["oracle"]["available"] is True
    assert main(["evaluate", "--cohort", str(labelled_dir), "--model", str(model_dir)]) == 0
    text = capsys.readouterr().out
    assert "weighted kappa" in text and "ablation:" in text and "target hb_quadratic_weighted_kappa" in text
