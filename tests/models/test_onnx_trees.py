"""The LightGBM -> ONNX converter: exact agreement, LightGBM's missing-value and input rules, refusals."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest
from onnx import TensorProto, helper

from models.errors import ModelError
from models.export import inference_session
from models.onnx_trees import (ML_OPSET, ZERO_THRESHOLD, input_conditioning, max_raw_difference, native_raw,
                               probe_matrix, tree_ensemble_node)


def _onnx(boosters, n_features: int):
    nodes, inits = input_conditioning("features", "conditioned")
    nodes.append(tree_ensemble_node(boosters, n_features=n_features, input_name="conditioned", output_name="raw"))
    n_raw = native_raw(boosters, np.zeros((1, n_features))).shape[1]
    graph = helper.make_graph(nodes, "t",
                              [helper.make_tensor_value_info("features", TensorProto.DOUBLE, [None, n_features])],
                              [helper.make_tensor_value_info("raw", TensorProto.DOUBLE, [None, n_raw])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    return inference_session(model)


def _data(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    x[rng.random(n) < 0.2, 1] = np.nan  # feature 1 has NaN in training (missing_type NaN)
    x[:, 3] = np.round(x[:, 3], 1)  # many ties
    y = x[:, 0] + np.nan_to_num(x[:, 1], nan=2.0) + (x[:, 3] > 0) + rng.normal(0, 0.3, n)
    return x, y


PARAMS = {"verbose": -1, "num_leaves": 7, "min_data_in_leaf": 5, "deterministic": True, "num_threads": 1}


@pytest.mark.parametrize("objective", ["regression", "binary", "multiclass", "quantile"])
def test_onnx_equals_lightgbm_on_probing_inputs(objective):
    x, y = _data()
    params = dict(PARAMS, objective=objective)
    if objective == "binary":
        y = (y > np.median(y)).astype(float)
    if objective == "multiclass":
        y = np.digitize(y, np.quantile(y, [0.33, 0.66])).astype(float)
        params["num_class"] = 3
    booster = lgb.train(params, lgb.Dataset(x, y), 40)
    session = _onnx([booster], 4)
    probes = probe_matrix([booster], n_features=4, n_rows=3000)
    # NaN in a feature never NaN in training (missing_type None: NaN counts as 0), infinities, tiny values
    assert np.isnan(probes[:, 0]).any() and np.isinf(probes).any()
    assert (np.abs(probes) == ZERO_THRESHOLD).any()
    assert max_raw_difference(session, [booster], np.concatenate([x, probes])) <= 1e-12


def test_several_boosters_fill_consecutive_columns_and_single_leaf_trees_work():
    x, y = _data()
    a = lgb.train(dict(PARAMS, objective="regression"), lgb.Dataset(x, y), 10)
    # a constant label gives trees with a single leaf
    b = lgb.train(dict(PARAMS, objective="regression"), lgb.Dataset(x, np.full(len(y), 3.0)), 3)
    assert all("leaf_value" in t["tree_structure"] for t in b.dump_model()["tree_info"])
    session = _onnx([a, b], 4)
    raw = session.run(["raw"], {"features": x})[0]
    assert raw.shape == (len(x), 2)
    np.testing.assert_allclose(raw[:, 1], 3.0)
    assert max_raw_difference(session, [a, b], x) <= 1e-12


def test_categorical_and_zero_as_missing_splits_are_refused():
    x, y = _data()
    x[:, 2] = np.abs(np.round(x[:, 2] * 2)) % 4
    cat = lgb.train(dict(PARAMS, objective="regression", min_data_per_group=5, cat_smooth=1),
                    lgb.Dataset(x, y + 3 * (x[:, 2] == 1), categorical_feature=[2]), 20)
    with pytest.raises(ModelError, match="decision type '=='"):
        tree_ensemble_node([cat], n_features=4, input_name="f", output_name="raw")
    x, y = _data()
    x[np.abs(x[:, 0]) < 0.3, 0] = 0.0
    zero = lgb.train(dict(PARAMS, objective="regression", zero_as_missing=True), lgb.Dataset(x, y), 20)
    with pytest.raises(ModelError, match="missing_type 'Zero'"):
        tree_ensemble_node([zero], n_features=4, input_name="f", output_name="raw")


def test_input_width_must_match_the_booster():
    x, y = _data()
    booster = lgb.train(dict(PARAMS, objective="regression"), lgb.Dataset(x, y), 3)
    with pytest.raises(ModelError, match="booster uses 4 features; the model input has 5"):
        tree_ensemble_node([booster], n_features=5, input_name="f", output_name="raw")
