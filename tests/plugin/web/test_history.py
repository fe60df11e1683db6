"""Earlier assessments read back from the chart: seeded clinician gradings, fpcds's own results, onset,
trend, patient isolation, and an overview page that survives an EHR that cannot be read.

End-to-end tests launch the app from the sandbox EHR (real SMART launch, real FHIR server behind the
sandbox's scope checks). fpcds results are put in the chart by posting the transaction bundle of
:func:`plugin.fhir.mapping.assessment_bundle` straight to the FHIR server behind the sandbox.
"""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from datetime import date, datetime, timezone
from html import unescape

import pytest
import requests

from models.careplan import ClinicalFacts, propose_care_plan
from plugin.fhir import ids
from plugin.fhir.client import FhirClient
from plugin.fhir.mapping import Approval, assessment_bundle
from plugin.fhir.terminology import concept, quantity
from plugin.sandbox.stack import DemoStack
from plugin.smart.scopes import REQUESTED_SCOPES
from plugin.web import history
from plugin.fhir.history import (ChartHistory, ChartRecordError, ChartRow, fhir_moment, previous_for_careplan,
                                 read_history)
from plugin.web.history import HistoryCache, history_trends, trend_chart
from tests.models.assessment_cases import make_assessment, simulated_table
from tests.plugin.helpers import Browser

SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}
TODAY = date(2026, 11, 25)


# ------------------------------------------------------------------ page parsing
def _card(page: requests.Response) -> str:
    m = re.search(r'<section class="card history" id="chart-history".*?</section>', page.text, re.S)
    assert m, page.text[:2000]
    return m.group(0)


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def _rows(page: requests.Response) -> list[dict[str, str]]:
    """The history table: one dict per row with its data attributes and cell texts."""
    out = []
    for attrs, body in re.findall(r'<tr class="history-row"([^>]*)>(.*?)</tr>', _card(page), re.S):
        row = dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs))
        cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)]
        row.update(zip(("day", "since_onset", "source_text", "status_text", "hb", "sb", "findings"), cells))
        out.append(row)
    return out


def _post_bundle(stack, bundle: dict) -> None:
    resp = requests.post(stack.fhir.base_url, json=bundle, timeout=60,
                         headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"})
    assert resp.status_code == 200, resp.text[:500]


def _seeded_id(stack, mrn: str) -> str:
    return next(p.id for p in stack.seeded.patients if p.mrn == mrn)


# ------------------------------------------------------------------ fpcds results in the chart
@pytest.fixture(scope="module")
def table():
    return simulated_table("bell", days_since_onset=2.0)


@pytest.fixture(scope="module")
def written(stack, table):
    """Two fpcds assessments of SB-1003 in the chart: one preliminary (HB IV), one approved later (HB II)."""
    patient = _seeded_id(stack, "SB-1003")
    prelim = make_assessment(table, grade="IV", sunnybrook=(30.0, 41.0, 52.0), set_version="9.1.0",
                             inferred_at="2026-11-20T10:30:00+00:00")
    final = make_assessment(table, grade="II", sunnybrook=(60.0, 72.0, 84.0), set_version="9.2.0",
                            inferred_at="2026-11-24T09:30:00+00:00")
    approver = f"Practitioner/{stack.seeded.practitioner_id}"
    _post_bundle(stack, assessment_bundle(prelim, patient=patient, features=table,
                                          recorded_at="2026-11-20T10:15:00+01:00"))
    _post_bundle(stack, assessment_bundle(final, patient=patient, features=table,
                                          recorded_at="2026-11-24T09:15:00+01:00",
                                          approval=Approval(approver, "2026-11-24T11:00:00+01:00")))
    keys = {name: ids.assessment_key(a.session_sha256, a.model_set["manifest_sha256"])
            for name, a in (("preliminary", prelim), ("final", final))}
    return {"patient": patient, "keys": keys, "approver": approver, "final": final}


# ------------------------------------------------------------------ end to end
def test_seeded_gradings_are_shown_newest_first_with_dates_onset_and_trend(stack):
    page = Browser(stack).launch(0)  # SB-1001: Bell's palsy from 2026-10-28, graded twice by the clinician
    assert page.status_code == 200
    card = _card(page)
    clinician = [r for r in _rows(page) if r["source"] == "clinician"]
    assert [(r["date"], r["hb"], r["sb"], r["since_onset"]) for r in clinician] == [
        ("2026-11-04", "IV", "38", "7"), ("2026-10-30", "V", "24", "2")]
    assert all(r["status"] == "final" and r["source_text"].startswith("clinician-recorded by Dr. Sam Rivera")
               for r in clinician)
    assert "Clinician grading: House-Brackmann" in card
    onset = _text(re.search(r'<p class="onset"[^>]*>.*?</p>', card, re.S).group(0))
    assert onset.startswith("Bell's palsy: onset 2026-10-28") and onset.endswith("· active")
    for name, labels in (("hb", ["V", "IV"]), ("sunnybrook", ["24", "38"])):
        svg = re.search(rf'<figure class="trend" id="trend-{name}">.*?</figure>', card, re.S).group(0)
        shown = re.findall(r"<title>(\d{4}-\d{2}-\d{2}): \w+ (\w+);", svg)
        assert [v for d, v in shown if d in ("2026-10-30", "2026-11-04")] == labels
        assert "<polyline" in svg
    assert "<script" not in card and "style=" not in card  # nothing the app's CSP would block


def test_fpcds_results_in_the_chart_are_shown_with_status_grade_and_approver(stack, written):
    page = Browser(stack).launch(2)  # SB-1003
    rows = {r.get("key"): r for r in _rows(page) if r["source"] == "fpcds"}
    prelim, final = rows[written["keys"]["preliminary"]], rows[written["keys"]["final"]]
    assert (prelim["date"], prelim["status"]) == ("2026-11-20", "preliminary")
    assert prelim["hb"].startswith("IV (model)") and "(measured form)" in prelim["hb"]
    assert prelim["sb"].startswith("41 (model)") and "(rule-based)" in prelim["sb"]
    assert prelim["source_text"] == "fpcds model, not yet approved by a clinician"
    assert "Peripheral facial palsy" in prelim["findings"] and "PRELIMINARY" in prelim["findings"]
    assert (final["date"], final["status"]) == ("2026-11-24", "final")
    assert final["hb"].startswith("II (model)") and final["sb"].startswith("72 (model)")
    assert final["source_text"] == "fpcds model, approved by you"  # the seeded clinician is the signed-in user
    order = [r.get("key") for r in _rows(page)]
    assert order.index(written["keys"]["final"]) < order.index(written["keys"]["preliminary"])  # newest first
    assert prelim["since_onset"] == "2" and final["since_onset"] == "6"  # onset 2026-11-18


def test_another_patients_launch_never_shows_this_history(stack, written):
    page = Browser(stack).launch(4)  # SB-1005, onset 2026-11-21, no gradings of its own
    card = _card(page)
    assert "onset 2026-11-21" in card and "onset 2026-10-28" not in card and "onset 2026-11-18" not in card
    keys = {r.get("key") for r in _rows(page)}
    assert not keys & set(written["keys"].values())
    assert not any(r["date"] in ("2026-11-04", "2026-10-30") for r in _rows(page))


def test_history_read_for_one_launch_is_not_served_to_another_patients_launch(stack):
    browser = Browser(stack)
    first = browser.launch(0)
    second = browser.launch(1)  # same browser, other patient, while the first history is cached
    assert {r["date"] for r in _rows(first) if r["source"] == "clinician"} == {"2026-11-04", "2026-10-30"}
    assert [(r["date"], r["hb"]) for r in _rows(second) if r["source"] == "clinician"] == [
        ("2026-10-20", "II"), ("2026-09-22", "III")]


def test_a_chart_fpcds_may_not_read_leaves_the_overview_working(stack, policy):
    condition = next(s for s in REQUESTED_SCOPES if s.startswith("patient/Condition."))
    policy.withhold_scopes = {condition}
    page = Browser(stack).launch(0)
    assert page.status_code == 200
    assert 'id="import-button"' in page.text and 'id="patient-name"' in page.text
    problem = _text(re.search(r'<p class="history-problem" id="history-problem">.*?</p>', page.text, re.S).group(0))
    assert re.match(r"The chart could not be read just now \(the EHR refused: the permissions granted to fpcds do "
                    r"not allow this \(the FHIR server http://127\.0\.0\.1:\d+/fhir answered HTTP 403 to a search of "
                    r"Condition\)\)\.",
                    problem), problem
    assert "history-row" not in page.text


def test_an_ehr_that_is_down_leaves_the_overview_working(tmp_path):
    with DemoStack(workdir=tmp_path) as own:
        own.app.config["HISTORY_CACHE_S"] = 0  # read the chart on every page
        browser = Browser(own)
        home = browser.launch(0)
        assert _rows(home)
        own.fhir.stop()  # the FHIR store behind this stack's EHR goes down
        page = browser.get(Browser.launch_path(home))
        assert page.status_code == 200 and 'id="import-button"' in page.text
        problem = _text(re.search(r'<p class="history-problem".*?</p>', page.text, re.S).group(0))
        assert re.match(r"The chart could not be read just now \(the FHIR server http://127\.0\.0\.1:\d+/fhir "
                        r"answered HTTP 503 to a search of DiagnosticReport\)", problem), problem


def _age_tokens_and_forget(stack, browser, home) -> str:
    """Make the launch's access token look expired (no refresh token) and drop its cached history."""
    svc = stack.app.extensions["fpcds"]
    launch_id = Browser.launch_path(home).split("/")[2]
    svc.sessions.store_tokens(launch_id, dataclasses.replace(svc.sessions.tokens(launch_id),
                                                             expires_at=time.time() - 1))
    stack.app.extensions["fpcds_history"].forget(launch_id)
    return launch_id


def test_an_expired_ehr_session_is_said_in_the_history_card(stack, policy):
    policy.withhold_scopes = {"online_access"}  # so no refresh token
    browser = Browser(stack)
    home = browser.launch(0)
    assert _rows(home)
    _age_tokens_and_forget(stack, browser, home)
    page = browser.get(Browser.launch_path(home))
    assert page.status_code == 200 and 'id="ehr-expired"' in page.text
    problem = _text(re.search(r'<p class="history-problem".*?</p>', page.text, re.S).group(0))
    assert problem.startswith("The chart could not be read just now (the EHR session has expired; open fpcds again "
                              "from the patient's chart).")


def test_an_unexpected_error_while_reading_is_logged_with_a_reference_only(stack, monkeypatch, caplog):
    browser = Browser(stack)
    home = browser.launch(0)
    stack.app.extensions["fpcds_history"].forget(Browser.launch_path(home).split("/")[2])

    def broken(*args, **kwargs):
        raise KeyError("Ana Souza")

    monkeypatch.setattr(history, "read_history", broken)
    page = browser.get(Browser.launch_path(home))
    assert page.status_code == 200 and 'id="import-button"' in page.text
    problem = _text(re.search(r'<p class="history-problem".*?</p>', page.text, re.S).group(0))
    ref = re.match(r"The chart could not be read just now \(an unexpected error occurred, reference "
                   r"([0-9a-f]{8})\)\.", problem).group(1)
    logged = [r for r in caplog.records if r.name == "fpcds.history"]
    raised_at = f"test_history.py:{broken.__code__.co_firstlineno + 1}"
    assert [r.getMessage() for r in logged] == [f"unexpected error reading the chart history (reference {ref}): "
                                                f"KeyError at {raised_at}"]
    assert all(r.exc_info is None for r in logged)  # the error's text ("Ana Souza") is not logged


# ------------------------------------------------------------------ reading records (real FHIR server)
@pytest.fixture
def own_patient(stack) -> str:
    """A patient of its own on the FHIR server (not one of the sandbox's launchable patients)."""
    resp = requests.post(f"{stack.fhir.base_url}/Patient", json={"resourceType": "Patient", "active": True,
                                                                  "identifier": [{"system": "urn:test:history",
                                                                                  "value": str(uuid.uuid4())}]},
                         headers={"Content-Type": "application/fhir+json", "Prefer": "return=representation"},
                         timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def _create(stack, resource: dict) -> dict:
    resp = requests.post(f"{stack.fhir.base_url}/{resource['resourceType']}", json=resource, timeout=10,
                         headers={"Content-Type": "application/fhir+json", "Prefer": "return=representation"})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _grading(patient: str, code: str, when: str, value: dict, **extra) -> dict:
    return {"resourceType": "Observation", "status": "final", "category": [SURVEY], "code": concept(code),
            "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": when, **value, **extra}


def test_unreadable_and_void_records_are_named_or_left_out(stack, own_patient):
    p = own_patient
    _create(stack, _grading(p, "hb-grade", "2026-11-02", {"valueCodeableConcept": {"text": "grade 4"}}))
    bad_sb = _create(stack, _grading(p, "sunnybrook-composite", "2026-11-02",
                                     {"valueQuantity": quantity(140, "{score}", digits=0)}))
    _create(stack, _grading(p, "hb-grade", "2026-11-03", {"valueCodeableConcept": concept("HB-III")},
                            status="entered-in-error"))
    _create(stack, _grading(p, "hb-grade", "2026-11-05T09:00:00+01:00", {"valueCodeableConcept": concept("HB-II")}))
    _create(stack, {"resourceType": "Condition", "subject": {"reference": f"Patient/{p}"},
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "G51.0"}]},
                    "onsetPeriod": {"start": "2026-10-31"}})
    _create(stack, {"resourceType": "Condition", "subject": {"reference": f"Patient/{p}"},
                    "code": {"text": "Essential hypertension"}, "onsetDateTime": "2010-01-01"})
    history = read_history(FhirClient(stack.fhir.base_url, token=None, timeout=10), p, user=None, today=TODAY)
    assert [(r.day.isoformat(), r.hb_grade, r.source_text, r.days_since_onset) for r in history.rows] == [
        ("2026-11-05", "II", "clinician-recorded", 5)]
    assert len(history.skipped) == 2
    assert any(re.fullmatch(r"Observation/[\w\-.]+: the House-Brackmann value has no grade code "
                            r"\(fpcds HB-I \.\. HB-VI\)", s) for s in history.skipped), history.skipped
    assert f"Observation/{bad_sb['id']}: the Sunnybrook composite is 140.0; expected a number 0-100" \
        in history.skipped
    assert [(c.text, c.onset, c.days_since_onset) for c in history.conditions] == [
        ("Facial palsy", date(2026, 10, 31), 25)]


def test_previous_approved_assessment_feeds_the_worsening_rule(stack, written, table):
    client = FhirClient(stack.fhir.base_url, token=None, timeout=10)
    history = read_history(client, written["patient"], user=None, today=TODAY)
    approved = [r for r in history.rows if r.key == written["keys"]["final"]]
    assert [r.source_text for r in approved] == [f"fpcds model, approved by {written['approver']}"]
    # other tests may write to this patient's chart too: consider this test's two assessments only
    history = dataclasses.replace(history, rows=tuple(r for r in history.rows if r.key in written["keys"].values()))
    previous = previous_for_careplan(history)
    final = written["final"]
    assert previous == {"outputs": {"hb_grade": {"expected_grade": round(final.outputs["hb_grade"].expected_grade, 2)},
                                    "sunnybrook": {"value": 72.0}}, "recorded": "2026-11-24"}
    assert previous_for_careplan(history, exclude_key=written["keys"]["final"]) is None  # the other one is not final
    worse = make_assessment(table, grade="V", sunnybrook=(20.0, 30.0, 40.0))
    plan = propose_care_plan(worse, facts=ClinicalFacts(45.0, 10.0), previous=previous)
    referral = plan.activity("specialist-referral")
    assert "worse than at the previous assessment" in referral.description


# ------------------------------------------------------------------ pure parts
@pytest.mark.parametrize("value, day, moment", [
    ("2026-11-04", date(2026, 11, 4), datetime(2026, 11, 4, tzinfo=timezone.utc)),
    ("2026-11", date(2026, 11, 1), datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ("2026-11-04T23:30:00-02:00", date(2026, 11, 4), datetime(2026, 11, 5, 1, 30, tzinfo=timezone.utc)),
    ("2026-11-04T10:00:00Z", date(2026, 11, 4), datetime(2026, 11, 4, 10, tzinfo=timezone.utc)),
])
def test_fhir_dates_keep_the_written_day_and_sort_in_utc(value, day, moment):
    assert fhir_moment(value, what="x") == (day, moment)


@pytest.mark.parametrize("value", ["04/11/2026", "2026-13-01", "", None, 20261104])
def test_a_value_that_is_not_a_fhir_date_is_named(value):
    with pytest.raises(ChartRecordError, match=re.escape(f"Observation/o1 effective time is {value!r}; expected a "
                                                         "FHIR date (YYYY-MM-DD) or dateTime")):
        fhir_moment(value, what="Observation/o1 effective time")


def _row(day: str, *, hb: str | None = None, sb: float | None = None, source: str = "clinician", **kw) -> ChartRow:
    d, m = fhir_moment(day, what="day")
    return ChartRow(day=d, when=day, moment=m, source=source, source_text=source, status="final", hb_grade=hb,
                    sunnybrook=sb, **kw)


def test_trend_puts_the_normal_end_on_top_and_time_left_to_right():
    rows = [_row("2026-11-09", hb="II", sb=80.0, source="fpcds"), _row("2026-11-01", hb="V", sb=20.0),
            _row("2026-11-05", sb=50.0)]
    hb = trend_chart(rows, scale="hb")
    assert [p.label.split(";")[0] for p in hb.points] == ["2026-11-01: HB V", "2026-11-09: HB II"]
    assert hb.points[0].x == hb.left and hb.points[-1].x == hb.right
    assert hb.y_ticks[0][1] == "I" and hb.y_ticks[0][0] == hb.top and hb.points[0].y > hb.points[1].y
    sb = trend_chart(rows, scale="sunnybrook")
    assert [p.source for p in sb.points] == ["clinician", "clinician", "fpcds"]
    assert sb.points[1].x == pytest.approx((sb.left + sb.right) / 2, abs=0.1)
    assert sb.points[0].y == sb.bottom - (sb.bottom - sb.top) * 0.2 and sb.points[2].y < sb.points[1].y
    assert sb.polyline.count(",") == 3
    assert trend_chart(rows[:1], scale="hb") is None
    assert [c.name for c in history_trends(ChartHistory(rows=tuple(rows)))] == ["hb", "sunnybrook"]
    with pytest.raises(ValueError, match="scale is 'eface'; expected 'hb' or 'sunnybrook'"):
        trend_chart(rows, scale="eface")


def test_cache_keeps_a_history_for_its_launch_for_a_short_time():
    now = [100.0]
    cache = HistoryCache(max_entries=2, clock=lambda: now[0])
    one, two, three = ChartHistory(), ChartHistory(), ChartHistory()
    cache.put("launch-1", one)
    assert cache.get("launch-1", max_age_s=30) is one and cache.get("launch-2", max_age_s=30) is None
    now[0] += 30
    assert cache.get("launch-1", max_age_s=30) is None
    cache.put("launch-1", one)
    cache.forget("launch-1")
    assert cache.get("launch-1", max_age_s=30) is None
    for n, h in enumerate((one, two, three)):
        now[0] += 1
        cache.put(f"l{n}", h)
    assert cache.get("l0", max_age_s=30) is None and cache.get("l2", max_age_s=30) is three  # oldest evicted


def test_only_an_approved_fpcds_assessment_with_both_estimates_is_a_previous():
    clinician = _row("2026-11-20", hb="II", sb=80.0)
    prelim = _row("2026-11-19", hb="IV", sb=40.0, source="fpcds", key="k2", expected_grade=3.9)
    prelim = ChartRow(**{**prelim.__dict__, "status": "preliminary"})
    no_sb = _row("2026-11-18", hb="IV", source="fpcds", key="k3", expected_grade=3.8)
    final = _row("2026-11-10", hb="III", sb=55.0, source="fpcds", key="k1", expected_grade=3.1)
    history = ChartHistory(rows=(clinician, prelim, no_sb, final))
    assert previous_for_careplan(history) == {"outputs": {"hb_grade": {"expected_grade": 3.1},
                                                          "sunnybrook": {"value": 55.0}}, "recorded": "2026-11-10"}
    assert previous_for_careplan(history, exclude_key="k1") is None
    assert previous_for_careplan(ChartHistory.unavailable("down")) is None
