"""The model card: what a model is, what it was trained on and how well it did; stored inside the ONNX file.

The whole card is one JSON document under the ONNX ``metadata_props`` key
``fpcds.model_card``; its main facts are repeated as flat keys (``model_id``,
``version``, ``input_name``, ``feature_names``, ``training_data_sha256``,
``code_version``, ``intended_use``, ``statement``) so generic ONNX tools show
them. Fields follow the TRIPOD+AI items that apply to a simulated-data model.
"""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import ModelFileError

CARD_KEY = "fpcds.model_card"
CARD_FORMAT = "fpcds-model-card"
CARD_VERSION = 1
STATEMENT = "trained on simulated data; not clinically validated"
INTENDED_USE = (
    "Research and demonstration of explained decision support for facial palsy: grading, lesion type, synkinesis "
    "and prognosis from facial sEMG and facial motion recorded with the fpcds standard protocol. Every output is a "
    "proposal for a clinician to review; it is never a diagnosis. Not for clinical use: "
    + STATEMENT + "."
)
LIMITATIONS = (
    "Trained and evaluated on the fpcds physiological simulator (fpcds-sim-1) only; real recordings differ in noise, "
    "anatomy, electrode placement and camera conditions. Labels are the simulator's latent truth, not clinician "
    "ratings. Outputs marked conditional have their meaning only under the stated condition."
)


@dataclass(frozen=True)
class ModelCard:
    """Card of one model (one head).

    Attributes
    ----------
    model_id : str
    version : str
    title : str
    kind : {'multiclass', 'binary', 'interval'}
    input_name : str
        ONNX input: (N, len(feature_names)) float64.
    feature_names, feature_units, feature_modalities : list of str
        The input columns in order, as in the feature catalogue.
    outputs : dict
        ONNX output name -> meaning (``raw`` and ``output``).
    output_columns : list of str
        Names of the ``output`` columns.
    conditional : str
        Condition for the output's meaning ('' if none).
    calibration : dict
        Method and fitted parameters.
    boosters : list of dict
        LightGBM boosters (name, file, sha256, objective, trees) in raw-column order.
    training : dict
        Data hash, source, populations, split sizes, seed, parameters, feature selection.
    metrics : dict
        Validation / calibration-split metrics.
    code_version, library_versions, intended_use, limitations, statement, catalogue_sha256
    """

    model_id: str
    version: str
    title: str
    kind: str
    input_name: str
    feature_names: list[str]
    feature_units: list[str]
    feature_modalities: list[str]
    outputs: dict[str, str]
    output_columns: list[str]
    conditional: str
    calibration: dict[str, Any]
    boosters: list[dict[str, Any]]
    training: dict[str, Any]
    metrics: dict[str, Any]
    code_version: str
    library_versions: dict[str, str]
    catalogue_sha256: str
    intended_use: str = INTENDED_USE
    limitations: str = LIMITATIONS
    statement: str = STATEMENT

    def to_dict(self) -> dict[str, Any]:
        return {"format": CARD_FORMAT, "card_version": CARD_VERSION, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, allow_nan=False)

    def metadata_props(self) -> dict[str, str]:
        """ONNX metadata_props: the full card plus flat keys."""
        return {
            CARD_KEY: self.to_json(),
            "model_id": self.model_id,
            "version": self.version,
            "input_name": self.input_name,
            "feature_names": json.dumps(self.feature_names),
            "training_data_sha256": str(self.training.get("data_sha256", "")),
            "code_version": self.code_version,
            "intended_use": self.intended_use,
            "statement": self.statement,
        }

    @classmethod
    def from_metadata(cls, props: dict[str, str], *, path: str) -> ModelCard:
        """Read the card from ONNX metadata_props; raises ModelFileError naming ``path``."""
        text = props.get(CARD_KEY)
        if text is None:
            raise ModelFileError(path, f"ONNX metadata has no {CARD_KEY!r}; not an fpcds model")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(path, f"model card is not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != CARD_FORMAT or data.get("card_version") != CARD_VERSION:
            raise ModelFileError(path, f"model card is not {CARD_FORMAT} version {CARD_VERSION}")
        names = [f.name for f in fields(cls)]
        missing = [n for n in names if n not in data]
        if missing:
            raise ModelFileError(path, f"model card lacks {missing}")
        card = cls(**{n: data[n] for n in names})
        if props.get("model_id") != card.model_id or props.get("input_name") != card.input_name:
            raise ModelFileError(path, "flat metadata (model_id, input_name) disagrees with the model card")
        if not (len(card.feature_names) == len(card.feature_units) == len(card.feature_modalities)):
            raise ModelFileError(path, "model card feature names, units and modalities differ in length")
        return card


def code_version() -> str:
    """The git commit of the source tree (``+dirty`` with local changes), else the fpcds package version."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        if commit:
            return f"git:{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        return f"fpcds {metadata.version('fpcds')}"
    except metadata.PackageNotFoundError:
        return "fpcds (version unknown)"


def library_versions() -> dict[str, str]:
    """Versions of the libraries that train and run the models."""
    out = {"python": platform.python_version()}
    for dist in ("fpcds", "numpy", "scipy", "lightgbm", "onnx", "onnxruntime"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out
