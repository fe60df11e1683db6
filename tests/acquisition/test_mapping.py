import json

import pytest

from acquisition.anatomy import MUSCLES
from acquisition.errors import MappingError
from acquisition.mapping import (
    builtin_mappings,
    load_mapping,
    parse_mapping,
    resolve_mapping,
    split_axis_label,
)


def _m(**sections):
    return parse_mapping({"format": "fpcds-mapping/1", **sections}, source="test")


def test_builtin_mappings_load_and_default_is_fridlund():
    assert {"fridlund", "simulator", "trigno8-face"} <= set(builtin_mappings())
    default = resolve_mapping(None)
    assert default.name == "fridlund" and default.source == "builtin:fridlund" and default.path is None
    sim = resolve_mapping("simulator")
    assert len(sim.emg.channels) == 2 * len(MUSCLES) and sim.motion.scheme == "mediapipe478"
    trigno = resolve_mapping("trigno8-face")
    a = trigno.assign_emg(["Sensor 1.EMG1", "Sensor 7.EMG7", "Voltage.1"], source="f")
    assert [(c.name, c.muscle, c.side) for c in a.channels] == [
        ("Sensor 1.EMG1", "frontalis_lateral", "left"), ("Sensor 7.EMG7", "zygomaticus", "right")]
    assert a.unmapped == ("Voltage.1",)


def test_fridlund_labels_explicit_labels_and_matching_rules():
    m = _m(emg={"channels": {"Sensor 12.EMG12": "Zyg re", "EXG3": {"muscle": "masseter", "side": "left",
                                                                    "placement": "custom"}}})
    a = m.assign_emg(["  sensor 12.emg12 ", "Zyg li", "exg3", "Trigger"], source="f")
    assert [(c.muscle, c.side, c.placement) for c in a.channels] == [
        ("zygomaticus", "right", "fridlund1986"), ("zygomaticus", "left", "fridlund1986"), ("masseter", "left", "custom")]
    assert a.indices == (0, 1, 2) and a.unmapped == ("Trigger",)
    assert a.channels[0].name == "sensor 12.emg12", "the device label is kept"
    off = _m(emg={"fridlund_labels": False})
    assert off.assign_emg(["Zyg li"], source="f").unmapped == ("Zyg li",)


def test_two_channels_on_one_muscle_side_is_an_error():
    m = _m(emg={"channels": {"A": "Zyg li"}})
    with pytest.raises(MappingError, match="f.edf: raw channels 'A' and 'Zyg li' are both mapped to left zygomaticus"):
        m.assign_emg(["A", "Zyg li"], source="f.edf")


def test_points_are_renamed_to_landmarks():
    m = _m(motion={"points": {"LMCOR": "commissure_left"}})
    a = m.assign_points(["subj:LMCOR", "nose_tip", "T10"], source="f", default_set="vicon")
    assert a.scheme == "markers:vicon" and a.point_names == ("commissure_left", "nose_tip", "T10")
    assert a.facial_points == ("commissure_left", "nose_tip") and a.renamed == (("subj:LMCOR", "commissure_left"),)
    mesh = m.assign_points([str(i) for i in range(478)], source="f", default_set="x")
    assert mesh.scheme == "mediapipe478" and mesh.point_names == ()
    with pytest.raises(MappingError, match="motion scheme 'mediapipe468' needs 468 points but the file has 3"):
        _m(motion={"scheme": "mediapipe468"}).assign_points(["a", "b", "c"], source="f", default_set="x")
    with pytest.raises(MappingError, match="points 'nose_tip' and 'N' would both be called 'nose_tip'"):
        _m(motion={"points": {"N": "nose_tip"}}).assign_points(["nose_tip", "N"], source="f", default_set="x")


@pytest.mark.parametrize(
    "content, message",
    [
        ({"format": "fpcds-mapping/2"}, "format is 'fpcds-mapping/2'; expected 'fpcds-mapping/1'"),
        ({"emgs": {}}, "emgs is not a known key"),
        ({"emg": {"chanels": {}}}, "emg.chanels is not a known key"),
        ({"emg": {"channels": {"A": "Zyg up"}}}, "emg.channels\\['A'\\] 'Zyg up' is not a Fridlund label"),
        ({"emg": {"channels": {"A": {"muscle": "biceps", "side": "left"}}}}, "'biceps' is not a muscle"),
        ({"emg": {"channels": {"A": {"muscle": "zygomaticus", "side": "up"}}}}, "'up' is not 'left' or 'right'"),
        ({"emg": {"channels": {"A": "Zyg li", "a": "Zyg re"}}}, "is listed twice"),
        ({"emg": {"channels": {"A": "Zyg li", "B": "Zyg li"}}}, "left zygomaticus is already assigned to 'A'"),
        ({"emg": {"units": "mmHg"}}, "emg.units 'mmHg' is not a voltage unit"),
        ({"emg": {"override_units": True}}, "emg.override_units is true but emg.units is not given"),
        ({"emg": {"fridlund_labels": "yes"}}, "emg.fridlund_labels is 'yes'; expected true or false"),
        ({"motion": {"scheme": "openpose"}}, "motion.scheme 'openpose' is not one of"),
        ({"motion": {"points": {"X": "left_ear"}}}, "'left_ear' is not a canonical landmark name"),
        ({"motion": {"units": "px"}}, "motion.units 'px' is not a length unit"),
        ({"markers": {"stream": {"kind": "Markers"}}}, "markers.stream.kind is not a known key"),
        ({"emg": []}, "emg is a list; expected a mapping"),
    ],
)
def test_bad_mapping_content_names_the_key(content, message):
    data = {"format": "fpcds-mapping/1", **content}
    with pytest.raises(MappingError, match=message):
        parse_mapping(data, source="m.yaml")


def test_mapping_files_yaml_json_and_errors(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"format": "fpcds-mapping/1", "emg": {"channels": {"C1": "DAO re"}}}))
    m = resolve_mapping(tmp_path / "m.json")
    assert m.name == "m" and m.path == str(tmp_path / "m.json")
    (tmp_path / "bad.yaml").write_text("format: fpcds-mapping/1\nemg: [unclosed\n")
    with pytest.raises(MappingError, match="bad.yaml: is not valid YAML"):
        load_mapping(tmp_path / "bad.yaml")
    (tmp_path / "m.txt").write_text("")
    with pytest.raises(MappingError, match="file type '.txt' is not YAML or JSON"):
        load_mapping(tmp_path / "m.txt")
    with pytest.raises(MappingError, match="mapping 'nonesuch' is neither a file nor a built-in mapping; built-in: fridlund"):
        resolve_mapping("nonesuch")


def test_split_axis_label():
    assert split_axis_label("LMCOR_X") == ("LMCOR", "x")
    assert split_axis_label("commissure_left.z") == ("commissure_left", "z")
    assert split_axis_label("0_Y") == ("0", "y")
    assert split_axis_label("MAX") is None and split_axis_label("_x") is None
