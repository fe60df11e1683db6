"""The report after page 1: protocol and quality, signals, scores, outputs, explanations, methods, cards, audit.

Each function returns the flowables of one section. A section whose data
the session lacks says what is unavailable and why, instead of being left out.
"""

from __future__ import annotations

import json
import math
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from acquisition.protocol import STANDARD_PROTOCOL
from explain.aggregate import MODALITY_TITLES, REGIONS, by_modality, by_region
from explain.wording import contribution_sentence, describe_feature, effect_phrase, feature_phrase
from models.card import INTENDED_USE, LIMITATIONS, STATEMENT

from . import charts as C
from .context import ReportInputs
from .face import face_figure
from .signals import task_signals
from .styles import grid, markup, para
from .summary import WIDTH, banner

N_TOP = 10
REGION_COLOURS = dict(zip((*REGIONS, "not regional"),
                          (C.colors.HexColor(c) for c in ("#1f618d", "#117a65", "#b9770e", "#943126", "#6c3483",
                                                           "#7f8c8d"))))


def _h1(text: str) -> list[Flowable]:
    return [CondPageBreak(40 * mm), para(text, "h1")]


# ------------------------------------------------------------------ protocol and quality
def protocol_section(inputs: ReportInputs) -> list[Flowable]:
    """Tasks recorded, streams, quality findings, gaps and feature warnings."""
    s = inputs.session
    flow = _h1("1. Protocol and signal quality")
    if s is None:
        return flow + [para("The session's signals were not available to the report; protocol and quality "
                            "details are in the assessment warnings below.", "body")]
    present = {ch.muscle for ch in s.emg.channels} if s.emg is not None else set()
    rows = [[para(h, "cellbold") for h in ("Task", "Repetitions", "Time (s)", "sEMG target muscles recorded")]]
    for task in STANDARD_PROTOCOL.tasks:
        segs = s.segments_for(task.name)
        if not segs:
            rows.append([para(task.title, "cell"), para("not recorded", "warn"), para("", "cell"), para("", "cell")])
            continue
        times = ", ".join(f"{g.start:.1f}-{g.end:.1f}" for g in segs[:4]) + (" ..." if len(segs) > 4 else "")
        if s.emg is None:
            muscles = "no sEMG"
        elif not task.target_muscles:
            muscles = "(rest)"
        else:
            have = [m.replace("_", " ") for m in task.target_muscles if m in present]
            muscles = ", ".join(have) if have else "none of " + ", ".join(m.replace("_", " ")
                                                                          for m in task.target_muscles)
        rows.append([para(task.title, "cell"), para(str(len(segs)), "cell"), para(times, "cell"),
                     para(muscles, "cell")])
    flow.append(grid(rows, [WIDTH * 0.22, WIDTH * 0.12, WIDTH * 0.33, WIDTH * 0.33], zebra=True))
    flow.append(Spacer(1, 4))
    lines = []
    if s.emg is not None:
        chans = ", ".join(ch.name for ch in s.emg.channels)
        lines.append(f"sEMG: {len(s.emg.channels)} channels at {s.emg.sfreq:g} Hz ({chans}).")
    else:
        lines.append("sEMG: not recorded in this session; sEMG features, plots and rule-based sEMG items are "
                     "unavailable and the models rest on facial motion and clinical facts.")
    if s.motion is not None:
        m = s.motion
        lines.append(f"Facial motion: {m.scheme}, {m.n_points} points at {m.sfreq:g} Hz, {m.units}.")
    else:
        lines.append("Facial motion: not recorded in this session; landmark measures, movement plots and the "
                     "motion-based grading items are unavailable and the models rest on sEMG and clinical facts.")
    for d in s.provenance.devices:
        lines.append(f"Device: {d}")
    flow += [para(x, "small") for x in lines]
    flow.append(para("Quality findings", "h2"))
    issues = list(s.quality)
    if issues:
        rows = [[para(h, "cellbold") for h in ("Severity", "Stream", "Finding")]]
        rows += [[para(q.severity, "cell"), para(q.stream + (f" {q.channel}" if q.channel else ""), "cell"),
                  para(q.message, "cell")] for q in issues]
        flow.append(grid(rows, [WIDTH * 0.12, WIDTH * 0.18, WIDTH * 0.7]))
    else:
        flow.append(para("No data-quality findings were recorded with the session.", "small"))
    gaps = list(s.gaps)
    if gaps:
        total = sum(g.end - g.start for g in gaps)
        flow.append(para(f"Gaps ({len(gaps)}, {total:.1f} s in total): " + "; ".join(
            f"{g.stream} {g.start:.1f}-{g.end:.1f} s{(' (' + g.reason + ')') if g.reason else ''}"
            for g in gaps[:12]) + (" ..." if len(gaps) > 12 else ""), "small"))
    else:
        flow.append(para("No gaps (dropouts or lost face) in the recording.", "small"))
    warnings = inputs.table.warnings
    if warnings:
        flow.append(para("Notes of the feature computation", "h2"))
        flow += [para(f"- {w.message}", "small") for w in warnings]
    return flow


# ------------------------------------------------------------------ signals
def _side_colour(inputs: ReportInputs, side: str) -> Any:
    return C.AFFECTED if side == inputs.assessment.affected_side else C.HEALTHY


def signals_section(inputs: ReportInputs) -> list[Flowable]:
    """The face diagram and per-task sEMG envelopes and landmark movements, left vs right."""
    s = inputs.session
    flow = _h1("2. Signals per task")
    if s is None:
        return flow + [para("The session's signals were not available to the report.", "body")]
    panels = inputs.face_panels
    if panels:
        flow.append(face_figure(panels, width=WIDTH, affected_side=inputs.assessment.affected_side,
                                side_known=inputs.assessment.affected_side_source != "unknown"))
    side_note = {"subject": " (affected)", "inferred": " (affected, inferred)", "unknown": " (affected side unknown)"}
    from .face import GAIN

    side = inputs.assessment.affected_side
    flow.append(para(f"Red: the {side} side{side_note[inputs.assessment.affected_side_source]}"
                     "; blue: the other side. Faces in the clinician's view (the patient's right on the left), on a "
                     f"reference face: arrows show each landmark's movement from rest at the task's peak (x{GAIN:g}); "
                     "circles mark the target muscles' approximate electrode sites with their sEMG during the task "
                     "relative to rest. Plots: grey bands are the task repetitions; sEMG is the linear envelope "
                     "(rectified, 6 Hz low-pass) after the cleaning filter of the methods section.", "small"))
    half = WIDTH / 2 - 2
    h = 30 * mm
    rows = []
    for ts in task_signals(s, parameters=inputs.table.record.parameters):
        if ts.emg:
            series = [C.Series(tr.label, tr.times, tr.values, _side_colour(inputs, tr.side),
                               dashed=i >= 2) for i, tr in enumerate(ts.emg)]
            left = C.line_plot(series, width=half, height=h, title=f"{ts.title}: sEMG envelope",
                               y_label="µV", x_range=ts.window, spans=ts.repetitions)
        else:
            left = C.note_box(ts.emg_note, width=half, height=h, title=f"{ts.title}: sEMG")
        if ts.motion:
            series = [C.Series(tr.label, tr.times, tr.values, _side_colour(inputs, tr.side)) for tr in ts.motion]
            right = C.line_plot(series, width=half, height=h, title=f"{ts.title}: {ts.motion_label}",
                                y_label="mm", x_range=ts.window, spans=ts.repetitions, zero_line=True)
        else:
            right = C.note_box(ts.motion_note, width=half, height=h, title=f"{ts.title}: movement")
        rows.append([left, right])
    if not rows:
        return flow + [para("The session has no protocol task segments: no per-task plots.", "body")]
    table = Table(rows, colWidths=[WIDTH / 2, WIDTH / 2])
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    flow.append(table)
    return flow


# ------------------------------------------------------------------ rule-based scores
def _score(v: Any) -> str:
    if v is None:
        return "n/a"
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 or abs(v) >= 10 else f"{v:.1f}"


def scores_section(inputs: ReportInputs) -> list[Flowable]:
    """Every item of the rule-based scales with its finding, rule and inputs."""
    flow = _h1("3. Rule-based scores (measured, no machine learning)")
    rb = inputs.assessment.rule_based
    if not rb:
        return flow + [para("Rule-based scores were not computed for this session.", "body")]
    flow.append(para(f"Thresholds of {rb['rules_version']}; each item shows the rule as applied and the measured "
                     "inputs, so it can be checked by hand. Items whose inputs are missing are not assessable.",
                     "small"))
    titles = {"house_brackmann": "House-Brackmann (measured form)", "sunnybrook": "Sunnybrook Facial Grading System",
              "eface": "eFACE (automated form)"}
    for key in ("house_brackmann", "sunnybrook", "eface"):
        scale = rb.get(key)
        if not scale:
            continue
        subs = ", ".join(f"{k.replace('_', ' ')} {_score(v if v is None else round(v, 1))}"
                         for k, v in scale["subscores"].items())
        block = [para(f"{titles[key]}: {scale['label']}", "h2"), para(f"Sub-scores: {subs}", "small")]
        rows = [[para(h, "cellbold") for h in ("Item", "Score", "Finding", "Rule and inputs")]]
        for item in scale["items"]:
            inputs_text = "; ".join(
                describe_feature(n, math.nan if v is None else v, _unit(n), sides=inputs.sides)
                for n, v in item["inputs"].items())
            rows.append([para(item["name"].replace("_", " "), "cell"), para(_score(item["score"]), "cell"),
                         para(item["finding"], "cell"),
                         markup(f"{escape(item['rule'])}<br/><font color='#566573'>{escape(inputs_text)}</font>",
                                "tiny")])
        block.append(grid(rows, [WIDTH * 0.18, WIDTH * 0.07, WIDTH * 0.2, WIDTH * 0.55], zebra=True))
        flow += block
    return flow


def _unit(name: str) -> str:
    from explain.wording import catalogue_units

    return catalogue_units().get(name, "")


# ------------------------------------------------------------------ model outputs
def outputs_section(inputs: ReportInputs) -> list[Flowable]:
    """Every model output with probabilities, intervals, model ids and conditions."""
    a = inputs.assessment
    o = a.outputs
    flow = _h1("4. Model outputs")
    flow.append(para(f"Evidence: {a.evidence.replace('_', ' ')} ({', '.join(a.modalities)}); features available: "
                     + ", ".join(f"{k} {v}" for k, v in a.features_available.items())
                     + f". Model set {a.model_set['set_version']}: {a.model_set['statement']}.", "small"))
    hb = o["hb_grade"]
    charts_row = [C.probability_bars(hb.probabilities, width=WIDTH * 0.32, height=34 * mm,
                                     title="House-Brackmann grade probabilities", highlight=hb.argmax_grade)]
    rb = a.rule_based or {}
    sb = o["sunnybrook"]
    ref = (rb.get("sunnybrook") or {}).get("total")
    sb_plot = C.interval_plot(sb.value, sb.lower, sb.upper, low=0, high=100, width=WIDTH * 0.32,
                              title="Sunnybrook composite (80% interval)", unit="points",
                              reference=ref, reference_label="rule-based" if ref is not None else "")
    wk = o["weeks_to_recovery"]
    high = max(26.0, float(math.ceil(max(wk.upper, 1.0) / 13.0) * 13))
    wk_plot = C.interval_plot(wk.value, wk.lower, wk.upper, low=0, high=high, width=WIDTH * 0.32,
                              title="Weeks from onset to recovery (80%)", unit="weeks")
    stack = Table([[sb_plot], [wk_plot]], colWidths=[WIDTH * 0.33])
    stack.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)]))
    t = Table([[charts_row[0], stack]], colWidths=[WIDTH * 0.4, WIDTH * 0.6])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    flow.append(t)
    rows = [[para(h, "cellbold") for h in ("Output", "Value", "Details", "Model")]]
    refs = {m.id: m for m in a.models}
    for model_id, out in o.items():
        title = inputs.explanation[model_id].title
        if out.to_dict()["kind"] == "grade":
            value = f"grade {out.argmax_grade} (p = {out.argmax_probability:.2f})"
            details = ", ".join(f"{g}: {p:.2f}" for g, p in out.probabilities.items()) + \
                f"; expected grade {out.expected_grade:.2f}"
        elif out.to_dict()["kind"] == "probability":
            value = f"P({out.event}) = {out.probability:.2f}"
            details = ", ".join(f"{k}: {v:.2f}" for k, v in out.probabilities.items())
        else:
            value = f"{out.value:.1f} {out.unit} ({out.point})"
            details = f"{out.coverage:.0%} interval {out.lower:.1f}-{out.upper:.1f} {out.unit}"
        if getattr(out, "conditional_on", None):
            details += f". {out.conditional_on[0].upper()}{out.conditional_on[1:]}."
        ref_ = refs.get(model_id)
        model = f"{model_id} {ref_.version}<br/>ONNX {ref_.sha256[:16]}..." if ref_ else model_id
        rows.append([para(title, "cell"), para(value, "cellbold"), para(details, "cell"), markup(model, "tiny")])
    flow.append(grid(rows, [WIDTH * 0.22, WIDTH * 0.2, WIDTH * 0.38, WIDTH * 0.2], zebra=True))
    if inputs.healthy_looking:
        flow.append(para("The face looks healthy: the lesion-type and prognosis outputs are conditional on a facial "
                         "palsy and have no clinical meaning here.", "warn"))
    return flow


# ------------------------------------------------------------------ explanations
def _towards_away(model: Any, output: Any) -> tuple[str, str]:
    if model.kind == "multiclass":
        return f"towards grade {output.name}", f"away from grade {output.name}"
    if model.kind == "binary":
        return f"raises P({output.name})", f"lowers P({output.name})"
    return "raises the estimate", "lowers the estimate"


def _explained_line(model: Any, output: Any) -> str:
    return (f"Explained output: {output.published_label} = {output.published:.3g}; in {output.unit}: base value "
            f"{output.base_value:.3f} + contributions {output.value - output.base_value:+.3f} = {output.value:.3f} "
            f"(additivity error vs onnxruntime {output.additivity_error:.1e}). Space: {output.space}.")


def explanation_section(inputs: ReportInputs) -> list[Flowable]:
    """Per model: the top contributions to its headline output, modality and region shares, sentences."""
    e = inputs.explanation
    flow = _h1("5. Explanations of the model outputs (SHAP)")
    flow.append(para(
        f"Method: {e.method}. The values are exact for the deployed model: its LightGBM boosters were checked "
        f"against the ONNX file's hashes and outputs, and base value + contributions equal the ONNX output within "
        f"{e.tolerance:g} for every output (largest error {e.max_additivity_error:.1e}). Contributions are in the "
        "output's calibrated logit or target space, where they add up exactly; a feature that was not available "
        "still contributes through the model's missing-value branch.", "small"))
    context = e.context
    for model_id, model in e.models.items():
        out = model.primary_output
        towards, away = _towards_away(model, out)
        items = [(describe_feature(c.name, c.value, c.unit, sides=inputs.sides, context=context), c.contribution)
                 for c in out.top(N_TOP)]
        chart = C.contribution_chart(items, width=WIDTH, title=f"{out.title}: top {len(items)} contributions",
                                     unit=out.unit, towards=towards, away=away)
        mod = by_modality(out)
        reg = by_region(out)
        mod_bar = C.share_bar([(MODALITY_TITLES[s.group], s.share, C.MODALITY_COLOURS[s.group]) for s in mod],
                              width=WIDTH * 0.48, title="Share by modality (sum of |contributions|)")
        reg_bar = C.share_bar([(s.group, s.share, REGION_COLOURS[s.group]) for s in reg],
                              width=WIDTH * 0.48, title="Share by facial region")
        bars = Table([[mod_bar, reg_bar]], colWidths=[WIDTH * 0.5, WIDTH * 0.5])
        bars.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        sentences = [contribution_sentence(model, out, c, sides=inputs.sides, context=context)
                     for c in out.top(5) if c.contribution != 0.0]
        block: list[Flowable] = [para(f"{model.title} ({model_id})", "h2"), para(_explained_line(model, out), "tiny"),
                                 chart, bars]
        block += [para(f"- {x}", "small") for x in sentences]
        if model.conditional:
            block.append(para(f"Note: {model.conditional}.", "tiny"))
        flow.append(KeepTogether(block[:4]))
        flow += block[4:]
        flow.append(Spacer(1, 4))
    flow += _other_outputs(inputs)
    flow += [CondPageBreak(45 * mm), para("All explained outputs", "h2")]
    rows = [[para(h, "cellbold") for h in ("Output", "Published", "Base", "Sum of SHAP", "Explained value",
                                            "Additivity error", "Largest contribution")]]
    for model in e.models.values():
        for out in model.outputs:
            top = out.top(1)
            top_text = (f"{feature_phrase(top[0].name, inputs.sides)}: {effect_phrase(model, out, top[0].contribution)}"
                        if top else "")
            rows.append([para(out.key, "cell"), para(f"{out.published_label} {out.published:.3g}", "cell"),
                         para(f"{out.base_value:.3f}", "cell"), para(f"{out.value - out.base_value:+.3f}", "cell"),
                         para(f"{out.value:.3f} {out.unit}", "cell"), para(f"{out.additivity_error:.1e}", "cell"),
                         para(top_text, "tiny")])
    flow.append(grid(rows, [WIDTH * w for w in (0.2, 0.13, 0.08, 0.09, 0.12, 0.08, 0.3)], zebra=True))
    return flow


def _other_outputs(inputs: ReportInputs) -> list[Flowable]:
    """Compact charts of the top contributions to every output that is not a model's headline."""
    e = inputs.explanation
    charts = []
    for model in e.models.values():
        for out in model.outputs:
            if out.name == model.primary:
                continue
            towards, away = _towards_away(model, out)
            items = [(feature_phrase(c.name, inputs.sides), c.contribution) for c in out.top(5)]
            charts.append(C.contribution_chart(items, width=WIDTH / 2 - 6, title=f"{out.title} ({out.published_label}"
                                               f" {out.published:.3g})", unit=out.unit, towards=towards, away=away,
                                               row=9.5))
    if not charts:
        return []
    rows = [charts[i:i + 2] + [""] * (2 - len(charts[i:i + 2])) for i in range(0, len(charts), 2)]
    table = Table(rows, colWidths=[WIDTH / 2, WIDTH / 2])
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [para("Other outputs: top 5 contributions each", "h2"), table]


# ------------------------------------------------------------------ methods
def methods_section(inputs: ReportInputs) -> list[Flowable]:
    """The processing record's methods text and parameters, and the explanation method."""
    record = inputs.table.record
    flow = _h1("6. Methods")
    flow.append(para(record.methods_text() or "No processing steps were recorded.", "small"))
    flow.append(para(
        "Models: one LightGBM gradient-boosted tree model per output, exported to ONNX in double precision and run "
        "in onnxruntime; the House-Brackmann probabilities are temperature-scaled, binary probabilities Platt-scaled, "
        "intervals conformally calibrated (model cards below). Explanations: exact TreeSHAP of the deployed trees "
        f"({inputs.explanation.method}).", "small"))
    params = ", ".join(f"{k} = {json.dumps(v)}" for k, v in sorted(record.parameters.items()))
    versions = ", ".join(f"{k} {v}" for k, v in sorted(record.versions.items()))
    flow.append(para(f"Parameters: {params}", "tiny"))
    flow.append(para(f"Feature software: {versions}", "tiny"))
    return flow


# ------------------------------------------------------------------ model cards
def _metric_text(metrics: dict[str, Any]) -> str:
    fused = (metrics.get("validation") or {}).get("fused") or next(iter((metrics.get("validation") or {}).values()),
                                                                  {})
    parts = [f"{k} {v:.3f}" for k, v in fused.items() if isinstance(v, (int, float)) and math.isfinite(v)]
    return ", ".join(parts[:6]) or "none recorded"


def cards_section(inputs: ReportInputs) -> list[Flowable]:
    """Model card summaries with the statement, intended use and limits."""
    flow = _h1("7. Model cards")
    flow.append(banner(f"{STATEMENT[0].upper()}{STATEMENT[1:]}."))
    flow.append(Spacer(1, 3))
    flow.append(para(f"Intended use: {INTENDED_USE}", "small"))
    flow.append(para(f"Limitations: {LIMITATIONS}", "small"))
    rows = [[para(h, "cellbold") for h in ("Model", "Version and training", "Inputs", "Calibration",
                                            "Validation (simulated, fused)")]]
    for model_id in inputs.assessment.outputs:
        card = inputs.models[model_id].card
        tr = card.training
        mods = sorted(set(card.feature_modalities))
        rows.append([
            para(f"{card.title} ({model_id})", "cell"),
            para(f"{card.version}; {tr.get('n_sessions', '?')} sessions of {tr.get('n_patients', '?')} patients "
                 f"({tr.get('source', '')}); population: {tr.get('population', '')}; data "
                 f"{str(tr.get('data_sha256', ''))[:16]}...", "tiny"),
            para(f"{len(card.feature_names)} features ({', '.join(mods)})", "tiny"),
            para(str(card.calibration.get("method", "")), "tiny"),
            para(_metric_text(card.metrics), "tiny"),
        ])
    flow.append(grid(rows, [WIDTH * w for w in (0.18, 0.32, 0.15, 0.1, 0.25)], zebra=True))
    return flow


# ------------------------------------------------------------------ audit
def audit_section(inputs: ReportInputs) -> list[Flowable]:
    """Input hashes, model ids and hashes, software, times and the approver."""
    a, e = inputs.assessment, inputs.explanation
    flow = _h1("8. Audit")
    session = inputs.session
    recorded = getattr(session, "recorded_at", None) if session is not None else None
    rows = [[para("Item", "cellbold"), para("Value", "cellbold")]]

    def row(k: str, v: str, style: str = "mono") -> None:
        rows.append([para(k, "cell"), para(v, style)])

    row("Audit record", inputs.audit_id or "none (no audit record was requested)", "cell")
    row("Session file", inputs.session_name, "cell")
    row("Session file SHA-256", inputs.session_file_sha256 or "not given")
    row("Session content SHA-256", a.session_sha256 or "not computed")
    row("Model set", f"{a.model_set['set_version']}; manifest SHA-256 {a.model_set['manifest_sha256']}")
    for ref in a.models:
        row(f"Model {ref.id} {ref.version}", f"ONNX {ref.sha256}; training data {ref.training_data_sha256}; "
                                             f"code {ref.code_version}")
    row("Rules", f"{(a.rule_based or {}).get('rules_version', 'n/a')}")
    row("SHAP values SHA-256", e.values_sha256())
    row("Software", ", ".join(f"{k} {v}" for k, v in {**a.software, **_versions()}.items()), "cell")
    times = [f"capture {recorded or 'not recorded'}", f"inference {a.inferred_at}", f"explanation {e.computed_at}",
             f"report {inputs.created_at}"]
    if inputs.approval is not None:
        times.append(f"approval {inputs.approval.approved_at}")
    row("Times (UTC)", "; ".join(times), "cell")
    row("Approver", inputs.approval.approver if inputs.approval else "not approved yet", "cell")
    flow.append(grid(rows, [WIDTH * 0.25, WIDTH * 0.75]))
    flow.append(para("The report PDF's own SHA-256 is kept in the audit record (it cannot be printed inside the "
                     "document it hashes); `fpcds audit verify RECORD` recomputes the assessment and its explanation "
                     "from the stored inputs.", "tiny"))
    return flow


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("lightgbm", "shap", "reportlab"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out
