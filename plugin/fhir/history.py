"""Earlier assessments of a patient, read back from the chart (pure FHIR reading, no Flask).

:func:`read_history` makes three searches of the patient's record:

* fpcds assessment reports (DiagnosticReport coded ``assessment-report``
  and carrying the fpcds profile or output identifier) with their date,
  status, conclusion and approver;
* the House-Brackmann grade and Sunnybrook composite Observations (fpcds
  codes ``hb-grade`` and ``sunnybrook-composite``): fpcds's own, which the
  reports reference, and gradings a clinician recorded with the same codes;
* the facial palsy Conditions (Bell's palsy) with their onset.

The result is a :class:`ChartHistory`, newest first, each row naming its
source; records that cannot be read are listed in ``skipped`` instead of
failing the whole read. :func:`previous_for_careplan` gives the last
approved fpcds assessment to the care-plan rules.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from acquisition.errors import FpcdsError

from . import ids
from .client import FhirClient
from .inputs import GRADES

HB_CODE = "hb-grade"
SUNNYBROOK_CODE = "sunnybrook-composite"
REPORT_CODE = "assessment-report"
EXPECTED_GRADE_CODE = "hb-expected-grade"
SNOMED = "http://snomed.info/sct"
#: Codings of a facial palsy Condition: SNOMED CT Bell's palsy, ICD-10 / ICD-10-CM G51.0 (Bell's palsy).
FACIAL_PALSY_CODES = frozenset({(SNOMED, "193093009"), ("http://hl7.org/fhir/sid/icd-10", "G51.0"),
                                ("http://hl7.org/fhir/sid/icd-10-cm", "G51.0")})
#: Statuses of records that are not clinical facts (left out of the history).
_VOID = frozenset({"entered-in-error", "cancelled", "refuted"})
#: Records per page of a search.
PAGE_SIZE = 200
#: Most pages read per search (``PAGE_SIZE`` records each).
MAX_PAGES = 5
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class ChartRecordError(FpcdsError):
    """A record of the chart cannot be read as a grading, report or condition (the message names it)."""


@dataclass(frozen=True)
class PalsyCondition:
    """A facial palsy Condition of the patient.

    Attributes
    ----------
    text : str
        What the chart calls it, e.g. ``"Bell's palsy"``.
    onset : date or None
        Onset (day), None when the chart gives none.
    days_since_onset : int or None
        Days from onset to today (d); None without an onset or for an onset in the future.
    clinical_status : str
        ``active``, ``recurrence``, ``resolved`` ... or ``unknown``.
    """

    text: str
    onset: date | None
    days_since_onset: int | None
    clinical_status: str


@dataclass(frozen=True)
class ChartRow:
    """One earlier assessment: an fpcds report with its grades, or the gradings a clinician recorded at one time.

    Attributes
    ----------
    day : date
        The day it was graded (the recording day for fpcds).
    when : str
        The FHIR dateTime as recorded.
    moment : datetime
        ``when`` in UTC (midnight for a bare date), the sort key.
    source : {'fpcds', 'clinician'}
    source_text : str
        Who graded, e.g. ``"fpcds model, approved by Dr. Rivera"`` or ``"clinician-recorded by Dr. Rivera"``.
    status : str
        FHIR status: ``preliminary`` or ``final`` (``amended`` ... for clinician records).
    hb_grade : str or None
        House-Brackmann grade I-VI: the model estimate for fpcds, the clinician's grade otherwise.
    hb_measured : str or None
        fpcds only: the grade of the rule-based measured form.
    sunnybrook : float or None
        Sunnybrook composite, 0-100 (points): the model estimate for fpcds, the clinician's score otherwise.
    sunnybrook_rules : float or None
        fpcds only: the rule-based composite (points).
    expected_grade : float or None
        fpcds only: expected House-Brackmann grade of the model's distribution (1-6).
    findings : tuple of str
        fpcds only: the coded conclusions (e.g. ``"Peripheral facial palsy"``).
    detail : str
        The report's conclusion, or the clinician's grading method.
    key : str or None
        fpcds only: the assessment key of the output identifiers (:func:`plugin.fhir.ids.assessment_key`).
    days_since_onset : int or None
        Days from the facial palsy's onset to ``day`` (d).
    """

    day: date
    when: str
    moment: datetime
    source: str
    source_text: str
    status: str
    hb_grade: str | None = None
    hb_measured: str | None = None
    sunnybrook: float | None = None
    sunnybrook_rules: float | None = None
    expected_grade: float | None = None
    findings: tuple[str, ...] = ()
    detail: str = ""
    key: str | None = None
    days_since_onset: int | None = None


@dataclass(frozen=True)
class ChartHistory:
    """The earlier assessments and facial palsy conditions of one patient, as read from the chart.

    Attributes
    ----------
    rows : tuple of ChartRow
        Newest first.
    conditions : tuple of PalsyCondition
        Latest onset first.
    skipped : tuple of str
        Records that could not be read, each naming the record and the problem.
    problem : str or None
        Why the chart could not be read at all (then everything else is empty).
    read_at : float
        When it was read (Unix time, s).
    """

    rows: tuple[ChartRow, ...] = ()
    conditions: tuple[PalsyCondition, ...] = ()
    skipped: tuple[str, ...] = ()
    problem: str | None = None
    read_at: float = field(default_factory=time.time)

    @classmethod
    def unavailable(cls, reason: str) -> "ChartHistory":
        return cls(problem=reason)


# ---------------------------------------------------------------- reading FHIR values
def _list(node: Any, name: str) -> list[Any]:
    value = node.get(name) if isinstance(node, Mapping) else None
    return value if isinstance(value, list) else []


def _dict(node: Any, name: str) -> Mapping[str, Any]:
    value = node.get(name) if isinstance(node, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _label(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType', 'resource')}/{resource.get('id', '?')}"


def _ref_key(reference: Any) -> str | None:
    """``Type/id`` of a relative or absolute reference (version dropped)."""
    if not isinstance(reference, str):
        return None
    parts = reference.split("/_history", 1)[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else None


def fhir_moment(value: Any, *, what: str) -> tuple[date, datetime]:
    """The day as written and the UTC instant (midnight UTC for a date) of a FHIR date or dateTime.

    Raises
    ------
    ChartRecordError
        Naming ``what`` when ``value`` is not a FHIR date or dateTime.
    """
    if isinstance(value, str):
        if "T" in value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None:
                day = date.fromisoformat(value[:10])
                aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
                return day, aware.astimezone(timezone.utc)
        else:
            m = _PARTIAL_DATE.fullmatch(value)
            if m:
                try:
                    day = date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
                except ValueError:
                    day = None
                if day is not None:
                    return day, datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    raise ChartRecordError(f"{what} is {value!r}; expected a FHIR date (YYYY-MM-DD) or dateTime")


def _is_fpcds(resource: Mapping[str, Any]) -> bool:
    """Written by fpcds: an fpcds profile or an fpcds output identifier."""
    prefix = f"{ids.CANONICAL}/StructureDefinition/fpcds-"
    if any(isinstance(p, str) and p.startswith(prefix) for p in _list(_dict(resource, "meta"), "profile")):
        return True
    return _output_identifier(resource) is not None


def _output_identifier(resource: Mapping[str, Any]) -> tuple[str, str] | None:
    """(assessment key, output) of an fpcds output identifier, e.g. ``('6e60...-9a3b...', 'hb-grade/model')``."""
    for ident in _list(resource, "identifier"):
        value = ident.get("value") if isinstance(ident, Mapping) else None
        if ident.get("system") == ids.SID_OUTPUT and isinstance(value, str) and "/" in value:
            key, output = value.split("/", 1)
            return key, output
    return None


def _has_code(concept: Mapping[str, Any], system: str, code: str) -> bool:
    return any(isinstance(c, Mapping) and c.get("system") == system and c.get("code") == code
               for c in _list(concept, "coding"))


def _person(reference: Mapping[str, Any], user: str | None) -> str:
    """How a clinician reference reads: its display, else the reference; the signed-in user is 'you'."""
    key = _ref_key(reference.get("reference"))
    name = reference.get("display") if isinstance(reference.get("display"), str) else None
    if key is not None and key == _ref_key(user):
        return f"{name} (you)" if name else "you"
    return name or key or "an unnamed clinician"


@dataclass(frozen=True)
class _Grading:
    """One House-Brackmann or Sunnybrook Observation, read."""

    ref: str
    scale: str  # "hb" or "sunnybrook"
    value: str | float
    status: str
    day: date
    when: str
    moment: datetime
    output: tuple[str, str] | None  # fpcds (key, output), None for a clinician's record
    expected_grade: float | None
    performers: tuple[Mapping[str, Any], ...]
    method: str


def _grading(obs: Mapping[str, Any]) -> _Grading:
    label = _label(obs)
    code = _dict(obs, "code")
    if _has_code(code, ids.CODE_SYSTEM, HB_CODE):
        scale = "hb"
        grades = [c["code"][3:] for c in _list(_dict(obs, "valueCodeableConcept"), "coding")
                  if isinstance(c, Mapping) and c.get("system") == ids.CODE_SYSTEM
                  and c.get("code") in {f"HB-{g}" for g in GRADES}]
        if not grades:
            raise ChartRecordError(f"{label}: the House-Brackmann value has no grade code (fpcds HB-I .. HB-VI)")
        value: str | float = grades[0]
    elif _has_code(code, ids.CODE_SYSTEM, SUNNYBROOK_CODE):
        scale = "sunnybrook"
        number = _dict(obs, "valueQuantity").get("value")
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not 0 <= number <= 100:
            raise ChartRecordError(f"{label}: the Sunnybrook composite is {number!r}; expected a number 0-100")
        value = float(number)
    else:
        raise ChartRecordError(f"{label}: the code is neither House-Brackmann nor Sunnybrook (fpcds hb-grade, "
                               "sunnybrook-composite)")
    when = obs.get("effectiveDateTime") or _dict(obs, "effectivePeriod").get("start")
    day, moment = fhir_moment(when, what=f"{label} effective time")
    expected = None
    for comp in _list(obs, "component"):
        if isinstance(comp, Mapping) and _has_code(_dict(comp, "code"), ids.CODE_SYSTEM, EXPECTED_GRADE_CODE):
            number = _dict(comp, "valueQuantity").get("value")
            expected = float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None
    return _Grading(
        ref=label, scale=scale, value=value, status=str(obs.get("status") or "unknown"), day=day, when=str(when),
        moment=moment, output=_output_identifier(obs) if _is_fpcds(obs) else None, expected_grade=expected,
        performers=tuple(p for p in _list(obs, "performer") if isinstance(p, Mapping)),
        method=str(_dict(obs, "method").get("text") or ""),
    )


def _condition(resource: Mapping[str, Any], today: date) -> PalsyCondition | None:
    """The Condition as a facial palsy, or None when it is not one (or was entered in error / refuted)."""
    code = _dict(resource, "code")
    text = code.get("text") if isinstance(code.get("text"), str) else None
    coded = any(isinstance(c, Mapping) and (c.get("system"), c.get("code")) in FACIAL_PALSY_CODES
                for c in _list(code, "coding"))
    words = " ".join([text or ""] + [str(c.get("display") or "") for c in _list(code, "coding")
                                     if isinstance(c, Mapping)]).lower()
    if not coded and not ("bell" in words and "pals" in words) and "facial palsy" not in words:
        return None
    verification = {c.get("code") for c in _list(_dict(resource, "verificationStatus"), "coding")
                    if isinstance(c, Mapping)}
    if verification & _VOID:
        return None
    raw = resource.get("onsetDateTime") or _dict(resource, "onsetPeriod").get("start")
    onset = None if raw is None else fhir_moment(raw, what=f"{_label(resource)} onset")[0]
    days = None if onset is None or onset > today else (today - onset).days
    status = next((str(c.get("code")) for c in _list(_dict(resource, "clinicalStatus"), "coding")
                   if isinstance(c, Mapping) and c.get("code")), "unknown")
    display = text or next((str(c["display"]) for c in _list(code, "coding")
                            if isinstance(c, Mapping) and c.get("display")), "Facial palsy")
    return PalsyCondition(display, onset, days, status)


def _since_onset(day: date, onsets: list[date]) -> int | None:
    """Days from the latest onset on or before ``day``."""
    before = [o for o in onsets if o <= day]
    return (day - max(before)).days if before else None


# ---------------------------------------------------------------- building the rows
def _report_row(report: Mapping[str, Any], gradings: Mapping[str, _Grading], user: str | None) -> ChartRow:
    label = _label(report)
    when = report.get("effectiveDateTime") or _dict(report, "effectivePeriod").get("start") or report.get("issued")
    day, moment = fhir_moment(when, what=f"{label} effective time")
    outputs: dict[str, _Grading] = {}
    for result in _list(report, "result"):
        found = gradings.get(_ref_key(result.get("reference")) or "") if isinstance(result, Mapping) else None
        if found is not None and found.output is not None:
            outputs.setdefault(found.output[1], found)
    status = str(report.get("status") or "unknown")
    interpreters = [r for r in _list(report, "resultsInterpreter") if isinstance(r, Mapping)]
    if status in ("final", "amended", "corrected", "appended") and interpreters:
        source = "fpcds model, approved by " + ", ".join(_person(r, user) for r in interpreters)
    elif status in ("final", "amended", "corrected", "appended"):
        source = "fpcds model, final (approver not recorded)"
    else:
        source = "fpcds model, not yet approved by a clinician"

    def value(output: str) -> Any:
        found = outputs.get(output)
        return None if found is None else found.value

    model_hb = outputs.get("hb-grade/model")
    identifier = _output_identifier(report)
    findings = tuple(str(c.get("text") or next((x.get("display") for x in _list(c, "coding")
                                                  if isinstance(x, Mapping) and x.get("display")), ""))
                     for c in _list(report, "conclusionCode") if isinstance(c, Mapping))
    return ChartRow(
        day=day, when=str(when), moment=moment, source="fpcds", source_text=source, status=status,
        hb_grade=value("hb-grade/model"), hb_measured=value("hb-grade/rules"), sunnybrook=value("sunnybrook/model"),
        sunnybrook_rules=value("sunnybrook/rules"),
        expected_grade=model_hb.expected_grade if model_hb is not None else None,
        findings=tuple(f for f in findings if f), detail=str(report.get("conclusion") or ""),
        key=identifier[0] if identifier else None,
    )


def _clinician_rows(gradings: Iterable[_Grading], user: str | None) -> list[ChartRow]:
    """Clinician gradings grouped into one row per time and performer (one value per scale and row)."""
    rows: list[dict[str, Any]] = []
    for g in sorted(gradings, key=lambda g: (g.moment, g.scale)):
        who = tuple(_person(p, user) for p in g.performers)
        row = next((r for r in rows if r["when"] == g.when and r["who"] == who and g.scale not in r), None)
        if row is None:
            row = {"when": g.when, "who": who, "day": g.day, "moment": g.moment, "statuses": [], "methods": []}
            rows.append(row)
        row[g.scale] = g.value
        row["statuses"].append(g.status)
        if g.method and g.method not in row["methods"]:
            row["methods"].append(g.method)
    return [ChartRow(
        day=r["day"], when=r["when"], moment=r["moment"], source="clinician",
        source_text="clinician-recorded" + (" by " + ", ".join(r["who"]) if r["who"] else ""),
        status=", ".join(dict.fromkeys(r["statuses"])), hb_grade=r.get("hb"), sunnybrook=r.get("sunnybrook"),
        detail=" ".join(r["methods"]),
    ) for r in rows]


def read_history(client: FhirClient, patient: str, *, user: str | None, today: date) -> ChartHistory:
    """Read the patient's earlier assessments and facial palsy conditions from the chart.

    Parameters
    ----------
    client : FhirClient
        A client of the patient's EHR, with a token that may search DiagnosticReport, Observation, Condition.
    patient : str
        The patient's FHIR id.
    user : str, optional
        The signed-in clinician's fhirUser (their rows say "(you)").
    today : date
        For the days since onset.

    Raises
    ------
    FhirClientError
        A search failed (typed: forbidden, unreachable ...).
    """
    cs = ids.CODE_SYSTEM
    reports = client.search("DiagnosticReport", {"patient": patient, "code": f"{cs}|{REPORT_CODE}",
                                                 "_sort": "-date", "_count": str(PAGE_SIZE)}, max_pages=MAX_PAGES)
    observations = client.search("Observation", {"patient": patient,
                                                 "code": f"{cs}|{HB_CODE},{cs}|{SUNNYBROOK_CODE}",
                                                 "_sort": "-date", "_count": str(PAGE_SIZE)}, max_pages=MAX_PAGES)
    conditions = client.search("Condition", {"patient": patient, "_count": str(PAGE_SIZE)}, max_pages=MAX_PAGES)
    skipped: list[str] = []

    def readable(items: list[dict[str, Any]], read: Callable[[dict[str, Any]], Any]) -> list[Any]:
        out = []
        for item in items:
            if str(item.get("status")) in _VOID:
                continue
            try:
                out.append(read(item))
            except ChartRecordError as exc:
                skipped.append(str(exc))
        return out

    palsies = [c for c in readable(conditions, lambda r: _condition(r, today)) if c is not None]
    gradings = readable(observations, _grading)
    by_ref = {g.ref: g for g in gradings}
    rows = readable([r for r in reports if _is_fpcds(r)], lambda r: _report_row(r, by_ref, user))
    rows += _clinician_rows((g for g in gradings if g.output is None), user)
    onsets = [c.onset for c in palsies if c.onset is not None]
    rows = [_with_onset(r, onsets) for r in rows]
    rows.sort(key=lambda r: (r.moment, r.source == "fpcds"), reverse=True)
    palsies.sort(key=lambda c: c.onset or date.min, reverse=True)
    return ChartHistory(rows=tuple(rows), conditions=tuple(palsies), skipped=tuple(skipped))


def _with_onset(row: ChartRow, onsets: list[date]) -> ChartRow:
    days = _since_onset(row.day, onsets)
    return row if days is None else dataclasses.replace(row, days_since_onset=days)


def previous_for_careplan(history: ChartHistory, *, exclude_key: str | None = None) -> dict[str, Any] | None:
    """The latest approved fpcds assessment in the chart, as ``previous`` of :func:`models.careplan.propose_care_plan`.

    Parameters
    ----------
    history : ChartHistory
    exclude_key : str, optional
        The assessment key of the assessment being planned (it is not its own previous).

    Returns
    -------
    dict or None
        ``{"outputs": {"hb_grade": {"expected_grade": ...}, "sunnybrook": {"value": ...}}, "recorded": <day>}``
        (the fields the worsening rule compares), None when the chart holds no approved fpcds assessment
        with both.
    """
    for row in history.rows:
        if (row.source == "fpcds" and row.status == "final" and row.key != exclude_key
                and row.expected_grade is not None and row.sunnybrook is not None):
            return {"outputs": {"hb_grade": {"expected_grade": row.expected_grade},
                                "sunnybrook": {"value": row.sunnybrook}},
                    "recorded": row.day.isoformat()}
    return None
