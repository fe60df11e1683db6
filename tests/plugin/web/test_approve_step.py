"""Care-plan review, approval and write-back through the demo stack, failures included.

Each test assesses its own simulated session (a different seed), so that the
resources it writes are its own: the write-back is keyed by session and
model set, and the chart already holding an identical result is a success,
not a new write.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import re
import tempfile
import time
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from acquisition.native import write_session
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from tests.plugin.helpers import error_code
from tests.plugin.web.results.flow import Physician


@functools.lru_cache(maxsize=None)
def palsy_session(seed: int, severity: float = 0.8, condition: str = "bell") -> bytes:
    """A simulated palsy (by default a Bell's palsy severe enough for a care plan with several activities)."""
    patient = make_patient(condition=condition, onset_severity=severity, days_since_onset=2.0, age=60.0, seed=seed)
    session = simulate_session(patient, seed=seed, options=SimulationOptions(repetitions=1, rest_s=1.5))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.fpcds"
        write_session(session, path)
        return path.read_bytes()


class Clinician(Physician):
    """A physician's browser with the approval pages."""

    def assessed(self, seed: int) -> str:
        assessment_id = self.import_session(f"visit-{seed}.fpcds", palsy_session(seed))
        self.assess(assessment_id)
        return assessment_id

    def review(self, assessment_id: str) -> requests.Response:
        return self.get(self.url(assessment_id, "approve"))

    def approve(self, assessment_id: str, *, keep: list[str] | None = None, note: str = "",
                confirm: bool = True) -> requests.Response:
        page = self.review(assessment_id)
        codes = re.findall(r'name="keep" value="([^"]+)"', page.text) if keep is None else keep
        data = {"csrf": self.csrf(self.home), "keep": codes, "note": note}
        if confirm:
            data["confirm"] = "yes"
        resp = self.http.post(self.app + self.url(assessment_id, "approve"), data=data, allow_redirects=False,
                              timeout=60)
        return self.get(resp.headers["Location"]) if resp.status_code == 303 else resp

    def retry(self, assessment_id: str) -> requests.Response:
        resp = self.http.post(self.app + self.url(assessment_id, "write"), data={"csrf": self.csrf(self.home)},
                              allow_redirects=False, timeout=60)
        assert resp.status_code == 303, resp.text[:500]
        return self.get(resp.headers["Location"])

    @property
    def launch_id(self) -> str:
        return self.base.rsplit("/", 1)[1]


def write_state(page: requests.Response) -> str | None:
    m = re.search(r'id="write-status" data-state="(\w+)"', page.text)
    return m.group(1) if m else None


def folder(stack, assessment_id: str) -> Path:
    return stack.app.extensions["fpcds"].assessments.directory(assessment_id)


def chart(stack, rtype: str, **params) -> list[dict]:
    resp = requests.get(f"{stack.fhir.base_url}/{rtype}", params={**params, "_count": 500}, timeout=10)
    resp.raise_for_status()
    return [e["resource"] for e in resp.json().get("entry") or []]


def written_reports(stack, assessment_id: str) -> list[dict]:
    """The DiagnosticReports in the chart with the business identifier of this assessment's report."""
    bundle = json.loads((folder(stack, assessment_id) / "writeback-bundle.json").read_text())
    report = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
    identifier = report["resource"]["identifier"][0]
    return chart(stack, "DiagnosticReport", identifier=f"{identifier['system']}|{identifier['value']}")


def activity_codes(plan: dict) -> list[str]:
    return [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"]]


@pytest.fixture
def fhir_restarted(stack):
    """Make sure the stack's FHIR server runs again after a test that stops it."""
    yield stack.fhir
    if stack.fhir.process is None:
        stack.fhir.start()


def test_review_shows_the_plan_and_approval_writes_it_to_the_chart(stack):
    doc = Clinician(stack, patient=2)
    assessment_id = doc.assessed(seed=201)
    page = doc.review(assessment_id)
    assert page.status_code == 200
    codes = re.findall(r'name="keep" value="([^"]+)"', page.text)
    assert len(codes) >= 2 and "Approve and write to the chart" in page.text
    assert re.search(r"<li>1 DiagnosticReport</li>", page.text) and "1 Provenance" in page.text

    refused = doc.approve(assessment_id, confirm=False)
    assert refused.status_code == 400 and "Tick the box to confirm" in refused.text
    assert stack.app.extensions["fpcds"].assessments.steps  # nothing recorded, nothing written:
    assert not (folder(stack, assessment_id) / "writeback-bundle.json").exists()

    done = doc.approve(assessment_id, keep=codes[1:], note="Review in the local clinic.")
    assert done.status_code == 200 and write_state(done) == "written", done.text[:1500]
    listed = re.findall(r"<tr><td>(\w+/[A-Za-z0-9\-.]+)</td>", done.text)
    reports = written_reports(stack, assessment_id)
    assert len(reports) == 1 and f"DiagnosticReport/{reports[0]['id']}" in listed
    report = reports[0]
    assert report["status"] == "final"
    practitioner = report["resultsInterpreter"][0]["reference"]
    assert practitioner.startswith("Practitioner/")
    plans = [p for p in chart(stack, "CarePlan", patient=report["subject"]["reference"])
             if p["identifier"][0]["value"].startswith(report["identifier"][0]["value"].rsplit("/", 1)[0])]
    assert len(plans) == 1 and plans[0]["status"] == "active" and plans[0]["intent"] == "plan"
    assert activity_codes(plans[0]) == codes[1:]
    notes = " ".join(n["text"] for n in plans[0]["note"])
    assert f"{practitioner} removed from the proposed plan" in notes and "Review in the local clinic." in notes
    provenance = chart(stack, "Provenance", target=f"DiagnosticReport/{report['id']}")
    assert len(provenance) == 1
    assert any(a["who"]["reference"] == practitioner for a in provenance[0]["agent"])

    pdf = base64.b64decode(report["presentedForm"][0]["data"])
    first_page = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert f"Status: APPROVED by {practitioner}" in first_page  # the chart's PDF says what its status says
    assert doc.get(doc.url(assessment_id, "report.pdf")).content == pdf  # and the app shows that one now
    results = doc.get(doc.url(assessment_id, "results"))
    assert f"Status: APPROVED by {practitioner}" in results.text and "written to the chart" in results.text

    record = requests.get(stack.urls["ehr"].rstrip("/") + f"/ehr/{report['subject']['reference']}/record", timeout=30)
    assert record.status_code == 200  # the sandbox EHR shows the chart as it holds it now
    row = re.search(rf"<tr>(?:(?!</tr>).)*DiagnosticReport/{report['id']}</td></tr>", record.text, re.S).group(0)
    assert "<td>final</td>" in row and "Facial palsy assessment report" in row

    audit = json.loads((folder(stack, assessment_id) / "audit.json").read_text())
    assert audit["approver"] == practitioner and audit["times"]["write"]
    assert audit["report"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert audit["report"]["file"] == "report-approved.pdf"
    assert audit["care_plan"]["review"] == {"removed": [codes[0]], "note": "Review in the local clinic."}
    assert f"DiagnosticReport/{report['id']}" in {w["reference"] for w in audit["fhir"]["written"]}

    # Approving again or retrying changes nothing: the status page, one report in the chart.
    again = doc.approve(assessment_id)
    assert write_state(again) == "written"
    assert len(written_reports(stack, assessment_id)) == 1
    assessment_page = doc.get(doc.url(assessment_id))
    assert "Write-back status" in assessment_page.text and "Review care plan and approve" not in assessment_page.text


def test_ehr_down_then_refused_content_loses_nothing_and_the_retry_writes_once(stack, fhir_restarted):
    doc = Clinician(stack, patient=2)
    assessment_id = doc.assessed(seed=202)
    stack.fhir.stop()
    failed = doc.approve(assessment_id)
    assert failed.status_code == 503 and write_state(failed) == "failed"
    assert 'data-error-code="ehr_unavailable"' in failed.text and "Nothing is lost" in failed.text
    assert "cannot be reached" in failed.text
    pending = folder(stack, assessment_id) / "writeback-bundle.json"
    original = pending.read_text()
    audit = json.loads((folder(stack, assessment_id) / "audit.json").read_text())
    assert audit["approver"] and audit["fhir"] is None  # approved, not written
    stack.fhir.start()
    home = doc.get(doc.base + "/")
    assert "approved, not yet written to the chart" in home.text  # still listed among assessments in progress

    # The EHR refuses the content (here: a pending write damaged on disk): one transaction, nothing written.
    damaged = json.loads(original)
    observation = next(e for e in damaged["entry"] if e["resource"]["resourceType"] == "Observation")
    observation["resource"]["effectiveDateTime"] = {"not": "a date"}
    pending.write_text(json.dumps(damaged))
    refused = doc.retry(assessment_id)
    assert refused.status_code == 422 and 'data-error-code="validation_refused"' in refused.text
    assert written_reports(stack, assessment_id) == []
    assert "2 attempts" in refused.text

    pending.write_text(original)
    done = doc.retry(assessment_id)
    assert write_state(done) == "written" and "as one transaction" in done.text
    assert len(written_reports(stack, assessment_id)) == 1
    assert write_state(doc.retry(assessment_id)) == "written"  # a further retry is answered from the record
    assert len(written_reports(stack, assessment_id)) == 1


def test_expired_token_at_write_waits_for_a_new_launch(stack):
    doc = Clinician(stack, patient=3)
    assessment_id = doc.assessed(seed=203)
    sessions = stack.app.extensions["fpcds"].sessions
    tokens = sessions.tokens(doc.launch_id)
    sessions.store_tokens(doc.launch_id, dataclasses.replace(tokens, expires_at=time.time() - 60, refresh_token=None))
    failed = doc.approve(assessment_id)
    assert failed.status_code == 401 and 'data-error-code="token_expired"' in failed.text
    assert "Open fpcds again from the patient's chart" in unescape(failed.text)
    assert written_reports(stack, assessment_id) == []

    later = Clinician(stack, patient=3)  # the physician opens fpcds again from the chart
    status = later.get(later.url(assessment_id, "written"))
    assert status.status_code == 401 and write_state(status) == "failed"
    done = later.retry(assessment_id)
    assert write_state(done) == "written"
    assert len(written_reports(stack, assessment_id)) == 1


def test_write_refused_by_the_ehr_is_kept_for_a_retry(stack, policy):
    doc = Clinician(stack, patient=4)
    assessment_id = doc.assessed(seed=204)
    policy.refuse_writes = True
    failed = doc.approve(assessment_id)
    assert failed.status_code == 403 and 'data-error-code="scope"' in failed.text
    assert "did not allow fpcds to write" in failed.text
    assert written_reports(stack, assessment_id) == []
    policy.refuse_writes = False
    assert write_state(doc.retry(assessment_id)) == "written"


def test_two_patients_at_once_never_mix_assessments_or_writes(stack):
    a, b = Clinician(stack, patient=0), Clinician(stack, patient=1)
    first, second = a.assessed(seed=205), b.assessed(seed=206)
    assert a.review(second).status_code == 404 and b.review(first).status_code == 404
    assert a.get(a.url(second, "written")).status_code == 404
    resp = a.http.post(a.app + a.url(second, "approve"), data={"csrf": a.csrf(a.home), "confirm": "yes"},
                       allow_redirects=False, timeout=30)
    assert resp.status_code == 404
    assert write_state(a.approve(first)) == "written" and write_state(b.approve(second)) == "written"
    ra, rb = written_reports(stack, first)[0], written_reports(stack, second)[0]
    assert ra["subject"] != rb["subject"]
    for report in (ra, rb):
        for ref in report["result"]:
            rtype, rid = ref["reference"].split("/")
            obs = requests.get(f"{stack.fhir.base_url}/{rtype}/{rid}", timeout=10).json()
            assert obs["subject"] == report["subject"]


def test_approval_is_refused_clearly_when_it_cannot_happen(stack):
    doc = Clinician(stack, patient=4)
    imported = doc.import_session("not-assessed.fpcds", palsy_session(207))
    resp = doc.review(imported)
    assert resp.status_code == 409 and "run the assessment first" in resp.text
    assert doc.get(doc.url(imported, "written")).status_code == 409
    assessment_id = doc.assessed(seed=208)
    forged = doc.http.post(doc.app + doc.url(assessment_id, "approve"), data={"confirm": "yes"},
                           allow_redirects=False, timeout=30)
    assert forged.status_code == 400 and error_code(forged) == "csrf"
    unknown = doc.approve(assessment_id, keep=["no-such-activity"])
    assert unknown.status_code == 400 and "not proposed: no-such-activity" in unknown.text
    too_long = doc.approve(assessment_id, note="x" * 2001)
    assert too_long.status_code == 400 and "longer than 2000 characters" in too_long.text
    assert not (folder(stack, assessment_id) / "writeback-bundle.json").exists()


def test_a_worse_result_than_the_last_approved_one_in_the_chart_proposes_a_referral(stack):
    doc = Clinician(stack, patient=4)
    earlier = doc.import_session("earlier-visit.fpcds", palsy_session(209, severity=0.35))
    doc.assess(earlier)
    assert write_state(doc.approve(earlier)) == "written"
    worse = doc.assessed(seed=210)
    page = unescape(doc.review(worse).text)
    assert 'id="previous-assessment"' in page and "Compared with the last approved fpcds assessment" in page
    assert "worse than at the previous assessment" in page
    done = doc.approve(worse)
    assert write_state(done) == "written"
    plan = next(p for p in chart(stack, "CarePlan", patient=written_reports(stack, worse)[0]["subject"]["reference"])
                if p["identifier"][0]["value"].startswith(written_reports(stack, worse)[0]["identifier"][0]["value"]
                                                         .rsplit("/", 1)[0]))
    assert "specialist-referral" in activity_codes(plan)


def test_an_assessment_the_software_no_longer_reproduces_is_not_approved(stack):
    doc = Clinician(stack, patient=3)
    assessment_id = doc.assessed(seed=211)
    audit = json.loads((folder(stack, assessment_id) / "audit.json").read_text())
    Path(audit["session"]["path"]).write_bytes(palsy_session(212))  # the session file changed under the results
    refused = doc.approve(assessment_id)
    assert refused.status_code == 422 and error_code(refused) == "results_not_writable"
    assert "does not give the stored result" in unescape(refused.text)
    assert not (folder(stack, assessment_id) / "writeback-bundle.json").exists()
    assert json.loads((folder(stack, assessment_id) / "audit.json").read_text())["approver"] is None
    assert "Review care plan and approve" in doc.get(doc.url(assessment_id)).text  # still waiting for approval


def test_a_central_plan_keeps_its_urgent_work_up_unless_declined_whole(stack):
    doc = Clinician(stack, patient=0)
    assessment_id = doc.import_session("central.fpcds", palsy_session(213, condition="central"))
    doc.assess(assessment_id)
    page = unescape(doc.review(assessment_id).text)
    codes = re.findall(r'name="keep" value="([^"]+)"', page)
    assert codes[0] == "urgent-stroke-referral" and "Removed only by declining the whole plan." in page
    refused = doc.approve(assessment_id, keep=codes[1:])
    assert refused.status_code == 400 and "can only be removed by declining the whole plan" in refused.text
    assert not (folder(stack, assessment_id) / "writeback-bundle.json").exists()
    declined = doc.approve(assessment_id, keep=[], note="Seen by the stroke team already.")
    assert write_state(declined) == "written"
    report = written_reports(stack, assessment_id)[0]
    assert "(the proposed plan was declined)" in report["conclusion"]
    assert "Seen by the stroke team already." in report["conclusion"]
    key = report["identifier"][0]["value"].rsplit("/", 1)[0]
    assert not [p for p in chart(stack, "CarePlan", patient=report["subject"]["reference"])
                if p["identifier"][0]["value"].startswith(key)]
