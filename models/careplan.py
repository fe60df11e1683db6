"""The rule-based care-plan proposal of one Assessment (AAO-HNS Clinical Practice Guideline: Bell's Palsy, 2013).

Pure clinical logic, no FHIR: :func:`propose_care_plan` reads the JSON form
of an Assessment (:meth:`models.assessment.Assessment.to_dict`) and the
clinical facts the rules need (:class:`ClinicalFacts`: age, days since
onset, time of the session) and returns a :class:`CarePlanProposal` whose
every :class:`Activity` names its rule and the numbers that triggered it.
A proposal is a draft for a clinician; it is never an order.

Rules (version :data:`RULES_VERSION`; thresholds are module constants):

* No plan when the face looks healthy: P(House-Brackmann I) >= 0.5, the
  predictor's own threshold (:data:`models.predict.HEALTHY_LOOKING`).
* Suspected central palsy, P(central | palsy) >= :data:`CENTRAL_SUSPECTED`:
  an emergency. The plan holds the urgent stroke work-up (and eye
  protection if eye closure is impaired), never rehabilitation, steroids or
  a follow-up schedule.
* Otherwise a peripheral palsy plan:

  - eye protection when eye closure is impaired: eFACE gentle or full eye
    closure below :data:`EYE_CLOSURE_COMPLETE`, or, without them, a Sunnybrook
    gentle eye closure score below 5, or P(House-Brackmann IV-VI) >= 0.5
    (grades IV-VI include incomplete eye closure);
  - oral corticosteroids within 72 h of onset for patients aged 16 or older;
  - reassessment 3 weeks after onset (when that is still ahead), then every
    4 weeks until recovery;
  - referral to a facial nerve specialist: now when recovery is incomplete
    3 months after onset or the palsy worsened since a previous assessment,
    otherwise on those conditions or on ocular symptoms;
  - facial neuromuscular retraining with biofeedback when synkinesis is
    likely (P >= :data:`SYNKINESIS_PRESENT`) or a rule-based Sunnybrook
    synkinesis item is moderate or worse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Mapping

from .errors import ModelError
from .predict import HEALTHY_LOOKING

RULES_VERSION = "fpcds-careplan-1"
GUIDELINE = ("Baugh RF, Basura GJ, Ishii LE, et al. Clinical Practice Guideline: Bell's Palsy. "
             "Otolaryngol Head Neck Surg. 2013;149(3 Suppl):S1-S27 (AAO-HNS)")
#: P(central | palsy) from which a central palsy is suspected.
CENTRAL_SUSPECTED = 0.5
#: P(synkinesis) from which synkinesis counts as likely.
SYNKINESIS_PRESENT = 0.5
#: eFACE eye-closure items (0-100): below this, closure is incomplete (the rules' own 'complete' bound).
EYE_CLOSURE_COMPLETE = 90.0
#: Sunnybrook voluntary gentle eye closure: 5 = complete movement.
SUNNYBROOK_CLOSURE_COMPLETE = 5.0
#: P(House-Brackmann IV, V or VI) from which eye closure counts as incomplete.
SEVERE_GRADES_PROBABILITY = 0.5
#: P(House-Brackmann VI) from which the paralysis counts as complete (electrodiagnostics may be offered).
COMPLETE_PARALYSIS_PROBABILITY = 0.5
#: Rule-based Sunnybrook synkinesis item score (0-3) from which synkinesis is moderate.
SYNKINESIS_ITEM_MODERATE = 2.0
#: Oral steroids: minimum age (years) and window after onset (days).
STEROID_MIN_AGE = 16.0
STEROID_WINDOW_DAYS = 3.0
#: First reassessment (days after onset) and the interval after it (weeks).
FIRST_REVIEW_DAYS = 21.0
REVIEW_EVERY_WEEKS = 4.0
#: Days after onset from which a persisting palsy is an incomplete recovery (3 months).
INCOMPLETE_RECOVERY_DAYS = 90.0
#: Worsening since a previous assessment: expected House-Brackmann grade up by this much ...
WORSENING_GRADE = 1.0
#: ... or the estimated Sunnybrook composite down by this many points.
WORSENING_SUNNYBROOK = 10.0

PATHWAYS = ("peripheral", "central")
GRADES = ("I", "II", "III", "IV", "V", "VI")


class CarePlanError(ModelError, ValueError):
    """An assessment or a clinical fact cannot be used for a care-plan proposal."""


@dataclass(frozen=True)
class ClinicalFacts:
    """What the rules need beyond the assessment.

    Attributes
    ----------
    age_years : float, optional
        Age at the session, years.
    days_since_onset : float, optional
        Days from palsy onset to the session.
    session_time : datetime or date, optional
        When the session was recorded; schedules get calendar dates from it.
    """

    age_years: float | None = None
    days_since_onset: float | None = None
    session_time: datetime | date | None = None

    def __post_init__(self) -> None:
        for name, (low, high) in {"age_years": (0.0, 130.0), "days_since_onset": (0.0, 36500.0)}.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise CarePlanError(f"clinical fact {name} is {value!r}; expected a number in [{low:g}, {high:g}]")
            object.__setattr__(self, name, float(value))
        if self.session_time is not None and not isinstance(self.session_time, (datetime, date)):
            raise CarePlanError(f"clinical fact session_time is {self.session_time!r}; expected a datetime or date")

    @classmethod
    def from_features(cls, features: Mapping[str, float], *, session_time: datetime | date | None = None
                      ) -> ClinicalFacts:
        """Facts from a FeatureTable (or any mapping with ``clinical.age``, ``clinical.days_since_onset``)."""
        def fact(name: str) -> float | None:
            value = features.get(name, math.nan)
            return None if value is None or not math.isfinite(float(value)) else float(value)

        return cls(fact("clinical.age"), fact("clinical.days_since_onset"), session_time)


@dataclass(frozen=True)
class Evidence:
    """One number a rule looked at.

    Attributes
    ----------
    name : str
        What it is, e.g. ``'P(central palsy)'``.
    value : float
    unit : str
        For reading: ``'%'``, ``'/100'``, ``'of 5'``, ``'points'``, ``'days'``, ``'years'``, ``'weeks'`` or ``''``.
    source : str
        Where it comes from: an assessment path (``'outputs.lesion'``,
        ``'rule_based.eface'``), ``'clinical.age'`` or ``'previous...'``.
    """

    name: str
    value: float
    unit: str
    source: str

    def text(self) -> str:
        unit = "" if not self.unit else self.unit if self.unit in ("%", "/100") else " " + self.unit
        return f"{self.name} = {self.value:.4g}{unit}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit, "source": self.source}


@dataclass(frozen=True)
class Schedule:
    """When an activity is due.

    Attributes
    ----------
    text : str
        In words, e.g. ``'immediately'``, ``'3 weeks after onset, then every 4 weeks until recovery'``.
    start_days : float, optional
        First occurrence, days after the session.
    end_days : float, optional
        Last moment it is useful, days after the session (e.g. the steroid window).
    every_weeks : float, optional
        Repeat interval, weeks.
    start, end : datetime or date, optional
        ``start_days`` and ``end_days`` on the calendar, when the session time is known.
    """

    text: str
    start_days: float | None = None
    end_days: float | None = None
    every_weeks: float | None = None
    start: datetime | date | None = None
    end: datetime | date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start_days": self.start_days, "end_days": self.end_days,
                "every_weeks": self.every_weeks, "start": _iso(self.start), "end": _iso(self.end)}


@dataclass(frozen=True)
class Activity:
    """One proposed activity.

    Attributes
    ----------
    code : str
        Code of the fpcds CodeSystem (``eye-protection``, ``oral-corticosteroids``,
        ``reassessment``, ``specialist-referral``, ``neuromuscular-retraining``,
        ``urgent-stroke-referral``).
    title : str
    description : str
        What to do, for the clinician.
    rule : str
        The rule applied, with its thresholds.
    evidence : tuple of Evidence
        The numbers that triggered it.
    kind : str or None
        The request it would become once approved: ``'ServiceRequest'``,
        ``'MedicationRequest'``, ``'Appointment'`` or None (advice).
    schedule : Schedule or None
    urgent : bool
    citation : str or None
    """

    code: str
    title: str
    description: str
    rule: str
    evidence: tuple[Evidence, ...]
    kind: str | None = None
    schedule: Schedule | None = None
    urgent: bool = False
    citation: str | None = GUIDELINE

    def reason(self) -> str:
        """The rule and its numbers, in one sentence."""
        numbers = "; ".join(e.text() for e in self.evidence)
        return f"{self.rule} Found: {numbers}." if numbers else self.rule

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "description": self.description, "rule": self.rule,
                "evidence": [e.to_dict() for e in self.evidence], "kind": self.kind,
                "schedule": None if self.schedule is None else self.schedule.to_dict(), "urgent": self.urgent,
                "citation": self.citation}


@dataclass(frozen=True)
class CarePlanProposal:
    """A proposed plan: a draft until a clinician approves it.

    Attributes
    ----------
    pathway : {'peripheral', 'central'}
    title, description : str
    activities : tuple of Activity
    considerations : tuple of str
        Rules that proposed nothing and why (a fact unknown, a window passed).
    rules_version : str
    """

    pathway: str
    title: str
    description: str
    activities: tuple[Activity, ...]
    considerations: tuple[str, ...] = ()
    rules_version: str = RULES_VERSION

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.activities)

    def activity(self, code: str) -> Activity | None:
        return next((a for a in self.activities if a.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {"pathway": self.pathway, "title": self.title, "description": self.description,
                "activities": [a.to_dict() for a in self.activities],
                "considerations": list(self.considerations), "rules_version": self.rules_version,
                "guideline": GUIDELINE}


# ----------------------------------------------------------------- reading
def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _as_dict(assessment: Any, what: str) -> Mapping[str, Any]:
    data = assessment.to_dict() if hasattr(assessment, "to_dict") else assessment
    if not isinstance(data, Mapping):
        raise CarePlanError(f"{what} is a {type(assessment).__name__}; expected an Assessment or its JSON form")
    return data


def _field(data: Mapping[str, Any], path: str, what: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise CarePlanError(f"{what} has no '{path}'")
        node = node[part]
    return node


def _probability(data: Mapping[str, Any], path: str, what: str) -> float:
    value = _field(data, path, what)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise CarePlanError(f"{what} '{path}' is {value!r}; expected a probability in [0, 1]")
    return float(value)


def _grade_probabilities(data: Mapping[str, Any], what: str) -> dict[str, float]:
    return {g: _probability(data, f"outputs.hb_grade.probabilities.{g}", what) for g in GRADES}


def _items(data: Mapping[str, Any], scale: str) -> dict[str, float]:
    """Rule-based item name -> score (assessable items only)."""
    rule_based = data.get("rule_based")
    if not isinstance(rule_based, Mapping) or not isinstance(rule_based.get(scale), Mapping):
        return {}
    out = {}
    for item in rule_based[scale].get("items") or ():
        if isinstance(item, Mapping) and isinstance(item.get("score"), (int, float)):
            out[str(item.get("name"))] = float(item["score"])
    return out


def _rule_total(data: Mapping[str, Any], scale: str) -> float | None:
    rule_based = data.get("rule_based")
    if isinstance(rule_based, Mapping) and isinstance(rule_based.get(scale), Mapping):
        total = rule_based[scale].get("total")
        if isinstance(total, (int, float)) and math.isfinite(total):
            return float(total)
    return None


def _at(facts: ClinicalFacts, days: float | None) -> datetime | date | None:
    if facts.session_time is None or days is None:
        return None
    if isinstance(facts.session_time, datetime):
        return facts.session_time + timedelta(days=days)
    return facts.session_time + timedelta(days=math.ceil(days))


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    return f" ({value.date().isoformat() if isinstance(value, datetime) else value.isoformat()})"


# ------------------------------------------------------------------- rules
def _eye_closure_evidence(data: Mapping[str, Any], grades: dict[str, float]) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    eface = _items(data, "eface")
    closure = {k: v for k, v in eface.items() if k in ("dynamic.gentle_eye_closure", "dynamic.full_eye_closure")}
    for name, score in closure.items():
        if score < EYE_CLOSURE_COMPLETE:
            words = "gentle" if "gentle" in name else "full"
            found.append(Evidence(f"eFACE {words} eye closure", round(score, 1), "/100", "rule_based.eface"))
    if not closure:
        score = _items(data, "sunnybrook").get("voluntary.gentle_eye_closure")
        if score is not None and score < SUNNYBROOK_CLOSURE_COMPLETE:
            found.append(Evidence("Sunnybrook gentle eye closure score", score, "of 5", "rule_based.sunnybrook"))
    severe = grades["IV"] + grades["V"] + grades["VI"]
    if severe >= SEVERE_GRADES_PROBABILITY:
        found.append(Evidence("P(House-Brackmann IV-VI)", round(100 * severe, 1), "%", "outputs.hb_grade"))
    return tuple(found)


def _eye_protection(data: Mapping[str, Any], grades: dict[str, float], facts: ClinicalFacts) -> Activity | None:
    evidence = _eye_closure_evidence(data, grades)
    if not evidence:
        return None
    return Activity(
        "eye-protection", "Eye protection",
        "Protect the cornea while eye closure is incomplete: lubricating eye drops by day, ointment and taping or "
        "a moisture chamber at night. Review at once on eye pain, redness or a change of vision (ocular symptoms).",
        f"Eye protection when eye closure is impaired (AAO-HNS 2013): eFACE gentle or full eye closure "
        f"< {EYE_CLOSURE_COMPLETE:g}/100, or without eFACE a Sunnybrook gentle eye closure score < 5, or "
        f"P(House-Brackmann IV-VI) >= {100 * SEVERE_GRADES_PROBABILITY:g}% (grades IV-VI include incomplete eye "
        "closure).",
        evidence, None, Schedule("now, until eye closure is complete", start_days=0.0, start=_at(facts, 0.0)),
    )


def _steroids(facts: ClinicalFacts) -> tuple[Activity | None, str | None]:
    rule = (f"Oral corticosteroids within 72 h of onset for patients aged {STEROID_MIN_AGE:g} or older "
            "(AAO-HNS 2013, strong recommendation).")
    missing = [w for w, v in (("age", facts.age_years), ("time since onset", facts.days_since_onset)) if v is None]
    if missing:
        return None, (f"Oral corticosteroids were not assessed: the patient's {' and '.join(missing)} "
                      f"{'is' if len(missing) == 1 else 'are'} unknown. {rule}")
    age, days = float(facts.age_years), float(facts.days_since_onset)  # type: ignore[arg-type]
    if age < STEROID_MIN_AGE:
        return None, f"Oral corticosteroids are not proposed: the patient is {age:g} years old. {rule}"
    if days > STEROID_WINDOW_DAYS:
        return None, (f"Oral corticosteroids are not proposed: the session was {days:g} days after onset, past "
                      f"the 72-hour window. {rule}")
    left = STEROID_WINDOW_DAYS - days
    end = _at(facts, left)
    closes = f" The window closes {left * 24:.0f} h after the session{_when(end)}." if left > 0 else ""
    activity = Activity(
        "oral-corticosteroids", "Oral corticosteroids within 72 h of onset",
        "If Bell's palsy (idiopathic peripheral palsy) is the clinical diagnosis: consider a course of oral "
        "corticosteroids (e.g. prednisolone), started within 72 hours of onset, after checking contraindications. "
        "Antiviral therapy may be added to, but not given instead of, the steroids." + closes
        + " A proposal for the prescriber's decision, not a prescription.",
        rule,
        (Evidence("age", age, "years", "clinical.age"),
         Evidence("time since onset", days, "days", "clinical.days_since_onset")),
        "MedicationRequest", Schedule("start now, within 72 h of onset", start_days=0.0, end_days=left,
                                      start=_at(facts, 0.0), end=end),
        urgent=True,
    )
    return activity, None


def _prognosis_words(data: Mapping[str, Any]) -> tuple[str, tuple[Evidence, ...]]:
    weeks = data.get("outputs", {}).get("weeks_to_recovery")
    recovery = data.get("outputs", {}).get("recovery_6mo")
    parts: list[str] = []
    evidence: list[Evidence] = []
    if isinstance(weeks, Mapping) and all(isinstance(weeks.get(k), (int, float)) for k in ("value", "lower", "upper")):
        coverage = weeks.get("coverage", 0.8)
        parts.append(f"predicted time from onset to recovery: median {weeks['value']:.0f} weeks "
                     f"({100 * coverage:.0f}% interval {weeks['lower']:.0f}-{weeks['upper']:.0f})")
        evidence.append(Evidence("median weeks to recovery", round(float(weeks["value"]), 1), "weeks",
                                 "outputs.weeks_to_recovery"))
    if isinstance(recovery, Mapping) and isinstance(recovery.get("probability"), (int, float)):
        parts.append(f"probability of complete recovery by 6 months {100 * recovery['probability']:.0f}%")
    return ("; ".join(parts), tuple(evidence))


def _reassessment(data: Mapping[str, Any], facts: ClinicalFacts) -> Activity:
    days = facts.days_since_onset
    evidence: list[Evidence] = []
    if days is not None:
        evidence.append(Evidence("time since onset", days, "days", "clinical.days_since_onset"))
    if days is not None and days < FIRST_REVIEW_DAYS:
        first = FIRST_REVIEW_DAYS - days
        text = f"3 weeks after onset{_when(_at(facts, first))}, then every {REVIEW_EVERY_WEEKS:g} weeks until recovery"
    else:
        first = 7 * REVIEW_EVERY_WEEKS
        text = f"every {REVIEW_EVERY_WEEKS:g} weeks until recovery, first{_when(_at(facts, first)) or ' in 4 weeks'}"
    prognosis, more = _prognosis_words(data)
    evidence.extend(more)
    description = (f"Reassess facial function (clinical examination and an fpcds session) {text}. 85% of Bell's "
                   "palsies show first recovery within 3 weeks; no recovery by then predicts a poorer outcome.")
    if prognosis:
        description += f" Model estimate: {prognosis}."
    return Activity(
        "reassessment", "Scheduled reassessment", description,
        f"Reassess {FIRST_REVIEW_DAYS / 7:g} weeks after onset when that is still ahead, then every "
        f"{REVIEW_EVERY_WEEKS:g} weeks until recovery (natural history: Peitersen 2002).",
        tuple(evidence), "Appointment",
        Schedule(text, start_days=first, every_weeks=REVIEW_EVERY_WEEKS, start=_at(facts, first)),
        citation="Peitersen E. Bell's palsy: the spontaneous course of 2,500 peripheral facial nerve palsies of "
                 "different etiologies. Acta Otolaryngol Suppl. 2002;(549):4-30",
    )


def _worsening(data: Mapping[str, Any], previous: Mapping[str, Any] | None) -> tuple[Evidence, ...]:
    if previous is None:
        return ()
    found: list[Evidence] = []
    now_grade = _field(data, "outputs.hb_grade.expected_grade", "assessment")
    then_grade = _field(previous, "outputs.hb_grade.expected_grade", "previous assessment")
    if isinstance(now_grade, (int, float)) and isinstance(then_grade, (int, float)):
        if now_grade - then_grade >= WORSENING_GRADE:
            found.append(Evidence("expected House-Brackmann grade, previous", round(float(then_grade), 2), "",
                                  "previous.outputs.hb_grade"))
            found.append(Evidence("expected House-Brackmann grade, now", round(float(now_grade), 2), "",
                                  "outputs.hb_grade"))
    now_sb = _field(data, "outputs.sunnybrook.value", "assessment")
    then_sb = _field(previous, "outputs.sunnybrook.value", "previous assessment")
    if isinstance(now_sb, (int, float)) and isinstance(then_sb, (int, float)):
        if then_sb - now_sb >= WORSENING_SUNNYBROOK:
            found.append(Evidence("Sunnybrook composite estimate, previous", round(float(then_sb), 1), "points",
                                  "previous.outputs.sunnybrook"))
            found.append(Evidence("Sunnybrook composite estimate, now", round(float(now_sb), 1), "points",
                                  "outputs.sunnybrook"))
    return tuple(found)


def _referral(data: Mapping[str, Any], facts: ClinicalFacts, grades: dict[str, float],
              previous: Mapping[str, Any] | None) -> Activity:
    days = facts.days_since_onset
    now: list[str] = []
    evidence = [Evidence("P(House-Brackmann II-VI)", round(100 * (1 - grades["I"]), 1), "%", "outputs.hb_grade")]
    if days is not None:
        evidence.append(Evidence("time since onset", days, "days", "clinical.days_since_onset"))
    if days is not None and days >= INCOMPLETE_RECOVERY_DAYS:
        now.append(f"recovery is incomplete {days:g} days after onset")
    worse = _worsening(data, previous)
    if worse:
        now.append("the palsy is worse than at the previous assessment")
        evidence.extend(worse)
    complete_p = grades["VI"]
    rule_grade = _rule_total(data, "house_brackmann")
    complete = complete_p >= COMPLETE_PARALYSIS_PROBABILITY or rule_grade == 6.0
    electro = ""
    if complete:
        electro = (" The paralysis looks complete: electrodiagnostic testing may be offered (it is not recommended "
                   "for incomplete paralysis).")
        evidence.append(Evidence("P(House-Brackmann VI)", round(100 * complete_p, 1), "%", "outputs.hb_grade"))
    rule = (f"Refer to a facial nerve specialist on new or worsening neurological findings, on ocular symptoms, or "
            f"when recovery is incomplete 3 months ({INCOMPLETE_RECOVERY_DAYS:g} days) after onset (AAO-HNS 2013); "
            f"worsening = expected House-Brackmann grade up by >= {WORSENING_GRADE:g} or Sunnybrook estimate down by "
            f">= {WORSENING_SUNNYBROOK:g} points since the previous assessment.")
    if now:
        return Activity(
            "specialist-referral", "Referral to a facial nerve specialist now",
            f"Refer to a facial nerve specialist now: {' and '.join(now)}.{electro}", rule, tuple(evidence),
            "ServiceRequest", Schedule("now", start_days=0.0, start=_at(facts, 0.0)))
    due = None if days is None else INCOMPLETE_RECOVERY_DAYS - days
    when = f"3 months after onset{_when(_at(facts, due))}" if due is not None else "3 months after onset"
    return Activity(
        "specialist-referral", "Referral to a facial nerve specialist if needed",
        "Refer to a facial nerve specialist on new or worsening neurological findings, on ocular symptoms (eye pain, "
        f"redness, change of vision), or if recovery is incomplete {when}.{electro}",
        rule, tuple(evidence), "ServiceRequest",
        Schedule(f"if needed; at the latest {when} if recovery is incomplete", start_days=due, start=_at(facts, due)))


def _retraining(data: Mapping[str, Any]) -> Activity | None:
    p = _probability(data, "outputs.synkinesis.probability", "assessment")
    evidence: list[Evidence] = []
    if p >= SYNKINESIS_PRESENT:
        evidence.append(Evidence("P(synkinesis)", round(100 * p, 1), "%", "outputs.synkinesis"))
    for name, score in _items(data, "sunnybrook").items():
        if name.startswith("synkinesis.") and score >= SYNKINESIS_ITEM_MODERATE:
            what = name.split(".", 1)[1].replace("_", " ")
            evidence.append(Evidence(f"Sunnybrook synkinesis, {what}", score, "of 3", "rule_based.sunnybrook"))
    if not evidence:
        return None
    return Activity(
        "neuromuscular-retraining", "Facial neuromuscular retraining",
        "Refer to a facial therapist for neuromuscular retraining with sEMG or mirror biofeedback to manage "
        "synkinesis (a rehabilitation activity).",
        f"Facial neuromuscular retraining / biofeedback for synkinesis: P(synkinesis) >= "
        f"{100 * SYNKINESIS_PRESENT:g}% or a rule-based Sunnybrook synkinesis item >= {SYNKINESIS_ITEM_MODERATE:g} "
        "(moderate).",
        tuple(evidence), "ServiceRequest", None, citation=None)


def _forehead_evidence(data: Mapping[str, Any]) -> tuple[Evidence, ...]:
    items = _items(data, "house_brackmann")
    out = []
    for part in ("brow", "commissure"):
        if f"points.{part}_affected" in items:
            out.append(Evidence(f"House-Brackmann {part} points, affected side", items[f"points.{part}_affected"],
                                "of 4", "rule_based.house_brackmann"))
    return tuple(out)


def _side_words(data: Mapping[str, Any]) -> str:
    session = data.get("session") if isinstance(data.get("session"), Mapping) else {}
    side, source = session.get("affected_side"), session.get("affected_side_source")
    if side in ("left", "right") and source in ("subject", "inferred"):
        return side.capitalize() + " "
    return ""


def _central_plan(data: Mapping[str, Any], p_central: float, eye: Activity | None, facts: ClinicalFacts
                  ) -> CarePlanProposal:
    days = facts.days_since_onset
    onset = (f" Onset {days:g} day{'' if days == 1 else 's'} before the session." if days is not None
             else " Time of onset unknown.")
    urgent = Activity(
        "urgent-stroke-referral", "URGENT stroke work-up",
        f"EMERGENCY: the pattern suggests a central (supranuclear) facial palsy, e.g. forehead sparing "
        f"(P = {100 * p_central:.0f}%). Refer immediately for a stroke work-up (emergency department or stroke "
        "team: neurological examination and brain imaging)." + onset,
        f"Suspected central palsy, P(central) >= {100 * CENTRAL_SUSPECTED:g}%: an emergency needing a stroke "
        "work-up, never a rehabilitation plan.",
        (Evidence("P(central palsy)", round(100 * p_central, 1), "%", "outputs.lesion"), *_forehead_evidence(data)),
        "ServiceRequest", Schedule("immediately", start_days=0.0, start=_at(facts, 0.0)), urgent=True,
        citation=None)
    activities = (urgent,) + ((eye,) if eye is not None else ())
    return CarePlanProposal(
        "central", "Suspected central facial palsy: URGENT stroke work-up",
        f"{_side_words(data)}facial weakness with a central pattern (P(central) = {100 * p_central:.0f}%): refer now "
        "for an emergency stroke work-up" + (", and protect the eye." if eye is not None else ".")
        + " No rehabilitation is proposed.",
        activities,
        ("No corticosteroid, rehabilitation or follow-up plan is proposed: a suspected central palsy needs a stroke "
         "work-up first; Bell's palsy is a diagnosis of exclusion.",),
    )


def _peripheral_plan(data: Mapping[str, Any], grades: dict[str, float], eye: Activity | None,
                     facts: ClinicalFacts, previous: Mapping[str, Any] | None) -> CarePlanProposal:
    steroids, not_steroids = _steroids(facts)
    retraining = _retraining(data)
    activities = tuple(a for a in (steroids, eye, _reassessment(data, facts), _referral(data, facts, grades, previous),
                                   retraining) if a is not None)
    words = [a.title[0].lower() + a.title[1:] for a in activities]
    description = ("Proposed: " + "; ".join(words) + ". A draft for the clinician's review; not active until "
                   "approved.")
    return CarePlanProposal(
        "peripheral", f"{_side_words(data)}peripheral facial palsy: management proposal".capitalize(),
        description, activities, tuple(c for c in (not_steroids,) if c))


def propose_care_plan(
    assessment: Any,
    *,
    facts: ClinicalFacts = ClinicalFacts(),
    previous: Any = None,
) -> CarePlanProposal | None:
    """The care plan the rules propose for one assessment.

    Parameters
    ----------
    assessment : Assessment or dict
        The assessment, or its JSON form (:meth:`Assessment.to_dict`).
    facts : ClinicalFacts
        Age, days since onset and session time (unknown facts leave their
        rules unapplied, which the proposal says).
    previous : Assessment or dict, optional
        An earlier assessment of the same patient, to detect worsening.

    Returns
    -------
    CarePlanProposal or None
        None when the face looks healthy (no palsy, nothing to plan).

    Raises
    ------
    CarePlanError
        A field the rules need is missing or out of range.
    """
    data = _as_dict(assessment, "assessment")
    prior = None if previous is None else _as_dict(previous, "previous assessment")
    if not isinstance(facts, ClinicalFacts):
        raise CarePlanError(f"facts is a {type(facts).__name__}; expected ClinicalFacts")
    grades = _grade_probabilities(data, "assessment")
    if grades["I"] >= HEALTHY_LOOKING:
        return None
    p_central = _probability(data, "outputs.lesion.probability", "assessment")
    eye = _eye_protection(data, grades, facts)
    if p_central >= CENTRAL_SUSPECTED:
        return _central_plan(data, p_central, eye, facts)
    return _peripheral_plan(data, grades, eye, facts, prior)


