"""The PDF report: what a physician and an auditor find in it, for five kinds of session.

Text is extracted with pypdf (pure Python). Pages were also rendered to PNG
with pdftoppm and looked at while the layout was made.
"""

from __future__ import annotations

import io
import logging
import re

import pytest

from explain.errors import ReportError
from explain.report import Approval, Patient, ReportInputs, render_report

pypdf = pytest.importorskip("pypdf")
CREATED = "2026-03-02T10:00:00+00:00"
PATIENT = Patient("Jane Q. Testpatient", "MRN-000042", "1970-01-01")


def _inputs(case, models, **changes) -> ReportInputs:
    values = dict(assessment=case.assessment, explanation=case.explanation, table=case.table, models=models,
                  session=case.session, session_name=f"{case.name}.fpcds", patient=PATIENT, created_at=CREATED,
                  audit_id="audit-1")
    values.update(changes)
    return ReportInputs(**values)


@pytest.fixture(scope="module")
def reports(cases, models) -> dict[str, tuple[bytes, list[str]]]:
    out = {}
    for name, case in cases.items():
        pdf = render_report(_inputs(case, models))
        pages = [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
        out[name] = (pdf, pages)
    return out


def _text(pages: list[str]) -> str:
    return " ".join(pages)


@pytest.mark.parametrize("name", ["healthy", "severe", "central", "emg_only", "motion_only"])
def test_every_report_has_its_sections_statement_and_identity(reports, name):
    pdf, pages = reports[name]
    assert pdf.startswith(b"%PDF-")
    text = _text(pages)
    assert "Trained on simulated data; not clinically validated" in pages[0]
    assert "TRAINED ON SIMULATED DATA; NOT CLINICALLY VALIDATED" in pages[-1]
    assert "Jane Q. Testpatient" in pages[0] and "MRN-000042" in pages[0]
    assert "Status: PRELIMINARY" in pages[0]
    for section in ("1. Protocol and signal quality", "2. Signals per task", "3. Rule-based scores",
                    "4. Model outputs", "5. Explanations of the model outputs (SHAP)", "6. Methods",
                    "7. Model cards", "8. Audit"):
        assert section in text
    for heading in ("House-Brackmann grade", "Sunnybrook composite", "Care plan:", "What drove the grade"):
        assert heading in pages[0]


@pytest.mark.parametrize("name", ["healthy", "severe", "central", "emg_only", "motion_only"])
def test_page_one_states_the_model_outputs(reports, cases, name):
    _, pages = reports[name]
    a = cases[name].assessment
    hb = a.outputs["hb_grade"]
    first = pages[0]
    assert f"(p = {hb.argmax_probability:.2f}); expected grade {hb.expected_grade:.1f}" in first
    assert a.rule_based["house_brackmann"]["label"].split(" (")[0] in first
    healthy = any(w.code == "outputs.healthy_looking" for w in a.warnings)
    if healthy:
        assert "No facial palsy found by the models" in first
        assert "No care plan proposed: the face looks healthy" in first
    elif a.outputs["lesion"].probability >= 0.5:
        assert "central (supranuclear) palsy suspected" in first
        assert "This is an emergency (stroke work-up)" in first
    else:
        assert "peripheral facial palsy" in first
        rec = a.outputs["recovery_6mo"].probability
        assert f"P(complete recovery by 6 months) = {rec:.2f}" in first


def test_the_severe_case_shows_its_asymmetries_and_drivers(reports, cases):
    _, pages = reports["severe"]
    first = pages[0]
    assert "Key asymmetries" in first and "Mouth corner, big smile: movement" in first
    assert "left (affected)" in first or "right (affected)" in first
    model = cases["severe"].explanation["hb_grade"]
    word = "towards" if model.primary_output.top(1)[0].contribution >= 0 else "away from"
    assert f"pushed the grade {word} {model.primary}" in first


def test_single_modality_reports_say_what_is_unavailable(reports):
    emg_text = _text(reports["emg_only"][1])
    assert "Facial motion: not recorded in this session" in emg_text
    assert "no facial motion in this session" in emg_text
    assert "The session has no facial motion" in reports["emg_only"][1][0]
    motion_text = _text(reports["motion_only"][1])
    assert "sEMG: not recorded in this session" in motion_text
    assert "no sEMG in this session" in motion_text
    assert "The session has no sEMG" in reports["motion_only"][1][0]


def test_every_explained_output_is_listed_with_its_additivity(reports, cases):
    text = _text(reports["severe"][1])
    for out in cases["severe"].explanation.outputs:
        assert out.key in text
    errors = [float(x) for x in re.findall(r"additivity error vs onnxruntime ([0-9.e+-]+)\)", text)]
    assert len(errors) == len(cases["severe"].explanation.models)
    assert max(errors) <= 1e-6


def test_the_audit_block_names_inputs_models_and_software(reports, cases):
    last = _text(reports["severe"][1])
    a = cases["severe"].assessment
    assert a.session_sha256 in last
    for ref in a.models:
        assert ref.sha256 in last.replace(" ", "")
    assert cases["severe"].explanation.values_sha256() in last.replace(" ", "")
    assert "Approver not approved yet" in last


def test_an_approved_report_says_who_approved_it(cases, models):
    pdf = render_report(_inputs(cases["severe"], models, approval=Approval("Dr A. Example", "2026-03-02T11:00:00Z")))
    first = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Status: APPROVED by Dr A. Example on 2026-03-02T11:00:00Z" in " ".join(first.split())
    assert "approved by the clinician" in " ".join(first.split()) or "No care plan proposed" in first


def test_same_inputs_give_the_same_bytes(cases, models, reports):
    assert render_report(_inputs(cases["central"], models)) == reports["central"][0]


def test_without_signals_the_sections_say_so(cases, models):
    pdf = render_report(_inputs(cases["severe"], models, session=None))
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "The session's signals were not available to the report" in text


def test_patient_identity_is_never_logged(cases, models, caplog):
    with caplog.at_level(logging.DEBUG):
        render_report(_inputs(cases["healthy"], models))
    assert "Testpatient" not in caplog.text and "MRN-000042" not in caplog.text


def test_an_explanation_of_another_session_is_refused(cases, models):
    with pytest.raises(ReportError, match="the explanation is of session .* the assessment of"):
        _inputs(cases["severe"], models, explanation=cases["central"].explanation)


def test_a_report_needs_its_time(cases, models):
    with pytest.raises(ReportError, match="report created_at is empty"):
        _inputs(cases["severe"], models, created_at="")
