"""The FDI step against the running demo stack: fill in -> QuestionnaireResponse in the FHIR server -> read back.

Each test uses its own simulated patient where "the latest FDI" matters, because the stack (and its FHIR
server) lives for the whole test session. The FHIR store is inspected directly (no token), bypassing the
sandbox EHR.
"""

from __future__ import annotations

import dataclasses
import re
import time
from html import unescape

import pytest
import requests

from plugin.fhir import fdi
from plugin.web import fdi_step
from tests.plugin.helpers import Browser, error_code

#: The example answers (item 5 not counted): physical 50, social 64.
FIELDS = {"item-1": "fdi-some-difficulty", "item-2": "fdi-much-difficulty", "item-3": "fdi-little-difficulty",
          "item-4": "fdi-some-difficulty", "item-5": "fdi-not-done-other", "item-6": "fdi-most-of-the-time",
          "item-7": "fdi-little-of-the-time", "item-8": "fdi-some-of-the-time", "item-9": "fdi-good-bit-of-the-time",
          "item-10": "fdi-some-of-the-time", "filled_by": "patient"}
QR_SCOPE = "patient/QuestionnaireResponse.crs"


@pytest.fixture
def qr_search(stack):
    """Skip unless the sandbox FHIR server can search QuestionnaireResponse (conditional create needs it)."""
    meta = requests.get(f"{stack.fhir.base_url}/metadata", timeout=10).json()
    resource = next((r for r in meta["rest"][0]["resource"] if r["type"] == "QuestionnaireResponse"), {})
    names = {p["name"] for p in resource.get("searchParam", [])}
    if not {"identifier", "patient", "questionnaire"} <= names:
        pytest.skip("the sandbox FHIR server (sekmet-fhir) has no QuestionnaireResponse search parameters "
                    "(identifier, patient, questionnaire); plugin/sandbox must register them")


def _store(stack) -> list[dict]:
    """Every QuestionnaireResponse in the FHIR store."""
    bundle = requests.get(f"{stack.fhir.base_url}/QuestionnaireResponse", params={"_count": "1000"},
                          headers={"Accept": "application/fhir+json"}, timeout=10).json()
    resources = [e["resource"] for e in bundle.get("entry") or []]
    return [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]


def _with_identifier(stack, value: str) -> list[dict]:
    return [r for r in _store(stack) if (r.get("identifier") or {}).get("value") == value]


def _fdi_page(browser: Browser, page) -> requests.Response:
    return browser.get(Browser.launch_path(page) + "fdi")


def _response_id(page) -> str:
    return re.search(r'name="response" value="([^"]+)"', page.text).group(1)


def _submit(browser: Browser, form_page, fields: dict, *, response_id: str | None = None) -> requests.Response:
    action = unescape(re.search(r'id="fdi-form" action="([^"]+)"', form_page.text).group(1))
    data = {"csrf": Browser.csrf(form_page), "response": response_id or _response_id(form_page), **fields}
    return browser.http.post(browser.app + action, data=data, allow_redirects=False, timeout=30)


def _post(browser: Browser, page, path: str) -> requests.Response:
    return browser.http.post(browser.app + Browser.launch_path(page) + path, data={"csrf": Browser.csrf(page)},
                             allow_redirects=False, timeout=30)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _card(page) -> str:
    return _text(re.search(r'<section class="card" id="fdi-home">.*?</section>', page.text, re.S).group(0))


def _local_count(stack) -> int:
    with stack.app.extensions["fpcds"].db.reading() as con:
        return con.execute("SELECT COUNT(*) FROM fdi_responses").fetchone()[0]


def _launch_id(page) -> str:
    return Browser.launch_path(page).split("/")[2]


# ------------------------------------------------------------------ the form
def test_form_shows_every_item_its_answers_and_who_fills_in(stack):
    browser = Browser(stack)
    page = _fdi_page(browser, browser.launch(2))
    assert page.status_code == 200
    q = fdi.load_questionnaire()
    for item in q.items:
        block = re.search(rf'<fieldset class="fdi-item" id="item-{item.link_id}">(.*?)</fieldset>', page.text, re.S)
        assert _text(block.group(1)).startswith(f"{item.link_id}. {item.text}")
        assert re.findall(rf'name="item-{item.link_id}" value="([^"]+)"', block.group(1)) == [o.code for o in
                                                                                            item.options]
    assert re.findall(r'name="filled_by" value="([^"]+)"', page.text) == ["patient", "clinician"]
    assert "paraphrases the published Facial Disability Index" in page.text
    assert "<script" not in page.text  # the app's CSP allows no inline script
    assert 'id="patient-name"' in page.text  # the banner stays


def test_missing_answers_are_named_and_nothing_is_kept(stack):
    browser = Browser(stack)
    home = browser.launch(2)
    form = _fdi_page(browser, home)
    before_ehr, before_local = len(_store(stack)), _local_count(stack)
    fields = {k: v for k, v in FIELDS.items() if k not in ("item-3", "item-8", "filled_by")}
    resp = _submit(browser, form, fields)
    assert resp.status_code == 400
    problems = re.findall(r'<li><a href="#([^"]+)">(.*?)</a></li>', resp.text)
    assert [(f, unescape(m)) for f, m in problems] == [
        ("filled_by", "Say who filled in the questionnaire: the patient or a clinician."),
        ("item-3", "Item 3 (Pronouncing particular sounds clearly when you speak) has no answer."),
        ("item-8", "Item 8 (You were short-tempered with the people around you) has no answer."),
    ]
    assert "Nothing was saved." in resp.text
    assert 'class="fdi-item invalid" id="item-3"' in resp.text
    assert 'value="fdi-much-difficulty" checked' in resp.text  # what was answered stays answered
    assert _response_id(resp) == _response_id(form)  # the same form, sent again, is one response
    assert len(_store(stack)) == before_ehr
    assert _local_count(stack) == before_local


def test_an_answer_that_is_not_an_option_is_refused(stack):
    browser = Browser(stack)
    form = _fdi_page(browser, browser.launch(2))
    resp = _submit(browser, form, {**FIELDS, "item-6": "fdi-no-difficulty"})
    assert resp.status_code == 400
    assert ("Item 6 (You felt calm and at peace): the answer sent is not one of its options."
            in unescape(resp.text))


def test_posting_without_the_anti_forgery_token_is_refused(stack):
    browser = Browser(stack)
    form = _fdi_page(browser, browser.launch(2))
    action = re.search(r'id="fdi-form" action="([^"]+)"', form.text).group(1)
    resp = browser.http.post(browser.app + action, data={"response": _response_id(form), **FIELDS},
                             allow_redirects=False, timeout=30)
    assert resp.status_code == 400 and error_code(resp) == "csrf"


# ------------------------------------------------------------------ written and read back
def test_filled_in_fdi_is_written_and_read_back_by_a_new_launch(stack, qr_search):
    browser = Browser(stack)
    home = browser.launch(3)
    form = _fdi_page(browser, home)
    response_id = _response_id(form)
    resp = _submit(browser, form, FIELDS)
    assert resp.status_code == 303 and resp.headers["Location"] == Browser.launch_path(home)

    [qr] = _with_identifier(stack, response_id)
    patient = stack.seeded.patients[3].id
    assert qr["subject"] == {"reference": f"Patient/{patient}"}
    assert qr["source"] == {"reference": f"Patient/{patient}"}
    assert qr["author"] == {"reference": f"Practitioner/{stack.seeded.practitioner_id}"}
    assert qr["questionnaire"] == fdi.load_questionnaire().canonical and qr["status"] == "completed"
    assert fdi.answers_from_response(qr) == fdi.answers_from_codes(
        {k[5:]: v for k, v in FIELDS.items() if k.startswith("item-")})
    svc = stack.app.extensions["fpcds"]
    record = stack.app.extensions["fpcds_fdi"].get(svc.sessions.launch(_launch_id(home)), response_id)
    assert (record.state, record.fhir_id) == ("written", qr["id"])

    card = _card(browser.follow(resp.headers["Location"]))
    assert card.startswith("Facial Disability Index Physical function 50.0 / 100 Social and well-being 64.0 / 100 "
                           "Answered ")
    assert f"Source QuestionnaireResponse/{qr['id']}" in card

    other_browser = Browser(stack)  # a new launch, another browser: read back from the EHR
    again = other_browser.launch(3)
    assert f"Source QuestionnaireResponse/{qr['id']}" in _card(again)
    with stack.app.app_context():
        scores = fdi_step.latest_fdi(svc.sessions.launch(_launch_id(again)))
    assert scores == fdi.FdiScores(physical=50.0, social=64.0, authored=qr["authored"],
                                   source=f"QuestionnaireResponse/{qr['id']}")


def test_a_response_written_by_another_system_is_read_and_rescored(stack, qr_search):
    patient = stack.seeded.patients[3].id
    qr = fdi.questionnaire_response({"1": 5, "2": 5, "3": 5, "4": 5, "5": 5, "6": 6, "7": 6, "8": 6, "9": 6, "10": 6},
                                    patient=patient, author=None, source=f"Patient/{patient}",
                                    authored="2099-01-01T08:00:00+00:00", identifier="elsewhere-1")
    qr["item"][2]["item"][0]["answer"][0]["valueDecimal"] = 1.0  # a wrong stored score is not believed
    created = requests.post(f"{stack.fhir.base_url}/QuestionnaireResponse", json=qr, timeout=10,
                            headers={"Content-Type": "application/fhir+json", "Prefer": "return=representation"})
    assert created.status_code == 201, created.text
    try:
        card = _card(Browser(stack).launch(3))
        assert "Physical function 100.0 / 100 Social and well-being 100.0 / 100" in card
        assert f"Source QuestionnaireResponse/{created.json()['id']}" in card
    finally:
        requests.delete(f"{stack.fhir.base_url}/QuestionnaireResponse/{created.json()['id']}", timeout=10)


def test_another_patient_never_sees_it(stack, qr_search):
    browser = Browser(stack)
    form = _fdi_page(browser, browser.launch(3))
    assert _submit(browser, form, FIELDS).status_code == 303
    card = _card(Browser(stack).launch(4))
    assert card == "Facial Disability Index Not filled in yet. Fill in the FDI"


# ------------------------------------------------------------------ failures: nothing is lost
def test_a_refused_write_is_kept_and_a_retry_writes_it_once(stack, policy, qr_search):
    policy.withhold_scopes = {QR_SCOPE}
    browser = Browser(stack)
    home = browser.launch(1)
    form = _fdi_page(browser, home)
    response_id = _response_id(form)
    resp = _submit(browser, form, {**FIELDS, "filled_by": "clinician"})
    assert resp.status_code == 303 and resp.headers["Location"] == Browser.launch_path(home) + "fdi"
    page = browser.get(resp.headers["Location"])
    pending = _text(re.search(r'<section class="card" id="fdi-pending">.*?</section>', page.text, re.S).group(0))
    assert re.search(r"the EHR refused: the permissions granted to fpcds do not allow this \(the FHIR server "
                     r"http://127\.0\.0\.1:\d+/fhir answered HTTP 403 to a create of QuestionnaireResponse\)", pending)
    assert _with_identifier(stack, response_id) == []
    card = _card(browser.get(Browser.launch_path(home)))
    assert "Physical function 50.0 / 100" in card
    assert "Source entered in fpcds (local copy; the EHR could not be searched)" in card
    assert re.search(r"Earlier FDI responses could not be read from the EHR \(the EHR refused: .* HTTP 403 to a "
                     r"search of QuestionnaireResponse\)\); shown is what fpcds keeps locally\.", card)
    assert "1 FDI response saved in fpcds is not yet in the EHR" in card

    policy.withhold_scopes = set()  # the EHR grants it now: a new launch, same browser
    relaunched = browser.launch(1)
    assert "1 FDI response saved in fpcds is not yet in the EHR" in _card(relaunched)
    retried = _post(browser, relaunched, "fdi/retry")
    assert retried.status_code == 303
    assert 'id="fdi-pending"' not in browser.get(retried.headers["Location"]).text
    [qr] = _with_identifier(stack, response_id)
    assert qr["source"] == {"reference": f"Practitioner/{stack.seeded.practitioner_id}"}
    assert f"Source QuestionnaireResponse/{qr['id']}" in _card(browser.get(Browser.launch_path(relaunched)))
    # retrying again, or sending the same form again, creates nothing more
    assert _post(browser, relaunched, "fdi/retry").status_code == 303
    again = _submit(browser, _fdi_page(browser, relaunched), {**FIELDS, "filled_by": "clinician"},
                    response_id=response_id)
    assert again.status_code == 303
    assert len(_with_identifier(stack, response_id)) == 1


def test_a_retry_after_a_write_whose_answer_was_lost_creates_nothing_twice(stack, qr_search):
    browser = Browser(stack)
    home = browser.launch(1)
    svc = stack.app.extensions["fpcds"]
    launch = svc.sessions.launch(_launch_id(home))
    qr = fdi.questionnaire_response(fdi.answers_from_codes({k[5:]: v for k, v in FIELDS.items() if k != "filled_by"}),
                                    patient=launch.patient, author=None, source=f"Patient/{launch.patient}",
                                    authored="2026-11-25T09:00:00+00:00", identifier="lost-answer-1")
    # the EHR stored it, but fpcds never heard back: the local copy is still pending
    stored = requests.post(f"{stack.fhir.base_url}/QuestionnaireResponse", json=qr, timeout=10,
                           headers={"Content-Type": "application/fhir+json", "Prefer": "return=representation"})
    assert stored.status_code == 201
    stack.app.extensions["fpcds_fdi"].add(launch, identifier="lost-answer-1", resource=qr)
    assert _post(browser, home, "fdi/retry").status_code == 303
    assert [r["id"] for r in _with_identifier(stack, "lost-answer-1")] == [stored.json()["id"]]
    record = stack.app.extensions["fpcds_fdi"].get(launch, "lost-answer-1")
    assert (record.state, record.fhir_id) == ("written", stored.json()["id"])


def test_an_expired_ehr_session_falls_back_to_the_local_copy(stack, policy, qr_search):
    policy.withhold_scopes = {"online_access"}  # so no refresh token
    browser = Browser(stack)
    home = browser.launch(0)
    assert _submit(browser, _fdi_page(browser, home), FIELDS).status_code == 303
    svc = stack.app.extensions["fpcds"]
    launch_id = _launch_id(home)
    svc.sessions.store_tokens(launch_id, dataclasses.replace(svc.sessions.tokens(launch_id),
                                                             expires_at=time.time() - 1))
    card = _card(browser.get(Browser.launch_path(home)))
    assert "Physical function 50.0 / 100" in card
    assert re.search(r"Source QuestionnaireResponse/\S+ \(local copy; the EHR could not be searched\)", card)
    assert ("Earlier FDI responses could not be read from the EHR (the EHR session has expired; open fpcds again "
            "from the patient's chart)") in card


def test_an_unexpected_error_leaves_the_overview_working_and_logs_a_reference_only(stack, monkeypatch, caplog):
    def broken(launch):
        raise KeyError("Ana Souza")

    monkeypatch.setattr(fdi_step, "fdi_overview", broken)
    page = Browser(stack).launch(0)
    assert page.status_code == 200 and 'id="import-button"' in page.text
    ref = re.search(r"The FDI could not be shown just now \(an unexpected error occurred, reference ([0-9a-f]{8})\)",
                    _card(page)).group(1)
    logged = [r.getMessage() for r in caplog.records if r.name == "fpcds.fdi"]
    assert logged == [f"unexpected error reading the FDI (reference {ref}): KeyError"]
