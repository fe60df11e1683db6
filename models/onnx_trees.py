"""LightGBM boosters -> one ONNX ``TreeEnsemble`` node (ai.onnx.ml opset 5), in double precision.

The converter reads :meth:`lightgbm.Booster.dump_model` and writes every
split threshold and leaf value as float64 and takes float64 input, so the
ONNX graph compares exactly the numbers LightGBM compares and sums exactly
its leaf values (onnxruntime accumulates in double): the raw output equals
``booster.predict(x, raw_score=True)`` to rounding in the last bits, which
:func:`max_raw_difference` checks. Converters that store thresholds as
float32 can send a value lying between the float64 threshold and its
float32 rounding down the other branch.

LightGBM's missing-value rules are kept: with ``missing_type`` 'NaN' a NaN
goes to the default child; with 'None' a NaN is treated as 0.0, i.e. it goes
left when ``0 <= threshold``. Categorical splits and ``missing_type`` 'Zero'
(``zero_as_missing``) are refused; fpcds never trains them. LightGBM also
conditions its input before the trees (values with ``|x| <= 1e-35f`` count as
0, and values beyond +/-1e300, including infinities, are clamped to
+/-1e300, its largest threshold); :func:`input_conditioning` adds the same
steps to the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from onnx import NodeProto, helper, numpy_helper

from .errors import ModelError

BRANCH_LEQ = 0
ML_OPSET = 5


@dataclass
class _Ensemble:
    tree_roots: list[int] = field(default_factory=list)
    featureids: list[int] = field(default_factory=list)
    splits: list[float] = field(default_factory=list)
    truenodeids: list[int] = field(default_factory=list)
    trueleafs: list[int] = field(default_factory=list)
    falsenodeids: list[int] = field(default_factory=list)
    falseleafs: list[int] = field(default_factory=list)
    missing_tracks_true: list[int] = field(default_factory=list)
    leaf_targetids: list[int] = field(default_factory=list)
    leaf_weights: list[float] = field(default_factory=list)

    def leaf(self, value: float, target: int) -> int:
        self.leaf_targetids.append(target)
        self.leaf_weights.append(float(value))
        return len(self.leaf_weights) - 1

    def node(self, feature: int, threshold: float, missing_true: int) -> int:
        self.featureids.append(int(feature))
        self.splits.append(float(threshold))
        self.missing_tracks_true.append(int(missing_true))
        for lst in (self.truenodeids, self.trueleafs, self.falsenodeids, self.falseleafs):
            lst.append(0)
        return len(self.featureids) - 1


def _missing_goes_left(node: dict[str, Any]) -> int:
    kind = node["missing_type"]
    if kind == "NaN":
        return int(bool(node["default_left"]))
    if kind == "None":
        return int(0.0 <= float(node["threshold"]))
    raise ModelError(f"LightGBM split on feature {node['split_feature']} has missing_type {kind!r}; "
                     "only 'NaN' and 'None' can be exported (train without zero_as_missing)")


def _add_tree(ens: _Ensemble, structure: dict[str, Any], target: int) -> None:
    if "leaf_value" in structure:
        # a single-leaf tree: a split whose two branches reach the same leaf
        leaf = ens.leaf(structure["leaf_value"], target)
        root = ens.node(0, 0.0, 1)
        ens.truenodeids[root], ens.trueleafs[root] = leaf, 1
        ens.falsenodeids[root], ens.falseleafs[root] = leaf, 1
        ens.tree_roots.append(root)
        return
    ens.tree_roots.append(_add_node(ens, structure, target))


def _add_node(ens: _Ensemble, node: dict[str, Any], target: int) -> int:
    if node.get("decision_type") != "<=":
        raise ModelError(f"LightGBM split with decision type {node.get('decision_type')!r} cannot be exported; "
                         "only numeric '<=' splits are supported")
    index = ens.node(node["split_feature"], float(node["threshold"]), _missing_goes_left(node))
    for child_key, ids, leafs in (("left_child", ens.truenodeids, ens.trueleafs),
                                  ("right_child", ens.falsenodeids, ens.falseleafs)):
        child = node[child_key]
        if "leaf_value" in child:
            ids[index], leafs[index] = ens.leaf(child["leaf_value"], target), 1
        else:
            ids[index], leafs[index] = _add_node(ens, child, target), 0
    return index


#: LightGBM's input conditioning constants (kZeroThreshold, the float 1e-35f, and the threshold bound).
ZERO_THRESHOLD = float(np.float32(1e-35))
MAX_THRESHOLD = 1e300


def input_conditioning(input_name: str, output_name: str) -> tuple[list[NodeProto], list[Any]]:
    """Nodes and initializers mapping ``|x| <= 1e-35f`` to 0 and clamping to +/-1e300 (NaN passes unchanged)."""
    inits = [numpy_helper.from_array(np.array(v, dtype=np.float64), n)
             for n, v in (("lgb_zero_threshold", ZERO_THRESHOLD), ("lgb_zero", 0.0),
                          ("lgb_min", -MAX_THRESHOLD), ("lgb_max", MAX_THRESHOLD))]
    nodes = [
        helper.make_node("Abs", [input_name], ["lgb_abs"]),
        helper.make_node("LessOrEqual", ["lgb_abs", "lgb_zero_threshold"], ["lgb_is_zero"]),
        helper.make_node("Where", ["lgb_is_zero", "lgb_zero", input_name], ["lgb_zeroed"]),
        helper.make_node("Clip", ["lgb_zeroed", "lgb_min", "lgb_max"], [output_name]),
    ]
    return nodes, inits


def tree_ensemble_node(boosters: Sequence[Any], *, n_features: int, input_name: str, output_name: str) -> NodeProto:
    """One TreeEnsemble node summing every tree of ``boosters``.

    Parameters
    ----------
    boosters : sequence of lightgbm.Booster
        Booster j with K trees per iteration fills output columns
        ``j*K .. j*K + K - 1`` (K = 1 for binary and regression, the number
        of classes for multiclass).
    n_features : int
        Width of the input; every booster must use exactly these columns.
    input_name, output_name : str

    Returns
    -------
    onnx.NodeProto
        Input (N, n_features) float64 -> output (N, n_targets) float64 raw scores.
    """
    ens = _Ensemble()
    offset = 0
    for booster in boosters:
        dump = booster.dump_model()
        if dump.get("average_output"):
            raise ModelError("random-forest boosters (average_output) cannot be exported")
        if dump["max_feature_idx"] + 1 != n_features:
            raise ModelError(f"booster uses {dump['max_feature_idx'] + 1} features; the model input has {n_features}")
        per_iteration = int(dump["num_tree_per_iteration"])
        for tree in dump["tree_info"]:
            _add_tree(ens, tree["tree_structure"], offset + int(tree["tree_index"]) % per_iteration)
        offset += per_iteration
    return helper.make_node(
        "TreeEnsemble", [input_name], [output_name], domain="ai.onnx.ml", name=f"{output_name}_trees",
        n_targets=offset, aggregate_function=1, post_transform=0, tree_roots=ens.tree_roots,
        nodes_featureids=ens.featureids,
        nodes_modes=numpy_helper.from_array(np.full(len(ens.featureids), BRANCH_LEQ, dtype=np.uint8)),
        nodes_splits=numpy_helper.from_array(np.array(ens.splits, dtype=np.float64)),
        nodes_truenodeids=ens.truenodeids, nodes_trueleafs=ens.trueleafs,
        nodes_falsenodeids=ens.falsenodeids, nodes_falseleafs=ens.falseleafs,
        nodes_missing_value_tracks_true=ens.missing_tracks_true,
        leaf_targetids=ens.leaf_targetids,
        leaf_weights=numpy_helper.from_array(np.array(ens.leaf_weights, dtype=np.float64)),
    )


def native_raw(boosters: Sequence[Any], x: np.ndarray) -> np.ndarray:
    """LightGBM raw scores of ``boosters`` side by side, shape (N, n_targets), float64."""
    cols = []
    for booster in boosters:
        raw = np.asarray(booster.predict(x, raw_score=True), dtype=np.float64)
        cols.append(raw.reshape(len(x), -1))
    return np.concatenate(cols, axis=1)


def probe_matrix(boosters: Sequence[Any], *, n_features: int, n_rows: int = 256, seed: int = 0) -> np.ndarray:
    """Inputs that exercise every split: exact thresholds, the next double above, NaN and spread values.

    Returns
    -------
    ndarray, shape (n_rows, n_features), float64
    """
    thresholds: list[list[float]] = [[] for _ in range(n_features)]

    def walk(node: dict[str, Any]) -> None:
        if "leaf_value" in node:
            return
        thresholds[node["split_feature"]].append(float(node["threshold"]))
        walk(node["left_child"])
        walk(node["right_child"])

    for booster in boosters:
        for tree in booster.dump_model()["tree_info"]:
            walk(tree["tree_structure"])
    rng = np.random.default_rng(seed)
    special = np.array([0.0, -0.0, 1e-36, -1e-36, ZERO_THRESHOLD, -ZERO_THRESHOLD, 2e300, -2e300, np.inf, -np.inf])
    x = np.empty((n_rows, n_features))
    for j, ts in enumerate(thresholds):
        ts_arr = np.array(ts or [0.0])
        finite = ts_arr[np.abs(ts_arr) < MAX_THRESHOLD]
        finite = finite if len(finite) else np.array([0.0])
        spread = np.ptp(finite) + 1.0
        choice = rng.integers(0, 10, n_rows)
        picked = rng.choice(ts_arr, n_rows)
        x[:, j] = np.where(choice < 3, picked, np.where(choice < 6, np.nextafter(picked, np.inf),
                           rng.uniform(finite.min() - spread, finite.max() + spread, n_rows)))
        x[choice == 8, j] = np.nan
        x[choice == 9, j] = rng.choice(special, int(np.sum(choice == 9)))
    return x


def max_raw_difference(session: Any, boosters: Sequence[Any], x: np.ndarray, *, raw_output: str = "raw",
                       input_name: str = "features") -> float:
    """Largest |ONNX raw - LightGBM raw| over the rows of ``x`` (an onnxruntime session of the model)."""
    onnx_raw = session.run([raw_output], {input_name: np.ascontiguousarray(x, dtype=np.float64)})[0]
    return float(np.max(np.abs(onnx_raw - native_raw(boosters, x)))) if len(x) else 0.0
