"""Labelled cohort -> feature cache: one feature vector per session and modality variant, with its labels.

A cohort is either a directory holding ``labels.csv`` (the columns
:func:`acquisition.simulate.read_labels` reads) and the session files it
names, or a simulated cohort drawn in memory (:class:`SimulatedCohort`: no
session file is ever written, so any cohort size fits in bounded disk).

For every session three feature vectors are computed with
:func:`models.features.extract_features`: from the whole session
(``fused``), from its sEMG alone (``emg``) and from its motion alone
(``motion``); the single-modality variants are real extractions of
``session.select(modalities=[...])``, so side inference and rule-based
measures are what an EMG-only or motion-only recording would give. Training
uses them as modality dropout; evaluation uses them for the ablation.

The cache is a ``.npz`` file written in chunks (``<cache>.parts/``), so an
interrupted build resumes where it stopped; it records the source key and
the feature-catalogue hash and is rebuilt when either changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .errors import DatasetError

CACHE_FORMAT = "fpcds-feature-cache"
CACHE_VERSION = 1
#: Feature vectors per session: the whole session and each modality alone.
VARIANTS: tuple[str, ...] = ("fused", "emg", "motion")
#: Modalities kept in each variant.
VARIANT_MODALITIES: dict[str, tuple[str, ...]] = {"fused": ("emg", "motion"), "emg": ("emg",),
                                                  "motion": ("motion",)}
LESIONS = ("healthy", "peripheral", "central")
SIDES = ("left", "right", "none")
_CHUNK = 64


# ----------------------------------------------------------------- labels
#: Typed label columns: column -> (kind, allowed range or values).
LABEL_TYPES: dict[str, tuple[str, Any]] = {
    "hb_grade": ("int", (1, 6)),
    "sunnybrook_composite": ("float", (0.0, 100.0)),
    "lesion": ("choice", LESIONS),
    "affected_side": ("choice", SIDES),
    "synkinesis": ("int", (0, 1)),
    "recovered_6mo": ("int", (0, 1)),
    "weeks_to_recovery": ("float", (0.0, 520.0)),
    "days_since_onset": ("float", (0.0, 36500.0)),
    "age": ("float", (0.0, 130.0)),
}


def check_labels(rows: Sequence[dict[str, str]], *, source: str) -> None:
    """Refuse a labels table with out-of-range or malformed values (empty cells mean 'unknown').

    Raises
    ------
    DatasetError
        Naming the file, the row (1 = first data row), the column and the value.
    """
    for i, row in enumerate(rows, start=1):
        if not (row.get("session_file") or "").strip():
            raise DatasetError(f"{source}: row {i} has an empty session_file")
        for column, (kind, allowed) in LABEL_TYPES.items():
            text = (row.get(column) or "").strip()
            if not text:
                continue
            if kind == "choice":
                if text not in allowed:
                    raise DatasetError(f"{source}: row {i} column {column} is {text!r}; expected one of "
                                       f"{list(allowed)}")
                continue
            try:
                value = float(text)
            except ValueError:
                raise DatasetError(f"{source}: row {i} column {column} is {text!r}; expected a number") from None
            low, high = allowed
            if not (math.isfinite(value) and low <= value <= high) or (kind == "int" and value != int(value)):
                what = "an integer" if kind == "int" else "a number"
                raise DatasetError(f"{source}: row {i} column {column} is {text!r}; expected {what} in "
                                   f"[{low}, {high}]")


def label_column(rows: Sequence[dict[str, str]], column: str) -> np.ndarray:
    """A numeric label column, shape (n_rows,), float64; NaN where the cell is empty.

    ``lesion`` is coded 0 = healthy, 1 = peripheral, 2 = central.
    """
    out = np.full(len(rows), np.nan)
    for i, row in enumerate(rows):
        text = (row.get(column) or "").strip()
        if not text:
            continue
        if column == "lesion":
            out[i] = LESIONS.index(text) if text in LESIONS else np.nan
        else:
            try:
                out[i] = float(text)
            except ValueError:
                raise DatasetError(f"label column {column!r} row {i + 1} is {text!r}; expected a number") from None
    return out


# ----------------------------------------------------------------- sources
@dataclass(frozen=True)
class SimulatedCohort:
    """A simulated cohort generated in memory (nothing written but the feature cache).

    Attributes
    ----------
    n_patients : int
    seed : int
        Cohort seed of :func:`acquisition.simulate.cohort_patient`.
    repetitions : int
        Task repetitions (1 keeps sessions short, as ``fpcds simulate`` does by default).
    rest_s, hold_s : float
        Rest between and hold of task repetitions, s.
    emg_sfreq : float
        EMG sampling rate, Hz.
    """

    n_patients: int
    seed: int
    repetitions: int = 1
    rest_s: float = 1.5
    hold_s: float = 3.0
    emg_sfreq: float = 2000.0

    def __post_init__(self) -> None:
        if self.n_patients < 1:
            raise DatasetError(f"simulated cohort has {self.n_patients} patients; expected at least 1")

    def key(self) -> str:
        return "simulated:" + json.dumps(self.__dict__, sort_keys=True)

    def options(self):  # -> SimulationOptions
        from acquisition.simulate import SimulationOptions

        return SimulationOptions(emg_sfreq=self.emg_sfreq, repetitions=self.repetitions, hold_s=self.hold_s,
                                 rest_s=self.rest_s)


def _cohort_rows(cohort_dir: Path) -> list[dict[str, str]]:
    from acquisition.errors import FpcdsError
    from acquisition.simulate import read_labels

    labels = cohort_dir / "labels.csv"
    if not cohort_dir.is_dir():
        raise DatasetError(f"{cohort_dir}: cohort directory does not exist")
    if not labels.is_file():
        raise DatasetError(f"{cohort_dir}: no labels.csv; expected a labelled cohort (as `fpcds simulate` writes)")
    try:
        rows = read_labels(labels)
    except FpcdsError as exc:
        raise DatasetError(str(exc)) from None
    if not rows:
        raise DatasetError(f"{labels}: no rows; expected one row per session")
    check_labels(rows, source=str(labels))
    return rows


def source_key(source: str | os.PathLike[str] | SimulatedCohort) -> str:
    """Identity of a cohort source: the simulation parameters, or the SHA-256 of labels.csv."""
    if isinstance(source, SimulatedCohort):
        return source.key()
    labels = Path(source) / "labels.csv"
    if not Path(source).is_dir():
        raise DatasetError(f"{source}: cohort directory does not exist")
    if not labels.is_file():
        raise DatasetError(f"{source}: no labels.csv; expected a labelled cohort (as `fpcds simulate` writes)")
    return "labels-sha256:" + hashlib.sha256(labels.read_bytes()).hexdigest()


# ----------------------------------------------------------------- workers
def _variant_vectors(session, session_id: str) -> dict[str, np.ndarray]:  # noqa: ANN001 - Session
    from models.features import extract_features

    fused = extract_features(session, session_id=session_id, with_scores=False).values
    out = {"fused": fused}
    for variant in VARIANTS[1:]:
        if variant not in session.modalities:
            out[variant] = np.full(fused.shape, np.nan)
        elif session.modalities == (variant,):
            out[variant] = fused
        else:
            part = session.select(modalities=VARIANT_MODALITIES[variant])
            out[variant] = extract_features(part, session_id=session_id, with_scores=False).values
    return out


def _names() -> tuple[str, ...]:
    from models.features import feature_names

    return feature_names()


def _simulated_item(args: tuple[SimulatedCohort, int]) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    from acquisition.native import content_hash
    from acquisition.simulate import cohort_patient, label_row, simulate_session

    cohort, index = args
    patient = cohort_patient(cohort.seed, index)
    session = simulate_session(patient, seed=patient.seed, options=cohort.options())
    digest = content_hash(session)
    row = {k: str(v) for k, v in label_row(patient, f"{patient.patient_id}.fpcds", digest).items()}
    return row, _variant_vectors(session, digest)


def _file_item(args: tuple[str, dict[str, str], int]) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    from acquisition.errors import FpcdsError
    from acquisition.native import SUFFIX, content_hash, stored_hash
    from acquisition.readers import read_any

    cohort_dir, row, number = args
    path = Path(cohort_dir) / row["session_file"]
    if not path.is_file():
        raise DatasetError(f"{cohort_dir}/labels.csv row {number}: session file {row['session_file']!r} "
                           "does not exist")
    try:
        session = read_any(path)
        digest = stored_hash(path) if path.suffix.lower() == SUFFIX else content_hash(session)
    except FpcdsError as exc:
        raise DatasetError(f"{cohort_dir}/labels.csv row {number}: {exc}") from None
    expected = (row.get("content_sha256") or "").strip()
    if expected and expected != digest:
        raise DatasetError(f"{path}: session content hash {digest[:12]}... differs from labels.csv "
                           f"content_sha256 {expected[:12]}...; the labels do not belong to this file")
    row = dict(row)
    row["content_sha256"] = digest
    return row, _variant_vectors(session, digest)


# ----------------------------------------------------------------- cache
@dataclass(frozen=True, eq=False)
class FeatureCache:
    """Feature vectors and labels of a cohort.

    Attributes
    ----------
    names : tuple of str
        Feature names (the catalogue order of :func:`models.features.feature_names`).
    x : dict of str -> ndarray, shape (n_sessions, n_features), float64
        One matrix per variant of :data:`VARIANTS`; NaN where unavailable.
    labels : tuple of dict
        The labels.csv rows (strings), with ``content_sha256`` set to the session's hash.
    meta : dict
        Source key, catalogue hash, versions.
    """

    names: tuple[str, ...]
    x: dict[str, np.ndarray]
    labels: tuple[dict[str, str], ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for variant in VARIANTS:
            if variant not in self.x:
                raise DatasetError(f"feature cache lacks the {variant!r} variant")
            shape = self.x[variant].shape
            if shape != (len(self.labels), len(self.names)):
                raise DatasetError(f"feature cache variant {variant!r} has shape {shape}; expected "
                                   f"({len(self.labels)}, {len(self.names)})")

    def __len__(self) -> int:
        return len(self.labels)

    def column(self, name: str) -> np.ndarray:
        """Numeric label column (see :func:`label_column`), shape (n_sessions,)."""
        return label_column(self.labels, name)

    @property
    def patient_ids(self) -> np.ndarray:
        """Patient id per session, shape (n_sessions,), str (session file when the id is empty)."""
        return np.array([(r.get("patient_id") or "").strip() or r["session_file"] for r in self.labels])

    def matrix(self, variant: str, names: Sequence[str]) -> np.ndarray:
        """Columns ``names`` of one variant, shape (n_sessions, len(names)), float64."""
        index = {n: i for i, n in enumerate(self.names)}
        missing = [n for n in names if n not in index]
        if missing:
            raise DatasetError(f"feature {missing[0]!r} is not in the feature cache")
        return self.x[variant][:, [index[n] for n in names]]

    def subset(self, rows: np.ndarray) -> FeatureCache:
        """The sessions at integer positions ``rows``."""
        rows = np.asarray(rows, dtype=int)
        return FeatureCache(self.names, {v: m[rows] for v, m in self.x.items()},
                            tuple(self.labels[i] for i in rows), dict(self.meta))

    def data_hash(self) -> str:
        """SHA-256 of the labels and every feature value (the training-data hash of a model card)."""
        digest = hashlib.sha256(b"fpcds-feature-cache-v1\0")
        digest.update(json.dumps(list(self.labels), sort_keys=True, separators=(",", ":")).encode())
        digest.update(json.dumps(list(self.names), separators=(",", ":")).encode())
        for variant in VARIANTS:
            digest.update(variant.encode() + b"\0")
            digest.update(np.ascontiguousarray(self.x[variant], dtype="<f8").tobytes())
        return digest.hexdigest()


def catalogue_hash() -> str:
    """SHA-256 of the feature catalogue (names, units, modalities), in order."""
    from models.features import feature_specs

    text = json.dumps([[s.name, s.unit, s.modality] for s in feature_specs()], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _save_npz(path: Path, cache: FeatureCache) -> None:
    tmp = path.with_name(path.name + ".partial.npz")
    np.savez(tmp, names=np.array(cache.names), labels_json=np.array(json.dumps(list(cache.labels))),
             meta_json=np.array(json.dumps(cache.meta, sort_keys=True)),
             **{f"x_{v}": cache.x[v] for v in VARIANTS})
    os.replace(tmp, path)


def load_cache(path: str | os.PathLike[str]) -> FeatureCache:
    """Read a feature cache written by :func:`build_cache`.

    Raises
    ------
    DatasetError
        If the file is missing, is not a feature cache, or was computed with
        another feature catalogue.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: feature cache does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta_json"]))
            names = tuple(str(n) for n in data["names"])
            labels = tuple(json.loads(str(data["labels_json"])))
            x = {v: np.asarray(data[f"x_{v}"], dtype=np.float64) for v in VARIANTS}
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"{path}: not a readable feature cache ({type(exc).__name__}: {exc})") from None
    if meta.get("format") != CACHE_FORMAT or meta.get("version") != CACHE_VERSION:
        raise DatasetError(f"{path}: not a feature cache of format {CACHE_FORMAT} version {CACHE_VERSION}")
    if meta.get("catalogue_sha256") != catalogue_hash():
        raise DatasetError(f"{path}: features were computed with another feature catalogue; rebuild the cache")
    return FeatureCache(names, x, labels, meta)


def _parts(parts_dir: Path) -> Iterator[tuple[int, Path]]:
    for p in sorted(parts_dir.glob("part-*.npz")):
        yield int(p.stem.split("-")[1]), p


def build_cache(
    source: str | os.PathLike[str] | SimulatedCohort,
    cache_path: str | os.PathLike[str],
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureCache:
    """Compute (or reuse) the feature cache of a cohort.

    Parameters
    ----------
    source : path or SimulatedCohort
        A cohort directory with labels.csv and session files, or a simulated cohort.
    cache_path : path
        The ``.npz`` file to write. Reused as is when it matches the source and
        the feature catalogue, rebuilt when the catalogue changed, refused
        when it holds another cohort; chunks of an interrupted build are resumed.
    jobs : int
        Worker processes.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk.

    Returns
    -------
    FeatureCache
    """
    cache_path = Path(cache_path)
    key = source_key(source)
    catalogue = catalogue_hash()
    if cache_path.is_file():
        try:
            cached = load_cache(cache_path)
        except DatasetError:
            cached = None  # stale (another feature catalogue) or unreadable: rebuilt below
        if cached is not None:
            if cached.meta.get("source") != key:
                raise DatasetError(f"{cache_path}: holds the features of another cohort "
                                   f"({cached.meta.get('source')}); give another cache file or delete it")
            return cached
    if isinstance(source, SimulatedCohort):
        items: list[Any] = [(source, i) for i in range(source.n_patients)]
        worker: Callable = _simulated_item
    else:
        rows = _cohort_rows(Path(source))
        items = [(str(source), row, i) for i, row in enumerate(rows, start=1)]
        worker = _file_item
    parts_dir = cache_path.with_name(cache_path.name + ".parts")
    stamp = parts_dir / "source.json"
    stamp_text = json.dumps({"source": key, "catalogue_sha256": catalogue}, sort_keys=True)
    if parts_dir.is_dir() and (not stamp.is_file() or stamp.read_text() != stamp_text):
        shutil.rmtree(parts_dir)
    parts_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(stamp_text)
    done = {start for start, _ in _parts(parts_dir)}
    total = len(items)
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        for start in range(0, total, _CHUNK):
            if start in done:
                continue
            chunk = items[start:start + _CHUNK]
            results = list(pool.map(worker, chunk)) if pool is not None else [worker(c) for c in chunk]
            np.savez(parts_dir / f"part-{start:07d}.npz",
                     labels_json=np.array(json.dumps([r for r, _ in results])),
                     **{f"x_{v}": np.stack([vec[v] for _, vec in results]) for v in VARIANTS})
            if progress is not None:
                progress(min(start + _CHUNK, total), total)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    labels: list[dict[str, str]] = []
    blocks: dict[str, list[np.ndarray]] = {v: [] for v in VARIANTS}
    for _, part in _parts(parts_dir):
        with np.load(part, allow_pickle=False) as data:
            labels.extend(json.loads(str(data["labels_json"])))
            for v in VARIANTS:
                blocks[v].append(data[f"x_{v}"])
    from models.features.record import library_versions

    meta = {"format": CACHE_FORMAT, "version": CACHE_VERSION, "source": key, "catalogue_sha256": catalogue,
            "n_sessions": len(labels), "versions": library_versions()}
    cache = FeatureCache(_names(), {v: np.concatenate(blocks[v]) for v in VARIANTS}, tuple(labels), meta)
    check_labels(cache.labels, source=str(cache_path))
    _save_npz(cache_path, cache)
    shutil.rmtree(parts_dir)
    return cache
