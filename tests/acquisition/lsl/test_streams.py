"""Stream descriptions, selection, EMG channel mapping and the marker vocabulary (no network)."""

from __future__ import annotations

import pytest

from acquisition.errors import MappingError
from acquisition.lsl_markers import parse_marker, protocol_marker, task_marker
from acquisition.lsl_publish import emg_stream_info, motion_stream_info
from acquisition.lsl_streams import (
    LslError,
    LslStream,
    map_emg_channels,
    motion_layout,
    parse_description,
    select_streams,
)
from acquisition.segments import parse_task_label
from tests.factories import tiny_session


def _stream(name, kind, source_id=None):
    types = {"emg": "EMG", "motion": "Mocap", "markers": "Markers", None: "EEG"}
    return LslStream(name, types[kind], kind, source_id or f"{name}-id", "uid-" + name, "host", 2, 100.0, "float32")


def test_published_descriptions_carry_muscle_side_and_scheme():
    s = tiny_session()
    emg = parse_description(emg_stream_info(s.emg, name="x-EMG", source_id="x-emg").as_xml())
    assert emg["type"] == "EMG" and emg["source_id"] == "x-emg"
    assert [(c["label"], c["unit"], c["muscle"], c["side"]) for c in emg["channels"]] == [
        ("Zyg li", "volts", "zygomaticus", "left"), ("Zyg re", "volts", "zygomaticus", "right")]
    motion = parse_description(motion_stream_info(s.motion, name="x-Motion", source_id="x-motion").as_xml())
    assert motion["fpcds"] == {"stream": "motion", "scheme": "mediapipe478", "units": "mm", "coordinates": "head"}
    assert motion["channels"][:3] == [
        {"label": f"0_{a}", "unit": "millimeters", "type": f"Position{a}", "muscle": "", "side": "", "placement": ""}
        for a in "XYZ"]
    layout = motion_layout(motion, channel_count=1434, stream_name="x")
    assert (layout.scheme, layout.coordinates, layout.mm_per_unit) == ("mediapipe478", "head", 1.0)


def test_mapping_precedence_explicit_then_description_then_fridlund_label():
    channels = [
        {"label": "Zyg li"},  # Fridlund label
        {"label": "A2", "muscle": "corrugator", "side": "right", "unit": "uV"},  # described
        {"label": "A3", "muscle": "corrugator", "side": "left"},  # overridden by the mapping
        {"label": "Trig"},  # nothing maps it
    ]
    m = map_emg_channels(channels, stream_name="amp", mapping={"A3": "orbicularis_oris/left"})
    assert m.rows == (0, 1, 2)
    assert [(c.name, c.muscle, c.side) for c in m.channels] == [
        ("Zyg li", "zygomaticus", "left"), ("A2", "corrugator", "right"), ("A3", "orbicularis_oris", "left")]
    assert m.scale == (1.0, 1e-6, 1.0)
    assert m.unmapped == ("Trig",)


def test_mapping_accepts_dicts_and_pairs_and_unlabelled_channels():
    m = map_emg_channels([{}, {}], stream_name="amp",
                         mapping={"ch1": {"muscle": "mentalis", "side": "left", "placement": "custom"},
                                  "ch2": ("mentalis", "right")})
    assert [(c.name, c.muscle, c.side, c.placement) for c in m.channels] == [
        ("ch1", "mentalis", "left", "custom"), ("ch2", "mentalis", "right", "fridlund1986")]


@pytest.mark.parametrize(
    "channels, mapping, message",
    [
        ([{"label": "A"}], {"B": "zygomaticus/left"}, r"mapping names channels \['B'\] that EMG stream 'amp' lacks"),
        ([{"label": "A"}], {"A": "smile/left"}, r"mapping for channel 'A' names muscle 'smile'"),
        ([{"label": "A"}], {"A": "zygomaticus/up"}, r"mapping for channel 'A' names side 'up'"),
        ([{"label": "A"}], {"A": "zygomaticus"}, r"mapping for channel 'A' is 'zygomaticus'; expected 'muscle/side'"),
        ([{"label": "A"}], {"A": 3}, r"mapping for channel 'A' is 3"),
        ([{"label": "A"}], {"A": {"muscle": "zygomaticus", "side": "left", "placement": "x"}},
         r"names placement 'x'"),
        ([{"label": "Zyg li"}, {"label": "B"}], {"B": "zygomaticus/left"},
         r"channels 'Zyg li' and 'B' both map to left zygomaticus"),
        ([{"label": "A"}, {"label": "B"}], None, r"none of its 2 channels \['A', 'B'\] maps to a muscle"),
        ([{"label": "Zyg li", "unit": "furlongs"}], None, r"channel 'Zyg li' has unit 'furlongs'"),
    ],
)
def test_mapping_errors_name_the_channel_and_the_problem(channels, mapping, message):
    with pytest.raises(MappingError, match=message):
        map_emg_channels(channels, stream_name="amp", mapping=mapping)


def test_motion_layout_of_named_markers_and_image_streams():
    desc = {"channels": [{"label": f"{p}_{a}"} for p in ("nose", "chin") for a in "XYZ"],
            "fpcds": {"units": "cm", "facial_points": "nose"}}
    layout = motion_layout(desc, channel_count=6, stream_name="Qualisys")
    assert (layout.scheme, layout.point_names, layout.mm_per_unit, layout.facial_points) == (
        "markers:Qualisys", ("nose", "chin"), 10.0, ("nose",))
    image = motion_layout({"channels": [], "fpcds": {"coordinates": "image_normalized", "width": "640",
                                                     "height": "480"}}, channel_count=1434, stream_name="cam")
    assert (image.coordinates, image.width, image.height) == ("image_normalized", 640, 480)


@pytest.mark.parametrize(
    "desc, count, message",
    [
        ({}, 1000, "has 1000 channels; expected 3 per point"),
        ({"fpcds": {"scheme": "mediapipe478"}}, 1404, "declares scheme 'mediapipe478' but has 468 points"),
        ({"fpcds": {"coordinates": "polar"}}, 1434, "declares coordinates 'polar'"),
        ({"fpcds": {"coordinates": "image_normalized"}}, 1434, "has image coordinates but no image width/height"),
        ({"fpcds": {"coordinates": "image_normalized", "width": "0", "height": "5"}}, 1434, "image size 0x5"),
        ({"fpcds": {"units": "inch"}}, 1434, "has units 'inch'"),
        ({"fpcds": {"coordinates": "image_normalized", "width": "5", "height": "5"}}, 6,
         "image coordinates need a face-mesh scheme"),
        ({"fpcds": {"facial_points": "nose"}}, 6, r"lists facial points \['nose'\]"),
    ],
)
def test_motion_layout_errors(desc, count, message):
    with pytest.raises(LslError, match=message):
        motion_layout(desc, channel_count=count, stream_name="m")


def test_description_that_is_not_xml_is_refused():
    with pytest.raises(LslError, match="LSL stream description is not valid XML"):
        parse_description("<info><name>x</info>")


def test_select_streams_defaults_and_choices():
    found = [_stream("A", "emg"), _stream("M", "motion"), _stream("K1", "markers"), _stream("K2", "markers"),
             _stream("E", None)]
    sel = select_streams(found)
    assert (sel.emg.name, sel.motion.name, [m.name for m in sel.markers]) == ("A", "M", ["K1", "K2"])
    sel = select_streams(found, motion="none", markers=["K2-id"])
    assert sel.motion is None and [m.name for m in sel.markers] == ["K2"]
    assert select_streams(found, markers=["none"]).markers == ()


def test_select_streams_errors_list_what_is_visible():
    two = [_stream("A", "emg"), _stream("B", "emg")]
    with pytest.raises(LslError, match=r"2 emg streams are visible, choose one by name or source id: 'A' \(EMG"):
        select_streams(two)
    with pytest.raises(LslError, match=r"no emg stream is named 'C' \(or has that source id\); visible: 'A'"):
        select_streams(two, emg="C")
    with pytest.raises(LslError, match="no EMG or motion stream was selected"):
        select_streams([_stream("K", "markers")])
    dup = [_stream("A", "emg", "s1"), _stream("A", "emg", "s2")]
    with pytest.raises(LslError, match="2 emg streams match 'A'; use the source id"):
        select_streams(dup, emg="A")


def test_marker_vocabulary_round_trips_and_matches_the_readers():
    assert task_marker("smile_open", "start", 2) == "smile_open/start|rep=2"
    assert protocol_marker("end", "fpcds-standard-v1") == "protocol/end|name=fpcds-standard-v1"
    parsed = parse_marker("pucker/cue|rep=3")
    assert (parsed.subject, parsed.event, parsed.repetition) == ("pucker", "cue", 3)
    assert parse_marker("protocol/start|name=x").fields == {"name": "x"}
    assert parse_marker("sync") is None and parse_marker("x/start|rep=0") is None
    # the readers' parser makes segments from start/end and ignores the guide's extra labels
    assert parse_task_label(task_marker("eee", "end", 1)).kind == "end"
    assert parse_task_label(task_marker("eee", "cue", 1)) is None
    assert parse_task_label(protocol_marker("start", "fpcds-standard-v1")) is None
    with pytest.raises(ValueError, match="marker event 'hold' is not one of"):
        task_marker("eee", "hold", 1)
    with pytest.raises(ValueError, match="protocol marker event 'cue' is not start, end or abort"):
        protocol_marker("cue", "p")
