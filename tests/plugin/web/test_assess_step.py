"""The "Run the assessment" step through the demo stack: a background job with a progress page, its results
recorded with the assessment; failures and interruptions shown and restartable; one job at a time; one patient."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from acquisition.errors import FpcdsError
from acquisition.native import file_sha256
from explain.audit import read_audit_record
from plugin.web.assess_step import EXTENSION, register_subject_source
from tests.plugin.helpers import error_code, page_message
from tests.plugin.web.results.flow import Physician, job_state, session_bytes

ROOT = Path(__file__).resolve().parents[3]


def services(stack):
    return stack.app.extensions["fpcds"]


def folder(stack, assessment_id: str) -> Path:
    return services(stack).assessments.root / assessment_id


@pytest.fixture
def hold_worker(stack):
    """Keep the app's single assessment worker busy until the returned event is set (jobs queue meanwhile)."""
    release = threading.Event()
    runner = stack.app.extensions[EXTENSION]
    busy = runner._executor().submit(release.wait, 60)
    yield release
    release.set()
    busy.result(timeout=60)


@pytest.fixture
def subject_source(stack):
    """Register a subject-fact source on the app for one test (removed after)."""
    added = []

    def add(source):
        register_subject_source(stack.app, source)
        added.append(source)

    yield add
    for source in added:
        stack.app.extensions[EXTENSION].subject_sources.remove(source)


def launch_of(stack, doc: Physician):
    launch_id = doc.base.rsplit("/", 1)[1]
    return services(stack).sessions.launch(launch_id)


# ------------------------------------------------------------------------------------------- the happy path
def test_the_assessment_runs_in_the_background_and_ends_on_the_results(stack, hold_worker):
    doc = Physician(stack)
    asm = doc.import_session("clinic-visit.fpcds")
    summary = doc.get(doc.url(asm))
    assert f'href="{doc.url(asm, "assess")}">Run the assessment<' in summary.text
    intro = doc.get(doc.url(asm, "assess"))
    assert intro.status_code == 200 and 'id="run-button">Run the assessment<' in intro.text
    assert "Extracting features" in intro.text

    started = doc.start(asm)
    assert started.status_code == 303 and started.headers["Location"] == doc.url(asm, "progress")
    waiting = doc.get(doc.url(asm, "progress"))
    assert job_state(waiting) == "running"
    assert '<meta http-equiv="refresh" content="1">' in waiting.text
    assert 'class="stage-running" data-stage="session"' in waiting.text
    assert 'class="stage-waiting" data-stage="saving"' in waiting.text
    assert doc.get(doc.url(asm, "assess")).headers["Location"] == doc.url(asm, "progress")
    assert doc.get(doc.url(asm, "results")).headers["Location"] == doc.url(asm, "assess"), "no results yet"
    assert doc.get(doc.url(asm, "report.pdf")).status_code == 404

    hold_worker.set()
    done = doc.wait(asm)
    assert done.status_code == 303 and done.headers["Location"] == doc.url(asm, "results")
    results = doc.get(done.headers["Location"])
    assert results.status_code == 200 and 'id="hb-grade"' in results.text

    svc = services(stack)
    launch = launch_of(stack, doc)
    assert svc.assessments.get(launch, asm).status == "assessed"
    step = svc.assessments.steps(launch, asm)["assessment"]
    for name, digest in step["files"].items():
        assert file_sha256(folder(stack, asm) / name) == digest, name
    assert step["session"]["title"] == "clinic-visit.fpcds"
    assert step["model_set"]["set_version"] and set(step["timings_s"]) >= {"features", "explanation"}
    after = doc.get(doc.url(asm))
    assert "Run the assessment<" not in after.text
    assert f'href="{doc.url(asm, "results")}">View the results<' in after.text
    assert doc.get(doc.url(asm, "assess")).headers["Location"] == doc.url(asm, "results")
    again = doc.start(asm)
    assert again.status_code == 303 and again.headers["Location"] == doc.url(asm, "results"), "never re-run"


def test_the_audit_record_holds_the_launch_context_and_the_report_the_patient(stack):
    doc = Physician(stack, patient=1)
    asm = doc.import_session()
    doc.assess(asm)
    launch = launch_of(stack, doc)
    record = read_audit_record(folder(stack, asm) / "audit.json")
    assert record.context["patient"] == launch.patient and record.context["iss"] == launch.iss
    assert record.context["fhirUser"] == launch.fhir_user
    assert "Berg" not in (folder(stack, asm) / "audit.json").read_text()
    first = PdfReader(BytesIO((folder(stack, asm) / "report.pdf").read_bytes())).pages[0].extract_text()
    assert "Jonas Berg" in first and "SB-1002" in first and "1962-09-03" in first


def test_without_a_banner_the_report_names_the_patient_from_the_patient_resource(stack, policy, subject_source):
    policy.need_patient_banner = False
    subject_source(lambda launch, assessment: {"fdi_physical": 72.5, "fdi_social": 60.0})
    doc = Physician(stack, patient=2)
    assert 'id="patient-name"' not in doc.home.text
    asm = doc.import_session()
    results = doc.assess(asm)
    first = PdfReader(BytesIO((folder(stack, asm) / "report.pdf").read_bytes())).pages[0].extract_text()
    assert "Mei Tanaka" in first and "SB-1003" in first
    assert re.search(r'id="subject-overrides">Facial Disability Index, physical function 72\.5 \(session: 66\.4\); '
                     r'Facial Disability Index, social function 60 \(session: 71\.2\)<', results.text)
    stored = json.loads((folder(stack, asm) / "features.json").read_text())
    features = {f["name"]: f["value"] for f in stored["features"]}
    assert features["clinical.fdi_physical"] == 72.5


# ------------------------------------------------------------------------------------------- failures
def test_a_damaged_session_fails_clearly_and_can_be_retried_once_repaired(stack):
    doc = Physician(stack)
    asm = doc.import_session("damaged.fpcds")
    stored = folder(stack, asm) / "upload.fpcds"
    good = stored.read_bytes()
    bad = bytearray(good)
    bad[len(bad) // 2: len(bad) // 2 + 4096] = bytes(b ^ 0xFF for b in bad[len(bad) // 2: len(bad) // 2 + 4096])
    stored.write_bytes(bytes(bad))

    assert doc.start(asm).status_code == 303
    failed = doc.wait(asm)
    assert failed.status_code == 200 and job_state(failed) == "failed"
    assert 'data-error-kind="SessionFileError"' in failed.text
    assert "<h3>The session file cannot be read</h3>" in failed.text
    assert re.search(r'<p class="message">damaged\.fpcds: content hash mismatch: header says [0-9a-f]{64}, '
                     r'data hashes to [0-9a-f]{64}</p>', failed.text)
    assert 'class="stage-failed" data-stage="session"' in failed.text
    assert 'id="retry-button">Try again<' in failed.text and "http-equiv=\"refresh\"" not in failed.text
    assert "the imported session is kept" in failed.text
    launch = launch_of(stack, doc)
    assert services(stack).assessments.get(launch, asm).status == "imported"
    assert "assessment" not in services(stack).assessments.steps(launch, asm)
    assert stored.read_bytes() == bytes(bad), "nothing imported is touched"
    assert doc.get(doc.url(asm, "results")).headers["Location"] == doc.url(asm, "assess")
    intro = doc.get(doc.url(asm, "assess"))
    assert 'id="job-failed"' in intro.text and "Run the assessment again" in intro.text

    stored.write_bytes(good)
    results = doc.assess(asm)
    assert results.status_code == 200
    job = stack.app.extensions[EXTENSION].store.get(launch, asm)
    assert (job.state, job.attempt) == ("done", 2)


def test_a_rejected_subject_fact_fails_the_job_with_its_reason(stack, subject_source):
    subject_source(lambda launch, assessment: {"fdi_physical": 150.0})
    doc = Physician(stack)
    asm = doc.import_session()
    doc.start(asm)
    failed = doc.wait(asm)
    assert job_state(failed) == "failed" and 'data-error-kind="SessionValidationError"' in failed.text
    assert "<h3>The session&#39;s data are not valid for an assessment</h3>" in failed.text
    assert '<p class="message">subject fdi_physical is 150.0; expected a number in [0, 100]</p>' in failed.text


def test_a_source_of_subject_facts_that_fails_starts_nothing(stack, subject_source):
    def broken(launch, assessment):
        raise FpcdsError("the Facial Disability Index in the chart is incomplete; expected both sub-scores")

    subject_source(broken)
    doc = Physician(stack)
    asm = doc.import_session()
    resp = doc.start(asm)
    assert resp.status_code == 422 and error_code(resp) == "subject_facts"
    assert page_message(resp) == "the Facial Disability Index in the chart is incomplete; expected both sub-scores"
    assert "Nothing was lost: " in resp.text
    assert stack.app.extensions[EXTENSION].store.get(launch_of(stack, doc), asm) is None


def test_an_interrupted_job_is_shown_and_can_be_started_again(stack):
    doc = Physician(stack)
    asm = doc.import_session()
    launch = launch_of(stack, doc)
    instance = services(stack).config.instance_dir
    code = ("import sys; from types import SimpleNamespace; from pathlib import Path; "
            "from plugin.web.db import Database; from plugin.web.results.jobs import JobStore; "
            "s = JobStore(Database(Path(sys.argv[1]))); "
            "j = s.claim(SimpleNamespace(iss=sys.argv[2], patient=sys.argv[3]), sys.argv[4]); "
            "s.progress(j, 'features')")
    # a worker process that claimed the job and died (as in a restart) before finishing
    subprocess.run([sys.executable, "-c", code, str(instance), launch.iss, launch.patient, asm], cwd=ROOT,
                   check=True, timeout=60)
    page = doc.get(doc.url(asm, "progress"))
    assert page.status_code == 200 and job_state(page) == "interrupted"
    assert 'class="stage-interrupted" data-stage="features"' in page.text
    assert "no worker is running it any more" in page.text and "http-equiv=\"refresh\"" not in page.text
    assert 'id="retry-button">Start the assessment again<' in page.text
    assert 'id="job-interrupted"' in doc.get(doc.url(asm, "assess")).text
    results = doc.assess(asm)
    assert results.status_code == 200
    assert stack.app.extensions[EXTENSION].store.get(launch, asm).attempt == 2


def test_a_double_post_starts_one_job(stack, hold_worker):
    doc = Physician(stack)
    asm = doc.import_session()
    answers = []
    barrier = threading.Barrier(3)

    def post():
        barrier.wait()
        answers.append(doc.start(asm))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [303, 303, 303]
    assert {a.headers["Location"] for a in answers} == {doc.url(asm, "progress")}
    assert doc.start(asm).headers["Location"] == doc.url(asm, "progress")
    launch = launch_of(stack, doc)
    assert stack.app.extensions[EXTENSION].store.get(launch, asm).attempt == 1
    hold_worker.set()
    assert doc.wait(asm).headers["Location"] == doc.url(asm, "results")
    job = stack.app.extensions[EXTENSION].store.get(launch, asm)
    assert (job.state, job.attempt) == ("done", 1)


# ------------------------------------------------------------------------------------------- access
def test_another_patients_launch_cannot_see_or_start_the_assessment(stack, hold_worker):
    doc = Physician(stack, patient=0)
    asm = doc.import_session()
    other = Physician(stack, patient=3)
    for page in ("assess", "progress", "results", "report.pdf"):
        resp = other.get(other.url(asm, page))
        assert resp.status_code == 404 and error_code(resp) == "http_404", page
    assert other.start(asm).status_code == 404
    assert stack.app.extensions[EXTENSION].store.get(launch_of(stack, doc), asm) is None


def test_starting_without_the_anti_forgery_token_is_refused(stack):
    doc = Physician(stack)
    asm = doc.import_session()
    resp = doc.start(asm, csrf="forged")
    assert resp.status_code == 400 and error_code(resp) == "csrf"
    assert "anti-forgery check failed" in page_message(resp)
    assert stack.app.extensions[EXTENSION].store.get(launch_of(stack, doc), asm) is None


def test_progress_of_an_assessment_never_started_leads_to_the_start_page(stack):
    doc = Physician(stack)
    asm = doc.import_session()
    assert doc.get(doc.url(asm, "progress")).headers["Location"] == doc.url(asm, "assess")
    assert session_bytes()[:4] == (folder(stack, asm) / "upload.fpcds").read_bytes()[:4]
