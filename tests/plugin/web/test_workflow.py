"""The physician's pages inside a launch: import, summary with quality warnings, isolation of launches."""

from __future__ import annotations

import re
import threading

from acquisition.native import write_session
from acquisition.session import Gap, QualityIssue
from tests.factories import tiny_session
from tests.plugin.helpers import Browser, error_code, page_message


def _file_with_findings(tmp_path) -> bytes:
    session = tiny_session(seed=3).with_quality([
        QualityIssue("emg.powerline", "warning", "EMG channel 'Zyg re' has 50 Hz interference at 31 % of power",
                     stream="emg", channel="Zyg re"),
        QualityIssue("motion.face_lost", "error", "face not tracked in 12 of 60 frames", stream="motion"),
    ])
    session = type(session)(**{**session.__dict__, "gaps": (Gap("motion", 0.2, 0.6, "face lost"),)})
    path = tmp_path / "noisy.fpcds"
    write_session(session, path)
    return path.read_bytes()


def test_import_shows_summary(stack, session_file, counts):
    browser = Browser(stack)
    home = browser.launch(patient=2)
    before = counts()
    page = browser.upload(home, "tiny.fpcds", session_file)
    assert page.status_code == 200
    assert 'class="filename">tiny.fpcds<' in page.text
    assert re.search(r'id="emg-summary">2 channels at 1000 Hz, 2.00 s<', page.text)
    assert "478 points (mediapipe478) at 30 Hz" in page.text
    assert "smile open ×1" in page.text
    assert "age 40, sex female, days since onset 10, affected side left" in page.text
    assert "No quality findings." in page.text
    assert "Mei Tanaka" in page.text  # the banner stays on every page
    assert counts()["assessments"] == before["assessments"] + 1
    # listed on the patient overview
    assert "tiny.fpcds" in browser.follow(browser.launch_path(page)).text


def test_import_shows_quality_warnings(stack, tmp_path):
    browser = Browser(stack)
    page = browser.upload(browser.launch(patient=2), "noisy.fpcds", _file_with_findings(tmp_path))
    assert page.status_code == 200
    assert "50 Hz interference at 31 % of power" in page.text
    assert 'class="sev-error"><span class="sev">error</span> face not tracked in 12 of 60 frames' in page.text
    assert "motion 0.200–0.600 s: face lost" in page.text


def test_imported_files_are_kept_on_the_server(stack, session_file):
    browser = Browser(stack)
    page = browser.upload(browser.launch(patient=2), "kept.fpcds", session_file)
    assessment_id = page.url.rsplit("/", 1)[1]
    folder = stack.app.extensions["fpcds"].assessments.root / assessment_id
    assert (folder / "upload.fpcds").read_bytes() == session_file


def test_corrupt_file_is_refused_and_nothing_written(stack, counts):
    browser = Browser(stack)
    home = browser.launch(patient=2)
    before = counts()
    resp = browser.upload(home, "broken.fpcds", b"FPCDSES\0 not really")
    assert resp.status_code == 400 and error_code(resp) == "bad_session_file"
    assert page_message(resp).startswith("broken.fpcds: ")
    assert counts()["assessments"] == before["assessments"]


def test_unsupported_file_type_is_refused(stack, counts):
    browser = Browser(stack)
    home = browser.launch(patient=2)
    before = counts()
    resp = browser.upload(home, "notes.txt", b"hello")
    assert resp.status_code == 400
    assert re.match(r"notes\.txt: file type '\.txt' is not supported; known: ", page_message(resp))
    assert counts()["assessments"] == before["assessments"]


def test_empty_upload_is_refused(stack):
    browser = Browser(stack)
    resp = browser.upload(browser.launch(patient=2), "empty.fpcds", b"")
    assert resp.status_code == 400 and page_message(resp) == "empty.fpcds: the file is empty"


def test_upload_without_csrf_token_is_refused(stack, session_file, counts):
    browser = Browser(stack)
    home = browser.launch(patient=2)
    before = counts()
    resp = browser.upload(home, "tiny.fpcds", session_file, csrf="forged")
    assert resp.status_code == 400 and error_code(resp) == "csrf"
    assert "anti-forgery check failed" in page_message(resp)
    assert counts()["assessments"] == before["assessments"]


def test_too_large_upload_is_refused(stack):
    browser = Browser(stack)
    home = browser.launch(patient=2)
    limit = stack.app.config["MAX_CONTENT_LENGTH"]
    stack.app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        resp = browser.upload(home, "big.fpcds", b"x" * 5000)
    finally:
        stack.app.config["MAX_CONTENT_LENGTH"] = limit
    assert resp.status_code == 413 and error_code(resp) == "too_large"


def test_launch_is_bound_to_its_browser(stack):
    owner, other = Browser(stack), Browser(stack)
    home = owner.launch(patient=0)
    resp = other.get(owner.launch_path(home))
    assert resp.status_code == 404 and error_code(resp) == "launch_not_found"
    assert "not open in this browser" in page_message(resp)
    assert "Ana Souza" not in resp.text


def test_two_concurrent_launches_for_different_patients_never_mix(stack, session_file):
    browser = Browser(stack)  # one browser, two EHR tabs
    browser.launch(patient=0)  # the browser already has its cookie when the two tabs open
    results: dict[int, str] = {}

    def work(patient: int, name: str) -> None:
        home = browser.launch(patient=patient)
        page = browser.upload(home, name, session_file)
        assert page.status_code == 200
        results[patient] = page.url

    threads = [threading.Thread(target=work, args=(3, "okafor.fpcds")),
               threading.Thread(target=work, args=(4, "fischer.fpcds"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    okafor, fischer = browser.get(results[3]), browser.get(results[4])
    assert "Samuel Okafor" in okafor.text and "Lena Fischer" not in okafor.text
    assert "Lena Fischer" in fischer.text and "Samuel Okafor" not in fischer.text
    okafor_home = browser.follow(browser.launch_path(okafor)).text
    fischer_home = browser.follow(browser.launch_path(fischer)).text
    assert "okafor.fpcds" in okafor_home and "fischer.fpcds" not in okafor_home
    assert "fischer.fpcds" in fischer_home and "okafor.fpcds" not in fischer_home
    # an assessment of one patient cannot be opened through the other patient's launch
    crossed = browser.launch_path(okafor) + "assessments/" + results[4].rsplit("/", 1)[1]
    assert browser.get(crossed).status_code == 404


def test_ehr_unreachable_shows_clear_page(stack, counts):
    browser = Browser(stack)
    callback = browser.callback_url(browser.authorize_url(browser.app_launch_url(0)))
    proxy = stack.sandbox.extensions["sandbox"].proxy
    upstream = proxy.upstream
    proxy.upstream = "http://127.0.0.1:9/fhir"  # the EHR's FHIR store is down
    try:
        before = counts()
        resp = browser.follow(callback)
    finally:
        proxy.upstream = upstream
    assert resp.status_code == 503 and error_code(resp) == "ehr_unavailable"
    assert "answered HTTP 503 to a read of Patient; try again in a moment" in page_message(resp)
    assert counts()["assessments"] == before["assessments"]
    # once the EHR is back the same launch works
    assert "Ana Souza" in browser.follow(browser.launch_path(resp)).text


def test_security_headers(stack):
    browser = Browser(stack)
    page = browser.launch(patient=0)
    csp = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {stack.urls['ehr'].rstrip('/')}" in csp
    assert "default-src 'self'" in csp and "form-action 'self'" in csp
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "X-Frame-Options" not in page.headers


def test_cookie_holds_only_an_opaque_id(stack):
    browser = Browser(stack)
    browser.launch(patient=0)
    cookies = {c.name: c.value for c in browser.http.cookies}
    assert set(cookies) == {"fpcds-browser"}
    tokens = stack.app.extensions["fpcds"].sessions
    value = cookies["fpcds-browser"]
    assert len(value) >= 43 and "." not in value  # random, not a JWT or a signed session
    assert tokens.browser_for(value) is not None
