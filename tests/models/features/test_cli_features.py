"""``fpcds features SESSION [--json]`` on real files written to disk."""

from __future__ import annotations

import json

import pytest

from acquisition.native import write_session
from models.features import feature_names
from plugin.cli import main
from tests.models.features.builders import constructed_session

TASKS = ("rest", "brow_raise", "gentle_eye_closure", "smile_open", "pucker")


@pytest.fixture(scope="module")
def session_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "patient.fpcds"
    write_session(constructed_session(weakness=0.6, tasks=TASKS, reps=1), path)
    return path


def test_prints_scores_features_and_methods(session_file, capsys):
    assert main(["features", str(session_file)]) == 0
    out = capsys.readouterr().out
    assert "affected side: left (inferred)" in out
    assert "sunnybrook:" in out and "house_brackmann: grade" in out and "eface: total" in out
    assert "voluntary.brow_lift" in out and "motion.brow_height.excursion_ratio.brow_raise = 0.4" in out
    assert "emg.zygomaticus.rms_ratio.smile_open" in out
    assert "Methods: The sEMG, sampled at 2000 Hz" in out
    assert "emg.mentalis.rms_ratio.eee" not in out  # no value: listed only with --all


def test_all_lists_every_feature(session_file, capsys):
    assert main(["features", str(session_file), "--all", "--powerline", "none"]) == 0
    out = capsys.readouterr().out
    assert "emg.mentalis.rms_ratio.eee" in out and "without a powerline notch" in out


def test_json_output_is_the_table(session_file, capsys):
    assert main(["features", str(session_file), "--json", "--powerline", "50"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "fpcds-feature-table" and len(data["session_id"]) == 64
    values = {row["name"]: row["value"] for row in data["features"]}
    assert values["motion.brow_height.excursion_ratio.brow_raise"] == pytest.approx(0.4, abs=0.01)
    assert data["scores"]["house_brackmann"]["label"].startswith("grade")
    assert data["record"]["parameters"]["emg.notch_hz"][0] == 50.0


def test_long_mode_streams_the_emg(session_file, capsys):
    assert main(["features", str(session_file), "--long", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {row["name"] for row in data["features"]}
    assert "emg.orbicularis_oculi-zygomaticus.coactivation_episodes_affected.outside_tasks" in names
    assert not any(n.startswith("motion.") for n in names) and data["scores"] is None


def test_bad_input_is_one_line_and_status_2(tmp_path, capsys):
    assert main(["features", str(tmp_path / "missing.fpcds")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"fpcds features: error: {tmp_path / 'missing.fpcds'}: no such file"
    motion_only = tmp_path / "motion.fpcds"
    write_session(constructed_session(emg=False, tasks=("rest", "smile_open"), reps=1), motion_only)
    assert main(["features", str(motion_only), "--long"]) == 2
    err = capsys.readouterr().err
    assert "session has no EMG; long-recording features need an EMG stream" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as exc:
        main(["features", str(motion_only), "--powerline", "fifty"])
    assert exc.value.code == 2
    assert "expected 'auto', 'none' or a frequency in Hz, not 'fifty'" in capsys.readouterr().err


def test_motion_only_file_works_and_reports_missing_emg(tmp_path, capsys):
    path = tmp_path / "m.fpcds"
    write_session(constructed_session(emg=False, tasks=("rest", "smile_open"), reps=1), path)
    assert main(["features", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(w["code"] == "emg.absent" for w in data["record"]["warnings"])
    assert all(row["value"] is None for row in data["features"] if row["modality"] == "emg")
    assert [row["name"] for row in data["features"]] == list(feature_names())
