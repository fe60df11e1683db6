"""``fpcds convert`` and ``fpcds inspect --raw/--mapping`` on real files."""

import json

import pytest

from acquisition.native import read_session
from acquisition.writers import write_xdf
from plugin.cli import main
from tests.factories import tiny_session

from .contract import PYEDFLIB_DATA, REAL


def _mapping(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(
        "format: fpcds-mapping/1\n"
        "emg:\n  stream: {type: EEG}\n  units: uV\n  channels: {ch1: Zyg li, ch2: Zyg re}\n"
        "markers:\n  stream: {type: [Markers, StringMarker]}\n"
    )
    return path


def test_convert_real_xdf_with_mapping_and_sidecar(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("task,start,end\nsmile_open,0.1,0.6\n")
    out = tmp_path / "m.fpcds"
    args = ["convert", str(REAL / "minimal.xdf"), "--mapping", str(_mapping(tmp_path)), "--segments",
            str(tmp_path / "t.csv"), "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert f"wrote {out}: 2 EMG channels @ 10 Hz" in text and "1 segments" in text and "content sha256" in text
    s = read_session(out, verify=True)
    assert [x.format for x in s.provenance.sources] == ["XDF", "mapping", "timing-sidecar"]
    assert main(args) == 2
    assert "exists; pass --force to overwrite it" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0


def test_convert_to_other_formats(tmp_path, capsys):
    write_xdf(tiny_session(), tmp_path / "s.xdf")
    assert main(["convert", str(tmp_path / "s.xdf"), "--out", str(tmp_path / "s.edf")]) == 2
    assert "pass drop_motion=True (fpcds convert --drop-motion)" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "s.xdf"), "--out", str(tmp_path / "s.edf"), "--drop-motion"]) == 0
    assert main(["convert", str(tmp_path / "s.edf"), "--out", str(tmp_path / "s.fpcds")]) == 0
    assert read_session(tmp_path / "s.fpcds").emg.n_samples == 2000


@pytest.mark.parametrize(
    "argv, message",
    [
        (["convert", "{tmp}/none.xdf", "--out", "{tmp}/o.fpcds"], "none.xdf: no such file"),
        (["convert", "{real}/SOURCES.md", "--out", "{tmp}/o.fpcds"], "file type '.md' is not supported"),
        (["convert", "{real}/minimal.xdf", "--out", "{tmp}/o.fpcds"], "nothing to import"),
        (["convert", "{real}/minimal.xdf", "--out", "{tmp}/o.fpcds", "--emg-sfreq", "100"],
         "--emg-sfreq does not apply to minimal.xdf \\(read_xdf\\)"),
        (["convert", "{edf}/test_generator.edf", "--out", "{tmp}/o.fpcds", "--mapping", "nonesuch"],
         "mapping 'nonesuch' is neither a file nor a built-in mapping"),
        (["inspect", "--raw", "{tmp}/s.fpcds"], "a native session has no raw channels"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, argv, message):
    from acquisition.native import write_session

    write_session(tiny_session(), tmp_path / "s.fpcds")
    argv = [a.format(tmp=tmp_path, real=REAL, edf=PYEDFLIB_DATA) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"fpcds {argv[0]}: error: ")
    import re

    assert re.search(message, err)


def test_inspect_raw_lists_channels_of_every_format(tmp_path, capsys):
    files = [REAL / "minimal.xdf", REAL / "markers_analogs.c3d", PYEDFLIB_DATA / "test_generator.edf"]
    assert main(["inspect", "--raw", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "'SendDataC': 3 channel(s), 10 Hz" in out and "'Sensor 12.EMG12' [V]" in out and "'squarewave' [uV]" in out
    assert main(["inspect", "--raw", "--json", str(files[1])]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "C3D" and info["streams"][1]["channels"][0] == {"label": "Voltage.1", "unit": "V"}


def test_inspect_with_a_mapping_shows_quality_and_unmapped(tmp_path, capsys):
    assert main(["inspect", "--mapping", str(_mapping(tmp_path)), str(REAL / "minimal.xdf")]) == 0
    out = capsys.readouterr().out
    assert "2 channels @ 10 Hz" in out and "[emg.low_rate]" in out and "unmapped      SendDataC:ch3" in out
    assert main(["inspect", str(REAL / "markers_analogs.c3d")]) == 0
    assert "NO facial points: facial motion measures unavailable" in capsys.readouterr().out
