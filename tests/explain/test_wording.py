"""Plain clinical words for features and contributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explain.explanation import ModelExplanation, OutputExplanation
from explain.wording import (Sides, contribution_sentence, describe_feature, effect_phrase, feature_phrase,
                             format_value, parse_feature, top_sentences)
from models.features import feature_specs

LEFT = Sides("left", "inferred")
CONTEXT = {
    "motion.commissure_displacement.excursion_affected.smile_open": 3.1,
    "motion.commissure_displacement.excursion_healthy.smile_open": 9.8,
    "emg.zygomaticus.rms_affected.smile_open": 12.0,
    "emg.zygomaticus.rms_healthy.smile_open": 29.0,
}


def test_a_sided_movement_reads_with_its_healthy_counterpart():
    text = describe_feature("motion.commissure_displacement.excursion_affected.smile_open", 3.1, "mm", sides=LEFT,
                            context=CONTEXT)
    assert text == "left mouth-corner movement during big smile 3.1 mm (healthy side 9.8 mm)"


def test_the_healthy_side_reads_with_the_affected_value_and_the_real_side():
    text = describe_feature("motion.commissure_displacement.excursion_healthy.smile_open", 9.8, "mm",
                            sides=Sides("right"), context=CONTEXT)
    assert text == "left mouth-corner movement during big smile 9.8 mm (affected side 3.1 mm)"


def test_a_ratio_reads_with_both_sides_in_their_units():
    text = describe_feature("emg.zygomaticus.rms_ratio.smile_open", 0.41, "1", sides=LEFT, context=CONTEXT)
    assert text == ("smile muscle (zygomaticus major) sEMG amplitude during big smile, left/right ratio 0.41 "
                    "(left 12.0 µV, right 29.0 µV)")


def test_unknown_side_is_not_called_healthy():
    text = describe_feature("motion.commissure_displacement.excursion_affected.smile_open", 3.1, "mm",
                            sides=Sides("left", "unknown"), context=CONTEXT)
    assert text.endswith("(right side 9.8 mm)")


def test_unavailable_values_and_clinical_facts():
    assert describe_feature("emg.mentalis.rms_affected.eee", math.nan, "uV", sides=LEFT) == \
        "left chin muscle (mentalis) sEMG amplitude while saying 'eee' (not available)"
    assert describe_feature("clinical.days_since_onset", 3.0, "d", sides=LEFT) == "time since onset 3 days"
    assert describe_feature("clinical.sex_female", 1.0, "1", sides=LEFT) == "sex female"
    assert describe_feature("clinical.fdi_physical", 42.0, "1", sides=LEFT) == \
        "Facial Disability Index, physical function 42/100"


@pytest.mark.parametrize("value, unit, text", [
    (3.14159, "mm", "3.1 mm"), (45.4, "%", "45%"), (0.325, "1", "0.33"), (12.0, "uV", "12.0 µV"),
    (7.0, "deg", "7°"), (math.nan, "mm", "not available"), (-0.01, "mm", "0.0 mm"), (1200.0, "mm/s2", "1200 mm/s²"),
])
def test_values_carry_their_units(value, unit, text):
    assert format_value(value, unit) == text


def test_every_catalogue_feature_has_a_phrase_with_its_task():
    for spec in feature_specs():
        phrase = feature_phrase(spec.name, LEFT)
        parts = parse_feature(spec.name)
        assert phrase and "{t}" not in phrase and "_" not in phrase, spec.name
        if parts.op:
            assert parts.op not in phrase and ("left" in phrase or "right" in phrase), spec.name


def _output(kind_unit: str, name: str, values: list[float]) -> OutputExplanation:
    n = len(values)
    return OutputExplanation("m", name, "title", "space", kind_unit, 1.0, 0.0, 0.0, np.array(values), sum(values),
                             0.5, "P", 0.0, tuple((f"clinical.age{i}", "a", "clinical") for i in range(n)),
                             np.full(n, 50.0))


def _model(model_id: str, kind: str, out: OutputExplanation) -> ModelExplanation:
    return ModelExplanation(model_id, "Title", kind, "1", "0" * 64, (), (out,), out.name, "", {}, 0.0, 0.0)


def test_effects_say_what_the_contribution_did():
    grade = _model("hb_grade", "multiclass", _output("logit", "IV", [0.84]))
    assert effect_phrase(grade, grade.outputs[0], 0.84) == "pushed the grade towards IV (+0.84 logit)"
    assert effect_phrase(grade, grade.outputs[0], -0.2) == "pushed the grade away from IV (-0.20 logit)"
    lesion = _model("lesion", "binary", _output("log-odds", "central", [1.0]))
    assert effect_phrase(lesion, lesion.outputs[0], 1.0) == \
        "raised the probability of a central lesion (+1.00 log-odds)"
    sb = _model("sunnybrook", "interval", _output("points", "point", [-8.24]))
    assert effect_phrase(sb, sb.outputs[0], -8.24) == "lowered the Sunnybrook composite estimate by 8.2 points"
    wk = _model("weeks_to_recovery", "interval", _output("log(1+wk)", "q50", [math.log(1.25)]))
    assert effect_phrase(wk, wk.outputs[0], math.log(1.25)) == \
        "lengthened the predicted time to recovery (x1.25 on 1 + weeks)"


def test_sentences_of_a_real_explanation_name_sides_values_and_effects(cases):
    case = cases["severe"]
    e = case.explanation
    sides = Sides(e.affected_side, e.affected_side_source)
    model = e["hb_grade"]
    lines = top_sentences(model, sides=sides, context=e.context, n=3)
    assert 1 <= len(lines) <= 3
    for line, item in zip(lines, model.primary_output.top(3)):
        assert line[0].isupper() and line.endswith(".")
        assert f"grade {'towards' if item.contribution >= 0 else 'away from'} {model.primary}" in line
        assert line == contribution_sentence(model, model.primary_output, item, sides=sides, context=e.context)
