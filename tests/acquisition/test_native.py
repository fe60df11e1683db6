import json
import os

import numpy as np
import pytest

from acquisition.errors import SessionFileError
from acquisition.native import content_hash, read_session, stored_hash, write_session
from plugin.cli import main
from tests.factories import tiny_session


def assert_sessions_equal(a, b):
    assert a.metadata() == b.metadata()
    for name in ("emg", "motion"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(np.asarray(x.data), np.asarray(y.data))


def test_round_trip_is_lossless_and_memory_mapped(tmp_path):
    s = tiny_session()
    path = tmp_path / "s.fpcds"
    digest = write_session(s, path)
    back = read_session(path)
    assert isinstance(back.emg.data.base, np.memmap) or isinstance(back.emg.data, np.memmap)
    assert_sessions_equal(s, back)
    assert content_hash(back) == digest == stored_hash(path)
    assert read_session(path, mmap=False, verify=True).subject == s.subject


def test_hash_is_stable_and_sensitive(tmp_path):
    s = tiny_session()
    assert content_hash(s) == content_hash(tiny_session())
    assert content_hash(s) != content_hash(tiny_session(seed=1))
    assert content_hash(s) != content_hash(s.crop(0.0, 1.9))
    write_session(s, tmp_path / "a.fpcds")
    write_session(s, tmp_path / "b.fpcds")
    assert (tmp_path / "a.fpcds").read_bytes() == (tmp_path / "b.fpcds").read_bytes()


def test_hash_of_a_cropped_view_equals_hash_of_its_copy(tmp_path):
    s = tiny_session().crop(0.3, 1.7)
    write_session(s, tmp_path / "c.fpcds")
    assert content_hash(read_session(tmp_path / "c.fpcds")) == content_hash(s)


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "s.fpcds"
    write_session(tiny_session(), path)
    data = path.read_bytes()
    (tmp_path / "t.fpcds").write_bytes(data[: len(data) // 2])
    with pytest.raises(SessionFileError, match="file is truncated: array 'motion' needs"):
        read_session(tmp_path / "t.fpcds")


def test_corrupted_data_is_detected_by_verify(tmp_path):
    path = tmp_path / "s.fpcds"
    write_session(tiny_session(), path)
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))
    read_session(path)  # opening is cheap and does not hash
    with pytest.raises(SessionFileError, match="content hash mismatch"):
        read_session(path, verify=True)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "too short for an fpcds session header"),
        (b"NOTASESSIONFILE_____________", "wrong magic bytes"),
        (b"FPCDSES\0\x09\0\0\0" + b"\0" * 8, "format version 9 is newer"),
        (b"FPCDSES\0\x01\0\0\0\xff\xff\0\0\0\0\0\0", "header length 65535 bytes exceeds the file"),
        (b"FPCDSES\0\x01\0\0\0\x04\0\0\0\0\0\0\0{bad", "header is not valid JSON"),
    ],
)
def test_bad_files_get_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.fpcds"
    path.write_bytes(content)
    with pytest.raises(SessionFileError, match=message) as info:
        read_session(path)
    assert str(path) in str(info.value)


def test_no_partial_file_left_behind_on_failure(tmp_path, monkeypatch):
    import acquisition.native as native

    def boom(fh, array):
        raise OSError("disk full")

    monkeypatch.setattr(native, "_write_array", boom)
    with pytest.raises(OSError):
        write_session(tiny_session(), tmp_path / "s.fpcds")
    assert os.listdir(tmp_path) == []


def test_cli_inspect_text_and_json(tmp_path, capsys):
    path = tmp_path / "s.fpcds"
    digest = write_session(tiny_session(), path)
    assert main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert digest in text and "2 channels @ 1000 Hz" in text and "smile_open x1" in text
    assert main(["inspect", "--json", "--verify", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["content_sha256"] == digest
    assert info["emg"]["channels"][1]["side"] == "right"
    assert info["motion"]["scheme"] == "mediapipe478"


def test_cli_inspect_bad_file_exits_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "x.fpcds"
    path.write_bytes(b"garbage")
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert main(["inspect", str(tmp_path / "x.unknown")]) == 2
