"""FeatureTable: named, unit-carrying features of one session, with their record.

A table holds one value per :class:`~models.features.names.FeatureSpec`
(NaN where the session lacks the data), the side the features are oriented
by, the rule-based scores, and the :class:`ProcessingRecord` (methods text,
parameters, warnings, library versions). It serialises to JSON and back
without loss; NaN is written as ``null``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from .errors import FeatureError, UnknownFeatureError
from .names import MODALITIES, FeatureSpec
from .record import FeatureWarning, ProcessingRecord
from .scores import Scores

FORMAT = "fpcds-feature-table"
FORMAT_VERSION = 1
SIDE_SOURCES = ("subject", "inferred", "unknown")


@dataclass(frozen=True, eq=False)
class FeatureTable:
    """Features of one session.

    Attributes
    ----------
    specs : tuple of FeatureSpec
        Names, units, modalities and descriptions, in table order.
    values : ndarray, shape (n_features,), float64
        NaN where not available.
    affected_side : {'left', 'right'}
        The side that ``*_affected`` features describe.
    affected_side_source : {'subject', 'inferred', 'unknown'}
        ``subject``: from Session.subject; ``inferred``: the weaker side by
        the measures; ``unknown``: no evidence, 'affected' means the left.
    record : ProcessingRecord
    scores : Scores, optional
    session_id : str, optional
        Content hash of the session the features came from.
    """

    specs: tuple[FeatureSpec, ...]
    values: np.ndarray
    affected_side: str
    affected_side_source: str
    record: ProcessingRecord
    scores: Scores | None = None
    session_id: str | None = None

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        if values.shape != (len(self.specs),):
            raise FeatureError(f"feature values have shape {values.shape}; expected ({len(self.specs)},)")
        if self.affected_side not in ("left", "right"):
            raise FeatureError(f"affected side {self.affected_side!r}; expected 'left' or 'right'")
        if self.affected_side_source not in SIDE_SOURCES:
            raise FeatureError(f"affected side source {self.affected_side_source!r}; expected one of {SIDE_SOURCES}")
        index = {s.name: i for i, s in enumerate(self.specs)}
        if len(index) != len(self.specs):
            raise FeatureError("feature names are not unique")
        bad = [s.name for s in self.specs if s.modality not in MODALITIES]
        if bad:
            raise FeatureError(f"feature {bad[0]!r} has modality not in {list(MODALITIES)}")
        values = values.copy()
        values.flags.writeable = False
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "_index", index)

    # ------------------------------------------------------------ mapping
    def __getitem__(self, name: str) -> float:
        try:
            return float(self.values[self._index[name]])  # type: ignore[attr-defined]
        except KeyError:
            raise UnknownFeatureError(f"feature {name!r} is not in this table") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._index  # type: ignore[attr-defined]

    def get(self, name: str, default: float = math.nan) -> float:
        """Value of ``name``, or ``default`` when the table has no such feature."""
        return self[name] if name in self else default

    def as_dict(self) -> dict[str, float]:
        """Feature name -> value (NaN where unavailable)."""
        return dict(zip(self.names, self.values.tolist()))

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    @property
    def warnings(self) -> tuple[FeatureWarning, ...]:
        """Recoverable data problems met (from the record)."""
        return self.record.warnings

    def spec(self, name: str) -> FeatureSpec:
        """The spec of feature ``name``."""
        try:
            return self.specs[self._index[name]]  # type: ignore[attr-defined]
        except KeyError:
            raise UnknownFeatureError(f"feature {name!r} is not in this table") from None

    def vector(self, names: Sequence[str]) -> np.ndarray:
        """Values in the order of ``names`` (a model's feature list).

        Parameters
        ----------
        names : sequence of str

        Returns
        -------
        ndarray, shape (len(names),), float64
            NaN for unavailable features.

        Raises
        ------
        FeatureError
            If a name is not in the table.
        """
        index = self._index  # type: ignore[attr-defined]
        missing = [n for n in names if n not in index]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise UnknownFeatureError(f"feature {missing[0]!r}{more} is not in this table; "
                               "was the model trained on another feature catalogue?")
        return self.values[[index[n] for n in names]].copy()

    def available(self, *, modality: str | None = None) -> tuple[str, ...]:
        """Names of the features with a value, optionally of one modality."""
        if modality is not None and modality not in MODALITIES:
            raise FeatureError(f"modality {modality!r} is unknown; expected one of {list(MODALITIES)}")
        return tuple(s.name for s, v in zip(self.specs, self.values)
                     if math.isfinite(v) and (modality is None or s.modality == modality))

    # ------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (NaN -> None)."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "session_id": self.session_id,
            "affected_side": self.affected_side,
            "affected_side_source": self.affected_side_source,
            "features": [
                {"name": s.name, "value": float(v) if math.isfinite(v) else None, "unit": s.unit,
                 "modality": s.modality, "description": s.description}
                for s, v in zip(self.specs, self.values)
            ],
            "scores": None if self.scores is None else self.scores.to_dict(),
            "record": self.record.to_dict(),
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """JSON text (strict: no NaN literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureTable:
        """Rebuild from :meth:`to_dict`; raises FeatureError on a malformed table."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise FeatureError(f"not a feature table: 'format' is not {FORMAT!r}")
        if data.get("version") != FORMAT_VERSION:
            raise FeatureError(f"feature table version {data.get('version')!r}; this software reads {FORMAT_VERSION}")
        try:
            rows = data["features"]
            specs = tuple(FeatureSpec(r["name"], r["unit"], r["modality"], r["description"]) for r in rows)
            values = np.array([math.nan if r["value"] is None else float(r["value"]) for r in rows])
            scores = None if data["scores"] is None else Scores.from_dict(data["scores"])
            return cls(specs, values, data["affected_side"], data["affected_side_source"],
                       ProcessingRecord.from_dict(data["record"]), scores, data.get("session_id"))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, FeatureError):
                raise
            raise FeatureError(f"feature table is malformed: {type(exc).__name__} {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> FeatureTable:
        """Rebuild from :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FeatureError(f"feature table is not valid JSON ({exc})") from None
        return cls.from_dict(data)
