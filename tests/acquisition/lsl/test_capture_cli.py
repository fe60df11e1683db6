"""``fpcds capture`` refuses bad input with one line and exit status 2; lists streams; guided run end to end."""

from __future__ import annotations

import json

import pytest

from acquisition.native import read_session
from plugin.cli import main

from .helpers import Publisher, identifiable_session


@pytest.mark.parametrize(
    "argv, message",
    [
        (["capture", "--seconds", "1"], "--out SESSION is required"),
        (["capture", "--out", "{tmp}/x.fpcds", "--server", "https://h"], "--server and --code go together"),
        (["capture", "--out", "{tmp}/x.fpcds", "--tasks", "smile_open,wink"],
         "--tasks: protocol 'fpcds-standard-v1' has no task 'wink'"),
        (["capture", "--out", "{tmp}/x.fpcds", "--repetitions", "0"], "--repetitions is 0; expected at least 1"),
        (["capture", "--out", "{tmp}/x.fpcds", "--hold", "0"], "--hold is 0.0 s; expected > 0"),
        (["capture", "--out", "{tmp}/x.fpcds", "--rest", "-1"], "--rest is -1.0 s; expected >= 0"),
        (["capture", "--seconds", "1", "--out", "{tmp}/x.fpcds", "--map", "{tmp}/none.json"],
         "none.json: cannot be read"),
        (["capture", "--seconds", "1", "--out", "{tmp}/x.fpcds", "--map", "{tmp}/bad.json"],
         "bad.json: not valid JSON"),
        (["capture", "--seconds", "1", "--out", "{tmp}/x.fpcds", "--map", "{tmp}/list.json"],
         "list.json: expected an object mapping channel labels"),
        (["capture", "--seconds", "1", "--out", "{tmp}/x.fpcds", "--server", "http://example.org", "--code", "A"],
         "server URL 'http://example.org' is not HTTPS; plain HTTP is only allowed to a loopback address"),
        (["capture", "--seconds", "1", "--out", "{tmp}/x.fpcds", "--emg", "no-such-amp", "--wait", "0.3"],
         "no emg stream is named 'no-such-amp'"),
        (["capture", "recover", "{tmp}", "--out", "{tmp}/x.fpcds"], "is not a capture spool (no meta.json)"),
        (["capture", "upload", "{tmp}/x.fpcds"], "upload needs --pairing FILE, or --server URL with --code CODE"),
        (["capture", "upload", "{tmp}/x.fpcds", "--pairing", "{tmp}/bad.json"], "not a saved capture pairing"),
        (["capture", "camera", "{tmp}/none.avi"], "could not be opened"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "list.json").write_text("[1, 2]")
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.startswith("fpcds capture: error: ") and err.count("\n") == 1


def test_streams_lists_a_publisher_and_guided_capture_runs_from_the_command_line(tmp_path, capsys):
    with Publisher.for_session(identifiable_session(20), tmp_path) as pub:
        assert main(["capture", "streams", "--json", "--wait", "1.5"]) == 0
        listed = json.loads(capsys.readouterr().out)
        mine = {s["source_id"]: s for s in listed if s["source_id"].startswith(pub.source_id)}
        assert mine[f"{pub.source_id}-emg"]["kind"] == "emg"
        assert mine[f"{pub.source_id}-motion"]["channel_count"] == 1434
        (tmp_path / "map.yaml").write_text("Zyg li: depressor_anguli_oris/left\nZyg re: depressor_anguli_oris/right\n")
        out = tmp_path / "guided.fpcds"
        code = main(["capture", "--out", str(out), "--emg", f"{pub.source_id}-emg", "--motion",
                     f"{pub.source_id}-motion", "--markers", "none", "--wait", "0.5", "--tasks", "eee",
                     "--repetitions", "1", "--hold", "0.4", "--rest", "0.2", "--lead-in", "0.2",
                     "--map", str(tmp_path / "map.yaml")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "[ 1/1] Say 'eee' (1): NOW - hold for 0.4 s" in printed and "Protocol complete" in printed
    assert f"saved {out}: " in printed and "1 task segments, 0 gaps" in printed
    session = read_session(out, verify=True)
    assert [(s.task, s.repetition) for s in session.segments] == [("eee", 1)]
    assert {c.muscle for c in session.emg.channels} == {"depressor_anguli_oris"}
