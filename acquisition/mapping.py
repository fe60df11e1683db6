"""Channel and point mappings: which raw channel is which muscle, which point which landmark.

Devices label channels arbitrarily (``"Sensor 12.EMG12"``, ``"Voltage.3"``,
``"EXG4"``). A *mapping file* (YAML or JSON) says which raw EMG channel is
which muscle and side (:data:`acquisition.anatomy.MUSCLES`, Fridlund
labels such as ``"Zyg re"``), which raw motion points are which facial
landmarks (:data:`acquisition.face_mesh.LANDMARKS`) and, for multi-stream
files (XDF), which stream holds what. Readers apply it; raw channels it does
not assign are listed in ``Provenance.unmapped_channels``, never dropped
silently.

File format (``format: fpcds-mapping/1``)
------------------------------------------
::

    format: fpcds-mapping/1          # required
    name: trigno8-face               # optional, defaults to the file stem
    description: free text
    emg:
      stream: {type: EMG}            # XDF: stream with the EMG (name and/or type,
                                     # case-insensitive; type may be a list)
      units: uV                      # unit of the raw values when the file states none
      override_units: false          # true: use ``units`` even where the file states
                                     # another (a mislabelled device; recorded as a
                                     # quality warning)
      placement: fridlund1986        # default placement of the channels below
      fridlund_labels: true          # raw labels that are Fridlund labels ("Zyg li")
                                     # map to that muscle and side
      channels:                      # raw label -> Fridlund label or a full spec
        "Sensor 1.EMG1": "Zyg li"
        "EXG3": {muscle: zygomaticus, side: left, placement: custom}
    motion:
      stream: {type: [Mocap, FaceLandmarks]}
      scheme: mediapipe478           # or mediapipe468 or "markers:<set name>";
                                     # default: stated by the file, else detected
      units: mm                      # as emg.units, for coordinates (mm, cm, m)
      override_units: false
      landmark_names: true           # points already named by a canonical landmark
                                     # ("commissure_left") are facial points
      points:                        # raw marker label -> canonical landmark name
        "LMCOR": commissure_left
    markers:
      stream: {type: Markers}        # XDF: stream(s) with event markers

Raw labels are matched ignoring case and repeated white space; a point label
also matches without its subject prefix (``"Daphnee:LMCOR"`` matches
``LMCOR``). Every section and key is optional except ``format``; unknown
keys are refused so typos do not pass silently. Built-in mappings live in
``acquisition/mappings/`` and are named without their suffix (see
:func:`builtin_mappings`); the default is ``fridlund``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from .anatomy import MUSCLES, PLACEMENT_SCHEMES, SIDES, muscle_from_fridlund
from .errors import MappingError
from .face_mesh import LANDMARKS
from .session import FACE_MESH_SCHEMES, EmgChannel

FORMAT = "fpcds-mapping/1"
DEFAULT_MAPPING = "fridlund"
_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_MAPPING_BYTES = 1024 * 1024

#: EMG unit spellings -> volts per unit.
EMG_UNITS: dict[str, float] = {
    "v": 1.0, "volt": 1.0, "volts": 1.0,
    "mv": 1e-3, "millivolt": 1e-3, "millivolts": 1e-3,
    "uv": 1e-6, "µv": 1e-6, "μv": 1e-6, "microvolt": 1e-6, "microvolts": 1e-6,
    "nv": 1e-9, "nanovolt": 1e-9, "nanovolts": 1e-9,
}
#: Length unit spellings -> MotionBlock unit code.
LENGTH_UNITS: dict[str, str] = {
    "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "cm": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
}


def normalise_label(label: str) -> str:
    """Label as used for matching: case-folded, white space collapsed."""
    return " ".join(str(label).split()).casefold()


def emg_unit_scale(unit: str | None) -> float | None:
    """Volts per ``unit`` (e.g. ``'uV'`` -> 1e-6), or None when it is not a voltage."""
    if unit is None:
        return None
    return EMG_UNITS.get(unit.strip().casefold())


def length_unit(unit: str | None) -> str | None:
    """MotionBlock unit code (``'mm'``, ``'cm'``, ``'m'``) for ``unit``, or None."""
    if unit is None:
        return None
    return LENGTH_UNITS.get(unit.strip().casefold())


@dataclass(frozen=True)
class StreamSelector:
    """Which stream of a multi-stream file (XDF) holds a modality.

    Attributes
    ----------
    name : str, optional
        Stream name (case-insensitive).
    types : tuple of str
        Accepted stream types (case-insensitive); empty means any.
    """

    name: str | None = None
    types: tuple[str, ...] = ()

    def matches(self, name: str, type_: str) -> bool:
        """True when a stream called ``name`` of type ``type_`` is selected."""
        if self.name is not None and normalise_label(name) != normalise_label(self.name):
            return False
        return not self.types or normalise_label(type_) in {normalise_label(t) for t in self.types}

    def describe(self) -> str:
        parts = []
        if self.name is not None:
            parts.append(f"name {self.name!r}")
        if self.types:
            parts.append("type " + " or ".join(repr(t) for t in self.types))
        return " and ".join(parts) or "any stream"


@dataclass(frozen=True)
class EmgMapping:
    """The EMG section of a mapping.

    Attributes
    ----------
    channels : dict
        Normalised raw label -> (muscle, side, placement).
    fridlund_labels : bool
        Map raw labels that are Fridlund labels to themselves.
    units : str, optional
        Unit of the raw values when the file states none.
    override_units : bool
        Use ``units`` even where the file states another unit.
    stream : StreamSelector
    """

    channels: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    fridlund_labels: bool = True
    units: str | None = None
    override_units: bool = False
    stream: StreamSelector = StreamSelector(types=("EMG",))


@dataclass(frozen=True)
class MotionMapping:
    """The motion section of a mapping.

    Attributes
    ----------
    points : dict
        Normalised raw point label -> canonical landmark name.
    landmark_names : bool
        Raw labels that are canonical landmark names are facial points.
    scheme : str, optional
        Point scheme to use instead of the file's or the detected one.
    units : str, optional
        Unit of the raw coordinates when the file states none.
    override_units : bool
        Use ``units`` even where the file states another unit.
    stream : StreamSelector
    """

    points: Mapping[str, str] = field(default_factory=dict)
    landmark_names: bool = True
    scheme: str | None = None
    units: str | None = None
    override_units: bool = False
    stream: StreamSelector = StreamSelector(types=("Mocap", "FaceLandmarks", "Landmarks"))


@dataclass(frozen=True)
class EmgAssignment:
    """The result of applying a mapping to a file's raw EMG channel labels.

    Attributes
    ----------
    indices : tuple of int
        Raw channel positions that were mapped, in output order.
    channels : tuple of EmgChannel
        One per index.
    unmapped : tuple of str
        Raw labels no rule assigned.
    """

    indices: tuple[int, ...]
    channels: tuple[EmgChannel, ...]
    unmapped: tuple[str, ...]


@dataclass(frozen=True)
class PointAssignment:
    """The result of applying a mapping to a file's raw point labels.

    Attributes
    ----------
    scheme : str
        ``'mediapipe478'``, ``'mediapipe468'`` or ``'markers:<set>'``.
    point_names : tuple of str
        Names for the MotionBlock (canonical landmark names for mapped points,
        raw labels otherwise; empty for face-mesh schemes).
    facial_points : tuple of str
        The names that are facial landmarks.
    renamed : tuple of (str, str)
        ``(raw label, canonical name)`` for each renamed point.
    """

    scheme: str
    point_names: tuple[str, ...]
    facial_points: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ChannelMapping:
    """A parsed mapping file (see the module docstring for the format).

    Attributes
    ----------
    name : str
    source : str
        Where it came from: a file path or ``'builtin:<name>'``.
    description : str
    emg : EmgMapping
    motion : MotionMapping
    markers : StreamSelector
    path : str, optional
        The file it was read from (hashed into the session provenance).
    """

    name: str
    source: str
    description: str = ""
    emg: EmgMapping = EmgMapping()
    motion: MotionMapping = MotionMapping()
    markers: StreamSelector = StreamSelector(types=("Markers",))
    path: str | None = None

    # ------------------------------------------------------------------ EMG
    def assign_emg(self, labels: Sequence[str], *, source: str) -> EmgAssignment:
        """Assign muscles and sides to raw EMG channel labels.

        Parameters
        ----------
        labels : sequence of str
            The file's raw channel labels, in file order.
        source : str
            The data file, for error messages.

        Raises
        ------
        MappingError
            Two raw channels map to the same muscle and side.
        """
        indices: list[int] = []
        channels: list[EmgChannel] = []
        unmapped: list[str] = []
        taken: dict[tuple[str, str], str] = {}
        for i, raw in enumerate(labels):
            name = " ".join(str(raw).split()) or f"channel {i + 1}"
            spec = self.emg.channels.get(normalise_label(name))
            if spec is None and self.emg.fridlund_labels:
                try:
                    muscle, side = muscle_from_fridlund(name)
                except KeyError:
                    pass
                else:
                    spec = (muscle, side, "fridlund1986")
            if spec is None:
                unmapped.append(name)
                continue
            muscle, side, placement = spec
            if (muscle, side) in taken:
                raise MappingError(
                    f"{source}: raw channels {taken[(muscle, side)]!r} and {name!r} are both mapped to "
                    f"{side} {muscle} (mapping {self.source})"
                )
            taken[(muscle, side)] = name
            indices.append(i)
            channels.append(EmgChannel(name, muscle, side, placement))  # type: ignore[arg-type]
        return EmgAssignment(tuple(indices), tuple(channels), tuple(unmapped))

    # --------------------------------------------------------------- motion
    def assign_points(
        self,
        labels: Sequence[str],
        *,
        source: str,
        default_set: str,
        declared_scheme: str | None = None,
    ) -> PointAssignment:
        """Name the points of a motion stream and find its facial landmarks.

        Parameters
        ----------
        labels : sequence of str
            Raw point labels, in data order.
        source : str
            The data file, for error messages.
        default_set : str
            Marker-set name used when neither the mapping nor the file names one.
        declared_scheme : str, optional
            The scheme the file itself states.

        Raises
        ------
        MappingError
            The scheme does not fit the number of points, or two points get
            the same name.
        """
        n = len(labels)
        scheme = self.motion.scheme or declared_scheme or _detect_scheme(labels, default_set)
        if scheme in FACE_MESH_SCHEMES:
            expected = int(scheme.removeprefix("mediapipe"))
            if n != expected:
                raise MappingError(
                    f"{source}: motion scheme {scheme!r} needs {expected} points but the file has {n} "
                    f"(mapping {self.source})"
                )
            return PointAssignment(scheme, (), ())
        if not scheme.startswith("markers:") or scheme == "markers:":
            raise MappingError(
                f"{source}: motion scheme {scheme!r} is not known; expected one of "
                f"{list(FACE_MESH_SCHEMES)} or 'markers:<set name>'"
            )
        names: list[str] = []
        facial: list[str] = []
        renamed: list[tuple[str, str]] = []
        for i, raw in enumerate(labels):
            label = " ".join(str(raw).split()) or f"point {i + 1}"
            bare = label.rpartition(":")[2]
            target = self.motion.points.get(normalise_label(label)) or self.motion.points.get(normalise_label(bare))
            if target is None and self.motion.landmark_names:
                target = bare if bare in LANDMARKS else None
            if target is None:
                names.append(label)
                continue
            names.append(target)
            facial.append(target)
            if target != label:
                renamed.append((label, target))
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in seen:
                raise MappingError(
                    f"{source}: points {labels[seen[name]]!r} and {labels[i]!r} would both be called {name!r} "
                    f"(mapping {self.source})"
                )
            seen[name] = i
        return PointAssignment(scheme, tuple(names), tuple(facial), tuple(renamed))


def _detect_scheme(labels: Sequence[str], default_set: str) -> str:
    n = len(labels)
    if n in (468, 478) and all(str(lbl).strip() == str(i) for i, lbl in enumerate(labels)):
        return f"mediapipe{n}"
    return f"markers:{default_set or 'markers'}"


# ---------------------------------------------------------------- loading
def builtin_mappings() -> dict[str, Path]:
    """Names and files of the mappings shipped in ``acquisition/mappings/``."""
    root = resources.files("acquisition.mappings")
    out = {}
    for entry in root.iterdir():
        if entry.name.endswith(_SUFFIXES):
            out[entry.name.rsplit(".", 1)[0]] = Path(str(entry))
    return dict(sorted(out.items()))


def resolve_mapping(mapping: ChannelMapping | str | os.PathLike[str] | None) -> ChannelMapping:
    """Turn a mapping argument into a :class:`ChannelMapping`.

    Parameters
    ----------
    mapping : ChannelMapping, path, built-in name or None
        None gives the default mapping (``fridlund``); a string that is not
        an existing file is looked up among :func:`builtin_mappings`.
    """
    if isinstance(mapping, ChannelMapping):
        return mapping
    if mapping is None:
        mapping = DEFAULT_MAPPING
    text = os.fspath(mapping)
    if os.path.exists(text):
        return load_mapping(text)
    builtins = builtin_mappings()
    if text in builtins:
        return load_mapping(builtins[text], builtin=True)
    raise MappingError(
        f"mapping {text!r} is neither a file nor a built-in mapping; built-in: {', '.join(builtins)}"
    )


def load_mapping(path: str | os.PathLike[str], *, builtin: bool = False) -> ChannelMapping:
    """Read and validate a mapping file (YAML or JSON).

    Raises
    ------
    MappingError
        Naming the file, the key and the problem.
    """
    import yaml

    path = Path(path)
    where = f"builtin:{path.stem}" if builtin else str(path)
    if path.suffix.lower() not in _SUFFIXES:
        raise MappingError(f"mapping {where}: file type {path.suffix or '(none)'!r} is not YAML or JSON")
    try:
        size = path.stat().st_size
        if size > _MAX_MAPPING_BYTES:
            raise MappingError(f"mapping {where}: file is {size} bytes; a mapping is at most {_MAX_MAPPING_BYTES}")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"mapping {where}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise MappingError(f"mapping {where}: is not UTF-8 text") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MappingError(f"mapping {where}: is not valid {path.suffix.lstrip('.').upper()}: {first}") from None
    return parse_mapping(data, source=where, default_name=path.stem, path=None if builtin else str(path))


def parse_mapping(
    data: Any, *, source: str, default_name: str = "mapping", path: str | None = None
) -> ChannelMapping:
    """Validate mapping content already parsed from YAML/JSON.

    Parameters
    ----------
    data : dict
    source : str
        Shown in error messages.
    default_name : str
        Name used when the content has none.
    path : str, optional
        The file it came from.
    """
    p = _Parser(source)
    top = p.mapping(data, "", {"format", "name", "description", "emg", "motion", "markers"})
    if top.get("format") != FORMAT:
        p.fail("format", f"is {top.get('format')!r}; expected {FORMAT!r}")
    name = p.text(top.get("name", default_name), "name")
    description = top.get("description", "")
    if not isinstance(description, str):
        p.fail("description", f"is {description!r}; expected text")
    emg = _parse_emg(p, top.get("emg"))
    motion = _parse_motion(p, top.get("motion"))
    markers = StreamSelector(types=("Markers",))
    if top.get("markers") is not None:
        section = p.mapping(top["markers"], "markers", {"stream"})
        markers = p.stream(section.get("stream"), "markers.stream", markers)
    return ChannelMapping(name, source, description, emg, motion, markers, path)


def _parse_emg(p: _Parser, data: Any) -> EmgMapping:
    if data is None:
        return EmgMapping()
    section = p.mapping(
        data, "emg", {"stream", "units", "override_units", "placement", "fridlund_labels", "channels"}
    )
    units = None
    if section.get("units") is not None:
        units = p.text(section["units"], "emg.units")
        if emg_unit_scale(units) is None:
            p.fail("emg.units", f"{units!r} is not a voltage unit; expected one of V, mV, uV, nV")
    override = p.flag(section.get("override_units", False), "emg.override_units")
    if override and units is None:
        p.fail("emg.override_units", "is true but emg.units is not given")
    placement = p.text(section.get("placement", "fridlund1986"), "emg.placement")
    if placement not in PLACEMENT_SCHEMES:
        p.fail("emg.placement", f"{placement!r} is not one of {list(PLACEMENT_SCHEMES)}")
    fridlund = p.flag(section.get("fridlund_labels", True), "emg.fridlund_labels")
    channels: dict[str, tuple[str, str, str]] = {}
    raw = p.mapping(section.get("channels") or {}, "emg.channels", None)
    for label, spec in raw.items():
        key = f"emg.channels[{label!r}]"
        if isinstance(spec, str):
            try:
                muscle, side = muscle_from_fridlund(spec)
            except KeyError as exc:
                p.fail(key, f"{spec!r} is not a Fridlund label ({exc.args[0]})")
            entry = (muscle, side, placement)
        else:
            d = p.mapping(spec, key, {"muscle", "side", "placement"})
            muscle = p.text(d.get("muscle"), f"{key}.muscle")
            side = p.text(d.get("side"), f"{key}.side")
            chan_placement = p.text(d.get("placement", placement), f"{key}.placement")
            if muscle not in MUSCLES:
                p.fail(f"{key}.muscle", f"{muscle!r} is not a muscle; expected one of {sorted(MUSCLES)}")
            if side not in SIDES:
                p.fail(f"{key}.side", f"{side!r} is not 'left' or 'right'")
            if chan_placement not in PLACEMENT_SCHEMES:
                p.fail(f"{key}.placement", f"{chan_placement!r} is not one of {list(PLACEMENT_SCHEMES)}")
            entry = (muscle, side, chan_placement)
        norm = normalise_label(label)
        if not norm:
            p.fail(key, "the raw label is empty")
        if norm in channels:
            p.fail(key, "is listed twice (labels are matched ignoring case and spacing)")
        channels[norm] = entry
    targets: dict[tuple[str, str], str] = {}
    for label, (muscle, side, _) in zip(raw, channels.values()):
        if (muscle, side) in targets:
            p.fail(f"emg.channels[{label!r}]", f"{side} {muscle} is already assigned to {targets[(muscle, side)]!r}")
        targets[(muscle, side)] = label
    stream = p.stream(section.get("stream"), "emg.stream", EmgMapping().stream)
    return EmgMapping(channels, fridlund, units, override, stream)


def _parse_motion(p: _Parser, data: Any) -> MotionMapping:
    if data is None:
        return MotionMapping()
    section = p.mapping(
        data, "motion", {"stream", "scheme", "units", "override_units", "landmark_names", "points"}
    )
    scheme = None
    if section.get("scheme") is not None:
        scheme = p.text(section["scheme"], "motion.scheme")
        if scheme not in FACE_MESH_SCHEMES and not (scheme.startswith("markers:") and len(scheme) > 8):
            p.fail("motion.scheme", f"{scheme!r} is not one of {list(FACE_MESH_SCHEMES)} or 'markers:<set name>'")
    units = None
    if section.get("units") is not None:
        units = p.text(section["units"], "motion.units")
        if length_unit(units) is None:
            p.fail("motion.units", f"{units!r} is not a length unit; expected mm, cm or m")
    override = p.flag(section.get("override_units", False), "motion.override_units")
    if override and units is None:
        p.fail("motion.override_units", "is true but motion.units is not given")
    landmark_names = p.flag(section.get("landmark_names", True), "motion.landmark_names")
    points: dict[str, str] = {}
    for label, target in p.mapping(section.get("points") or {}, "motion.points", None).items():
        key = f"motion.points[{label!r}]"
        target = p.text(target, key)
        if target not in LANDMARKS:
            p.fail(key, f"{target!r} is not a canonical landmark name (acquisition.face_mesh.LANDMARKS)")
        norm = normalise_label(label)
        if norm in points:
            p.fail(key, "is listed twice (labels are matched ignoring case and spacing)")
        if target in points.values():
            p.fail(key, f"landmark {target!r} is already assigned to another point")
        points[norm] = target
    stream = p.stream(section.get("stream"), "motion.stream", MotionMapping().stream)
    return MotionMapping(points, landmark_names, scheme, units, override, stream)


class _Parser:
    """Small strict validator producing MappingErrors that name the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> None:
        where = f" {key}" if key else ""
        raise MappingError(f"mapping {self.source}:{where} {problem}")

    def mapping(self, value: Any, key: str, allowed: set[str] | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key, f"is a {type(value).__name__}; expected a mapping of keys to values")
        for k in value:
            if not isinstance(k, str):
                self.fail(key, f"has a non-text key {k!r}")
            if allowed is not None and k not in allowed:
                self.fail(f"{key}.{k}" if key else k, f"is not a known key; expected one of {sorted(allowed)}")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"is {value!r}; expected non-empty text")
        return value.strip()

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self.fail(key, f"is {value!r}; expected true or false")
        return value

    def stream(self, value: Any, key: str, default: StreamSelector) -> StreamSelector:
        if value is None:
            return default
        d = self.mapping(value, key, {"name", "type"})
        name = None if d.get("name") is None else self.text(d["name"], f"{key}.name")
        types_raw = d.get("type")
        if types_raw is None:
            types: tuple[str, ...] = () if name is not None else default.types
        elif isinstance(types_raw, list):
            types = tuple(self.text(t, f"{key}.type") for t in types_raw)
        else:
            types = (self.text(types_raw, f"{key}.type"),)
        return StreamSelector(name, types)


_AXIS = re.compile(r"^(?P<point>.*\S)[ _.:-](?P<axis>[XYZxyz])$")


def split_axis_label(label: str) -> tuple[str, str] | None:
    """``'LMCOR_X'`` -> ``('LMCOR', 'x')``; None when the label names no axis.

    The axis letter follows the point name after ``_``, ``.``, ``:``, ``-``
    or a space.
    """
    m = _AXIS.match(" ".join(str(label).split()))
    if m is None:
        return None
    return m.group("point"), m.group("axis").lower()
