"""The care-plan proposal: each AAO-HNS rule fires on its numbers, says why, and central palsy is an emergency."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timezone

import pytest

from models.careplan import (
    CarePlanError,
    ClinicalFacts,
    propose_care_plan,
)
from tests.models.assessment_cases import make_assessment, simulated_table

SESSION_TIME = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def palsy():
    """A left Bell's palsy 2 days after onset, 45 years old (real features and rule-based scores)."""
    return simulated_table("bell", days_since_onset=2.0, age=45.0)


@pytest.fixture(scope="module")
def healthy_face():
    """A healthy face: eye closure complete by the rule-based eFACE."""
    return simulated_table("healthy", days_since_onset=None)


def _facts(table, **overrides) -> ClinicalFacts:
    facts = ClinicalFacts.from_features(table, session_time=SESSION_TIME)
    return ClinicalFacts(**{"age_years": facts.age_years, "days_since_onset": facts.days_since_onset,
                            "session_time": facts.session_time, **overrides})


def _item(data: dict, scale: str, name: str) -> dict:
    return next(i for i in data["rule_based"][scale]["items"] if i["name"] == name)


def test_facts_come_from_the_feature_table(palsy) -> None:
    facts = ClinicalFacts.from_features(palsy)
    assert facts.age_years == 45.0 and facts.days_since_onset == 2.0 and facts.session_time is None
    healthy = ClinicalFacts.from_features(simulated_table("healthy", days_since_onset=None))
    assert healthy.days_since_onset is None


def test_a_healthy_looking_face_gets_no_plan(palsy) -> None:
    assert propose_care_plan(make_assessment(palsy, grade="I", grade_p=0.6), facts=_facts(palsy)) is None
    assert propose_care_plan(make_assessment(palsy, grade="I", grade_p=0.45), facts=_facts(palsy)) is not None


def test_peripheral_palsy_within_72_hours_gets_the_full_plan(palsy) -> None:
    plan = propose_care_plan(make_assessment(palsy, grade="IV", synkinesis=0.7), facts=_facts(palsy))
    assert plan.pathway == "peripheral"
    assert plan.codes == ("oral-corticosteroids", "eye-protection", "reassessment", "specialist-referral",
                          "neuromuscular-retraining")
    assert plan.title == "Left peripheral facial palsy: management proposal"
    assert "not active until approved" in plan.description
    steroids = plan.activity("oral-corticosteroids")
    assert steroids.kind == "MedicationRequest" and steroids.urgent
    assert {(e.name, e.value) for e in steroids.evidence} == {("age", 45.0), ("time since onset", 2.0)}
    assert "AAO-HNS" in steroids.rule and "Bell's Palsy" in steroids.citation
    # 72 h after onset = 1 day after the session
    assert steroids.schedule.end == datetime(2026, 3, 3, 10, 0, tzinfo=timezone.utc)
    assert "not a prescription" in steroids.description and "not given instead of" in steroids.description
    assert plan.considerations == ()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"age_years": 12.0}, "not proposed: the patient is 12 years old"),
        ({"days_since_onset": 5.0}, "not proposed: the session was 5 days after onset, past the 72-hour window"),
        ({"age_years": None}, "not assessed: the patient's age is unknown"),
        ({"age_years": None, "days_since_onset": None}, "the patient's age and time since onset are unknown"),
    ],
)
def test_steroids_need_age_16_and_the_72_hour_window(palsy, overrides, expected) -> None:
    plan = propose_care_plan(make_assessment(palsy, grade="III"), facts=_facts(palsy, **overrides))
    assert "oral-corticosteroids" not in plan.codes
    assert any(expected in c for c in plan.considerations), plan.considerations


def test_eye_protection_cites_the_incomplete_closure(palsy, healthy_face) -> None:
    data = make_assessment(palsy, grade="III", grade_p=0.9).to_dict()
    gentle = _item(data, "eface", "dynamic.gentle_eye_closure")["score"]
    assert gentle < 90
    plan = propose_care_plan(data, facts=_facts(palsy))
    eye = plan.activity("eye-protection")
    found = {e.name: e.value for e in eye.evidence}
    assert found["eFACE gentle eye closure"] == pytest.approx(gentle, abs=0.05)
    assert "P(House-Brackmann IV-VI)" not in found
    assert f"eFACE gentle eye closure = {found['eFACE gentle eye closure']:.4g}/100" in eye.reason()
    # complete closure and a mild grade: no eye protection
    mild = propose_care_plan(make_assessment(healthy_face, grade="II"), facts=_facts(healthy_face))
    assert "eye-protection" not in mild.codes


def test_eye_protection_from_a_severe_grade_or_the_sunnybrook_item(healthy_face) -> None:
    severe = propose_care_plan(make_assessment(healthy_face, grade="V", grade_p=0.8), facts=_facts(healthy_face))
    eye = severe.activity("eye-protection")
    assert [(e.name, e.value) for e in eye.evidence] == [("P(House-Brackmann IV-VI)", 88.0)]
    data = make_assessment(healthy_face, grade="II").to_dict()
    # without motion the eFACE closure items are not assessable; sEMG still scores Sunnybrook's item
    data["rule_based"]["eface"]["items"] = [i for i in data["rule_based"]["eface"]["items"]
                                            if "eye_closure" not in i["name"]]
    _item(data, "sunnybrook", "voluntary.gentle_eye_closure")["score"] = 3.0
    eye = propose_care_plan(data, facts=_facts(healthy_face)).activity("eye-protection")
    assert [(e.name, e.value, e.source) for e in eye.evidence] == [
        ("Sunnybrook gentle eye closure score", 3.0, "rule_based.sunnybrook")]


def test_reassessment_three_weeks_after_onset_then_every_four(palsy) -> None:
    early = propose_care_plan(make_assessment(palsy), facts=_facts(palsy)).activity("reassessment")
    assert early.schedule.start_days == 19.0 and early.schedule.every_weeks == 4.0
    assert early.schedule.start == datetime(2026, 3, 21, 10, 0, tzinfo=timezone.utc)
    assert "3 weeks after onset (2026-03-21), then every 4 weeks" in early.description
    assert "median 9 weeks (80% interval 4-20)" in early.description
    later = propose_care_plan(make_assessment(palsy), facts=_facts(palsy, days_since_onset=40.0,
                                                                   session_time=date(2026, 3, 2)))
    schedule = later.activity("reassessment").schedule
    assert schedule.start_days == 28.0 and schedule.start == date(2026, 3, 30)


def test_referral_is_conditional_early_and_due_after_three_months(palsy) -> None:
    early = propose_care_plan(make_assessment(palsy), facts=_facts(palsy)).activity("specialist-referral")
    assert early.title.endswith("if needed") and early.schedule.start_days == 88.0
    assert "ocular symptoms" in early.description and "(2026-05-29)" in early.description
    late = propose_care_plan(make_assessment(palsy, grade="III"), facts=_facts(palsy, days_since_onset=120.0))
    referral = late.activity("specialist-referral")
    assert referral.title.endswith("now")
    assert "recovery is incomplete 120 days after onset" in referral.description
    assert ("time since onset", 120.0) in {(e.name, e.value) for e in referral.evidence}


def test_worsening_since_the_previous_assessment_means_referral_now(palsy) -> None:
    before = make_assessment(palsy, grade="II", grade_p=0.9)
    now = make_assessment(palsy, grade="IV", grade_p=0.9)
    referral = propose_care_plan(now, facts=_facts(palsy), previous=before).activity("specialist-referral")
    assert "worse than at the previous assessment" in referral.description
    names = [e.name for e in referral.evidence]
    assert "expected House-Brackmann grade, previous" in names and "expected House-Brackmann grade, now" in names
    same = propose_care_plan(now, facts=_facts(palsy), previous=now).activity("specialist-referral")
    assert same.title.endswith("if needed")


def test_complete_paralysis_mentions_electrodiagnostics(palsy) -> None:
    plan = propose_care_plan(make_assessment(palsy, grade="VI", grade_p=0.8), facts=_facts(palsy))
    assert "electrodiagnostic testing may be offered" in plan.activity("specialist-referral").description
    partial = propose_care_plan(make_assessment(palsy, grade="III"), facts=_facts(palsy))
    assert "electrodiagnostic" not in partial.activity("specialist-referral").description


def test_retraining_for_likely_or_measured_synkinesis(palsy) -> None:
    assert "neuromuscular-retraining" not in propose_care_plan(make_assessment(palsy, synkinesis=0.3),
                                                               facts=_facts(palsy)).codes
    data = make_assessment(palsy, synkinesis=0.3).to_dict()
    _item(data, "sunnybrook", "synkinesis.open_mouth_smile")["score"] = 2.0
    retraining = propose_care_plan(data, facts=_facts(palsy)).activity("neuromuscular-retraining")
    assert [(e.name, e.value) for e in retraining.evidence] == [("Sunnybrook synkinesis, open mouth smile", 2.0)]


def test_central_palsy_is_an_emergency_never_rehabilitation() -> None:
    table = simulated_table("central", days_since_onset=1.0, onset_severity=0.7)
    # even with likely synkinesis and within the steroid window
    plan = propose_care_plan(make_assessment(table, grade="III", central=0.9, synkinesis=0.9),
                             facts=_facts(table))
    assert plan.pathway == "central"
    assert plan.codes[0] == "urgent-stroke-referral"
    assert set(plan.codes) <= {"urgent-stroke-referral", "eye-protection"}
    urgent = plan.activity("urgent-stroke-referral")
    assert urgent.urgent and urgent.schedule.text == "immediately" and urgent.description.startswith("EMERGENCY")
    assert urgent.evidence[0].name == "P(central palsy)" and urgent.evidence[0].value == 90.0
    assert "URGENT" in plan.title and "No rehabilitation" in plan.description
    assert "needs a stroke work-up first" in plan.considerations[0]
    # just under the threshold: the peripheral plan
    assert propose_care_plan(make_assessment(table, central=0.49), facts=_facts(table)).pathway == "peripheral"


def test_every_activity_names_its_rule_and_numbers(palsy) -> None:
    plan = propose_care_plan(make_assessment(palsy, grade="V", synkinesis=0.8), facts=_facts(palsy))
    for activity in plan.activities:
        assert activity.rule and activity.evidence, activity.code
        assert activity.reason().startswith(activity.rule) and "Found:" in activity.reason()
    assert json.loads(json.dumps(plan.to_dict()))["rules_version"] == "fpcds-careplan-1"


def test_stored_and_live_assessments_give_the_same_plan(palsy) -> None:
    live = make_assessment(palsy, grade="IV")
    stored = json.loads(live.to_json())
    assert propose_care_plan(stored, facts=_facts(palsy)) == propose_care_plan(live, facts=_facts(palsy))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["outputs"].pop("lesion"), r"assessment has no 'outputs.lesion.probability'"),
        (lambda d: d["outputs"]["synkinesis"].update(probability=1.5),
         r"assessment 'outputs.synkinesis.probability' is 1.5; expected a probability in \[0, 1\]"),
        (lambda d: d["outputs"]["hb_grade"]["probabilities"].pop("IV"),
         r"assessment has no 'outputs.hb_grade.probabilities.IV'"),
    ],
)
def test_malformed_assessments_are_named(palsy, edit, message) -> None:
    data = copy.deepcopy(make_assessment(palsy).to_dict())
    edit(data)
    with pytest.raises(CarePlanError, match=message):
        propose_care_plan(data, facts=_facts(palsy))


def test_bad_inputs_are_refused(palsy) -> None:
    with pytest.raises(CarePlanError, match=r"clinical fact age_years is -1; expected a number in \[0, 130\]"):
        ClinicalFacts(age_years=-1)
    with pytest.raises(CarePlanError, match=r"clinical fact days_since_onset is 'two'"):
        ClinicalFacts(days_since_onset="two")  # type: ignore[arg-type]
    with pytest.raises(CarePlanError, match="clinical fact session_time is '2026-03-02'; expected a datetime or date"):
        ClinicalFacts(session_time="2026-03-02")  # type: ignore[arg-type]
    with pytest.raises(CarePlanError, match="assessment is a list; expected an Assessment or its JSON form"):
        propose_care_plan([])
    with pytest.raises(CarePlanError, match="facts is a dict; expected ClinicalFacts"):
        propose_care_plan(make_assessment(palsy), facts={})  # type: ignore[arg-type]
    previous = make_assessment(palsy).to_dict()
    del previous["outputs"]["hb_grade"]["expected_grade"]
    with pytest.raises(CarePlanError, match="previous assessment has no 'outputs.hb_grade.expected_grade'"):
        propose_care_plan(make_assessment(palsy), facts=_facts(palsy), previous=previous)
