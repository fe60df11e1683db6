"""Rule-based grading straight from the measures: Sunnybrook, eFACE, House-Brackmann.

No machine learning: each item is a documented rule on named features, and
each :class:`ScoreItem` keeps the feature values and thresholds it used, so
a clinician can check every number by hand. Scales follow
shared/docs/clinical.md; where the published scale is a visual judgement
(Sunnybrook's "narrow", "almost complete") the thresholds below turn it into
a measurement, and they are fpcds's choice (version ``RULES_VERSION``).

All inputs are oriented features (affected / healthy side, see
:mod:`models.features.names`). An item whose inputs are missing is NaN and
says why; a total with a missing item is NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

RULES_VERSION = "fpcds-rules-1"

#: Sunnybrook voluntary movement: excursion ratio (affected / healthy) lower bounds of scores 2..5.
VOLUNTARY_BOUNDS = ((0.10, 2), (0.30, 3), (0.60, 4), (0.85, 5))
VOLUNTARY_WORDS = {1: "unable to initiate movement", 2: "initiates slight movement",
                   3: "initiated movement with mild excursion", 4: "movement almost complete",
                   5: "movement complete"}
#: Sunnybrook synkinesis, motion: excess eye narrowing (affected - healthy, fraction of rest fissure).
OCULAR_SYNK_BOUNDS = ((0.10, 1), (0.25, 2), (0.50, 3))
#: ... excess commissure displacement (affected - healthy, mm).
ORAL_SYNK_BOUNDS = ((1.0, 1), (2.0, 2), (4.0, 3))
#: ... sEMG: non-target muscle rest-normalised RMS, affected / healthy.
EMG_SYNK_BOUNDS = ((1.5, 1), (2.5, 2), (4.0, 3))
SYNK_WORDS = {0: "none", 1: "mild", 2: "moderate", 3: "severe"}
#: Sunnybrook resting symmetry thresholds.
EYE_RATIO_BAND = (0.85, 1.15)
CHEEK_RATIO_NORMAL = 0.05
CHEEK_RATIO_ABSENT = 1.12
MOUTH_HEIGHT_MM = 2.0
#: House-Brackmann measured form: mm per point and points per measure.
HB_MM_PER_POINT = 2.5
HB_MAX_POINTS = 4
#: Grade by percentage of the healthy side's points (lower bounds): I 100, II 76-99, III 51-75, IV 26-50,
#: V 1-25, VI 0 (with a healthy side of 8 points: I 8/8, II 7, III 5-6, IV 3-4, V 1-2, VI 0).
HB_PERCENT_BOUNDS = ((100.0, "I"), (76.0, "II"), (51.0, "III"), (26.0, "IV"), (1.0, "V"))

#: Sunnybrook expression -> (protocol task, voluntary measure, synkinesis kind).
SUNNYBROOK_EXPRESSIONS: dict[str, tuple[str, str, str]] = {
    "brow_lift": ("brow_raise", "motion.brow_height.excursion_ratio.brow_raise", "oral"),
    "gentle_eye_closure": ("gentle_eye_closure", "motion.fissure.excursion_ratio.gentle_eye_closure", "oral"),
    "open_mouth_smile": ("smile_open", "motion.commissure_displacement.excursion_ratio.smile_open", "ocular"),
    "snarl": ("snarl", "motion.nasolabial.excursion_ratio.snarl", "ocular"),
    "lip_pucker": ("pucker", "motion.commissure_displacement.excursion_ratio.pucker", "ocular"),
}
#: The muscle whose sEMG stands in for a movement when motion is missing ...
VOLUNTARY_EMG_MUSCLES = {"brow_raise": ("frontalis_medial", "frontalis_lateral"),
                         "gentle_eye_closure": ("orbicularis_oculi",), "smile_open": ("zygomaticus", "levator_labii"),
                         "snarl": ("levator_labii",), "pucker": ("orbicularis_oris",)}
#: ... and the non-target muscles watched for synkinesis in each expression.
SYNK_EMG_MUSCLES = {"brow_raise": ("orbicularis_oculi", "zygomaticus"),
                    "gentle_eye_closure": ("zygomaticus", "orbicularis_oris"),
                    "smile_open": ("orbicularis_oculi",), "snarl": ("orbicularis_oris",),
                    "pucker": ("orbicularis_oculi",)}


@dataclass(frozen=True)
class ScoreItem:
    """One graded item with its evidence.

    Attributes
    ----------
    name : str
        E.g. ``'resting.eye'``, ``'voluntary.brow_lift'``.
    score : float
        NaN when the item could not be assessed.
    finding : str
        Words for the score ("narrow", "movement almost complete", "not assessable: ...").
    rule : str
        The rule with its thresholds, as applied.
    inputs : dict
        Feature name -> value used.
    """

    name: str
    score: float
    finding: str
    rule: str
    inputs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": _num(self.score), "finding": self.finding, "rule": self.rule,
                "inputs": {k: _num(v) for k, v in self.inputs.items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoreItem:
        return cls(d["name"], _fnum(d["score"]), d["finding"], d["rule"],
                   {k: _fnum(v) for k, v in d["inputs"].items()})


@dataclass(frozen=True)
class ScaleScore:
    """A grading scale's result.

    Attributes
    ----------
    scale : {'sunnybrook', 'eface', 'house_brackmann'}
    total : float
        Sunnybrook composite (0-100), eFACE total (0-100) or HB grade as a
        number (1-6); NaN when not assessable.
    label : str
        E.g. ``'composite 62'``, ``'grade III'``.
    subscores : dict
        Named parts (Sunnybrook resting / voluntary / synkinesis, ...).
    items : tuple of ScoreItem
    """

    scale: str
    total: float
    label: str
    subscores: dict[str, float]
    items: tuple[ScoreItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "total": _num(self.total), "label": self.label,
                "subscores": {k: _num(v) for k, v in self.subscores.items()},
                "items": [i.to_dict() for i in self.items]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScaleScore:
        return cls(d["scale"], _fnum(d["total"]), d["label"], {k: _fnum(v) for k, v in d["subscores"].items()},
                   tuple(ScoreItem.from_dict(i) for i in d["items"]))


@dataclass(frozen=True)
class Scores:
    """The three rule-based scales of one session."""

    sunnybrook: ScaleScore
    eface: ScaleScore
    house_brackmann: ScaleScore
    rules_version: str = RULES_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {"rules_version": self.rules_version, "sunnybrook": self.sunnybrook.to_dict(),
                "eface": self.eface.to_dict(), "house_brackmann": self.house_brackmann.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scores:
        return cls(ScaleScore.from_dict(d["sunnybrook"]), ScaleScore.from_dict(d["eface"]),
                   ScaleScore.from_dict(d["house_brackmann"]), d["rules_version"])

    @property
    def scales(self) -> tuple[ScaleScore, ...]:
        return (self.sunnybrook, self.eface, self.house_brackmann)


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _fnum(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _missing(name: str, rule: str, inputs: dict[str, float]) -> ScoreItem:
    absent = [k for k, v in inputs.items() if not math.isfinite(v)]
    return ScoreItem(name, math.nan, f"not assessable: missing {', '.join(absent)}", rule, inputs)


def _band(value: float, bounds: tuple[tuple[float, int], ...], base: int) -> int:
    score = base
    for low, s in bounds:
        if value >= low:
            score = s
    return score


def _bounds_text(bounds: tuple[tuple[float, int], ...], base: int, unit: str = "") -> str:
    parts = [f"< {bounds[0][0]:g}{unit} -> {base}"]
    parts += [f">= {low:g}{unit} -> {s}" for low, s in bounds]
    return "; ".join(parts)


# ----------------------------------------------------------------- Sunnybrook
def _resting_items(f: Mapping[str, float]) -> list[ScoreItem]:
    items = []
    name = "motion.fissure.ratio.rest"
    inputs = {name: f[name]}
    rule = f"eye: fissure ratio affected/healthy at rest outside {EYE_RATIO_BAND[0]}-{EYE_RATIO_BAND[1]} -> 1"
    if math.isfinite(f[name]):
        r = f[name]
        finding = "narrow" if r < EYE_RATIO_BAND[0] else "wide" if r > EYE_RATIO_BAND[1] else "normal"
        items.append(ScoreItem("resting.eye", 0.0 if finding == "normal" else 1.0, finding, rule, inputs))
    else:
        items.append(_missing("resting.eye", rule, inputs))
    name = "motion.nasolabial.ratio.rest"
    inputs = {name: f[name]}
    rule = (f"cheek (nasolabial fold): ala-commissure distance ratio affected/healthy at rest within "
            f"1 +/- {CHEEK_RATIO_NORMAL} -> 0 normal; > {CHEEK_RATIO_ABSENT} -> 2 absent; otherwise 1")
    if math.isfinite(f[name]):
        r = f[name]
        if abs(r - 1) <= CHEEK_RATIO_NORMAL:
            item = ScoreItem("resting.cheek", 0.0, "normal", rule, inputs)
        elif r > CHEEK_RATIO_ABSENT:
            item = ScoreItem("resting.cheek", 2.0, "fold absent", rule, inputs)
        else:
            item = ScoreItem("resting.cheek", 1.0, "less pronounced" if r > 1 else "more pronounced", rule, inputs)
        items.append(item)
    else:
        items.append(_missing("resting.cheek", rule, inputs))
    a, h = "motion.commissure_height.value_affected.rest", "motion.commissure_height.value_healthy.rest"
    inputs = {a: f[a], h: f[h]}
    rule = (f"mouth: commissure height affected minus healthy at rest < -{MOUTH_HEIGHT_MM:g} mm -> 1 drooped; "
            f"> +{MOUTH_HEIGHT_MM:g} mm -> 1 pulled up; otherwise 0")
    if math.isfinite(f[a]) and math.isfinite(f[h]):
        d = f[a] - f[h]
        finding = "corner drooped" if d < -MOUTH_HEIGHT_MM else "corner pulled up" if d > MOUTH_HEIGHT_MM else "normal"
        items.append(ScoreItem("resting.mouth", 0.0 if finding == "normal" else 1.0, finding, rule, inputs))
    else:
        items.append(_missing("resting.mouth", rule, inputs))
    return items


def _voluntary_item(expr: str, f: Mapping[str, float]) -> ScoreItem:
    task, measure, _ = SUNNYBROOK_EXPRESSIONS[expr]
    bounds = _bounds_text(VOLUNTARY_BOUNDS, 1)
    name = f"voluntary.{expr}"
    if math.isfinite(f[measure]):
        r = f[measure]
        s = _band(r, VOLUNTARY_BOUNDS, 1)
        rule = f"excursion ratio affected/healthy: {bounds}"
        return ScoreItem(name, float(s), VOLUNTARY_WORDS[s], rule, {measure: r})
    muscles = VOLUNTARY_EMG_MUSCLES[task]
    muscle = next((m for m in muscles if math.isfinite(f[f"emg.{m}.rms_rest_norm_affected.{task}"])
                   and math.isfinite(f[f"emg.{m}.rms_rest_norm_healthy.{task}"])), muscles[0])
    a = f"emg.{muscle}.rms_rest_norm_affected.{task}"
    h = f"emg.{muscle}.rms_rest_norm_healthy.{task}"
    inputs = {measure: f[measure], a: f[a], h: f[h]}
    rule = (f"no motion: sEMG activation ratio (affected RMS/rest - 1) / (healthy RMS/rest - 1) of the "
            f"{muscle}: {bounds}")
    if not (math.isfinite(f[a]) and math.isfinite(f[h])):
        return _missing(name, f"excursion ratio affected/healthy: {bounds}; or {rule}", inputs)
    if f[h] - 1 <= 0.5:
        return ScoreItem(name, math.nan, "not assessable: the healthy side did not activate (RMS/rest <= 1.5)",
                         rule, inputs)
    r = max(0.0, f[a] - 1) / (f[h] - 1)
    s = _band(r, VOLUNTARY_BOUNDS, 1)
    return ScoreItem(name, float(s), VOLUNTARY_WORDS[s], rule, inputs)


def _synkinesis_item(expr: str, f: Mapping[str, float]) -> ScoreItem:
    task, _, kind = SUNNYBROOK_EXPRESSIONS[expr]
    name = f"synkinesis.{expr}"
    grades: list[tuple[int, str]] = []
    inputs: dict[str, float] = {}
    rules: list[str] = []
    if kind == "ocular":
        a = f"motion.ocular_synkinesis.narrowing_affected.{task}"
        h = f"motion.ocular_synkinesis.narrowing_healthy.{task}"
        bounds, what = OCULAR_SYNK_BOUNDS, "excess eye narrowing affected - healthy (fraction of rest fissure)"
        unit = ""
    else:
        a = f"motion.oral_synkinesis.displacement_affected.{task}"
        h = f"motion.oral_synkinesis.displacement_healthy.{task}"
        bounds, what = ORAL_SYNK_BOUNDS, "excess commissure displacement affected - healthy"
        unit = " mm"
    inputs.update({a: f[a], h: f[h]})
    rules.append(f"{what}: {_bounds_text(bounds, 0, unit)}")
    if math.isfinite(f[a]) and math.isfinite(f[h]):
        grades.append((_band(f[a] - f[h], bounds, 0), "motion"))
    for muscle in SYNK_EMG_MUSCLES[task]:
        a = f"emg.{muscle}.rms_rest_norm_affected.{task}"
        h = f"emg.{muscle}.rms_rest_norm_healthy.{task}"
        inputs.update({a: f[a], h: f[h]})
        if math.isfinite(f[a]) and math.isfinite(f[h]) and f[h] > 0:
            grades.append((_band(f[a] / f[h], EMG_SYNK_BOUNDS, 0), f"sEMG {muscle}"))
    rules.append(f"non-target sEMG RMS/rest affected / healthy: {_bounds_text(EMG_SYNK_BOUNDS, 0)}")
    rule = "; ".join(rules) + "; item = the highest grade found"
    if not grades:
        return _missing(name, rule, inputs)
    s, source = max(grades)
    return ScoreItem(name, float(s), f"{SYNK_WORDS[s]} ({source})", rule, inputs)


def sunnybrook(f: Mapping[str, float]) -> ScaleScore:
    """Sunnybrook Facial Grading System from oriented features.

    Resting symmetry (eye 0-1, cheek 0-2, mouth 0-1) x5; voluntary movement
    (5 expressions, 1-5) x4; synkinesis (5 expressions, 0-3);
    composite = voluntary - resting - synkinesis.

    Parameters
    ----------
    f : mapping
        Feature name -> value (a :class:`FeatureTable` works).
    """
    rest = _resting_items(f)
    vol = [_voluntary_item(e, f) for e in SUNNYBROOK_EXPRESSIONS]
    syn = [_synkinesis_item(e, f) for e in SUNNYBROOK_EXPRESSIONS]
    resting = 5 * sum(i.score for i in rest)
    voluntary = 4 * sum(i.score for i in vol)
    synkinesis = sum(i.score for i in syn)
    composite = voluntary - resting - synkinesis
    label = f"composite {composite:.0f}" if math.isfinite(composite) else "composite not assessable"
    return ScaleScore("sunnybrook", composite, label,
                      {"resting": resting, "voluntary": voluntary, "synkinesis": synkinesis},
                      tuple(rest + vol + syn))


# ---------------------------------------------------------------------- eFACE
def _eface_item(name: str, inputs: dict[str, float], rule: str, compute: Callable[[], float],
                finding: Callable[[float], str]) -> ScoreItem:
    if not all(math.isfinite(v) for v in inputs.values()):
        return _missing(name, rule, inputs)
    score = compute()
    if not math.isfinite(score):
        return ScoreItem(name, math.nan, "not assessable: reference value is zero", rule, inputs)
    return ScoreItem(name, score, finding(score), rule, inputs)


def _static(name: str, feature: str, f: Mapping[str, float]) -> ScoreItem:
    rule = "static: x = 100 x ratio affected/healthy at rest (clipped to 0-200); score = 100 - |100 - x|"
    return _eface_item(name, {feature: f[feature]}, rule,
                       lambda: 100 - abs(100 - min(200.0, max(0.0, 100 * f[feature]))),
                       lambda s: "balanced" if s >= 90 else "imbalanced")


def _dynamic_ratio(name: str, feature: str, f: Mapping[str, float]) -> ScoreItem:
    rule = "dynamic: 100 x excursion ratio affected/healthy (clipped to 0-100)"
    return _eface_item(name, {feature: f[feature]}, rule,
                       lambda: min(100.0, max(0.0, 100 * f[feature])),
                       lambda s: "complete" if s >= 90 else "partial" if s >= 25 else "minimal")


def _closure(name: str, task: str, f: Mapping[str, float]) -> ScoreItem:
    exc = f"motion.fissure.excursion_affected.{task}"
    rest = "motion.fissure.value_affected.rest"
    rule = "dynamic: 100 x (fissure at rest - fissure closed) / fissure at rest, affected side (clipped to 0-100)"

    def compute() -> float:
        if f[rest] <= 0:
            return math.nan
        return min(100.0, max(0.0, 100 * -f[exc] / f[rest]))

    return _eface_item(name, {exc: f[exc], rest: f[rest]}, rule, compute,
                       lambda s: "complete" if s >= 90 else "incomplete")


def _ocular_synk(name: str, task: str, f: Mapping[str, float]) -> ScoreItem:
    names = [f"motion.fissure.value_{s}.rest" for s in ("affected", "healthy")]
    names += [f"motion.fissure.excursion_{s}.{task}" for s in ("affected", "healthy")]
    rule = (f"ocular synkinesis: 100 x fissure ratio affected/healthy at the peak of {task} "
            "(fissure = rest value + excursion; clipped to 0-100; 100 = none)")

    def compute() -> float:
        aff = f[names[0]] + f[names[2]]
        hea = f[names[1]] + f[names[3]]
        if hea <= 0:
            return math.nan
        return min(100.0, max(0.0, 100 * aff / hea))

    return _eface_item(name, {n: f[n] for n in names}, rule, compute,
                       lambda s: "none" if s >= 90 else "present")


def eface(f: Mapping[str, float]) -> ScaleScore:
    """eFACE in its automated form (auto-eFACE, Miller 2021) from oriented features.

    Static items (brow, palpebral fissure, nasolabial fold, oral commissure at
    rest), dynamic items (brow elevation, gentle and full eye closure, smile,
    lower lip on "eee") and ocular synkinesis (big smile, "ooo"); each
    0-100 (100 = normal). Sub-scores are item means; total = mean of all items.
    """
    static = [
        _static("static.brow", "motion.brow_height.ratio.rest", f),
        _static("static.palpebral_fissure", "motion.fissure.ratio.rest", f),
        _static("static.nasolabial_fold", "motion.nasolabial.ratio.rest", f),
        _static("static.oral_commissure", "motion.commissure_height.ratio.rest", f),
    ]
    dynamic = [
        _dynamic_ratio("dynamic.brow_elevation", "motion.brow_height.excursion_ratio.brow_raise", f),
        _closure("dynamic.gentle_eye_closure", "gentle_eye_closure", f),
        _closure("dynamic.full_eye_closure", "tight_eye_closure", f),
        _dynamic_ratio("dynamic.smile", "motion.commissure_displacement.excursion_ratio.smile_open", f),
        _dynamic_ratio("dynamic.lower_lip_eee", "motion.lower_lip.excursion_ratio.eee", f),
    ]
    synk = [
        _ocular_synk("synkinesis.ocular_big_smile", "smile_open", f),
        _ocular_synk("synkinesis.ocular_ooo", "pucker", f),
    ]
    mean = lambda items: sum(i.score for i in items) / len(items)  # noqa: E731
    total = mean(static + dynamic + synk)
    label = f"total {total:.0f}" if math.isfinite(total) else "total not assessable"
    return ScaleScore("eface", total, label,
                      {"static": mean(static), "dynamic": mean(dynamic), "synkinesis": mean(synk)},
                      tuple(static + dynamic + synk))


# ------------------------------------------------------------ House-Brackmann
def house_brackmann(f: Mapping[str, float]) -> ScaleScore:
    """House-Brackmann measured form from oriented features.

    Upward brow movement (brow raise) and commissure movement (big smile),
    1 point per 2.5 mm up to 10 mm each, so 0-8 points per side. As in House
    (1983) the affected side's points are compared with the healthy side's:
    percent = 100 x affected / healthy points (= points / 8 for a healthy
    side scoring 8), and grade I 100%, II 76-99%, III 51-75%, IV 26-50%,
    V 1-25%, VI 0%.
    """
    items = []
    points: dict[str, float] = {}
    for side in ("affected", "healthy"):
        for part, feature in (("brow", f"motion.brow_height.excursion_{side}.brow_raise"),
                              ("commissure", f"motion.commissure_displacement.excursion_{side}.smile_open")):
            rule = (f"{part}, {side} side: 1 point per {HB_MM_PER_POINT:g} mm of movement, at most {HB_MAX_POINTS}")
            v = f[feature]
            if math.isfinite(v):
                p = min(HB_MAX_POINTS, max(0, math.floor(v / HB_MM_PER_POINT + 1e-9)))
                items.append(ScoreItem(f"points.{part}_{side}", float(p), f"{max(v, 0):.1f} mm", rule, {feature: v}))
            else:
                items.append(_missing(f"points.{part}_{side}", rule, {feature: v}))
            points[side] = points.get(side, 0.0) + items[-1].score
    affected, healthy = points["affected"], points["healthy"]
    percent = 100 * affected / healthy if healthy > 0 else math.nan
    if math.isfinite(percent):
        roman = next((g for bound, g in HB_PERCENT_BOUNDS if percent >= bound), "VI")
        grade = float(("I", "II", "III", "IV", "V", "VI").index(roman) + 1)
        label = f"grade {roman} ({affected:.0f}/{healthy:.0f} points, {percent:.0f}% of the healthy side)"
    else:
        grade, label = math.nan, "grade not assessable"
    return ScaleScore("house_brackmann", grade, label,
                      {"points_affected": affected, "points_healthy": healthy, "percent": percent}, tuple(items))


def score_all(f: Mapping[str, float]) -> Scores:
    """All three scales."""
    return Scores(sunnybrook(f), eface(f), house_brackmann(f))
