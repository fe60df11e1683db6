"""Cohort -> feature cache: files and in-memory simulation agree, labels are checked, builds resume."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from acquisition.simulate import SimulationOptions, simulate_cohort
from models.dataset import (VARIANTS, SimulatedCohort, build_cache, check_labels, label_column, load_cache,
                            source_key)
from models.errors import DatasetError

TINY = SimulatedCohort(3, 5, repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)
TINY_OPTIONS = SimulationOptions(repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tinycohort")
    simulate_cohort(out, n_patients=3, seed=5, options=TINY_OPTIONS, jobs=1)
    return out


def test_files_and_in_memory_simulation_give_the_same_cache(cohort_dir, tmp_path):
    from_files = build_cache(cohort_dir, tmp_path / "files.npz")
    in_memory = build_cache(TINY, tmp_path / "memory.npz")
    for v in VARIANTS:
        np.testing.assert_array_equal(from_files.x[v], in_memory.x[v])
    assert [r["content_sha256"] for r in from_files.labels] == [r["content_sha256"] for r in in_memory.labels]
    assert from_files.data_hash() == in_memory.data_hash()
    # the variants are real single-modality extractions: EMG-only has no motion feature, and vice versa
    from models.features import feature_specs

    modality = np.array([s.modality for s in feature_specs()])
    assert np.isnan(in_memory.x["emg"][:, modality == "motion"]).all()
    assert np.isnan(in_memory.x["motion"][:, modality == "emg"]).all()
    assert np.isfinite(in_memory.x["fused"][:, modality == "emg"]).any()


def test_cache_is_reused_and_reloaded_identically(tmp_path):
    first = build_cache(TINY, tmp_path / "c.npz")
    stamp = (tmp_path / "c.npz").stat().st_mtime_ns
    again = build_cache(TINY, tmp_path / "c.npz")
    assert (tmp_path / "c.npz").stat().st_mtime_ns == stamp
    assert again.data_hash() == first.data_hash() == load_cache(tmp_path / "c.npz").data_hash()
    assert not (tmp_path / "c.npz.parts").exists()


def test_interrupted_build_resumes_from_its_chunks(tmp_path, monkeypatch):
    import models.dataset as D

    monkeypatch.setattr(D, "_CHUNK", 1)
    calls = []
    real = D._simulated_item

    def failing(args):
        calls.append(args[1])
        if args[1] == 2 and calls.count(2) == 1:
            raise RuntimeError("power cut")
        return real(args)

    monkeypatch.setattr(D, "_simulated_item", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        build_cache(TINY, tmp_path / "c.npz")
    assert sorted(p.name for p in (tmp_path / "c.npz.parts").glob("part-*")) == ["part-0000000.npz",
                                                                               "part-0000001.npz"]
    cache = build_cache(TINY, tmp_path / "c.npz")
    assert calls == [0, 1, 2, 2]  # only the missing session was computed again
    assert len(cache) == 3


def test_a_cache_of_another_cohort_is_never_overwritten(tmp_path):
    build_cache(TINY, tmp_path / "c.npz")
    other = SimulatedCohort(3, 6, repetitions=1, rest_s=1.0, hold_s=2.0, emg_sfreq=1000.0)
    with pytest.raises(DatasetError, match="c.npz: holds the features of another cohort"):
        build_cache(other, tmp_path / "c.npz")


def test_stale_or_foreign_caches_are_refused(tmp_path):
    build_cache(TINY, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as data:
        arrays = dict(data)
    meta = json.loads(str(arrays["meta_json"]))
    meta["catalogue_sha256"] = "0" * 64
    arrays["meta_json"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "stale.npz", **arrays)
    with pytest.raises(DatasetError, match="another feature catalogue; rebuild the cache"):
        load_cache(tmp_path / "stale.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="junk.npz: not a readable feature cache"):
        load_cache(tmp_path / "junk.npz")
    with pytest.raises(DatasetError, match="feature cache does not exist"):
        load_cache(tmp_path / "missing.npz")


def _rewrite_labels(directory: Path, change) -> None:
    path = directory / "labels.csv"
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    change(rows)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _copy_cohort(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.npz", "*.parts"))
    return dst


def test_bad_labels_are_refused_with_row_and_column(cohort_dir, tmp_path):
    bad = _copy_cohort(cohort_dir, tmp_path / "bad")
    _rewrite_labels(bad, lambda rows: rows[1].update(hb_grade="7"))
    with pytest.raises(DatasetError,
                       match=r"labels.csv: row 2 column hb_grade is '7'; expected an integer in \[1, 6\]"):
        build_cache(bad, tmp_path / "c.npz")
    _rewrite_labels(bad, lambda rows: rows[1].update(hb_grade="2", lesion="brain"))
    with pytest.raises(DatasetError, match="row 2 column lesion is 'brain'; expected one of"):
        build_cache(bad, tmp_path / "c.npz")
    _rewrite_labels(bad, lambda rows: rows[1].update(lesion="peripheral", weeks_to_recovery="soon"))
    with pytest.raises(DatasetError, match="row 2 column weeks_to_recovery is 'soon'; expected a number"):
        build_cache(bad, tmp_path / "c.npz")


def test_missing_files_and_foreign_sessions_are_refused(cohort_dir, tmp_path):
    with pytest.raises(DatasetError, match="cohort directory does not exist"):
        build_cache(tmp_path / "nowhere", tmp_path / "c.npz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no labels.csv"):
        build_cache(tmp_path / "empty", tmp_path / "c.npz")
    gone = _copy_cohort(cohort_dir, tmp_path / "gone")
    name = next(gone.glob("*.fpcds")).name
    (gone / name).unlink()
    with pytest.raises(DatasetError, match=f"session file '{name}' does not exist"):
        build_cache(gone, tmp_path / "c1.npz")
    swapped = _copy_cohort(cohort_dir, tmp_path / "swapped")
    _rewrite_labels(swapped, lambda rows: rows[0].update(content_sha256=rows[1]["content_sha256"]))
    with pytest.raises(DatasetError, match="differs from labels.csv content_sha256"):
        build_cache(swapped, tmp_path / "c2.npz")


def test_label_columns_and_source_keys():
    rows = [{"session_file": "a", "lesion": "central", "hb_grade": "3"},
            {"session_file": "b", "lesion": "", "hb_grade": ""}]
    check_labels(rows, source="x")
    assert label_column(rows, "lesion")[0] == 2.0 and np.isnan(label_column(rows, "lesion")[1])
    assert np.isnan(label_column(rows, "hb_grade")[1])
    with pytest.raises(DatasetError, match="row 1 has an empty session_file"):
        check_labels([{"session_file": " "}], source="x")
    assert source_key(TINY) != source_key(SimulatedCohort(3, 6, repetitions=1, rest_s=1.0, hold_s=2.0,
                                                          emg_sfreq=1000.0))
    with pytest.raises(DatasetError, match="expected at least 1"):
        SimulatedCohort(0, 1)
