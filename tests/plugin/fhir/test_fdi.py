"""The Facial Disability Index: its Questionnaire, scoring by hand-computed examples, QuestionnaireResponses.

The HAPI validator checks what :func:`questionnaire_response` writes (test marked ``java``).
"""

from __future__ import annotations

import copy
import json
import re
from datetime import timezone

import pytest

from conformance import paths
from conformance.validator import FhirValidator, errors
from plugin.fhir import fdi
from plugin.fhir.errors import FhirMappingError
from tests.conformance.test_examples import KNOWN_WARNINGS

AUTHORED = "2026-03-02T10:05:00+01:00"
IDENTIFIER = "0d9e6b52-1c0f-4a57-9a0e-5f7c2b8e4a11"
#: The example response in fhir_profiles: item 5 is not counted.
EXAMPLE_ANSWERS = {"1": 3, "2": 2, "3": 4, "4": 3, "5": 0, "6": 5, "7": 5, "8": 4, "9": 3, "10": 4}


#: Every physical item answered "usually did not do this for other reasons".
NO_PHYSICAL = {**EXAMPLE_ANSWERS, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


def response(points=None, **kw) -> dict:
    args = dict(patient="pat-1", author="Practitioner/doc-1", authored=AUTHORED, identifier=IDENTIFIER,
                source="Patient/pat-1")
    args.update(kw)
    return fdi.questionnaire_response(EXAMPLE_ANSWERS if points is None else points, **args)


def _example() -> dict:
    return json.loads((paths.EXAMPLES / "QuestionnaireResponse-fdi-response-graded.json").read_text())


# ------------------------------------------------------------------ the Questionnaire
def test_questionnaire_has_ten_items_in_two_parts_with_their_points():
    q = fdi.load_questionnaire()
    assert q.canonical == "http://fpcds.example.org/fhir/Questionnaire/fdi|1.0.0"
    assert [i.link_id for i in q.items] == [str(n) for n in range(1, 11)]
    assert [g.link_id for g in q.groups] == ["physical", "social"]
    assert [o.points for o in q.item("1").options] == [5, 4, 3, 2, 1, 0]
    assert [o.code for o in q.item("6").options][0] == "fdi-all-of-the-time"
    assert [o.points for o in q.item("6").options] == [6, 5, 4, 3, 2, 1]  # calm and at peace: positive
    for reverse in ("7", "8", "9", "10"):
        assert [o.points for o in q.item(reverse).options] == [1, 2, 3, 4, 5, 6]


def test_answer_codes_map_to_points_with_reverse_items():
    codes = {"6": "fdi-all-of-the-time", "7": "fdi-all-of-the-time", "10": "fdi-none-of-the-time",
             "5": "fdi-not-done-other", "1": "fdi-no-difficulty"}
    assert fdi.answers_from_codes(codes) == {"6": 6, "7": 1, "10": 6, "5": 0, "1": 5}


def test_unknown_answer_code_names_the_item():
    with pytest.raises(FhirMappingError, match=r"^FDI item 7 \(You kept away from the people around you\): "
                                               r"'fdi-no-difficulty' is not one of its answers$"):
        fdi.answers_from_codes({"7": "fdi-no-difficulty"})
    with pytest.raises(FhirMappingError, match=r"^FDI answer for item '12': the FDI has no such item$"):
        fdi.answers_from_codes({"12": "fdi-no-difficulty"})


def test_a_questionnaire_without_points_is_refused():
    raw = json.loads((paths.RESOURCES / "Questionnaire-fdi.json").read_text())
    broken = copy.deepcopy(raw)
    del broken["item"][1]["item"][2]["answerOption"][0]["extension"]
    with pytest.raises(FhirMappingError, match=r"^q\.json: the FDI Questionnaire is unusable: an answer option of "
                                               r"item '8' lacks an fpcds code or its ordinalValue$"):
        fdi.parse_questionnaire(broken, where="q.json")
    other = dict(raw, url="http://example.org/Questionnaire/phq9")
    with pytest.raises(FhirMappingError, match=r"expected a Questionnaire with url "
                                               r"http://fpcds\.example\.org/fhir/Questionnaire/fdi$"):
        fdi.parse_questionnaire(other, where="q.json")


# ------------------------------------------------------------------ scoring (hand-computed)
@pytest.mark.parametrize(("points", "physical", "social"), [
    # best answers everywhere: (25 - 5) / 5 x 25 = 100, (30 - 5) / 5 x 20 = 100
    ({"1": 5, "2": 5, "3": 5, "4": 5, "5": 5, "6": 6, "7": 6, "8": 6, "9": 6, "10": 6}, 100.0, 100.0),
    # worst counted answers: (5 - 5) / 5 x 25 = 0, (5 - 5) / 5 x 20 = 0
    ({"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 1, "10": 1}, 0.0, 0.0),
    # item 5 not counted: (12 - 4) / 4 x 25 = 50; (21 - 5) / 5 x 20 = 64
    (EXAMPLE_ANSWERS, 50.0, 64.0),
    # three counted items: (8 - 3) / 3 x 25 = 41.67; (18 - 5) / 5 x 20 = 52
    ({"1": 5, "2": 0, "3": 0, "4": 2, "5": 1, "6": 3, "7": 3, "8": 4, "9": 4, "10": 4}, 125 / 3, 52.0),
])
def test_scores_by_hand(points, physical, social):
    scores = fdi.score_fdi(points, authored=AUTHORED)
    assert scores.physical == pytest.approx(physical)
    assert scores.social == pytest.approx(social)
    assert (scores.authored, scores.source) == (AUTHORED, "entered in fpcds")


def test_no_physical_item_counted_gives_no_physical_score():
    scores = fdi.score_fdi(NO_PHYSICAL)
    assert scores.physical is None and scores.social == pytest.approx(64.0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", scores.authored)  # now, when not given


def test_missing_items_are_named():
    partial = {k: v for k, v in EXAMPLE_ANSWERS.items() if k not in ("3", "8")}
    with pytest.raises(FhirMappingError, match=r"^FDI items not answered: item 3 \(Pronouncing particular sounds "
                                               r"clearly when you speak\); item 8 \(You were short-tempered with the "
                                               r"people around you\); every item needs an answer$"):
        fdi.score_fdi(partial)


@pytest.mark.parametrize(("change", "message"), [
    ({"2": 6}, r"^FDI item 2 \(Drinking from a cup or glass without spilling\): answer 6 is not a valid score; "
               r"expected a whole number from 0 to 5$"),
    ({"9": 0}, r"^FDI item 9 \(.*\): answer 0 is not a valid score; expected a whole number from 1 to 6$"),
    ({"6": True}, r"^FDI item 6 \(You felt calm and at peace\): answer True is not a valid score"),
    ({"1": "5"}, r"^FDI item 1 \(.*\): answer '5' is not a valid score"),
    ({"11": 3}, r"^FDI answer for item '11': the FDI has no such item; expected items 1 to 10$"),
    ({1: 5}, r"^FDI answer for item 1: the FDI has no such item; expected items 1 to 10$"),
])
def test_bad_answers_are_named(change, message):
    with pytest.raises(FhirMappingError, match=message) as caught:
        fdi.score_fdi({**EXAMPLE_ANSWERS, **change})
    assert isinstance(caught.value, ValueError)


def test_answers_must_be_a_mapping():
    with pytest.raises(FhirMappingError, match=r"^FDI answers are a list; expected a mapping"):
        fdi.score_fdi([5, 5])


# ------------------------------------------------------------------ QuestionnaireResponse
def test_response_carries_answers_scores_and_who():
    qr = response()
    assert qr["resourceType"] == "QuestionnaireResponse" and qr["status"] == "completed"
    assert qr["questionnaire"] == "http://fpcds.example.org/fhir/Questionnaire/fdi|1.0.0"
    assert qr["identifier"] == {"system": "http://fpcds.example.org/fhir/sid/fdi-response", "value": IDENTIFIER}
    assert qr["subject"] == {"reference": "Patient/pat-1"} and qr["authored"] == AUTHORED
    assert qr["author"] == {"reference": "Practitioner/doc-1"} and qr["source"] == {"reference": "Patient/pat-1"}
    physical, social, scores = qr["item"]
    assert physical["item"][4] == {"linkId": "5", "text": "Brushing your teeth or rinsing out your mouth", "answer": [
        {"valueCoding": {"system": "http://fpcds.example.org/fhir/CodeSystem/fpcds", "code": "fdi-not-done-other",
                         "display": "Usually did not do this for other reasons"}}]}
    assert social["item"][1]["answer"][0]["valueCoding"]["code"] == "fdi-little-of-the-time"  # item 7: 5 points
    assert [(i["linkId"], i["answer"][0]["valueDecimal"]) for i in scores["item"]] == [
        ("physical-score", 50.0), ("social-score", 64.0)]
    assert "Physical function 50.0, social and well-being function 64.0" in qr["text"]["div"]
    assert "Answered by the patient" in qr["text"]["div"]


def test_the_example_in_fhir_profiles_is_what_fpcds_writes():
    example = _example()
    written = fdi.questionnaire_response(EXAMPLE_ANSWERS, patient="patient-graded",
                                         author="Practitioner/example-clinician", authored=AUTHORED,
                                         identifier=IDENTIFIER, source="Patient/patient-graded")
    written.pop("text")
    assert written == {k: v for k, v in example.items() if k != "id"}
    scores = fdi.scores_from_response(example)
    assert (scores.physical, scores.social, scores.source) == (50.0, 64.0, "QuestionnaireResponse/fdi-response-graded")


def test_round_trip_answers_response_scores():
    points = {"1": 4, "2": 0, "3": 2, "4": 1, "5": 5, "6": 2, "7": 6, "8": 1, "9": 3, "10": 5}
    qr = dict(response(points), id="qr-7")
    assert fdi.answers_from_response(qr) == points
    assert fdi.scores_from_response(qr) == fdi.score_fdi(points, authored=AUTHORED, source="QuestionnaireResponse/qr-7")


def test_a_clinician_answering_and_an_unscored_part_are_recorded():
    qr = response(NO_PHYSICAL, source="Practitioner/doc-1")
    assert qr["source"] == {"reference": "Practitioner/doc-1"}
    assert "on the patient's behalf by a clinician" in qr["text"]["div"]
    assert [i["linkId"] for i in qr["item"][2]["item"]] == ["social-score"]  # no physical score to state
    assert "Physical function not scored (no item counted)" in qr["text"]["div"]
    unknown = response(source=None, author=None)
    assert "source" not in unknown and "author" not in unknown
    assert "Who answered is not recorded" in unknown["text"]["div"]


@pytest.mark.parametrize(("kw", "message"), [
    ({"author": "Organization/hosp"}, r"^author 'Organization/hosp' is not a reference to a person"),
    ({"source": "Patient/someone-else"}, r"^source 'Patient/someone-else' is another patient than the subject "
                                         r"'Patient/pat-1'$"),
    ({"authored": "2026-03-02"}, r"^authored '2026-03-02' is not a FHIR dateTime with time zone"),
    ({"identifier": "a|b"}, r"^identifier 'a\|b' is not usable; expected 1-64 of A-Z a-z 0-9 \. _ -$"),
    ({"patient": "pat 1"}, r"^patient 'pat 1' is not a FHIR id"),
])
def test_bad_response_inputs_are_named(kw, message):
    with pytest.raises(FhirMappingError, match=message):
        response(**kw)


def _answer(qr: dict, link_id: str) -> dict:
    return next(i for g in qr["item"] for i in g["item"] if i["linkId"] == link_id)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda qr: qr.update(questionnaire="http://loinc.org/q/44249-1"),
     r"^the QuestionnaireResponse answers questionnaire 'http://loinc\.org/q/44249-1', not the Facial Disability "
     r"Index \(http://fpcds\.example\.org/fhir/Questionnaire/fdi\)$"),
    (lambda qr: qr.update(questionnaire="http://fpcds.example.org/fhir/Questionnaire/fdi|9.0.0"),
     r"^the QuestionnaireResponse answers FDI version '9\.0\.0'; fpcds scores version 1\.0\.0$"),
    (lambda qr: qr.update(status="in-progress"),
     r"^the FDI QuestionnaireResponse has status 'in-progress'; only completed or amended responses are scored$"),
    (lambda qr: _answer(qr, "4").pop("answer"),
     r"^FDI item 4 \(Too many tears or a dry eye on the affected side\) has 0 answers in the "
     r"QuestionnaireResponse; expected one$"),
    (lambda qr: qr["item"][1]["item"].pop(0),
     r"^FDI items not answered: item 6 \(You felt calm and at peace\); every item needs an answer$"),
    (lambda qr: _answer(qr, "9")["answer"][0]["valueCoding"].update(code="fdi-no-difficulty"),
     r"^FDI item 9 \(.*\): 'fdi-no-difficulty' is not one of its answers$"),
    (lambda qr: _answer(qr, "2").update(answer=[{"valueInteger": 3}]),
     r"^FDI item 2 \(.*\): the answer is not an fpcds code \(http://fpcds\.example\.org/fhir/CodeSystem/fpcds\)$"),
    (lambda qr: qr["item"][0]["item"].append(copy.deepcopy(_answer(qr, "1"))),
     r"^FDI item 1 \(.*\) appears twice in the QuestionnaireResponse$"),
    (lambda qr: qr.pop("authored"), r"^the FDI QuestionnaireResponse has no authored time$"),
    (lambda qr: qr.update(resourceType="Observation"), r"^expected a QuestionnaireResponse; found 'Observation'$"),
])
def test_responses_that_cannot_be_scored_are_refused(edit, message):
    qr = response()
    edit(qr)
    with pytest.raises(FhirMappingError, match=message):
        fdi.scores_from_response(qr)


def test_stored_score_items_are_not_trusted():
    qr = response()
    qr["item"][2]["item"][0]["answer"][0]["valueDecimal"] = 99.0
    assert fdi.scores_from_response(qr).physical == 50.0


def test_a_response_without_version_and_amended_is_scored():
    qr = dict(response(), questionnaire="http://fpcds.example.org/fhir/Questionnaire/fdi", status="amended")
    assert fdi.scores_from_response(qr, source="here").source == "here"


@pytest.mark.parametrize(("value", "iso"), [
    ("2026-03-02T10:05:00+01:00", "2026-03-02T09:05:00+00:00"),
    ("2026-03-02T09:05:00Z", "2026-03-02T09:05:00+00:00"),
    ("2026-03-02", "2026-03-02T00:00:00+00:00"),
    ("March", "1970-01-01T00:00:00+00:00"),
])
def test_authored_sorts_in_utc(value, iso):
    assert fdi.authored_instant(value).astimezone(timezone.utc).isoformat() == iso


# ------------------------------------------------------------------ HAPI validator
@pytest.fixture(scope="module")
def validator():
    with FhirValidator() as v:
        yield v


#: The validator loads no Questionnaires yet, so it cannot check the answers against the FDI itself.
UNRESOLVED = re.compile(r"The questionnaire 'http://fpcds\.example\.org/fhir/Questionnaire/fdi\|1\.0\.0' could not "
                        r"be resolved")


@pytest.mark.java
def test_written_responses_validate_in_hapi(validator):
    both = response()
    clinician_no_physical = response(NO_PHYSICAL, source="Practitioner/doc-1",
                                      author="Practitioner/doc-1")
    issues = validator.validate([both, clinician_no_physical])
    assert not errors(issues), "\n".join(map(str, errors(issues)))
    unknown = [i for i in issues if i.severity == "warning" and not UNRESOLVED.search(i.message)
               and not any(p.search(i.message) for p in KNOWN_WARNINGS.values())]
    assert not unknown, "\n".join(map(str, unknown))


@pytest.mark.java
def test_hapi_refuses_an_answer_code_fpcds_does_not_define(validator):
    qr = response()
    _answer(qr, "3")["answer"][0]["valueCoding"]["code"] = "fdi-hardly"
    found = errors(validator.validate(qr))
    assert "Unknown code 'http://fpcds.example.org/fhir/CodeSystem/fpcds#fdi-hardly'" in [i.message for i in found]
    assert all(i.location.startswith("QuestionnaireResponse.item[0].item[2].answer[0]") for i in found)


@pytest.mark.java
def test_hapi_checks_answers_against_the_fdi_questionnaire(validator):
    if any(UNRESOLVED.search(i.message) for i in validator.validate(response())):
        pytest.skip("the validator loads no Questionnaires yet, so it cannot check answers against the FDI")
    qr = response()
    _answer(qr, "1")["answer"][0]["valueCoding"].update(code="fdi-all-of-the-time", display="All of the time")
    qr["item"][1]["item"].pop(2)  # item 8
    messages = [i.message for i in errors(validator.validate(qr))]
    assert "No response answer found for required item '8'" in messages
    assert any("fdi-all-of-the-time is not in the set of permitted values" in m for m in messages)
