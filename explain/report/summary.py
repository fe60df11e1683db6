"""Page 1: what a physician reads in a minute.

Status and the simulated-data statement, patient and session, the grade,
lesion type and prognosis next to the rule-based measurement, the key
asymmetries, what drove the grade, warnings and the care-plan status.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from acquisition.protocol import STANDARD_PROTOCOL
from explain.wording import format_value, top_sentences
from models.card import STATEMENT

from .context import ReportInputs, care_plan
from .styles import BANNER, LINE, WARNING_RED, grid, markup, para

WIDTH = 180 * mm
#: Key asymmetries: (title, task, motion quantity, motion unit, sEMG muscle).
KEY_MOVEMENTS = (
    ("Brow lift", "brow_raise", "motion.brow_height.excursion", "frontalis_lateral"),
    ("Eye closure (tight)", "tight_eye_closure", "motion.fissure.excursion", "orbicularis_oculi"),
    ("Nose wrinkle (nasolabial)", "snarl", "motion.nasolabial.excursion", "levator_labii"),
    ("Mouth corner, big smile", "smile_open", "motion.commissure_displacement.excursion", "zygomaticus"),
    ("Lip pucker", "pucker", "motion.commissure_displacement.excursion", "orbicularis_oris"),
    ("Lower lip, 'eee'", "eee", "motion.lower_lip.excursion", "depressor_anguli_oris"),
)


def _status(inputs: ReportInputs) -> Flowable:
    if inputs.approval is not None:
        text = (f"<b>Status: APPROVED</b> by {escape(inputs.approval.approver)} on "
                f"{escape(inputs.approval.approved_at)}")
    else:
        text = "<b>Status: PRELIMINARY</b> - awaiting review and approval by the responsible clinician"
    return markup(text, "body")


def headline(inputs: ReportInputs) -> str:
    """The assessment in one sentence (markup)."""
    o = inputs.assessment.outputs
    hb, sb, les, rec = o["hb_grade"], o["sunnybrook"], o["lesion"], o["recovery_6mo"]
    rb = inputs.assessment.rule_based or {}
    rule = (rb.get("house_brackmann") or {}).get("label", "not computed").split(" (")[0]
    if inputs.healthy_looking:
        return (f"<b>No facial palsy found by the models</b>: P(House-Brackmann I) = {hb.probabilities['I']:.2f} "
                f"(rule-based: {escape(rule)}); Sunnybrook {sb.value:.0f}/100.")
    s = inputs.sides
    side = s.affected.capitalize() if s.source != "unknown" else "Side unknown:"
    if les.probability >= 0.5:
        kind = f"<font color='#922b21'>central (supranuclear) palsy suspected, P = {les.probability:.2f}</font>"
    else:
        kind = "peripheral facial palsy"
    return (f"<b>{side} {kind}, House-Brackmann grade {hb.argmax_grade}</b> (model, p = {hb.argmax_probability:.2f}; "
            f"rule-based {escape(rule)}); Sunnybrook composite {sb.value:.0f}/100; "
            f"P(complete recovery by 6 months) = {rec.probability:.2f}.")


def central_alert(inputs: ReportInputs) -> list[Flowable]:
    """A red box when a central palsy is suspected (an emergency), else nothing."""
    les = inputs.assessment.outputs["lesion"]
    if inputs.healthy_looking or les.probability < 0.5:
        return []
    return [banner(f"Central (supranuclear) palsy suspected: P(central) = {les.probability:.2f}; "
                   f"{forehead_text(inputs)}. This is an emergency (stroke work-up), not a rehabilitation plan."),
            Spacer(1, 3)]


def forehead_text(inputs: ReportInputs) -> str:
    """Forehead movement of the affected side, the clinical sign of a central (forehead-sparing) lesion."""
    t = inputs.table
    ratio = t.get("motion.brow_height.excursion_ratio.brow_raise")
    what = "brow lift"
    if not math.isfinite(ratio):
        ratio, what = t.get("emg.frontalis_lateral.rms_ratio.brow_raise"), "frontalis sEMG in brow raise"
    if not math.isfinite(ratio):
        return "forehead movement not measured"
    if inputs.healthy_looking:
        return f"forehead: {what} {ratio:.0%} of the other side"
    spared = "relatively spared (a sign of a central lesion)" if ratio >= 0.6 else "not spared"
    return f"forehead: {what} {ratio:.0%} of the healthy side, {spared}"


def banner(text: str) -> Table:
    """A boxed red statement."""
    t = Table([[para(text, "banner")]], colWidths=[WIDTH])
    t.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, WARNING_RED), ("BACKGROUND", (0, 0), (-1, -1), BANNER),
                           ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    return t


def _streams(session: Any) -> str:
    if session is None:
        return "not available to the report"
    parts = []
    if session.emg is not None:
        parts.append(f"sEMG {len(session.emg.channels)} channels at {session.emg.sfreq:g} Hz")
    else:
        parts.append("no sEMG")
    if session.motion is not None:
        m = session.motion
        parts.append(f"facial motion ({m.scheme}, {m.n_points} points) at {m.sfreq:g} Hz")
    else:
        parts.append("no facial motion")
    return "; ".join(parts) + f"; {session.duration:.0f} s"


def _side_words(inputs: ReportInputs) -> str:
    a = inputs.assessment
    unclear = any(w.code == "features.side.unclear" for w in a.warnings)
    how = {"subject": "as recorded", "inferred": "inferred: it moves less",
           "unknown": "unknown; 'affected' features describe the left"}[a.affected_side_source]
    if unclear and a.affected_side_source == "inferred":
        how = "no clear asymmetry; the left/right features call it affected"
    return f"{a.affected_side} ({how})"


def identity_table(inputs: ReportInputs) -> Table:
    """Patient (as given by the caller) and session."""
    p = inputs.patient
    given = lambda v: escape(v) if v else "<font color='#7f8c8d'>not given</font>"  # noqa: E731
    session = inputs.session
    recorded = getattr(session, "recorded_at", None) if session is not None else None
    protocol = getattr(session, "protocol", "") if session is not None else ""
    left = [markup(f"<b>Patient</b> {given(p.name)}", "cell"),
            markup(f"<b>Identifier</b> {given(p.identifier)}", "cell"),
            markup(f"<b>Birth date</b> {given(p.birth_date)}", "cell"),
            markup(f"<b>Affected side</b> {escape(_side_words(inputs))}", "cell")]
    right = [markup(f"<b>Session</b> {escape(inputs.session_name)}", "cell"),
             markup(f"<b>Recorded</b> {escape(recorded) if recorded else 'time not recorded'}; "
                    f"protocol {escape(protocol)}", "cell"),
             markup(f"<b>Streams</b> {escape(_streams(session))}", "cell"),
             markup(f"<b>Report</b> {escape(inputs.created_at)}; inference {escape(inputs.assessment.inferred_at)}",
                    "cell")]
    rows = [[a, b] for a, b in zip(left, right)]
    t = Table(rows, colWidths=[WIDTH * 0.42, WIDTH * 0.58])
    t.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return t


def _rb(inputs: ReportInputs, scale: str) -> str:
    rb = inputs.assessment.rule_based
    if not rb or not rb.get(scale):
        return "not computed"
    return rb[scale]["label"]


def results_table(inputs: ReportInputs) -> Table:
    """Model estimates next to the rule-based measurements."""
    o = inputs.assessment.outputs
    healthy = inputs.healthy_looking
    hb, sb = o["hb_grade"], o["sunnybrook"]
    rows = [[para("", "cellbold"), para("Model estimate", "cellbold"), para("Rule-based, from the measures",
                                                                            "cellbold")]]
    rows.append([para("House-Brackmann grade", "cellbold"),
                 markup(f"<b>{hb.argmax_grade}</b> (p = {hb.argmax_probability:.2f}); expected grade "
                        f"{hb.expected_grade:.1f}", "cell"),
                 para(_rb(inputs, "house_brackmann"), "cell")])
    rows.append([para("Sunnybrook composite", "cellbold"),
                 markup(f"<b>{sb.value:.0f}</b> / 100 ({sb.coverage:.0%} interval {sb.lower:.0f}-{sb.upper:.0f})",
                        "cell"),
                 para(_rb(inputs, "sunnybrook"), "cell")])
    rows.append([para("eFACE", "cellbold"), para("(no model)", "cell"), para(_rb(inputs, "eface"), "cell")])
    les = o["lesion"]
    lesion_text = (f"<b>{'central' if les.probability >= 0.5 else 'peripheral'}</b> "
                   f"(P(central) = {les.probability:.2f})")
    if les.probability >= 0.5:
        lesion_text = f"<font color='#922b21'>{lesion_text}: central palsy suspected</font>"
    if healthy:
        lesion_text = f"not meaningful (face looks healthy); P(central) = {les.probability:.2f}"
    rows.append([para("Lesion type", "cellbold"), markup(lesion_text, "cell"), para(forehead_text(inputs), "cell")])
    syn = o["synkinesis"]
    rb = inputs.assessment.rule_based
    syn_rb = "not computed"
    if rb and rb.get("sunnybrook"):
        value = rb["sunnybrook"]["subscores"].get("synkinesis")
        syn_rb = f"Sunnybrook synkinesis {value:.0f} / 15" if value is not None else "Sunnybrook synkinesis n/a"
    rows.append([para("Synkinesis", "cellbold"), markup(f"P(present) = <b>{syn.probability:.2f}</b>", "cell"),
                 para(syn_rb, "cell")])
    rec, wk = o["recovery_6mo"], o["weeks_to_recovery"]
    prog = (f"P(complete recovery by 6 months) = <b>{rec.probability:.2f}</b>; median <b>{wk.value:.0f}</b> weeks "
            f"from onset ({wk.coverage:.0%} interval {wk.lower:.0f}-{wk.upper:.0f})")
    if healthy:
        prog = "not meaningful (face looks healthy)"
    rows.append([para("Prognosis", "cellbold"), markup(prog, "cell"), para("(no rule)", "cell")])
    return grid(rows, [WIDTH * 0.2, WIDTH * 0.48, WIDTH * 0.32], header=True)


def asymmetry_rows(inputs: ReportInputs) -> list[list]:
    """Rows of the key-asymmetry table (movement and sEMG per key task), only those measured."""
    t = inputs.table
    s = inputs.sides
    rows = []
    for title, task, base, muscle in KEY_MOVEMENTS:
        a, h = t.get(f"{base}_affected.{task}"), t.get(f"{base}_healthy.{task}")
        if math.isfinite(a) and math.isfinite(h):
            ratio = abs(a) / abs(h) if abs(h) > 0.5 else math.nan
            rows.append([para(f"{title}: movement", "cell"), para(format_value(abs(a), "mm"), "cell"),
                         para(format_value(abs(h), "mm"), "cell"),
                         para(f"{ratio:.0%}" if math.isfinite(ratio) else "n/a", "cell")])
        a, h = t.get(f"emg.{muscle}.rms_affected.{task}"), t.get(f"emg.{muscle}.rms_healthy.{task}")
        if math.isfinite(a) and math.isfinite(h):
            ratio = a / h if h > 0 else math.nan
            rows.append([para(f"{title}: {muscle.replace('_', ' ')} sEMG", "cell"),
                         para(format_value(a, "uV"), "cell"), para(format_value(h, "uV"), "cell"),
                         para(f"{ratio:.0%}" if math.isfinite(ratio) else "n/a", "cell")])
    if rows:
        known = s.source != "unknown"
        header = [para("Key asymmetries", "cellbold"),
                  para(f"{s.affected} ({'affected' if known else 'presumed'})", "cellbold"),
                  para(f"{s.healthy} ({'healthy' if known else 'other side'})", "cellbold"),
                  para("affected / healthy", "cellbold")]
        rows.insert(0, header)
    return rows


def warnings_block(inputs: ReportInputs) -> list[Flowable]:
    """Warnings of the assessment, most important first (central suspicion, healthy face, evidence, data)."""
    order = {"outputs": 0, "evidence": 1, "features": 2}
    items = sorted(inputs.assessment.warnings, key=lambda w: order.get(w.code.split(".")[0], 3))
    if not items:
        return [para("No warnings: both signal modalities present, no data-quality findings.", "small")]
    shown = items[:6]
    out = [markup(f"&bull; {escape(w.message)}", "warn") for w in shown]
    if len(items) > len(shown):
        out.append(para(f"... and {len(items) - len(shown)} more data-quality notes (page 2).", "small"))
    return out


def care_plan_block(inputs: ReportInputs) -> list[Flowable]:
    """Care-plan proposal status and its activities in one line each."""
    plan, status = care_plan(inputs)
    out = [markup(f"<b>Care plan:</b> {escape(status)}", "body")]
    if plan is not None:
        for act in plan.activities:
            urgent = ("<font color='#922b21'><b>URGENT</b></font> " if act.urgent
                      and not act.title.upper().startswith("URGENT") else "")
            when = f" - {escape(act.schedule.text)}" if act.schedule is not None else ""
            out.append(markup(f"&bull; {urgent}{escape(act.title)}{when}", "small"))
    return out


def drivers_block(inputs: ReportInputs) -> list[Flowable]:
    """The three largest contributions to the predicted grade, in words."""
    model = inputs.explanation["hb_grade"]
    out = model.primary_output
    lines = top_sentences(model, sides=inputs.sides, context=inputs.explanation.context, n=3)
    head = (f"<b>What drove the grade</b> (SHAP, largest contributions to the logit of grade {out.name}; "
            "explanations of every output follow the model outputs):")
    return [markup(head, "body")] + [markup(f"&bull; {escape(line)}", "small") for line in lines]


class IfFits(Flowable):
    """Flowables drawn only when all of them fit in the space left on the page (else nothing)."""

    def __init__(self, flowables: list[Flowable]) -> None:
        super().__init__()
        self.flowables = flowables
        self._sizes: list[tuple[float, float]] = []
        self._show = False

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._sizes = [f.wrap(avail_width, avail_height) for f in self.flowables]
        total = sum(h for _, h in self._sizes)
        self._show = total <= avail_height
        return (avail_width, total) if self._show else (avail_width, 0)

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return []

    def draw(self) -> None:
        if not self._show:
            return
        y = sum(h for _, h in self._sizes)
        for f, (w, h) in zip(self.flowables, self._sizes):
            y -= h
            f.drawOn(self.canv, 0, y)


def summary_page(inputs: ReportInputs) -> list[Flowable]:
    """The flowables of page 1."""
    flow: list[Flowable] = [
        para("Facial palsy assessment", "title"),
        para("fpcds decision-support report: facial sEMG and motion, rule-based grading, explained models", "small"),
        Spacer(1, 3),
        banner(f"{STATEMENT[0].upper()}{STATEMENT[1:]}. Every output is a proposal for the clinician to review, "
               "never a diagnosis."),
        Spacer(1, 3),
        _status(inputs),
        Spacer(1, 2),
        markup(headline(inputs), "body"),
        Spacer(1, 3),
        *central_alert(inputs),
        identity_table(inputs),
        Spacer(1, 5),
        results_table(inputs),
        Spacer(1, 5),
    ]
    rows = asymmetry_rows(inputs)
    if rows:
        flow.append(grid(rows, [WIDTH * 0.4, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.2]))
    else:
        flow.append(para("Key asymmetries: no movement or sEMG measure of the key tasks is available.", "small"))
    flow += [Spacer(1, 5), KeepTogether(drivers_block(inputs)), Spacer(1, 4)]
    flow += [markup("<b>Warnings</b>", "body")] + warnings_block(inputs)
    flow += [Spacer(1, 4)] + care_plan_block(inputs)
    if inputs.face_panels:
        from .face import face_figure

        panels = inputs.face_panels
        if panels:
            figure = face_figure(panels, width=WIDTH * 0.8, affected_side=inputs.assessment.affected_side,
                                 side_known=inputs.assessment.affected_side_source != "unknown")
            flow.append(IfFits([Spacer(1, 6), para("Movement and sEMG at the peak of three tasks (red: "
                                                   f"{inputs.assessment.affected_side} side; details on page 2):",
                                                   "small"), figure]))
    tasks = inputs.session.tasks if inputs.session is not None else ()
    missing = [STANDARD_PROTOCOL.task(t).title for t in STANDARD_PROTOCOL.task_names if t not in tasks]
    if inputs.session is not None and missing:
        flow.append(para(f"Protocol tasks not recorded: {', '.join(missing)}.", "small"))
    return flow
