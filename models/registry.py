"""Model sets: a directory of ONNX models with a manifest; loading verifies everything before use.

``manifest.json`` lists, per head, the ONNX file and the LightGBM model
texts with their SHA-256. :func:`load_models` refuses to use a model set
when

* the manifest is missing or malformed, or a head is missing;
* a file's SHA-256 differs from the manifest (:class:`ModelIntegrityError`);
* a model's card is missing, malformed or disagrees with the manifest or the
  ONNX graph's input;
* a model's input features are not in this software's feature catalogue with
  the same unit and modality (:class:`FeatureMismatchError`);
* with ``verify_equivalence=True``, onnxruntime and the LightGBM boosters
  disagree beyond 1e-6 on split-probing inputs.

The package ships a default set in ``models/artifacts`` (rebuilt by
``scripts/make_default_models.sh``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .card import STATEMENT, ModelCard
from .errors import FeatureMismatchError, ModelFileError, ModelIntegrityError
from .heads import HEADS, Head

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "fpcds-model-set"
MANIFEST_VERSION = 1
DEFAULT_DIR = Path(__file__).resolve().parent / "artifacts"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(out_dir: Path, entries: dict[str, dict[str, Any]], *, training: dict[str, Any],
                   version: str) -> Path:
    """Write ``manifest.json`` for the model files in ``out_dir``; returns its path."""
    manifest = {
        "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "set_version": version,
        "statement": STATEMENT,
        "training": {k: training[k] for k in ("data_sha256", "source", "n_sessions", "n_patients", "split_patients",
                                              "code_version", "catalogue_sha256", "options")},
        "models": entries,
    }
    path = Path(out_dir) / MANIFEST
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n")
    tmp.replace(path)
    return path


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Parse and check the shape of a model set's manifest."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ModelFileError(str(directory), "model directory does not exist")
    if not path.is_file():
        raise ModelFileError(str(path), "no manifest; expected a model directory written by `fpcds train`")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(str(path), f"manifest is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise ModelFileError(str(path), f"not a model-set manifest: 'format' is not {MANIFEST_FORMAT!r}")
    if manifest.get("version") != MANIFEST_VERSION:
        raise ModelFileError(str(path), f"manifest version {manifest.get('version')!r}; this software reads "
                                        f"{MANIFEST_VERSION}")
    models = manifest.get("models")
    if not isinstance(models, dict) or not models:
        raise ModelFileError(str(path), "manifest lists no models")
    for model_id, entry in models.items():
        try:
            files = [entry["onnx"], *entry["boosters"]]
            for f in files:
                if not (isinstance(f["file"], str) and isinstance(f["sha256"], str)):
                    raise TypeError
                if Path(f["file"]).name != f["file"]:
                    raise ModelFileError(str(path), f"model {model_id!r} file {f['file']!r} is not a plain file name")
        except (KeyError, TypeError):
            raise ModelFileError(str(path), f"manifest entry of model {model_id!r} lacks onnx/boosters "
                                            "file names and sha256") from None
    return manifest


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """One verified head, ready to predict.

    Attributes
    ----------
    head : Head
    card : ModelCard
    path : Path
        The ONNX file.
    sha256 : str
        Its verified SHA-256.
    booster_files : dict of str -> Path
        Verified LightGBM model texts (booster name -> file), in raw-column order.
    """

    head: Head
    card: ModelCard
    path: Path
    sha256: str
    booster_files: dict[str, Path]
    _session: Any = field(repr=False)

    @property
    def id(self) -> str:
        return self.card.model_id

    @property
    def feature_names(self) -> list[str]:
        return self.card.feature_names

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores and outputs for feature rows.

        Parameters
        ----------
        x : ndarray, shape (N, n_features), float64
            Columns in the order of :attr:`feature_names`; NaN where unavailable.

        Returns
        -------
        raw : ndarray, shape (N, n_raw), float64
        output : ndarray, shape (N, n_outputs), float64
        """
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
        raw, out = self._session.run(["raw", "output"], {self.card.input_name: x})
        return raw, out

    def boosters(self) -> list[Any]:
        """The LightGBM boosters behind this model, in raw-column order, each text checked again against the
        SHA-256 in the model card before it is parsed (a file changed after loading is refused).

        Raises
        ------
        ModelIntegrityError
        """
        import lightgbm as lgb

        out = []
        for spec in self.card.boosters:
            path = self.booster_files[spec["name"]]
            data = path.read_bytes()
            found = hashlib.sha256(data).hexdigest()
            if found != spec["sha256"]:
                raise ModelIntegrityError(str(path), f"SHA-256 {found} differs from the model card's "
                                                     f"{spec['sha256']}; the file changed after the model set was "
                                                     "loaded, refusing it")
            out.append(lgb.Booster(model_str=data.decode("utf-8")))
        return out


@dataclass(frozen=True, eq=False)
class ModelSet:
    """A verified set of heads.

    Attributes
    ----------
    directory : Path
    manifest : dict
    manifest_sha256 : str
    models : dict of str -> LoadedModel
    """

    directory: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    models: dict[str, LoadedModel]

    def __getitem__(self, model_id: str) -> LoadedModel:
        try:
            return self.models[model_id]
        except KeyError:
            raise ModelFileError(str(self.directory), f"model set has no model {model_id!r}") from None

    @property
    def version(self) -> str:
        return str(self.manifest.get("set_version", ""))


def _check_features(card: ModelCard, path: Path) -> None:
    from models.features import feature_specs

    catalogue = {s.name: s for s in feature_specs()}
    for name, unit, modality in zip(card.feature_names, card.feature_units, card.feature_modalities):
        spec = catalogue.get(name)
        if spec is None:
            raise FeatureMismatchError(str(path), f"model {card.model_id!r} uses feature {name!r}, which this "
                                                  "software's feature catalogue does not have; the model was built "
                                                  "for another feature version (retrain it with `fpcds train`)")
        if (spec.unit, spec.modality) != (unit, modality):
            raise FeatureMismatchError(str(path), f"model {card.model_id!r} expects feature {name!r} in {unit} "
                                                  f"({modality}); the catalogue has it in {spec.unit} "
                                                  f"({spec.modality})")


def _load_one(directory: Path, model_id: str, entry: dict[str, Any], *, verify_equivalence: bool) -> LoadedModel:
    import onnx

    from .export import inference_session, verify_export

    if model_id not in HEADS:
        raise ModelFileError(str(directory / MANIFEST), f"model {model_id!r} is not a head this software knows "
                                                        f"({list(HEADS)})")
    head: Head = HEADS[model_id]
    for f in [entry["onnx"], *entry["boosters"]]:
        path = directory / f["file"]
        if not path.is_file():
            raise ModelFileError(str(path), "model file listed in the manifest is missing")
        found = _sha256(path)
        if found != f["sha256"]:
            raise ModelIntegrityError(str(path), f"SHA-256 {found} differs from the manifest's {f['sha256']}; "
                                                 "the file was changed after the model set was built, refusing it")
    path = directory / entry["onnx"]["file"]
    try:
        model = onnx.load_model(str(path))
    except Exception as exc:  # onnx raises DecodeError and others on a corrupt file
        raise ModelFileError(str(path), f"not a readable ONNX model ({type(exc).__name__})") from None
    card = ModelCard.from_metadata({p.key: p.value for p in model.metadata_props}, path=str(path))
    if card.model_id != model_id or card.kind != head.kind:
        raise ModelFileError(str(path), f"model card says {card.model_id!r} ({card.kind}); the manifest lists it "
                                        f"as {model_id!r} ({head.kind})")
    inputs = [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in model.graph.input]
    if len(inputs) != 1 or inputs[0][0] != card.input_name or inputs[0][1][1:] != [len(card.feature_names)]:
        raise ModelFileError(str(path), f"ONNX input {inputs} does not match the card ({card.input_name!r} with "
                                        f"{len(card.feature_names)} features)")
    card_boosters = [(b["name"], b["file"], b["sha256"]) for b in card.boosters]
    listed = [(b["name"], b["file"], b["sha256"]) for b in entry["boosters"]]
    if card_boosters != listed or [b[0] for b in listed] != list(head.boosters):
        raise ModelFileError(str(path), "the boosters in the model card differ from the manifest's")
    _check_features(card, path)
    session = inference_session(model)
    loaded = LoadedModel(head, card, path, entry["onnx"]["sha256"],
                         {b["name"]: directory / b["file"] for b in entry["boosters"]}, session)
    if verify_equivalence:
        verify_export(head, model, loaded.boosters(), card, np.empty((0, len(card.feature_names))), path=str(path))
    return loaded


def load_models(
    directory: str | Path | None = None,
    *,
    heads: tuple[str, ...] | None = None,
    verify_equivalence: bool = False,
) -> ModelSet:
    """Load and verify a model set.

    Parameters
    ----------
    directory : path, optional
        Model directory (default: the shipped models, :data:`DEFAULT_DIR`).
    heads : tuple of str, optional
        Heads that must be present (default: every head of :data:`models.heads.HEADS`).
    verify_equivalence : bool
        Also rebuild the LightGBM boosters and check they agree with the
        ONNX graphs (slower; done at export time anyway).

    Returns
    -------
    ModelSet

    Raises
    ------
    ModelFileError, ModelIntegrityError, FeatureMismatchError
    """
    directory = Path(directory) if directory is not None else DEFAULT_DIR
    manifest = read_manifest(directory)
    wanted = tuple(HEADS) if heads is None else heads
    missing = [h for h in wanted if h not in manifest["models"]]
    if missing:
        raise ModelFileError(str(directory / MANIFEST), f"model set lacks model(s) {missing}")
    models = {m: _load_one(directory, m, manifest["models"][m], verify_equivalence=verify_equivalence)
              for m in wanted}
    return ModelSet(directory, manifest, _sha256(directory / MANIFEST), models)
