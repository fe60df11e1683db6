"""The whole physician flow in headless Chromium, inside the sandbox EHR's iframe, against real servers:

launch from the EHR -> fill in the Facial Disability Index -> import a simulated session -> run the
assessment -> results (SHAP charts, report preview) -> review the care plan and approve -> the
resources are in the FHIR server and validate against the fpcds profiles in the HAPI validator.
"""

from __future__ import annotations

import re

import pytest
import requests

from acquisition.native import write_session
from acquisition.simulate import SimulationOptions, make_patient, simulate_session
from conformance.validator import errors
from tests.plugin.browser.chromium import screenshot, wait

pytestmark = [pytest.mark.browser, pytest.mark.java]

PATIENT_MRN = "SB-1002"


def _in_app(driver, stack):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(stack.urls["ehr"])
    driver.find_element(By.CSS_SELECTOR, f'a.launch-link[data-patient="{PATIENT_MRN}"]').click()
    driver.switch_to.frame(wait(driver, ec.presence_of_element_located((By.ID, "app-frame"))))
    wait(driver, ec.visibility_of_element_located((By.ID, "patient-name")))


def _click(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    element = wait(driver, ec.element_to_be_clickable((By.CSS_SELECTOR, css)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _fill_fdi(driver) -> None:
    """Answer every FDI item with its second option (a little difficulty / most of the time ...)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    _click(driver, "#fdi-fill")
    wait(driver, ec.presence_of_element_located((By.ID, "fdi-form")))
    _click(driver, 'input[name="filled_by"][value="clinician"]')
    items = {e.get_attribute("name") for e in driver.find_elements(By.CSS_SELECTOR, 'input[name^="item-"]')}
    assert len(items) == 10
    for name in sorted(items):
        second = driver.find_elements(By.CSS_SELECTOR, f'input[name="{name}"]')[1]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", second)
        second.click()
    _click(driver, "#fdi-submit")
    wait(driver, ec.visibility_of_element_located((By.ID, "fdi-physical")))


def test_launch_import_assess_approve_and_the_chart_holds_valid_resources(stack, driver, fhir_validator, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    patient = make_patient(condition="bell", onset_severity=0.85, days_since_onset=3.0, age=61.0, seed=401)
    session_path = tmp_path / "clinic-visit.fpcds"
    write_session(simulate_session(patient, seed=401, options=SimulationOptions(repetitions=1, rest_s=1.5)),
                  session_path)

    _in_app(driver, stack)
    _fill_fdi(driver)
    # Physical: every item "a little difficulty" (4 points): (20 - 5) / 5 * 25. Social: "most of the time",
    # 5 points for the calm item and 2 for each of the four reversed ones: (13 - 5) / 5 * 20.
    assert driver.find_element(By.ID, "fdi-physical").text == "75.0 / 100"
    assert driver.find_element(By.ID, "fdi-social").text == "32.0 / 100"

    driver.find_element(By.ID, "session-file").send_keys(str(session_path))
    _click(driver, "#import-button")
    wait(driver, ec.visibility_of_element_located((By.ID, "emg-summary")))
    _click(driver, 'a.button[href$="/assess"]')
    _click(driver, "#run-button")
    grade = wait(driver, ec.visibility_of_element_located((By.ID, "hb-grade")), timeout=120).text
    assert re.fullmatch(r"I|II|III|IV|V|VI", grade)
    assert "simulated cohort" in driver.find_element(By.ID, "model-statement").text
    assert len(driver.find_elements(By.CSS_SELECTOR, "#explanations svg[role=img]")) >= 6
    assert driver.find_element(By.ID, "report-frame").get_attribute("src").endswith("/report.pdf")
    assert driver.find_element(By.ID, "subject-overrides").text.startswith(
        "Facial Disability Index, physical function 75 (session: ")  # the FDI just filled in fed the models
    screenshot(driver, tmp_path, "physician-results.png")

    _click(driver, 'a.button[data-step="approve"]')
    wait(driver, ec.presence_of_element_located((By.ID, "approve-button")))
    kept = [e.get_attribute("value") for e in driver.find_elements(By.CSS_SELECTOR, 'input[name="keep"]')]
    assert kept, "a severe palsy gets a care plan to review"
    driver.find_element(By.ID, "note").send_keys("Discussed with the patient.")
    _click(driver, "#confirm")
    screenshot(driver, tmp_path, "physician-approve.png")
    _click(driver, "#approve-button")
    status = wait(driver, ec.presence_of_element_located((By.CSS_SELECTOR, '#write-status[data-state="written"]')))
    assert "as one transaction" in status.text
    references = [row.find_element(By.TAG_NAME, "td").text
                  for row in driver.find_elements(By.CSS_SELECTOR, "#written-resources tbody tr")]
    driver.switch_to.default_content()
    screenshot(driver, tmp_path, "physician-written.png")
    driver.find_element(By.LINK_TEXT, "Record").click()  # the EHR's own view of the chart
    reports = wait(driver, ec.visibility_of_element_located((By.ID, "record-DiagnosticReport")))
    assert reports.text.startswith("Reports (")
    report_ref = next(r for r in references if r.startswith("DiagnosticReport/"))
    assert report_ref in driver.page_source
    screenshot(driver, tmp_path, "ehr-record.png")

    stored = []
    for reference in references:
        resp = requests.get(f"{stack.fhir.base_url}/{reference}", headers={"Accept": "application/fhir+json"},
                            timeout=10)
        assert resp.status_code == 200, reference
        stored.append(resp.json())
    kinds = {r["resourceType"] for r in stored}
    assert {"Observation", "DiagnosticReport", "CarePlan", "Provenance", "Device", "DocumentReference"} <= kinds
    report = next(r for r in stored if r["resourceType"] == "DiagnosticReport")
    assert report["status"] == "final" and report["presentedForm"][0]["contentType"] == "application/pdf"
    plan = next(r for r in stored if r["resourceType"] == "CarePlan")
    assert plan["status"] == "active" and "Discussed with the patient." in " ".join(n["text"] for n in plan["note"])
    responses = requests.get(f"{stack.fhir.base_url}/QuestionnaireResponse",
                             params={"patient": report["subject"]["reference"]}, timeout=10).json()["entry"]
    stored.append(responses[0]["resource"])

    found = errors(fhir_validator.validate(stored))
    assert not found, "\n".join(f"{stored[i.resource]['resourceType']}: {i}" for i in found)
