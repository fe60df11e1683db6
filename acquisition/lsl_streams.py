"""LSL stream descriptions: what fpcds publishes, how it finds and maps streams.

Three kinds of stream take part in a capture (the ``kind`` of
:class:`LslStream`), recognised by their LSL ``type``:

``emg``
    type ``EMG`` (also ``ExG``), numeric, regular rate. Channel labels come
    from ``desc/channels/channel/label``; a channel may also carry ``muscle``,
    ``side`` and ``placement`` children (fpcds publishers write them) and a
    ``unit`` (``volts``/``V``, ``millivolts``/``mV``, ``microvolts``/``uV``).
``motion``
    type ``Mocap`` / ``MoCap`` or ``FaceLandmarks``, numeric, regular rate,
    channels ``<point>_X, <point>_Y, <point>_Z`` in point order. A
    ``desc/fpcds`` node declares ``scheme`` (``mediapipe478``, ...),
    ``units`` and ``coordinates``: ``head`` (the Session's head-fixed frame)
    or ``image_normalized`` (MediaPipe's image coordinates, with ``width``
    and ``height`` in pixels; see :mod:`acquisition.lsl_camera`). Without a
    scheme, 1434 / 1404 channels are read as a MediaPipe mesh, anything else
    as a named marker set.
``markers``
    type ``Markers``, one string channel, irregular rate; see
    :mod:`acquisition.lsl_markers` for the vocabulary.

EMG channels are mapped to muscle and side in this order of precedence: an
explicit mapping (``{label: 'zygomaticus/left'}`` or
``{label: {'muscle': ..., 'side': ..., 'placement': ...}}``), the muscle and
side written in the stream description, then the Fridlund-style label
(``'Zyg li'``, :func:`acquisition.anatomy.muscle_from_fridlund`). Channels
that none of these maps are listed as unmapped and not recorded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .anatomy import MUSCLES, PLACEMENT_SCHEMES, SIDES, muscle_from_fridlund
from .errors import FpcdsError, MappingError
from .session import FACE_MESH_SCHEMES, EmgChannel

KINDS = ("emg", "motion", "markers")
_TYPE_KIND = {"emg": "emg", "exg": "emg", "mocap": "motion", "facelandmarks": "motion", "markers": "markers"}
#: volts per unit for EMG channel units found in stream descriptions.
EMG_UNITS = {
    "v": 1.0,
    "volt": 1.0,
    "volts": 1.0,
    "mv": 1e-3,
    "millivolts": 1e-3,
    "uv": 1e-6,
    "µv": 1e-6,
    "microvolts": 1e-6,
}
#: millimetres per unit for motion streams.
MOTION_STREAM_UNITS = {"mm": 1.0, "millimeters": 1.0, "millimetres": 1.0, "cm": 10.0, "m": 1000.0, "meters": 1000.0}
COORDINATES = ("head", "image_normalized")


class LslError(FpcdsError):
    """A live-capture problem: a stream missing, ambiguous, malformed or lost."""


@dataclass(frozen=True)
class LslStream:
    """A discovered LSL stream with what fpcds needs to know about it.

    Attributes
    ----------
    name, type, source_id, uid, hostname : str
        As announced by the outlet.
    kind : {'emg', 'motion', 'markers'} or None
        What fpcds would record it as; None for streams it does not use.
    channel_count : int
    nominal_srate : float
        Hz; 0 for irregular streams.
    channel_format : str
        ``'float32'``, ``'string'``, ...
    info : pylsl.StreamInfo
        The resolved description (used to open an inlet).
    """

    name: str
    type: str
    kind: str | None
    source_id: str
    uid: str
    hostname: str
    channel_count: int
    nominal_srate: float
    channel_format: str
    info: Any = field(repr=False, compare=False, default=None)

    def describe(self) -> str:
        """One line for people: name, type, channels, rate, source."""
        rate = "irregular" if self.nominal_srate == 0 else f"{self.nominal_srate:g} Hz"
        return (
            f"{self.name!r} ({self.type}, {self.channel_count} ch, {self.channel_format}, {rate}, "
            f"source_id {self.source_id!r}, host {self.hostname!r})"
        )


_FORMATS = {1: "float32", 2: "double64", 3: "string", 4: "int32", 5: "int16", 6: "int8", 7: "int64"}


def stream_kind(stream_type: str) -> str | None:
    """The fpcds kind of an LSL stream type (case-insensitive), or None."""
    return _TYPE_KIND.get(stream_type.strip().lower())


def from_info(info: Any) -> LslStream:
    """Wrap a ``pylsl.StreamInfo``."""
    return LslStream(
        name=info.name(),
        type=info.type(),
        kind=stream_kind(info.type()),
        source_id=info.source_id(),
        uid=info.uid(),
        hostname=info.hostname(),
        channel_count=info.channel_count(),
        nominal_srate=float(info.nominal_srate()),
        channel_format=_FORMATS.get(info.channel_format(), str(info.channel_format())),
        info=info,
    )


def discover_streams(*, wait_s: float = 1.0, source_ids: Iterable[str] | None = None) -> list[LslStream]:
    """Find the LSL streams visible on the network.

    Parameters
    ----------
    wait_s : float
        How long to listen for outlets, in seconds.
    source_ids : iterable of str, optional
        Only these sources; returns as soon as all were found (or after
        ``wait_s``).

    Returns
    -------
    list of LslStream
        Sorted by kind, then name.
    """
    import pylsl

    if source_ids is not None:
        wanted = list(dict.fromkeys(source_ids))
        if not wanted:
            return []
        predicate = " or ".join(f"source_id='{_xpath_literal(s)}'" for s in wanted)
        infos = pylsl.resolve_bypred(predicate, minimum=len(wanted), timeout=wait_s)
    else:
        infos = pylsl.resolve_streams(wait_time=wait_s)
    found = {s.uid: s for s in (from_info(i) for i in infos)}
    return sorted(found.values(), key=lambda s: (KINDS.index(s.kind) if s.kind else 9, s.name, s.source_id))


def _xpath_literal(text: str) -> str:
    if "'" in text:
        raise LslError(f"LSL source id {text!r} contains a quote; cannot search for it")
    return text


@dataclass(frozen=True)
class StreamSelection:
    """The streams one capture records.

    Attributes
    ----------
    emg, motion : LslStream or None
    markers : tuple of LslStream
        Every marker stream to record (e.g. the protocol guide's and a
        stimulus program's).
    """

    emg: LslStream | None = None
    motion: LslStream | None = None
    markers: tuple[LslStream, ...] = ()

    def __post_init__(self) -> None:
        if self.emg is None and self.motion is None:
            raise LslError("no EMG or motion stream was selected; a capture needs at least one")

    @property
    def streams(self) -> tuple[LslStream, ...]:
        return tuple(s for s in (self.emg, self.motion) if s is not None) + tuple(self.markers)


def select_streams(
    found: Sequence[LslStream],
    *,
    emg: str | None = None,
    motion: str | None = None,
    markers: Sequence[str] | None = None,
) -> StreamSelection:
    """Choose the EMG, motion and marker streams of a capture.

    Parameters
    ----------
    found : sequence of LslStream
        From :func:`discover_streams`.
    emg, motion : str, optional
        Name or source id of the stream to use; by default the only stream
        of that kind (an error when several are visible). ``'none'`` records
        no stream of that kind.
    markers : sequence of str, optional
        Names or source ids of marker streams; by default all; ``['none']``
        records none.
    """
    chosen_emg = _choose(found, "emg", emg)
    chosen_motion = _choose(found, "motion", motion)
    candidates = [s for s in found if s.kind == "markers"]
    if markers is None:
        chosen_markers = tuple(candidates)
    elif [m.lower() for m in markers] == ["none"]:
        chosen_markers = ()
    else:
        chosen_markers = tuple(_by_key(candidates, key, "markers") for key in markers)
    return StreamSelection(chosen_emg, chosen_motion, chosen_markers)


def _by_key(candidates: Sequence[LslStream], key: str, kind: str) -> LslStream:
    matches = [s for s in candidates if key in (s.name, s.source_id)]
    if len(matches) == 1:
        return matches[0]
    listing = "; ".join(s.describe() for s in candidates) or "none"
    if not matches:
        raise LslError(f"no {kind} stream is named {key!r} (or has that source id); visible: {listing}")
    raise LslError(f"{len(matches)} {kind} streams match {key!r}; use the source id. Visible: {listing}")


def _choose(found: Sequence[LslStream], kind: str, key: str | None) -> LslStream | None:
    candidates = [s for s in found if s.kind == kind]
    if key is not None:
        return None if key.lower() == "none" else _by_key(candidates, key, kind)
    if len(candidates) > 1:
        listing = "; ".join(s.describe() for s in candidates)
        raise LslError(f"{len(candidates)} {kind} streams are visible, choose one by name or source id: {listing}")
    return candidates[0] if candidates else None


# ---------------------------------------------------------------- descriptions
def parse_description(xml: str) -> dict[str, Any]:
    """Read the parts of a stream's XML description that fpcds uses.

    Parameters
    ----------
    xml : str
        ``StreamInfo.as_xml()`` of a fully resolved stream (``inlet.info()``).

    Returns
    -------
    dict
        ``channels``: list of dicts (label, unit, type, muscle, side,
        placement: '' when absent); ``fpcds``: the ``desc/fpcds`` children
        as strings; ``name``, ``type``, ``source_id``.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise LslError(f"LSL stream description is not valid XML ({exc})") from None
    desc = root.find("desc")
    channels = []
    if desc is not None:
        for ch in desc.findall("channels/channel"):
            channels.append(
                {key: (ch.findtext(key) or "").strip() for key in ("label", "unit", "type", "muscle", "side", "placement")}
            )
    extra = {}
    node = desc.find("fpcds") if desc is not None else None
    if node is not None:
        extra = {child.tag: (child.text or "").strip() for child in node}
    return {
        "name": root.findtext("name") or "",
        "type": root.findtext("type") or "",
        "source_id": root.findtext("source_id") or "",
        "channels": channels,
        "fpcds": extra,
    }


@dataclass(frozen=True)
class EmgMapping:
    """Which raw channels of an EMG stream are recorded, as what.

    Attributes
    ----------
    rows : tuple of int
        Indices of the stream's channels that are recorded, in order.
    channels : tuple of EmgChannel
        One per row.
    scale : tuple of float
        Volts per stream unit for each row.
    unmapped : tuple of str
        Labels of channels that no rule mapped.
    """

    rows: tuple[int, ...]
    channels: tuple[EmgChannel, ...]
    scale: tuple[float, ...]
    unmapped: tuple[str, ...]


def _parse_target(label: str, value: Any) -> tuple[str, str, str]:
    if isinstance(value, str):
        muscle, sep, side = value.replace(":", "/").partition("/")
        if not sep:
            raise MappingError(f"mapping for channel {label!r} is {value!r}; expected 'muscle/side'")
        placement = "fridlund1986"
    elif isinstance(value, Mapping):
        muscle, side = str(value.get("muscle", "")), str(value.get("side", ""))
        placement = str(value.get("placement", "fridlund1986"))
    elif isinstance(value, (tuple, list)) and len(value) in (2, 3):
        muscle, side = str(value[0]), str(value[1])
        placement = str(value[2]) if len(value) == 3 else "fridlund1986"
    else:
        raise MappingError(f"mapping for channel {label!r} is {value!r}; expected 'muscle/side' or a dict")
    muscle, side = muscle.strip(), side.strip()
    if muscle not in MUSCLES:
        raise MappingError(f"mapping for channel {label!r} names muscle {muscle!r}; expected one of {sorted(MUSCLES)}")
    if side not in SIDES:
        raise MappingError(f"mapping for channel {label!r} names side {side!r}; expected 'left' or 'right'")
    if placement not in PLACEMENT_SCHEMES:
        raise MappingError(
            f"mapping for channel {label!r} names placement {placement!r}; expected one of {list(PLACEMENT_SCHEMES)}"
        )
    return muscle, side, placement


def map_emg_channels(
    channels: Sequence[Mapping[str, str]],
    *,
    stream_name: str,
    mapping: Mapping[str, Any] | None = None,
) -> EmgMapping:
    """Decide muscle and side of each EMG channel (see the module docstring).

    Parameters
    ----------
    channels : sequence of dict
        ``parse_description(...)['channels']`` (label, unit, muscle, side,
        placement); labels default to ``'ch<i>'`` (1-based) when absent.
    stream_name : str
        For error messages.
    mapping : mapping of str to (str or dict), optional
        Explicit ``label -> 'muscle/side'`` assignments; they win over
        everything else.

    Raises
    ------
    MappingError
        The mapping names a channel the stream lacks, or a muscle/side that
        does not exist; two channels map to the same muscle and side; no
        channel maps at all.
    """
    labels = [(c.get("label") or f"ch{i + 1}") for i, c in enumerate(channels)]
    mapping = dict(mapping or {})
    missing = [k for k in mapping if k not in labels]
    if missing:
        raise MappingError(f"mapping names channels {missing} that EMG stream {stream_name!r} lacks; it has {labels}")
    rows, out, scales, unmapped = [], [], [], []
    taken: dict[tuple[str, str], str] = {}
    for i, (label, ch) in enumerate(zip(labels, channels)):
        target: tuple[str, str, str] | None = None
        if label in mapping:
            target = _parse_target(label, mapping[label])
        elif ch.get("muscle") and ch.get("side"):
            target = _parse_target(label, {"muscle": ch["muscle"], "side": ch["side"],
                                           "placement": ch.get("placement") or "fridlund1986"})
        else:
            try:
                muscle, side = muscle_from_fridlund(label)
                target = (muscle, side, "fridlund1986")
            except KeyError:
                target = None
        if target is None:
            unmapped.append(label)
            continue
        key = (target[0], target[1])
        if key in taken:
            raise MappingError(
                f"EMG stream {stream_name!r}: channels {taken[key]!r} and {label!r} both map to {key[1]} {key[0]}"
            )
        taken[key] = label
        unit = (ch.get("unit") or "volts").strip().lower()
        if unit not in EMG_UNITS:
            raise MappingError(
                f"EMG stream {stream_name!r} channel {label!r} has unit {ch.get('unit')!r}; "
                f"expected one of {sorted(EMG_UNITS)}"
            )
        rows.append(i)
        out.append(EmgChannel(label, target[0], target[1], target[2]))  # type: ignore[arg-type]
        scales.append(EMG_UNITS[unit])
    if not rows:
        raise MappingError(
            f"EMG stream {stream_name!r}: none of its {len(labels)} channels {labels} maps to a muscle; "
            "give a mapping (label -> 'muscle/side')"
        )
    return EmgMapping(tuple(rows), tuple(out), tuple(scales), tuple(unmapped))


@dataclass(frozen=True)
class MotionLayout:
    """How a motion stream's flat samples become ``(n_points, 3)`` frames.

    Attributes
    ----------
    scheme : str
        Session point scheme (``'mediapipe478'``, ``'markers:<name>'``).
    point_names : tuple of str
    coordinates : {'head', 'image_normalized'}
    mm_per_unit : float
        For ``head`` coordinates; 1 for image coordinates.
    width, height : int
        Image size in pixels (``image_normalized`` only, else 0).
    facial_points : tuple of str
        For marker sets: the points that are known facial landmarks
        (``desc/fpcds/facial_points``, comma-separated).
    """

    scheme: str
    point_names: tuple[str, ...]
    coordinates: str
    mm_per_unit: float
    width: int = 0
    height: int = 0
    facial_points: tuple[str, ...] = ()


def motion_layout(description: Mapping[str, Any], *, channel_count: int, stream_name: str) -> MotionLayout:
    """Interpret a motion stream's description (see the module docstring)."""
    extra = description.get("fpcds", {})
    if channel_count % 3:
        raise LslError(f"motion stream {stream_name!r} has {channel_count} channels; expected 3 per point (x, y, z)")
    n_points = channel_count // 3
    scheme = extra.get("scheme") or {478: "mediapipe478", 468: "mediapipe468"}.get(n_points, "")
    coordinates = extra.get("coordinates") or "head"
    if coordinates not in COORDINATES:
        raise LslError(f"motion stream {stream_name!r} declares coordinates {coordinates!r}; expected {list(COORDINATES)}")
    labels = [c.get("label", "") for c in description.get("channels", [])]
    if scheme in FACE_MESH_SCHEMES:
        expected = int(scheme.removeprefix("mediapipe"))
        if n_points != expected:
            raise LslError(f"motion stream {stream_name!r} declares scheme {scheme!r} but has {n_points} points")
        names: tuple[str, ...] = tuple(str(i) for i in range(n_points))
    else:
        if not scheme:
            scheme = f"markers:{stream_name}"
        if len(labels) == channel_count and all(labels):
            names = tuple(lbl.rsplit("_", 1)[0] for lbl in labels[::3])
        else:
            names = tuple(f"p{i + 1}" for i in range(n_points))
        if coordinates != "head":
            raise LslError(f"motion stream {stream_name!r}: image coordinates need a face-mesh scheme")
    facial = tuple(p for p in (extra.get("facial_points") or "").split(",") if p)
    unknown = [p for p in facial if p not in names]
    if unknown:
        raise LslError(f"motion stream {stream_name!r} lists facial points {unknown} that are not among its points")
    units = (extra.get("units") or _first_unit(description) or "mm").strip().lower()
    if coordinates == "image_normalized":
        try:
            width, height = int(extra["width"]), int(extra["height"])
        except (KeyError, ValueError):
            raise LslError(f"motion stream {stream_name!r} has image coordinates but no image width/height") from None
        if width <= 0 or height <= 0:
            raise LslError(f"motion stream {stream_name!r} has image size {width}x{height}; expected > 0")
        return MotionLayout(scheme, names, coordinates, 1.0, width, height)
    if units not in MOTION_STREAM_UNITS:
        raise LslError(
            f"motion stream {stream_name!r} has units {units!r}; expected one of {sorted(MOTION_STREAM_UNITS)}"
        )
    return MotionLayout(scheme, names, coordinates, MOTION_STREAM_UNITS[units], facial_points=facial)


def _first_unit(description: Mapping[str, Any]) -> str:
    for ch in description.get("channels", []):
        if ch.get("unit"):
            return str(ch["unit"])
    return ""

