"""``fpcds explain`` (in process)."""

from __future__ import annotations

import json

from plugin.cli import main


def test_explain_prints_every_model_with_words(severe_file, model_dir, capsys):
    assert main(["explain", str(severe_file), "--model", str(model_dir), "--top", "2"]) == 0
    out = capsys.readouterr().out
    for model_id in ("hb_grade", "sunnybrook", "lesion", "synkinesis", "recovery_6mo", "weeks_to_recovery"):
        assert f"\n{model_id}: " in out
    assert "largest additivity error" in out
    assert out.count("\n  - ") <= 12


def test_explain_json_is_the_explanation(severe_file, model_dir, capsys):
    assert main(["explain", str(severe_file), "--model", str(model_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "fpcds-explanation"
    assert data["max_additivity_error"] <= 1e-6


def test_explain_writes_report_and_audit_without_printing_the_patient(severe_file, model_dir, tmp_path, capsys):
    pdf, record = tmp_path / "r.pdf", tmp_path / "a.json"
    assert main(["explain", str(severe_file), "--model", str(model_dir), "--report", str(pdf), "--audit",
                 str(record), "--patient-name", "Jane Q. Testpatient"]) == 0
    captured = capsys.readouterr()
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert json.loads(record.read_text())["report"]["bytes"] == pdf.stat().st_size
    assert "Testpatient" not in captured.out + captured.err
    assert f"report: {pdf}" in captured.out and f"audit record: {record}" in captured.out


def test_explain_refuses_a_zero_top(severe_file, model_dir, capsys):
    assert main(["explain", str(severe_file), "--model", str(model_dir), "--top", "0"]) == 2
    assert "--top 0: expected a count >= 1" in capsys.readouterr().err


def test_a_given_powerline_is_recorded_and_reproduced(severe_file, model_dir, tmp_path, capsys):
    record = tmp_path / "a.json"
    assert main(["explain", str(severe_file), "--model", str(model_dir), "--powerline", "50", "--audit",
                 str(record)]) == 0
    data = json.loads(record.read_text())
    assert data["features"]["options"]["powerline"] == 50.0 and data["report"] is None
    capsys.readouterr()
    assert main(["audit", "verify", str(record), "--model", str(model_dir)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("IDENTICAL")


def test_assess_writes_report_and_audit(severe_file, model_dir, tmp_path, capsys):
    pdf, record = tmp_path / "out.pdf", tmp_path / "out.json"
    assert main(["assess", str(severe_file), "--model", str(model_dir), "--json", "--report", str(pdf), "--audit",
                 str(record), "--patient-id", "MRN-000042"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["format"] == "fpcds-assessment"  # stdout stays pure JSON
    assert f"audit record: {record}" in captured.err and "MRN-000042" not in captured.out + captured.err
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert main(["audit", "verify", str(record), "--report", str(pdf)]) == 0
