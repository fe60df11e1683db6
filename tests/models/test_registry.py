"""The registry verifies hashes, cards and features before a model is used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest

from models.card import CARD_KEY
from models.errors import FeatureMismatchError, ModelFileError, ModelIntegrityError
from models.export import file_sha256
from models.registry import load_models


@pytest.fixture
def copy(model_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(model_dir, tmp_path / "set"))


def _rewrite_card(directory: Path, model_id: str, change) -> None:
    """Edit a model's card inside its ONNX file and re-sign the manifest (a consistent but foreign model)."""
    path = directory / f"{model_id}.onnx"
    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    card = json.loads(props[CARD_KEY])
    change(card)
    props[CARD_KEY] = json.dumps(card)
    props["feature_names"] = json.dumps(card["feature_names"])
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, props)
    onnx.save_model(model, str(path))
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["models"][model_id]["onnx"]["sha256"] = file_sha256(path)
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_a_verified_set_loads_and_matches_lightgbm(model_dir):
    models = load_models(model_dir, verify_equivalence=True)
    assert set(models.models) == {"hb_grade", "sunnybrook", "lesion", "synkinesis", "recovery_6mo",
                                  "weeks_to_recovery"}
    assert len(models.manifest_sha256) == 64


def test_a_tampered_model_file_is_refused(copy):
    path = copy / "lesion.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"lesion.onnx: SHA-256 [0-9a-f]{64} differs from the manifest's"):
        load_models(copy)


def test_a_tampered_booster_text_is_refused(copy):
    path = copy / "synkinesis.model.lgb.txt"
    path.write_text(path.read_text().replace("learning_rate", "learning_rate ", 1))
    with pytest.raises(ModelIntegrityError, match="synkinesis.model.lgb.txt: SHA-256 .* refusing it"):
        load_models(copy)


def test_a_booster_text_changed_after_loading_is_refused(copy):
    models = load_models(copy)
    assert len(models.models["hb_grade"].boosters()) == len(models.models["hb_grade"].head.boosters)
    path = copy / "synkinesis.model.lgb.txt"
    path.write_text(path.read_text().replace("learning_rate", "learning_rate ", 1))
    with pytest.raises(ModelIntegrityError, match="synkinesis.model.lgb.txt: SHA-256 .* differs from the model "
                                                  "card's .* changed after the model set was loaded"):
        models.models["synkinesis"].boosters()


def test_a_model_with_unknown_features_is_refused(copy):
    def rename(card):
        card["feature_names"][0] = "emg.zygomaticus.rms_ratio.smile_sideways"

    _rewrite_card(copy, "hb_grade", rename)
    with pytest.raises(FeatureMismatchError, match="uses feature 'emg.zygomaticus.rms_ratio.smile_sideways', which "
                                                   "this software's feature catalogue does not have"):
        load_models(copy)


def test_a_model_with_features_in_other_units_is_refused(copy):
    def reunit(card):
        card["feature_units"][0] = "furlong"

    _rewrite_card(copy, "sunnybrook", reunit)
    with pytest.raises(FeatureMismatchError, match="expects feature .* in furlong"):
        load_models(copy)


def test_a_card_that_disagrees_with_the_graph_is_refused(copy):
    def drop_last(card):
        for key in ("feature_names", "feature_units", "feature_modalities"):
            card[key].pop()

    _rewrite_card(copy, "lesion", drop_last)
    with pytest.raises(ModelFileError, match="ONNX input .* does not match the card"):
        load_models(copy)


def test_a_card_with_ragged_feature_lists_is_refused(copy):
    _rewrite_card(copy, "lesion", lambda card: card["feature_units"].pop())
    with pytest.raises(ModelFileError, match="feature names, units and modalities differ in length"):
        load_models(copy)


def test_missing_or_malformed_sets_are_refused(copy, tmp_path):
    with pytest.raises(ModelFileError, match="model directory does not exist"):
        load_models(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match="no manifest; expected a model directory written by `fpcds train`"):
        load_models(tmp_path / "empty")
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["models"]["weeks_to_recovery"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=r"model set lacks model\(s\) \['weeks_to_recovery'\]"):
        load_models(copy)
    assert set(load_models(copy, heads=("hb_grade",)).models) == {"hb_grade"}
    (copy / "manifest.json").write_text("{")
    with pytest.raises(ModelFileError, match="manifest is not valid JSON"):
        load_models(copy)
    (copy / "manifest.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ModelFileError, match="not a model-set manifest"):
        load_models(copy)


def test_a_missing_model_file_is_refused(copy):
    (copy / "sunnybrook.onnx").unlink()
    with pytest.raises(ModelFileError, match="sunnybrook.onnx: model file listed in the manifest is missing"):
        load_models(copy)
