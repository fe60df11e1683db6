"""The results page through the demo stack: the numbers of assessment.json, every warning, the rule-based items,
a SHAP chart per model output with its shares, the model-card statement, the report preview and the next steps."""

from __future__ import annotations

import json
import re
from html import unescape
from io import BytesIO

import pytest
from pypdf import PdfReader

from plugin.web.results.charts import signed
from tests.plugin.helpers import error_code, page_message
from tests.plugin.web.results.flow import Physician, data_values, session_bytes


def words(text: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture(scope="module")
def assessed(stack):
    """One assessed session of patient 0: (physician, assessment id, folder, results page)."""
    doc = Physician(stack, patient=0)
    asm = doc.import_session("clinic-visit.fpcds")
    page = doc.assess(asm)
    assert page.status_code == 200
    return doc, asm, stack.app.extensions["fpcds"].assessments.root / asm, page


def stored(assessed, name: str):
    return json.loads((assessed[2] / name).read_text())


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start: html.index("</section>", start)]


def test_the_summary_shows_the_numbers_of_the_assessment(assessed):
    html = assessed[3].text
    a = stored(assessed, "assessment.json")
    o = a["outputs"]
    values = data_values(html)
    expected = {
        "hb-probability": (o["hb_grade"]["argmax_probability"], "%.2f"),
        "hb-expected": (o["hb_grade"]["expected_grade"], "%.2f"),
        "sb-value": (o["sunnybrook"]["value"], "%.0f"), "sb-lower": (o["sunnybrook"]["lower"], "%.0f"),
        "sb-upper": (o["sunnybrook"]["upper"], "%.0f"),
        "lesion-central": (o["lesion"]["probability"], "%.2f"),
        "lesion-peripheral": (o["lesion"]["probabilities"]["peripheral"], "%.2f"),
        "synkinesis": (o["synkinesis"]["probability"], "%.2f"),
        "recovery-6mo": (o["recovery_6mo"]["probability"], "%.2f"),
        "weeks-value": (o["weeks_to_recovery"]["value"], "%.0f"),
        "weeks-lower": (o["weeks_to_recovery"]["lower"], "%.0f"),
        "weeks-upper": (o["weeks_to_recovery"]["upper"], "%.0f"),
    }
    for key, (number, fmt) in expected.items():
        value, shown = values[key]
        assert float(value) == number, key
        assert shown == fmt % number, key
    assert re.search(rf'id="hb-grade">{o["hb_grade"]["argmax_grade"]}<', html)
    kind = "central" if o["lesion"]["probability"] >= 0.5 else "peripheral"
    assert f'id="lesion-type">{kind}<' in html
    assert f'id="affected-side">{a["session"]["affected_side"]}<' in html
    assert 'id="evidence">sEMG and facial motion<' in html
    grades = section(html, "summary")
    for grade, p in o["hb_grade"]["probabilities"].items():
        assert f"Grade {grade}: {p:.2f}" in grades


def test_the_model_card_statement_and_the_preliminary_status_are_visible(assessed):
    html = assessed[3].text
    statement = words(section(html, "model-statement").split("</p>")[0])
    assert "Not clinically validated: the models were trained on a simulated cohort" in statement
    assert "trained on simulated data; not clinically validated" in statement
    assert "Status: PRELIMINARY - awaiting review and approval by the responsible clinician" in words(html)


def test_rule_based_items_are_shown_with_their_scores_and_measured_inputs(assessed):
    html = assessed[3].text
    rb = stored(assessed, "assessment.json")["rule_based"]
    part = html[html.index('id="rule-based"'): html.index('id="explanations"')]
    for scale in ("house_brackmann", "sunnybrook", "eface"):
        block = part[part.index(f'id="scale-{scale}"'):]
        assert unescape(rb[scale]["label"]) in unescape(block[: block.index("</h3>")])
        for item in rb[scale]["items"]:
            row = block[block.index(f'data-item="{item["name"]}"'):]
            row = row[: row.index("</tr>")]
            assert float(re.search(r'<data value="([^"]+)">', row).group(1)) == item["score"], item["name"]
            assert len(re.findall(r"<li title=", row)) == len(item["inputs"])
            for feature in item["inputs"]:
                assert f'title="{feature}"' in row


def test_every_model_output_has_a_shap_chart_that_matches_the_explanation(assessed):
    html = assessed[3].text
    explanation = stored(assessed, "explanation.json")
    assert list(explanation["models"]) == list(stored(assessed, "assessment.json")["outputs"])
    for model_id, model in explanation["models"].items():
        names = [f["name"] for f in model["features"]]
        for column, out in model["outputs"].items():
            key = f"{model_id}-{column}"
            start = html.index(f'<svg class="chart shap" id="shap-{key}" role="img"')
            svg = html[start: html.index("</svg>", start)]
            assert f'<title id="shap-{key}-title">' in svg and f'<desc id="shap-{key}-desc">' in svg
            order = sorted(range(len(names)), key=lambda i: -abs(out["values"][i]))[:8]
            top = [out["values"][i] for i in order if out["values"][i] != 0.0]
            shown = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', svg)
            assert shown[: len(top)] == [signed(v, out["unit"]) for v in top], key
            rest = sum(out["values"]) - sum(top)
            if len(shown) > len(top):
                assert shown[-1] == signed(rest, out["unit"])
            for kind in ("modality", "region"):
                assert f'id="{kind}-{key}" role="img"' in html, (kind, key)
            block = html[html.index(f'data-output="{column}"', html.index(f'id="explain-{model_id}"')):start]
            assert (f"Base value {out['base_value']:.3f} {out['unit']} + contributions "
                    f"{out['value'] - out['base_value']:+.3f} {out['unit']} = <strong>{out['value']:.3f} "
                    f"{out['unit']}</strong>") in unescape(block)


def test_the_report_is_served_inline_embedded_and_summarised(stack, assessed):
    doc, asm, folder, page = assessed
    html = page.text
    url = doc.url(asm, "report.pdf")
    assert f'id="report-frame" title="Preview of the report (PDF)" src="{url}"' in html
    pdf = doc.get(url)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == f'inline; filename="fpcds-report-{asm}.pdf"'
    assert pdf.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'self'" in pdf.headers["Content-Security-Policy"]
    assert "frame-src" not in page.headers["Content-Security-Policy"]  # default-src 'self' allows the frame
    assert pdf.content == (folder / "report.pdf").read_bytes()
    reader = PdfReader(BytesIO(pdf.content))
    assert len(reader.pages) > 3
    first = " ".join(reader.pages[0].extract_text().split())
    summary = words(section(html, "report-summary"))
    headline = words(re.search(r'<p class="headline" id="headline">(.*?)</p>', html, re.S).group(1))
    assert headline in summary and headline in first
    assert "Ana Souza" in first and "PRELIMINARY" in first
    download = doc.get(url + "?download=1")
    assert download.headers["Content-Disposition"] == f'attachment; filename="fpcds-report-{asm}.pdf"'
    assert download.content == pdf.content


def test_the_registered_next_steps_are_offered(stack, assessed):
    doc, asm, _, page = assessed
    svc = stack.app.extensions["fpcds"]
    found = next(a for a in svc.assessments.open_for(svc.sessions.launch(doc.base.rsplit("/", 1)[1]))
                 if a.id == asm)
    expected = [s for s in svc.steps if s.name not in ("assess", "results") and s.available(found)]
    steps = section(page.text, "steps")
    for step in expected:
        assert f'data-step="{step.name}" href="{doc.url(asm)}' in steps and f">{step.label}</a>" in steps
    assert "Run the assessment" not in steps and "View the results" not in steps


def test_no_patient_data_in_any_link_of_the_page(assessed):
    doc, asm, _, page = assessed
    links = re.findall(r'(?:href|src|action)="([^"]+)"', page.text)
    assert links
    for link in links:
        assert link.startswith(("/app/", "/static/")), link
        assert "Souza" not in link and "SB-1001" not in link


def test_a_report_changed_on_disk_is_refused(assessed):
    doc, asm, folder, _ = assessed
    path = folder / "report.pdf"
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-10] + b"tampered!!")
        resp = doc.get(doc.url(asm, "report.pdf"))
        assert resp.status_code == 500 and error_code(resp) == "results_damaged"
        assert re.match(r"report\.pdf: has SHA-256 [0-9a-f]{64}; results\.json recorded [0-9a-f]{64}: the file was "
                        r"changed after the assessment; run the assessment again from the imported session$",
                        page_message(resp))
    finally:
        path.write_bytes(original)
    assert doc.get(doc.url(asm, "report.pdf")).status_code == 200


def test_without_semg_every_warning_is_shown_and_every_output_still_explained(stack):
    doc = Physician(stack, patient=3)
    asm = doc.import_session("motion-only.fpcds", session_bytes("motion"))
    page = doc.assess(asm)
    folder = stack.app.extensions["fpcds"].assessments.root / asm
    a = json.loads((folder / "assessment.json").read_text())
    assert a["warnings"], "a session without sEMG is assessed with warnings"
    shown = re.findall(r'<li data-code="([^"]+)">([^<]*)</li>', section(page.text, "warnings"))
    assert sorted(shown) == sorted((w["code"], w["message"]) for w in a["warnings"])
    assert shown[0][0].split(".")[0] in ("outputs", "evidence"), "the most important warnings first"
    assert 'role="alert" aria-label="Warnings"' in page.text
    assert 'id="evidence">facial motion only<' in page.text
    for model_id, model in json.loads((folder / "explanation.json").read_text())["models"].items():
        for column in model["outputs"]:
            assert f'id="shap-{model_id}-{column}" role="img"' in page.text
