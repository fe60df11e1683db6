"""``fpcds landmarks``: video -> session file, alone or combined with an EMG recording."""

from __future__ import annotations

import numpy as np
import pytest

from acquisition.native import read_session, write_session
from acquisition.session import EmgBlock, EmgChannel, Marker, Segment, Session
from plugin.cli import main

from .conftest import FLASH_FRAMES, FPS


def emg_file(tmp_path, markers=()):
    rng = np.random.default_rng(0)
    emg = EmgBlock(
        (rng.standard_normal((1, 10_000)) * 1e-5).astype(np.float32),
        1000.0,
        (EmgChannel("Zyg li", "zygomaticus", "left"),),
    )
    path = tmp_path / "emg.fpcds"
    write_session(Session(emg=emg, markers=tuple(markers)), path)
    return path


def test_video_to_session_file(tmp_path, smile_clip, capsys):
    out = tmp_path / "smile.fpcds"
    timing = tmp_path / "timing.csv"
    timing.write_text("task,start,end\nrest,0,0.9\nsmile_closed,1.0,2.9\n")
    assert main(["landmarks", str(smile_clip.path), "--segments", str(timing), "--out", str(out)]) == 0
    session = read_session(out, verify=True)
    assert session.motion.scheme == "mediapipe478" and session.motion.n_frames == 45
    assert session.segments == (Segment("rest", 0, 0.9), Segment("smile_closed", 1.0, 2.9))
    printed = capsys.readouterr().out
    assert "45 frames at 15 fps, 0 face-lost gaps, 2 segments" in printed and str(out) in printed


def test_video_combined_with_emg_by_offset(tmp_path, smile_clip):
    out = tmp_path / "both.fpcds"
    code = main(
        ["landmarks", str(smile_clip.path), "--emg", str(emg_file(tmp_path)), "--offset", "2.5", "--out", str(out)]
    )
    assert code == 0
    session = read_session(out)
    assert session.modalities == ("emg", "motion")
    assert session.motion.t0 == pytest.approx(2.5)


def test_video_combined_with_emg_by_flash_events(tmp_path, events_clip):
    triggers = [Marker(4.0 + f / FPS, "TRIG") for f in FLASH_FRAMES]
    out = tmp_path / "both.fpcds"
    code = main(
        [
            "landmarks",
            str(events_clip.path),
            "--emg",
            str(emg_file(tmp_path, triggers)),
            "--sync-event",
            "TRIG",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    session = read_session(out)
    assert session.motion.t0 == pytest.approx(4.0)
    assert "2 sync events" in session.provenance.notes[-1]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--out", "x.txt"], "output 'x.txt' must be a .fpcds session file"),
        (["--out", "s.fpcds", "--offset", "1"], "--offset, --sync-event and --lsl need an EMG recording"),
        (["--out", "s.fpcds", "--emg", "e.fpcds"], "--emg needs a synchronisation method"),
        (["--out", "s.fpcds", "--segments", "missing.csv"], "missing.csv: cannot be read"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, smile_clip, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    assert main(["landmarks", str(smile_clip.path), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fpcds landmarks: error:") and message in err and "\n" not in err
    assert not (tmp_path / "s.fpcds").exists()


def test_missing_video_exits_2(tmp_path, capsys):
    assert main(["landmarks", str(tmp_path / "none.mp4"), "--out", str(tmp_path / "s.fpcds")]) == 2
    assert "none.mp4: no such file" in capsys.readouterr().err


def test_video_combined_with_emg_by_lsl_frame_stamps(tmp_path, events_clip):
    stamps = [Marker(3.0 + i / FPS, "cam/frame") for i in range(45)]
    out = tmp_path / "both.fpcds"
    code = main(
        [
            "landmarks",
            str(events_clip.path),
            "--emg",
            str(emg_file(tmp_path, stamps)),
            "--lsl",
            "cam/frame",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    session = read_session(out)
    assert session.motion.t0 == pytest.approx(3.0) and session.motion.sfreq == pytest.approx(FPS)
    assert "45 LSL frame time stamps ('cam/frame')" in session.provenance.notes[-1]
