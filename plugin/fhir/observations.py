"""Observations of the grading scales and model outputs of one assessment.

Each value is one Observation with one method, so the rule-based scores
stand beside the model estimates: House-Brackmann by model (grade, its
probability, expected grade) and by the measured form (grade, points);
Sunnybrook by model (composite with its prediction interval) and by rule
(composite with resting, voluntary and synkinesis scores); eFACE by rule;
the central-vs-peripheral and synkinesis probabilities; the recovery
prognosis. Outputs that are conditional on a facial palsy (lesion type,
prognosis) are left out when the face looks healthy.
"""

from __future__ import annotations

from typing import Any, Mapping

from . import ids
from .common import Context, Entry, observation
from .inputs import GRADES
from .terminology import INTERPRETATION, concept, fpcds, quantity

#: Decision threshold of the classification probabilities, in [0, 1].
DECISION_THRESHOLD = 0.5


def component(code: str, value: dict[str, Any], *, text: str | None = None) -> dict[str, Any]:
    """An Observation component with an fpcds code and a Quantity value."""
    coding = fpcds(code)
    return {"code": {"coding": [coding], "text": text or coding["display"]}, "valueQuantity": value}


def model_method(ctx: Context, model_id: str) -> str:
    m = ctx.view.models[model_id]
    return (f"fpcds model {m.id} {m.version} (model set {ctx.view.set_version}; ONNX SHA-256 {m.sha256}): "
            f"gradient-boosted trees on sEMG and facial-motion features; evidence: {ctx.view.evidence_words}.")


def _rules_method(ctx: Context, scale: str, what: str) -> str:
    version = (ctx.view.rule_based or {}).get("rules_version", "unknown")
    label = ctx.view.scale(scale)["label"]  # type: ignore[index]
    return f"fpcds rule-based {what} ({version}): {label}; evidence: {ctx.view.evidence_words}."


def _items_note(scale: Mapping[str, Any]) -> str:
    parts = []
    for item in scale.get("items") or ():
        score = item.get("score")
        shown = "not assessable" if score is None else f"{score:.4g}"
        parts.append(f"{item.get('name')} {shown} ({item.get('finding')})")
    return "Items: " + "; ".join(parts) + "." if parts else ""


def hb_grade_model(ctx: Context) -> Entry:
    out = ctx.view.outputs["hb_grade"]
    grade, probs = out["argmax_grade"], out["probabilities"]
    distribution = ", ".join(f"{g} {100 * probs[g]:.0f}%" for g in GRADES)
    return observation(
        ctx, output="hb-grade/model", profile_id=ids.HB_GRADE, kind="survey",
        code=concept("hb-grade", "House-Brackmann grade (model estimate)"),
        value={"valueCodeableConcept": concept(f"HB-{grade}")},
        method="fusion-model", method_text=model_method(ctx, "hb_grade"),
        title=f"House-Brackmann grade {grade} (model estimate, P = {100 * probs[grade]:.0f}%)",
        notes=[f"Grade probabilities: {distribution}; expected grade {out['expected_grade']:.2f}."],
        components=[component("hb-grade-probability", quantity(100 * probs[grade], "%", digits=1)),
                    component("hb-expected-grade", quantity(out["expected_grade"], "1", digits=2))],
    )


def hb_grade_rules(ctx: Context) -> Entry | None:
    scale = ctx.view.scale("house_brackmann")
    if scale is None:
        return None
    grade = GRADES[int(round(scale["total"])) - 1]
    points = scale["subscores"]["points_affected"]
    return observation(
        ctx, output="hb-grade/rules", profile_id=ids.HB_GRADE, kind="survey",
        code=concept("hb-grade", "House-Brackmann grade (measured form, rule-based)"),
        value={"valueCodeableConcept": concept(f"HB-{grade}")},
        method="rule-based-grading",
        method_text=_rules_method(ctx, "house_brackmann", "House-Brackmann measured form: brow and commissure "
                                  "movement, 1 point per 2.5 mm up to 10 mm each, affected side compared with "
                                  "the healthy side"),
        title=f"House-Brackmann grade {grade} (measured form, rule-based)",
        notes=[_items_note(scale)],
        components=[component("hb-measured-score", quantity(points, "{score}", digits=0))],
    )


def sunnybrook_model(ctx: Context) -> Entry:
    out = ctx.view.outputs["sunnybrook"]
    coverage = f"{100 * out['coverage']:.0f}% prediction interval"
    return observation(
        ctx, output="sunnybrook/model", profile_id=ids.SUNNYBROOK, kind="survey",
        code=concept("sunnybrook-composite", "Sunnybrook composite score (model estimate)"),
        value={"valueQuantity": quantity(out["value"], "{score}", digits=1)},
        method="fusion-model", method_text=model_method(ctx, "sunnybrook"),
        title=f"Sunnybrook composite {out['value']:.0f} (model estimate; {coverage} "
              f"{out['lower']:.0f}-{out['upper']:.0f})",
        notes=[f"The {coverage} is conformally calibrated on simulated data."],
        components=[{"code": {"coding": [fpcds("prediction-interval")], "text": coverage},
                     "valueRange": {"low": quantity(out["lower"], "{score}", digits=1),
                                    "high": quantity(out["upper"], "{score}", digits=1)}}],
    )


def sunnybrook_rules(ctx: Context) -> Entry | None:
    scale = ctx.view.scale("sunnybrook")
    if scale is None:
        return None
    sub = scale["subscores"]
    return observation(
        ctx, output="sunnybrook/rules", profile_id=ids.SUNNYBROOK, kind="survey",
        code=concept("sunnybrook-composite", "Sunnybrook composite score (rule-based)"),
        value={"valueQuantity": quantity(scale["total"], "{score}", digits=1)},
        method="rule-based-grading",
        method_text=_rules_method(ctx, "sunnybrook", "Sunnybrook Facial Grading System: composite = voluntary "
                                  "movement - resting symmetry - synkinesis"),
        title=f"Sunnybrook composite {scale['total']:.0f} (rule-based): resting {sub['resting']:.0f}, voluntary "
              f"{sub['voluntary']:.0f}, synkinesis {sub['synkinesis']:.0f}",
        notes=[_items_note(scale)],
        components=[component(f"sunnybrook-{part}", quantity(sub[part], "{score}", digits=1))
                    for part in ("resting", "voluntary", "synkinesis")],
    )


def eface_rules(ctx: Context) -> Entry | None:
    scale = ctx.view.scale("eface")
    if scale is None:
        return None
    sub = scale["subscores"]
    return observation(
        ctx, output="eface/rules", profile_id=ids.EFACE, kind="survey",
        code=concept("eface-total", "eFACE total score (rule-based)"),
        value={"valueQuantity": quantity(scale["total"], "{score}", digits=1)},
        method="rule-based-grading",
        method_text=_rules_method(ctx, "eface", "auto-eFACE from landmark ratios (100 = normal)"),
        title=f"eFACE total {scale['total']:.0f} (rule-based): static {sub['static']:.0f}, dynamic "
              f"{sub['dynamic']:.0f}, synkinesis {sub['synkinesis']:.0f}",
        notes=[_items_note(scale)],
        components=[component(f"eface-{part}", quantity(sub[part], "{score}", digits=1))
                    for part in ("static", "dynamic", "synkinesis")],
    )


def _interpretation(p: float, positive: str, negative: str) -> dict[str, Any]:
    if p >= DECISION_THRESHOLD:
        coding, text = {"system": INTERPRETATION, "code": "POS", "display": "Positive"}, positive
    else:
        coding, text = {"system": INTERPRETATION, "code": "NEG", "display": "Negative"}, negative
    return {"coding": [coding], "text": f"{text} (decision threshold {100 * DECISION_THRESHOLD:.0f}%)"}


def central_probability(ctx: Context) -> Entry | None:
    if ctx.view.healthy_looking:
        return None
    out = ctx.view.outputs["lesion"]
    p = out["probability"]
    return observation(
        ctx, output="central-palsy-probability", profile_id=ids.PROBABILITY, kind="survey",
        code=concept("central-palsy-probability"), value={"valueQuantity": quantity(100 * p, "%", digits=1)},
        method="fusion-model", method_text=model_method(ctx, "lesion"),
        title=f"Probability of a central (vs peripheral) facial palsy: {100 * p:.0f}%",
        interpretation=_interpretation(p, "central palsy suspected: urgent stroke work-up",
                                       "peripheral palsy more likely"),
        notes=[f"The probability is {out.get('conditional_on') or 'conditional on a facial palsy'}."],
    )


def synkinesis_probability(ctx: Context) -> Entry:
    p = ctx.view.outputs["synkinesis"]["probability"]
    return observation(
        ctx, output="synkinesis-probability", profile_id=ids.PROBABILITY, kind="survey",
        code=concept("synkinesis-probability"), value={"valueQuantity": quantity(100 * p, "%", digits=1)},
        method="fusion-model", method_text=model_method(ctx, "synkinesis"),
        title=f"Probability of synkinesis: {100 * p:.0f}%",
        interpretation=_interpretation(p, "synkinesis likely", "synkinesis unlikely"),
    )


def prognosis(ctx: Context) -> Entry | None:
    if ctx.view.healthy_looking:
        return None
    recovery, weeks = ctx.view.outputs["recovery_6mo"], ctx.view.outputs["weeks_to_recovery"]
    p = recovery["probability"]
    methods = f"{model_method(ctx, 'recovery_6mo')} {model_method(ctx, 'weeks_to_recovery')}"
    return observation(
        ctx, output="recovery-prognosis", profile_id=ids.PROGNOSIS, kind="survey",
        code=concept("recovery-prognosis"), value={}, method="fusion-model", method_text=methods,
        title=f"Recovery prognosis: complete recovery by 6 months {100 * p:.0f}%; median {weeks['value']:.0f} weeks "
              f"from onset to recovery ({100 * weeks['coverage']:.0f}% interval "
              f"{weeks['lower']:.0f}-{weeks['upper']:.0f})",
        notes=[f"Both estimates are {recovery.get('conditional_on') or 'conditional on a facial palsy'}; the weeks "
               f"are the 10th, 50th and 90th percentiles (nominal coverage {100 * weeks['coverage']:.0f}%)."],
        components=[component("complete-recovery-6mo-probability", quantity(100 * p, "%", digits=1)),
                    component("weeks-to-recovery-q10", quantity(weeks["lower"], "wk", digits=1)),
                    component("weeks-to-recovery-q50", quantity(weeks["value"], "wk", digits=1)),
                    component("weeks-to-recovery-q90", quantity(weeks["upper"], "wk", digits=1))],
    )


def score_observations(ctx: Context) -> list[Entry]:
    """Every grading and model-output Observation the assessment supports, in report order."""
    built = [hb_grade_model(ctx), hb_grade_rules(ctx), sunnybrook_model(ctx), sunnybrook_rules(ctx),
             eface_rules(ctx), central_probability(ctx), synkinesis_probability(ctx), prognosis(ctx)]
    return [e for e in built if e is not None]
