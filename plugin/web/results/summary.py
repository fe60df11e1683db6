"""What the results page shows, computed once when the assessment is made (``results.json``).

:func:`page_model` turns the assessment, its explanation and the report
inputs into plain JSON: the headline numbers, the rule-based scores with
every item's inputs in words, per model output the largest SHAP
contributions in clinical wording with the rest summed (so base value plus
bars equals the output), the shares per modality and per facial region,
and the text of the report's first page. The page then only formats
numbers; it never recomputes SHAP.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping
from xml.sax.saxutils import unescape

from explain.aggregate import MODALITY_TITLES, by_modality, by_region, feature_region
from explain.explanation import ModelExplanation, OutputExplanation, feature_context
from explain.wording import (Sides, catalogue_units, contribution_sentence, describe_feature, feature_phrase,
                             format_value, top_sentences)
from models.card import STATEMENT

from .files import RESULTS_FORMAT, RESULTS_VERSION

#: Contributions drawn as their own bar per output; the others are summed into one bar.
TOP_CONTRIBUTIONS = 8
#: Scales of the rule-based scores, in page order.
SCALES = (("house_brackmann", "House-Brackmann (measured)"), ("sunnybrook", "Sunnybrook"), ("eface", "eFACE"))
#: Warning order of the report's first page: outputs, then evidence, then data.
WARNING_ORDER = {"outputs": 0, "evidence": 1, "features": 2}


def num(value: Any) -> float | None:
    """A JSON number: None for NaN, infinities and None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def plain(markup: str) -> str:
    """Text of a reportlab markup string (tags removed, entities decoded)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", markup), {"&bull;": "•", "&nbsp;": " "}).split())


def summary_block(assessment: Any) -> dict[str, Any]:
    """The headline numbers of the assessment, exactly as the Assessment holds them."""
    o = assessment.outputs
    hb, sb, les, syn = o["hb_grade"], o["sunnybrook"], o["lesion"], o["synkinesis"]
    rec, wk = o["recovery_6mo"], o["weeks_to_recovery"]
    codes = {w.code for w in assessment.warnings}
    return {
        "hb_grade": {"grade": hb.argmax_grade, "probability": hb.argmax_probability,
                     "expected_grade": hb.expected_grade, "probabilities": dict(hb.probabilities)},
        "sunnybrook": {"value": sb.value, "lower": sb.lower, "upper": sb.upper, "coverage": sb.coverage,
                       "unit": sb.unit},
        "lesion": {"central": les.probability, "peripheral": les.probabilities.get("peripheral", 1 - les.probability),
                   "conditional_on": les.conditional_on},
        "synkinesis": {"probability": syn.probability, "conditional_on": syn.conditional_on},
        "recovery_6mo": {"probability": rec.probability, "conditional_on": rec.conditional_on},
        "weeks_to_recovery": {"value": wk.value, "lower": wk.lower, "upper": wk.upper, "coverage": wk.coverage,
                              "unit": wk.unit, "conditional_on": wk.conditional_on},
        "affected_side": assessment.affected_side,
        "affected_side_source": assessment.affected_side_source,
        "evidence": assessment.evidence,
        "modalities": list(assessment.modalities),
        "features_available": dict(assessment.features_available),
        "healthy_looking": "outputs.healthy_looking" in codes,
    }


def warnings_block(assessment: Any) -> list[dict[str, str]]:
    """Every warning, most important first (as on the report's first page)."""
    items = sorted(assessment.warnings, key=lambda w: WARNING_ORDER.get(w.code.split(".")[0], 3))
    return [{"code": w.code, "message": w.message} for w in items]


def _inputs(inputs: Mapping[str, Any], sides: Sides) -> list[dict[str, Any]]:
    units = catalogue_units()
    out = []
    for name, value in inputs.items():
        v = num(value)
        unit = units.get(name, "")
        out.append({"feature": name, "phrase": feature_phrase(name, sides), "value": v,
                    "text": format_value(math.nan if v is None else v, unit)})
    return out


def rule_based_block(rule_based: Mapping[str, Any] | None, sides: Sides) -> dict[str, Any] | None:
    """The rule-based scales with each item's score, finding, rule and measured inputs in words."""
    if not rule_based:
        return None
    scales = []
    for key, title in SCALES:
        scale = rule_based.get(key)
        if not scale:
            continue
        items = [{"name": it["name"], "score": num(it.get("score")), "finding": it.get("finding", ""),
                  "rule": it.get("rule", ""), "inputs": _inputs(it.get("inputs") or {}, sides)}
                 for it in scale.get("items") or []]
        scales.append({"scale": key, "title": title, "total": num(scale.get("total")), "label": scale.get("label", ""),
                       "subscores": {k: num(v) for k, v in (scale.get("subscores") or {}).items()}, "items": items})
    return {"rules_version": rule_based.get("rules_version"), "scales": scales}


def _shares(shares: tuple[Any, ...], titles: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    return [{"group": s.group, "title": (titles or {}).get(s.group, s.group), "total": s.total,
             "magnitude": s.magnitude, "share": s.share, "n_features": s.n_features} for s in shares]


def output_block(model: ModelExplanation, out: OutputExplanation, *, sides: Sides,
                 context: Mapping[str, float], top: int = TOP_CONTRIBUTIONS) -> dict[str, Any]:
    """One explained output: base value, output, the largest contributions in words and the rest summed."""
    largest = [c for c in out.top(top) if c.contribution != 0.0]
    shown = {c.name for c in largest}
    rest = [c for c in out.contributions() if c.name not in shown]
    bars = [{"feature": c.name, "modality": c.modality, "region": feature_region(c.name),
             "value": num(c.value), "contribution": c.contribution,
             "label": describe_feature(c.name, c.value, c.unit, sides=sides, context=context),
             "sentence": contribution_sentence(model, out, c, sides=sides, context=context)} for c in largest]
    return {
        "name": out.name, "title": out.title, "unit": out.unit, "space": out.space, "primary": out.name == model.primary,
        "base_value": out.base_value, "value": out.value, "published": num(out.published),
        "published_label": out.published_label, "additivity_error": out.additivity_error,
        "bars": bars,
        "rest": {"count": len(rest), "contribution": float(sum(c.contribution for c in rest))},
        "by_modality": _shares(by_modality(out), MODALITY_TITLES),
        "by_region": _shares(by_region(out)),
    }


def explanations_block(explanation: Any, *, order: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per model (in ``order``), its outputs as :func:`output_block`, the headline output first."""
    sides = Sides(explanation.affected_side, explanation.affected_side_source)
    context = feature_context(explanation)
    models = []
    for model_id in order:
        model = explanation[model_id]
        outputs = sorted(model.outputs, key=lambda o: o.name != model.primary)
        models.append({"model": model_id, "title": model.title, "kind": model.kind, "version": model.version,
                       "sha256": model.sha256, "conditional": model.conditional, "primary": model.primary,
                       "outputs": [output_block(model, o, sides=sides, context=context) for o in outputs]})
    return models


def report_summary(inputs: Any) -> dict[str, Any]:
    """The text of the report's first page: status, headline, central alert, drivers, care plan.

    Parameters
    ----------
    inputs : explain.report.ReportInputs
        The inputs the report was rendered from.
    """
    from explain.report.context import care_plan
    from explain.report.summary import forehead_text, headline

    a = inputs.assessment
    les = a.outputs["lesion"]
    alert = None
    if not inputs.healthy_looking and les.probability >= 0.5:
        alert = (f"Central (supranuclear) palsy suspected: P(central) = {les.probability:.2f}; {forehead_text(inputs)}. "
                 "This is an emergency (stroke work-up), not a rehabilitation plan.")
    plan, status = care_plan(inputs)
    activities = [] if plan is None else [
        {"code": act.code, "title": act.title, "urgent": bool(act.urgent),
         "schedule": act.schedule.text if act.schedule is not None else None} for act in plan.activities]
    drivers = top_sentences(inputs.explanation["hb_grade"], sides=inputs.sides, context=inputs.explanation.context,
                            n=3)
    return {
        "status": "PRELIMINARY - awaiting review and approval by the responsible clinician",
        "headline": plain(headline(inputs)),
        "central_alert": alert,
        "forehead": forehead_text(inputs),
        "drivers": drivers,
        "care_plan": {"status": status, "pathway": plan.pathway if plan is not None else None,
                      "activities": activities},
    }


def page_model(run: Any, done: Any, inputs: Any, *, session_title: str, session_file: str, session_file_sha256: str,
               subject_overrides: Mapping[str, Mapping[str, Any]], files: Mapping[str, str],
               timings_s: Mapping[str, float]) -> dict[str, Any]:
    """The content of ``results.json``.

    Parameters
    ----------
    run : plugin.cli.assess.AssessRun
    done : explain.pipeline.ReportedAssessment
    inputs : explain.report.ReportInputs
        As the report was rendered (for the first page's text).
    session_title : str
        Name of the session file as imported.
    session_file, session_file_sha256 : str
        The file that was assessed (name in the assessment folder) and its SHA-256.
    subject_overrides : mapping
        ``name -> {value, recorded}`` of the subject facts replaced.
    files : mapping
        ``file name -> SHA-256`` of the files written before ``results.json``.
    timings_s : mapping
        Seconds per stage.
    """
    a, session, models = run.assessment, run.session, run.models
    card = next(iter(models.models.values())).card
    sides = Sides(a.affected_side, a.affected_side_source)
    return {
        "format": RESULTS_FORMAT, "version": RESULTS_VERSION,
        "statement": STATEMENT,
        "model_card": {"statement": card.statement, "intended_use": card.intended_use,
                       "limitations": card.limitations},
        "session": {"title": session_title, "file": session_file, "file_sha256": session_file_sha256,
                    "content_sha256": a.session_sha256, "recorded_at": session.recorded_at,
                    "protocol": session.protocol, "duration_s": session.duration, "modalities": list(a.modalities)},
        "subject_overrides": {k: dict(v) for k, v in subject_overrides.items()},
        "inferred_at": a.inferred_at,
        "audit_id": done.audit.id,
        "model_set": dict(a.model_set),
        "models": [m.to_dict() for m in a.models],
        "summary": summary_block(a),
        "warnings": warnings_block(a),
        "rule_based": rule_based_block(a.rule_based, sides),
        "explanation": {"method": done.explanation.method, "tolerance": done.explanation.tolerance,
                        "max_additivity_error": done.explanation.max_additivity_error,
                        "computed_at": done.explanation.computed_at,
                        "models": explanations_block(done.explanation, order=tuple(a.outputs))},
        "report": {"file": "report.pdf", "created_at": inputs.created_at,
                   "sha256": done.audit.report["sha256"], "bytes": done.audit.report["bytes"],
                   "summary": report_summary(inputs)},
        "files": dict(files),
        "timings_s": {k: round(v, 3) for k, v in timings_s.items()},
    }
