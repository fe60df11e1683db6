"""FeatureTable: fixed names, units, vectors, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from models.features import FeatureError, FeatureTable, UnknownFeatureError, extract_features, feature_names
from models.features.names import MODALITIES, feature_specs, long_feature_names
from tests.models.features.builders import constructed_session


@pytest.fixture(scope="module")
def tables():
    kw = {"tasks": ("rest", "brow_raise", "smile_open", "pucker"), "reps": 1}
    return {
        "both": extract_features(constructed_session(**kw)),
        "emg": extract_features(constructed_session(motion=False, **kw)),
        "motion": extract_features(constructed_session(emg=False, **kw)),
    }


def test_names_are_unique_ordered_and_described():
    names = feature_names()
    assert len(names) == len(set(names)) > 2000
    assert names == feature_names()
    specs = feature_specs()
    assert all(s.modality in MODALITIES and s.unit and s.description for s in specs)
    assert "emg.zygomaticus.rms_ratio.smile_open" in names
    assert "motion.commissure.excursion_asym_pct.smile_open" in names
    assert names[:5] == ("clinical.age", "clinical.sex_female", "clinical.days_since_onset",
                         "clinical.fdi_physical", "clinical.fdi_social")
    long = long_feature_names()
    assert len(long) == len(set(long)) and set(n for n in names if not n.startswith("motion.")) <= set(long)


def test_every_session_gets_the_same_names(tables):
    for table in tables.values():
        assert table.names == feature_names()
    assert tables["emg"].available(modality="motion") == ()
    assert tables["motion"].available(modality="emg") == ()
    both = set(tables["both"].available())
    assert set(tables["emg"].available()) | set(tables["motion"].available()) == both


def test_units_and_modalities(tables):
    t = tables["both"]
    assert t.spec("emg.zygomaticus.rms_affected.smile_open").unit == "uV"
    assert t.spec("motion.commissure.excursion_asym_pct.smile_open").unit == "%"
    assert t.spec("motion.smile_angle.asym_deg.rest").unit == "deg"
    assert t.spec("clinical.age").modality == "clinical"
    assert t["clinical.age"] == 50 and t["clinical.sex_female"] == 0
    assert t["emg.zygomaticus.rms_healthy.smile_open"] == pytest.approx(60, rel=0.1)  # 60 uV task RMS


def test_vector_follows_the_requested_order(tables):
    t = tables["both"]
    names = ["motion.brow_height.excursion_healthy.brow_raise", "clinical.age", "emg.mentalis.rms_ratio.eee"]
    v = t.vector(names)
    assert v[0] == t[names[0]] and v[1] == 50 and math.isnan(v[2])
    assert t.vector(feature_names()).shape == (len(feature_names()),)


def test_unknown_names_are_refused(tables):
    t = tables["both"]
    with pytest.raises(UnknownFeatureError, match="feature 'emg.nope' \\(and 1 more\\) is not in this table"):
        t.vector(["emg.nope", "clinical.age", "motion.nope"])
    with pytest.raises(FeatureError, match="feature 'x' is not in this table"):
        t["x"]
    with pytest.raises(FeatureError, match="modality 'audio' is unknown"):
        t.available(modality="audio")
    assert "x" not in t and math.isnan(t.get("x")) and t.get("clinical.age") == 50


def test_json_round_trip_is_lossless(tables):
    t = tables["both"]
    text = t.to_json()
    data = json.loads(text)
    assert data["format"] == "fpcds-feature-table" and data["features"][0]["name"] == "clinical.age"
    assert any(row["value"] is None for row in data["features"])  # NaN -> null
    back = FeatureTable.from_json(text)
    np.testing.assert_array_equal(back.values, t.values)
    assert back.specs == t.specs and back.affected_side == t.affected_side
    assert back.record == t.record
    assert back.scores.to_dict() == t.scores.to_dict()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "feature table is not valid JSON"),
        ('{"format": "other"}', "not a feature table"),
        ('{"format": "fpcds-feature-table", "version": 9}', "feature table version 9; this software reads 1"),
        ('{"format": "fpcds-feature-table", "version": 1}', "feature table is malformed: KeyError"),
    ],
)
def test_bad_json_is_refused_with_the_reason(text, message):
    with pytest.raises(FeatureError, match=message):
        FeatureTable.from_json(text)


def test_table_validates_its_parts(tables):
    t = tables["both"]
    with pytest.raises(FeatureError, match="feature values have shape \\(2,\\)"):
        FeatureTable(t.specs, np.zeros(2), "left", "subject", t.record)
    with pytest.raises(FeatureError, match="affected side 'up'"):
        FeatureTable(t.specs, t.values, "up", "subject", t.record)
    with pytest.raises(FeatureError, match="affected side source 'guess'"):
        FeatureTable(t.specs, t.values, "left", "guess", t.record)
    with pytest.raises(FeatureError, match="feature names are not unique"):
        FeatureTable(t.specs[:1] * 2, np.zeros(2), "left", "subject", t.record)
    assert not t.values.flags.writeable


def test_processing_record_states_the_methods(tables):
    record = tables["both"].record
    text = record.methods_text()
    assert "The sEMG, sampled at 2000 Hz, was band-pass filtered 20-450 Hz" in text
    assert "notch filtered at 50 Hz" in text and "zero-phase" in text
    assert "iris diameter of 11.77 mm" in text
    assert record.parameters["emg.bandpass_hz"] == [20.0, 450.0]
    assert record.parameters["emg.powerline_detected_hz"] == 50.0
    assert set(record.versions) >= {"numpy", "scipy", "python", "fpcds"}
