"""The capture spool and the assembly of received chunks into a Session (no network)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from acquisition.errors import SessionFileError
from acquisition.lsl_assemble import assemble_session, grid_regular
from acquisition.lsl_publish import emg_stream_info, motion_stream_info
from acquisition.lsl_spool import SpoolWriter, read_spool
from acquisition.lsl_streams import LslError
from tests.factories import tiny_session

ORIGIN = 1000.0


def _meta(**streams):
    return {"origin_lsl": ORIGIN, "stop_lsl": None, "started_at": "2026-01-01T00:00:00+00:00",
            "protocol": "fpcds-standard-v1", "mapping": None, "liblsl": "1.18", "streams": streams}


def _stream_meta(kind, xml, rate, n_channels, name=None):
    return {"kind": kind, "name": name or f"s-{kind}", "type": kind, "source_id": f"id-{kind}", "hostname": "h",
            "nominal_srate": rate, "channel_count": n_channels, "xml": xml}


def _emg_xml():
    return emg_stream_info(tiny_session().emg, name="s-emg", source_id="id-emg").as_xml()


def test_spool_round_trip_and_truncated_last_record(tmp_path):
    spool = SpoolWriter(tmp_path / "sp", meta=_meta(emg=_stream_meta("emg", "", 1000.0, 2),
                                                     **{"markers-0": _stream_meta("markers", "", 0.0, 1)}))
    a = np.arange(20, dtype=np.float32).reshape(10, 2)
    spool.append("emg", np.arange(10) / 1000 + ORIGIN, a, 0.25)
    spool.append("emg", np.arange(10, 20) / 1000 + ORIGIN, a + 100, 0.5)
    spool.append("markers-0", np.array([ORIGIN + 0.004]), [["smile_open/start|rep=1"]], 0.0)
    spool.update_meta(stop_lsl=ORIGIN + 1)
    spool.close()
    contents = read_spool(tmp_path / "sp")
    assert contents.meta["stop_lsl"] == ORIGIN + 1
    chunks = contents.chunks["emg"]
    assert [c.correction for c in chunks] == [0.25, 0.5]
    np.testing.assert_array_equal(chunks[1].values, a + 100)
    assert contents.chunks["markers-0"][0].values == [["smile_open/start|rep=1"]]
    # a crash in the middle of a write leaves a partial record: it is ignored
    with open(tmp_path / "sp" / "emg.chunks", "ab") as fh:
        fh.write(b"FPSC\x00\x0a\x00")
    again = read_spool(tmp_path / "sp")
    assert len(again.chunks["emg"]) == 2 and again.truncated == {"emg": 7}


def test_spool_errors(tmp_path):
    with pytest.raises(SessionFileError, match="is not a capture spool \\(no meta.json\\)"):
        read_spool(tmp_path)
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(SessionFileError, match="cannot be read as spool metadata"):
        read_spool(tmp_path)
    (tmp_path / "meta.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(SessionFileError, match="is not fpcds-lsl-spool metadata"):
        read_spool(tmp_path)
    (tmp_path / "meta.json").write_text(json.dumps({"format": "fpcds-lsl-spool", "version": 99}))
    with pytest.raises(SessionFileError, match="spool version 99 is newer than this software reads"):
        read_spool(tmp_path)
    with pytest.raises(SessionFileError, match="already holds a capture spool; recover or remove it first"):
        SpoolWriter(tmp_path, meta={})


def test_grid_places_runs_and_records_gaps():
    fs = 100.0
    t = np.concatenate([np.arange(50), np.arange(80, 130)]) / fs + 0.2  # 0.3 s missing
    t += np.random.default_rng(0).normal(0, 0.0005, t.size)  # stamp jitter well below a gap
    values = np.arange(100, dtype=np.float32)[:, None]
    grid = grid_regular(t, values, sfreq=fs)
    assert grid.t0 == pytest.approx(0.2, abs=5e-4)
    assert grid.values.shape == (130, 1)
    assert np.isnan(grid.values[50:80]).all() and np.isfinite(grid.values[80:]).all()
    assert grid.gaps == [(pytest.approx(0.7, abs=1e-3), pytest.approx(1.0, abs=1e-3))]
    assert grid.max_jitter_s < 0.003


def test_grid_never_overlaps_runs_when_stamps_step_back():
    fs = 10.0
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.05, 0.15])  # a restarted sender whose clock went back
    grid = grid_regular(t, np.arange(6, dtype=np.float32)[:, None], sfreq=fs)
    np.testing.assert_array_equal(grid.values[:, 0], [0, 1, 2, 3, 4, 5])
    assert grid.gaps == []


def _spool_with(tmp_path, *, emg_stamps, markers=(), stop=None, mapping=None, motion=None):
    meta = _meta(emg=_stream_meta("emg", _emg_xml(), 1000.0, 2),
                 **{"markers-0": _stream_meta("markers", "", 0.0, 1)})
    meta["stop_lsl"] = stop
    meta["mapping"] = mapping
    if motion is not None:
        meta["streams"]["motion"] = _stream_meta("motion", motion[0], 30.0, 1434)
    spool = SpoolWriter(tmp_path / "sp", meta=meta)
    for stamps in emg_stamps:
        spool.append("emg", stamps, np.full((len(stamps), 2), 1e-5, dtype=np.float32), -0.001)
    for t, label in markers:
        spool.append("markers-0", np.array([t]), [[label]], 0.0)
    if motion is not None:
        spool.append("motion", motion[1], motion[2], 0.0)
    spool.close()
    return read_spool(tmp_path / "sp")


def test_assembly_applies_corrections_trims_at_stop_and_makes_segments(tmp_path):
    stamps = ORIGIN + 0.001 + np.arange(3000) / 1000.0  # 3 s; corrected by -1 ms -> session time 0
    contents = _spool_with(tmp_path, emg_stamps=[stamps[:1500], stamps[1500:]], stop=ORIGIN + 2.5,
                           markers=[(ORIGIN + 0.5, "smile_open/start|rep=1"), (ORIGIN + 1.5, "smile_open/end|rep=1"),
                                    (ORIGIN + 2.9, "late")])
    session = assemble_session(contents)
    assert session.emg.t0 == pytest.approx(0.0, abs=1e-9)
    assert session.emg.n_samples == 2501  # samples at 0.000 ... 2.500 s
    assert [(s.task, s.start, s.end) for s in session.segments] == [("smile_open", 0.5, 1.5)]
    assert [m.label for m in session.markers] == ["smile_open/start|rep=1", "smile_open/end|rep=1"]
    assert dict(session.provenance.clock_offsets)["emg"] == pytest.approx(-0.001)
    assert session.recorded_at == "2026-01-01T00:00:00+00:00"
    assert session.subject.age is None  # the capture knows nothing about the patient


def test_assembly_reports_rate_mismatch_and_silent_streams(tmp_path):
    stamps = ORIGIN + np.arange(2000) / 1000.0 * (1 + 500e-6)  # 500 ppm slow device clock
    motion_xml = motion_stream_info(tiny_session().motion, name="s-motion", source_id="id-motion").as_xml()
    contents = _spool_with(tmp_path, emg_stamps=[stamps], motion=(motion_xml, np.array([ORIGIN - 5.0]),
                                                                  np.zeros((1, 1434), np.float32)))
    session = assemble_session(contents)
    assert session.motion is None
    codes = {q.code: q for q in session.quality}
    assert "500 ppm away from its nominal 1000 Hz" in codes["lsl.rate_mismatch"].message
    assert codes["lsl.no_samples"].severity == "error"
    assert "no samples were received from LSL stream 's-motion'" in codes["lsl.no_samples"].message


def test_assembly_uses_the_capture_mapping_and_refuses_an_empty_capture(tmp_path):
    contents = _spool_with(tmp_path, emg_stamps=[ORIGIN + np.arange(100) / 1000.0],
                           mapping={"Zyg li": "mentalis/left", "Zyg re": "mentalis/right"})
    assert {c.muscle for c in assemble_session(contents).emg.channels} == {"mentalis"}
    empty = _spool_with(tmp_path / "b", emg_stamps=[])
    with pytest.raises(LslError, match="no EMG or motion samples were received from 's-emg'; nothing to save"):
        assemble_session(empty)
