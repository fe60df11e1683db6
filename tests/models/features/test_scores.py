"""Rule-based grades, checked by hand against their documented rules."""

from __future__ import annotations

import math

import pytest

from models.features.names import feature_names
from models.features.scores import eface, house_brackmann, score_all, sunnybrook, Scores


def features(**values: float) -> dict[str, float]:
    f = dict.fromkeys(feature_names(), math.nan)
    for key, value in values.items():
        name = key.replace("__", ".")
        assert name in f, name
        f[name] = value
    return f


def normal_face(**override: float) -> dict[str, float]:
    """A face whose affected side moves like the healthy one (ratios 1, excursions normal)."""
    v = {
        "motion__fissure__ratio__rest": 1.0,
        "motion__nasolabial__ratio__rest": 1.0,
        "motion__brow_height__ratio__rest": 1.0,
        "motion__commissure_height__ratio__rest": 1.0,
        "motion__commissure_height__value_affected__rest": -60.0,
        "motion__commissure_height__value_healthy__rest": -60.0,
        "motion__brow_height__excursion_ratio__brow_raise": 1.0,
        "motion__fissure__excursion_ratio__gentle_eye_closure": 1.0,
        "motion__commissure_displacement__excursion_ratio__smile_open": 1.0,
        "motion__nasolabial__excursion_ratio__snarl": 1.0,
        "motion__commissure_displacement__excursion_ratio__pucker": 1.0,
        "motion__lower_lip__excursion_ratio__eee": 1.0,
        "motion__fissure__value_affected__rest": 10.0,
        "motion__fissure__value_healthy__rest": 10.0,
        "motion__fissure__excursion_affected__gentle_eye_closure": -10.0,
        "motion__fissure__excursion_affected__tight_eye_closure": -10.0,
        "motion__brow_height__excursion_affected__brow_raise": 10.0,
        "motion__brow_height__excursion_healthy__brow_raise": 10.0,
        "motion__commissure_displacement__excursion_affected__smile_open": 10.0,
        "motion__commissure_displacement__excursion_healthy__smile_open": 10.0,
    }
    for task in ("brow_raise", "gentle_eye_closure"):
        v[f"motion__oral_synkinesis__displacement_affected__{task}"] = 0.5
        v[f"motion__oral_synkinesis__displacement_healthy__{task}"] = 0.5
    for task in ("smile_open", "snarl", "pucker"):
        v[f"motion__ocular_synkinesis__narrowing_affected__{task}"] = 0.05
        v[f"motion__ocular_synkinesis__narrowing_healthy__{task}"] = 0.05
        v[f"motion__fissure__excursion_affected__{task}"] = -0.5
        v[f"motion__fissure__excursion_healthy__{task}"] = -0.5
    v.update(override)
    return features(**v)


def test_a_normal_face_scores_normal_on_every_scale():
    s = score_all(normal_face())
    assert s.sunnybrook.total == 100 and s.sunnybrook.subscores == {"resting": 0, "voluntary": 100, "synkinesis": 0}
    assert s.eface.total == pytest.approx(100.0)
    assert s.house_brackmann.total == 1 and s.house_brackmann.label.startswith("grade I ")


def test_sunnybrook_items_follow_the_thresholds():
    f = normal_face(
        motion__fissure__ratio__rest=1.3,  # wide -> 1
        motion__nasolabial__ratio__rest=1.2,  # fold absent -> 2
        motion__commissure_height__value_affected__rest=-63.0,  # drooped 3 mm -> 1
        motion__brow_height__excursion_ratio__brow_raise=0.05,  # -> 1
        motion__fissure__excursion_ratio__gentle_eye_closure=0.2,  # -> 2
        motion__commissure_displacement__excursion_ratio__smile_open=0.45,  # -> 3
        motion__nasolabial__excursion_ratio__snarl=0.7,  # -> 4
        motion__ocular_synkinesis__narrowing_affected__smile_open=0.40,  # excess 0.35 -> 2
        motion__oral_synkinesis__displacement_affected__gentle_eye_closure=5.0,  # excess 4.5 mm -> 3
    )
    s = sunnybrook(f)
    items = {i.name: i for i in s.items}
    assert [items[f"resting.{k}"].score for k in ("eye", "cheek", "mouth")] == [1, 2, 1]
    assert items["resting.eye"].finding == "wide" and items["resting.mouth"].finding == "corner drooped"
    assert [items[f"voluntary.{k}"].score for k in ("brow_lift", "gentle_eye_closure", "open_mouth_smile",
                                                     "snarl", "lip_pucker")] == [1, 2, 3, 4, 5]
    assert items["synkinesis.open_mouth_smile"].score == 2
    assert items["synkinesis.gentle_eye_closure"].score == 3
    assert s.subscores == {"resting": 20.0, "voluntary": 60.0, "synkinesis": 5.0}
    assert s.total == 60 - 20 - 5
    # every item keeps the numbers it used
    assert items["voluntary.snarl"].inputs == {"motion.nasolabial.excursion_ratio.snarl": 0.7}
    assert "0.85" in items["voluntary.snarl"].rule


def test_sunnybrook_falls_back_to_emg_and_says_so():
    f = normal_face(motion__commissure_displacement__excursion_ratio__smile_open=math.nan,
                    emg__zygomaticus__rms_rest_norm_affected__smile_open=11.0,
                    emg__zygomaticus__rms_rest_norm_healthy__smile_open=21.0)
    item = {i.name: i for i in sunnybrook(f).items}["voluntary.open_mouth_smile"]
    assert item.score == 3  # (11 - 1) / (21 - 1) = 0.5
    assert "no motion: sEMG activation ratio" in item.rule


def test_emg_synkinesis_raises_the_item():
    f = normal_face(emg__orbicularis_oculi__rms_rest_norm_affected__smile_open=6.0,
                    emg__orbicularis_oculi__rms_rest_norm_healthy__smile_open=1.5)
    item = {i.name: i for i in sunnybrook(f).items}["synkinesis.open_mouth_smile"]
    assert item.score == 3 and item.finding == "severe (sEMG orbicularis_oculi)"


def test_missing_measures_make_items_and_totals_not_assessable():
    s = sunnybrook(features())
    assert math.isnan(s.total)
    item = s.items[0]
    assert math.isnan(item.score) and item.finding == "not assessable: missing motion.fissure.ratio.rest"
    assert s.label == "composite not assessable"
    assert math.isnan(eface(features()).total) and math.isnan(house_brackmann(features()).total)
    f = normal_face(emg__zygomaticus__rms_rest_norm_affected__smile_open=3.0,
                    emg__zygomaticus__rms_rest_norm_healthy__smile_open=1.2,
                    motion__commissure_displacement__excursion_ratio__smile_open=math.nan)
    item = {i.name: i for i in sunnybrook(f).items}["voluntary.open_mouth_smile"]
    assert item.finding.startswith("not assessable: the healthy side did not activate")


def test_eface_items_by_hand():
    f = normal_face(motion__brow_height__ratio__rest=0.8,  # static 80
                    motion__fissure__ratio__rest=1.3,  # static 70
                    motion__brow_height__excursion_ratio__brow_raise=0.4,  # dynamic 40
                    motion__fissure__excursion_affected__gentle_eye_closure=-6.0,  # 60 % closure
                    motion__fissure__excursion_affected__smile_open=-3.0)  # fissure 7 vs 9.5: 73.7
    e = eface(f)
    items = {i.name: i.score for i in e.items}
    assert items["static.brow"] == pytest.approx(80)
    assert items["static.palpebral_fissure"] == pytest.approx(70)
    assert items["dynamic.brow_elevation"] == pytest.approx(40)
    assert items["dynamic.gentle_eye_closure"] == pytest.approx(60)
    assert items["synkinesis.ocular_big_smile"] == pytest.approx(100 * 7 / 9.5)
    assert e.subscores["static"] == pytest.approx((80 + 70 + 100 + 100) / 4)
    assert e.total == pytest.approx(sum(items.values()) / len(items))


@pytest.mark.parametrize(
    ("brow", "commissure", "grade", "label"),
    [(10.0, 10.0, 1, "grade I (8/8 points"), (9.9, 10.0, 2, "grade II (7/8"), (5.0, 7.5, 3, "grade III (5/8"),
     (2.5, 5.0, 4, "grade IV (3/8"), (0.0, 2.6, 5, "grade V (1/8"), (0.0, 2.4, 6, "grade VI (0/8"),
     (-3.0, 1.0, 6, "grade VI (0/8")],
)
def test_house_brackmann_points_and_grades(brow, commissure, grade, label):
    f = normal_face(motion__brow_height__excursion_affected__brow_raise=brow,
                    motion__commissure_displacement__excursion_affected__smile_open=commissure)
    hb = house_brackmann(f)
    assert hb.total == grade and hb.label.startswith(label)


def test_house_brackmann_compares_with_the_healthy_side():
    f = normal_face(motion__brow_height__excursion_healthy__brow_raise=9.0,  # healthy 3 + 4 = 7 points
                    motion__brow_height__excursion_affected__brow_raise=5.0,
                    motion__commissure_displacement__excursion_affected__smile_open=5.0)  # 2 + 2 = 4
    hb = house_brackmann(f)
    assert hb.subscores["percent"] == pytest.approx(100 * 4 / 7)
    assert hb.total == 3  # 57 %: III


def test_scores_round_trip_through_dicts():
    s = score_all(normal_face(motion__fissure__ratio__rest=math.nan))
    back = Scores.from_dict(s.to_dict())
    assert back.to_dict() == s.to_dict()
    assert math.isnan(back.sunnybrook.items[0].score)
