"""One head -> one ONNX file with its card, plus its LightGBM boosters as model text.

Graph (input ``features``: (N, n_features) float64)::

    raw    = TreeEnsemble(conditioned features)   (N, n_raw), the sum of the trees
    output = multiclass: Softmax(raw * (1 / T))
             binary:     Sigmoid(raw * a + b)
             interval:   [min(lo - q, pt), pt, max(hi + q, pt)] -> inverse transform -> clip to bounds

:func:`output_from_raw` computes the same map in numpy, so the native
LightGBM output can be compared with onnxruntime's (:func:`verify_export`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from scipy.special import expit, softmax

from .card import ModelCard
from .errors import ModelIntegrityError
from .heads import Head
from .onnx_trees import (ML_OPSET, input_conditioning, max_raw_difference, native_raw, probe_matrix,
                         tree_ensemble_node)

INPUT_NAME = "features"
OPSET = 17
#: Largest difference allowed between onnxruntime and LightGBM (raw and output).
TOLERANCE = 1e-6


def output_from_raw(head: Head, raw: np.ndarray, calibration: dict[str, Any]) -> np.ndarray:
    """The head's ``output`` from its ``raw`` scores (numpy twin of the ONNX graph).

    Parameters
    ----------
    raw : ndarray, shape (N, n_raw), float64
    calibration : dict
        As stored in the model card.

    Returns
    -------
    ndarray, shape (N, n_outputs), float64
    """
    raw = np.asarray(raw, dtype=np.float64)
    if head.kind == "multiclass":
        return softmax(raw * (1.0 / calibration["temperature"]), axis=1)
    if head.kind == "binary":
        return expit(raw * calibration["a"] + calibration["b"])
    q = calibration["offset"]
    lo, pt, hi = raw[:, :1] - q, raw[:, 1:2], raw[:, 2:3] + q
    out = np.concatenate([np.minimum(lo, pt), pt, np.maximum(hi, pt)], axis=1)
    out = head.inverse(out)
    return np.minimum(np.maximum(out, head.bounds[0]), head.bounds[1])


def _const(name: str, value: Any) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, dtype=np.float64), name)


def build_onnx(head: Head, boosters: Sequence[Any], card: ModelCard) -> onnx.ModelProto:
    """The ONNX model of ``head`` (graph in the module docstring) carrying ``card``."""
    n_features = len(card.feature_names)
    n_raw = sum(int(b.dump_model()["num_tree_per_iteration"]) for b in boosters)
    nodes, inits = input_conditioning(INPUT_NAME, "conditioned")
    nodes.append(tree_ensemble_node(boosters, n_features=n_features, input_name="conditioned", output_name="raw"))
    cal = card.calibration
    if head.kind == "multiclass":
        inits.append(_const("inv_temperature", 1.0 / cal["temperature"]))
        nodes += [helper.make_node("Mul", ["raw", "inv_temperature"], ["scaled"]),
                  helper.make_node("Softmax", ["scaled"], ["output"], axis=1)]
    elif head.kind == "binary":
        inits += [_const("platt_a", cal["a"]), _const("platt_b", cal["b"])]
        nodes += [helper.make_node("Mul", ["raw", "platt_a"], ["scaled"]),
                  helper.make_node("Add", ["scaled", "platt_b"], ["logit"]),
                  helper.make_node("Sigmoid", ["logit"], ["output"])]
    else:
        q = cal["offset"]
        inits += [_const("offsets", [[-q, 0.0, q]]), numpy_helper.from_array(np.array([1, 1, 1], np.int64), "split"),
                  _const("lower_bound", head.bounds[0]), _const("upper_bound", head.bounds[1])]
        nodes += [helper.make_node("Add", ["raw", "offsets"], ["shifted"]),
                  helper.make_node("Split", ["shifted", "split"], ["lo", "pt", "hi"], axis=1),
                  helper.make_node("Min", ["lo", "pt"], ["lo_kept"]),
                  helper.make_node("Max", ["hi", "pt"], ["hi_kept"]),
                  helper.make_node("Concat", ["lo_kept", "pt", "hi_kept"], ["interval"], axis=1)]
        last = "interval"
        if head.transform == "log1p":
            inits.append(_const("one", 1.0))
            nodes += [helper.make_node("Exp", [last], ["exp"]), helper.make_node("Sub", ["exp", "one"], ["label"])]
            last = "label"
        nodes += [helper.make_node("Max", [last, "lower_bound"], ["floored"]),
                  helper.make_node("Min", ["floored", "upper_bound"], ["output"])]
    graph = helper.make_graph(
        nodes, f"fpcds_{head.id}",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.DOUBLE, [None, n_features])],
        [helper.make_tensor_value_info("raw", TensorProto.DOUBLE, [None, n_raw]),
         helper.make_tensor_value_info("output", TensorProto.DOUBLE, [None, head.n_outputs])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
                              producer_name="fpcds", producer_version=card.library_versions.get("fpcds", ""))
    model.ir_version = 9
    model.doc_string = f"{card.title}: {card.outputs['output']}. {card.statement}."
    helper.set_model_props(model, card.metadata_props())
    onnx.checker.check_model(model, full_check=True)
    return model


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def inference_session(model: onnx.ModelProto | str | Path):  # -> onnxruntime.InferenceSession
    """A single-threaded onnxruntime session (predictions are per session; threads cost more than they give)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])


def verify_export(head: Head, model: onnx.ModelProto, boosters: Sequence[Any], card: ModelCard, x: np.ndarray,
                  *, path: str = "(in memory)") -> float:
    """Compare onnxruntime with LightGBM on ``x`` plus split-probing rows; raise beyond :data:`TOLERANCE`.

    Returns
    -------
    float
        The largest absolute difference over raw scores and outputs.
    """
    session = inference_session(model)
    probes = probe_matrix(boosters, n_features=len(card.feature_names))
    rows = np.concatenate([np.asarray(x, dtype=np.float64), probes])
    diff = max_raw_difference(session, boosters, rows, input_name=INPUT_NAME)
    onnx_out = session.run(["output"], {INPUT_NAME: rows})[0]
    native_out = output_from_raw(head, native_raw(boosters, rows), card.calibration)
    diff = max(diff, float(np.max(np.abs(onnx_out - native_out))))
    if not diff <= TOLERANCE:
        raise ModelIntegrityError(path, f"onnxruntime and LightGBM differ by {diff:.3g} (> {TOLERANCE:g}) on "
                                        f"{len(rows)} rows; the export is wrong")
    return diff


def write_boosters(head: Head, boosters: Sequence[Any], out_dir: Path) -> list[dict[str, Any]]:
    """Save each booster as LightGBM model text; returns [{name, file, sha256, objective, trees}]."""
    out = []
    for name, booster in zip(head.boosters, boosters):
        file = f"{head.id}.{name}.lgb.txt"
        booster.save_model(str(out_dir / file))
        out.append({"name": name, "file": file, "sha256": file_sha256(out_dir / file),
                    "objective": booster.dump_model()["objective"], "trees": booster.num_trees()})
    return out


def write_model(model: onnx.ModelProto, out_dir: Path, head: Head) -> dict[str, str]:
    """Save the ONNX file; returns {file, sha256}."""
    file = f"{head.id}.onnx"
    onnx.save_model(model, str(out_dir / file))
    return {"file": file, "sha256": file_sha256(out_dir / file)}
