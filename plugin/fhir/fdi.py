"""The Facial Disability Index (FDI): its Questionnaire, scoring and QuestionnaireResponses (pure, no HTTP).

The Questionnaire ``http://fpcds.example.org/fhir/Questionnaire/fdi``
(``fhir_profiles``, built from ``fsh/input/fsh/fdi.fsh``) is the one source of
the items, their answer codes and the points each answer scores (its
``ordinalValue``); the wording paraphrases the published instrument
(VanSwearingen and Brach 1996).

Scoring: physical function = (sum - N) / N x 25 over the N counted items 1-5
(an item answered 0, "usually did not do this for other reasons", is not
counted); social and well-being function = (sum - N) / N x 20 over items
6-10 (item 6 scores 6 for "all of the time", items 7-10 are reversed). Both
run from 0 to 100, 100 = no disability.

Answers are given as ``{linkId: points}`` (``{"1": 5, ..., "10": 6}``), the
points of the chosen answer option. A response written by fpcds carries the
two scores as read-only items for readers without fpcds; fpcds itself always
re-scores from the item answers (:func:`scores_from_response`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator, Mapping

from . import ids
from .errors import FhirMappingError
from .narrative import narrative

URL = f"{ids.CANONICAL}/Questionnaire/fdi"
#: Identifier system of the responses fpcds writes (conditional create on it).
SID_RESPONSE = f"{ids.CANONICAL}/sid/fdi-response"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
PHYSICAL_ITEMS: tuple[str, ...] = ("1", "2", "3", "4", "5")
SOCIAL_ITEMS: tuple[str, ...] = ("6", "7", "8", "9", "10")
SCORE_ITEMS = {"physical": "physical-score", "social": "social-score"}
#: Where the profile build files the Questionnaire (a conformance resource).
_FILES = (("resources", "Questionnaire-fdi.json"),)
_REFERENCE = re.compile(r"(?:https?://\S+/)?(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-.]{1,64}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]{1,64}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
_ROLES = {"Practitioner": "a clinician", "PractitionerRole": "a clinician", "RelatedPerson": "a related person"}
#: Response statuses whose answers count.
SCORED_STATUSES = ("completed", "amended")


@dataclass(frozen=True)
class FdiOption:
    """One answer option: its fpcds code, display and the points it scores."""

    code: str
    display: str
    points: int

    def coding(self) -> dict[str, str]:
        return {"system": ids.CODE_SYSTEM, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class FdiItem:
    """One question: ``link_id`` ``'1'`` to ``'10'``, its part (``'physical'`` or ``'social'``), text and options."""

    link_id: str
    part: str
    text: str
    options: tuple[FdiOption, ...]

    @property
    def label(self) -> str:
        """How messages name the item, e.g. ``item 3 (Pronouncing particular sounds ...)``."""
        return f"item {self.link_id} ({self.text})"

    @property
    def points_range(self) -> tuple[int, int]:
        values = [o.points for o in self.options]
        return min(values), max(values)

    def option_for_points(self, points: int) -> FdiOption:
        return next(o for o in self.options if o.points == points)

    def option_for_code(self, code: str) -> FdiOption | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class FdiGroup:
    """A part of the questionnaire: ``physical`` or ``social`` with its heading and items."""

    link_id: str
    text: str
    items: tuple[FdiItem, ...]


@dataclass(frozen=True)
class FdiQuestionnaire:
    """The FDI Questionnaire as fpcds uses it."""

    url: str
    version: str
    title: str
    groups: tuple[FdiGroup, ...]
    scores_text: str
    score_texts: dict[str, str]

    @property
    def canonical(self) -> str:
        """``url|version``, as written in ``QuestionnaireResponse.questionnaire``."""
        return f"{self.url}|{self.version}"

    @property
    def items(self) -> tuple[FdiItem, ...]:
        return tuple(item for group in self.groups for item in group.items)

    def item(self, link_id: str) -> FdiItem | None:
        return next((i for i in self.items if i.link_id == link_id), None)


@dataclass(frozen=True)
class FdiScores:
    """The two FDI scores of one response.

    Attributes
    ----------
    physical, social : float or None
        0 to 100, 100 = no disability; None when no item of that part was counted.
    authored : str
        When the answers were given (ISO 8601 / FHIR dateTime).
    source : str
        Where the scores come from, e.g. ``'QuestionnaireResponse/<id>'`` or ``'entered in fpcds'``.
    """

    physical: float | None
    social: float | None
    authored: str
    source: str


def _bad_questionnaire(where: str, problem: str) -> FhirMappingError:
    return FhirMappingError(f"{where}: the FDI Questionnaire is unusable: {problem}")


def _parse_item(raw: dict[str, Any], part: str, where: str) -> FdiItem:
    link_id = str(raw.get("linkId", ""))
    options = []
    for opt in raw.get("answerOption") or []:
        coding = opt.get("valueCoding") or {}
        points = [e.get("valueDecimal") for e in opt.get("extension") or [] if e.get("url") == ORDINAL_VALUE]
        if coding.get("system") != ids.CODE_SYSTEM or not coding.get("code") or len(points) != 1:
            raise _bad_questionnaire(where, f"an answer option of item {link_id!r} lacks an fpcds code or its "
                                            "ordinalValue")
        options.append(FdiOption(coding["code"], coding.get("display", coding["code"]), int(points[0])))
    if not options:
        raise _bad_questionnaire(where, f"item {link_id!r} has no answer options")
    return FdiItem(link_id, part, str(raw.get("text", "")), tuple(options))


def parse_questionnaire(resource: Mapping[str, Any], *, where: str = "Questionnaire") -> FdiQuestionnaire:
    """Read the items, options and points out of the FDI Questionnaire resource.

    Raises
    ------
    FhirMappingError
        Naming ``where`` when the resource is not the FDI or lacks an item, option code or ordinalValue.
    """
    if resource.get("resourceType") != "Questionnaire" or resource.get("url") != URL:
        raise _bad_questionnaire(where, f"expected a Questionnaire with url {URL}")
    top = {str(i.get("linkId")): i for i in resource.get("item") or []}
    groups = []
    for part, wanted in (("physical", PHYSICAL_ITEMS), ("social", SOCIAL_ITEMS)):
        raw = top.get(part)
        if raw is None:
            raise _bad_questionnaire(where, f"group {part!r} is missing")
        items = tuple(_parse_item(i, part, where) for i in raw.get("item") or [])
        if tuple(i.link_id for i in items) != wanted:
            raise _bad_questionnaire(where, f"group {part!r} has items {[i.link_id for i in items]}; "
                                            f"expected {list(wanted)}")
        groups.append(FdiGroup(part, str(raw.get("text", "")), items))
    scores = top.get("scores") or {}
    score_texts = {str(i.get("linkId")): str(i.get("text", "")) for i in scores.get("item") or []}
    if set(score_texts) != set(SCORE_ITEMS.values()):
        raise _bad_questionnaire(where, f"group 'scores' needs the items {sorted(SCORE_ITEMS.values())}")
    return FdiQuestionnaire(url=URL, version=str(resource.get("version", "")), title=str(resource.get("title", "")),
                            groups=tuple(groups), scores_text=str(scores.get("text", "")), score_texts=score_texts)


@lru_cache(maxsize=1)
def load_questionnaire() -> FdiQuestionnaire:
    """The FDI Questionnaire shipped in ``fhir_profiles`` (read once).

    Raises
    ------
    FhirMappingError
        When the file is missing, is not JSON or is not the FDI.
    """
    root = resources.files("fhir_profiles")
    for folder, name in _FILES:
        path = root.joinpath(folder, name)
        if path.is_file():
            try:
                resource = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise _bad_questionnaire(str(path), f"cannot read it ({exc})") from None
            return parse_questionnaire(resource, where=str(path))
    raise _bad_questionnaire(f"fhir_profiles/{_FILES[-1][0]}/{_FILES[-1][1]}",
                             "the file is missing; run 'python -m conformance.profiles build'")


def _part_score(values: list[int], *, factor: float) -> float | None:
    counted = [v for v in values if v != 0]
    if not counted:
        return None
    n = len(counted)
    return (sum(counted) - n) / n * factor


def check_answers(answers: Mapping[str, int]) -> dict[str, int]:
    """``answers`` as ``{linkId: points}`` for all ten items, checked against the Questionnaire.

    Raises
    ------
    FhirMappingError
        Naming the unknown item, the items without an answer, or the item whose points are out of range.
    """
    if not isinstance(answers, Mapping):
        raise FhirMappingError(f"FDI answers are a {type(answers).__name__}; expected a mapping of item "
                               "linkId to points")
    q = load_questionnaire()
    for key in answers:
        if not isinstance(key, str) or q.item(key) is None:
            raise FhirMappingError(f"FDI answer for item {key!r}: the FDI has no such item; expected items 1 to 10")
    missing = [i for i in q.items if i.link_id not in answers]
    if missing:
        raise FhirMappingError("FDI items not answered: " + "; ".join(i.label for i in missing)
                               + "; every item needs an answer")
    out: dict[str, int] = {}
    for item in q.items:
        value = answers[item.link_id]
        low, high = item.points_range
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FhirMappingError(f"FDI {item.label}: answer {value!r} is not a valid score; expected a whole "
                                   f"number from {low} to {high}")
        out[item.link_id] = value
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def score_fdi(answers: Mapping[str, int], *, authored: str | None = None,
              source: str = "entered in fpcds") -> FdiScores:
    """Score a complete set of FDI answers.

    Parameters
    ----------
    answers : mapping of str to int
        Points per item linkId: items 1-5 from 0 (not counted) to 5, items 6-10 from 1 to 6.
    authored : str, optional
        When they were given (ISO 8601); now (UTC) when omitted.
    source : str
        Recorded in the result.

    Raises
    ------
    FhirMappingError
        (a ValueError) naming the bad, unknown or unanswered item.
    """
    checked = check_answers(answers)
    physical = _part_score([checked[k] for k in PHYSICAL_ITEMS], factor=25.0)
    social = _part_score([checked[k] for k in SOCIAL_ITEMS], factor=20.0)
    return FdiScores(physical=physical, social=social, authored=authored or _now(), source=source)


def answers_from_codes(codes: Mapping[str, str]) -> dict[str, int]:
    """``{linkId: answer code}`` (as a form posts them) -> ``{linkId: points}``; items without a code are left out.

    Raises
    ------
    FhirMappingError
        Naming the item whose code is not one of its answer options.
    """
    q = load_questionnaire()
    out: dict[str, int] = {}
    for link_id, code in codes.items():
        item = q.item(link_id)
        if item is None:
            raise FhirMappingError(f"FDI answer for item {link_id!r}: the FDI has no such item")
        option = item.option_for_code(code)
        if option is None:
            raise FhirMappingError(f"FDI {item.label}: {code!r} is not one of its answers")
        out[link_id] = option.points
    return out


def _reference(value: str | None, *, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _REFERENCE.fullmatch(value.strip()):
        raise FhirMappingError(f"{field} {value!r} is not a reference to a person; expected "
                               "'Practitioner/<id>', 'PractitionerRole/<id>', 'Patient/<id>' or 'RelatedPerson/<id>'")
    return value.strip()


def _fmt(score: float | None) -> str:
    return "not scored (no item counted)" if score is None else f"{score:.1f}"


def questionnaire_response(answers: Mapping[str, int], *, patient: str, author: str | None, authored: str,
                           identifier: str, source: str | None) -> dict[str, Any]:
    """The completed QuestionnaireResponse of a set of FDI answers, with both scores as read-only items.

    Parameters
    ----------
    answers : mapping of str to int
        Points per item linkId (see :func:`score_fdi`).
    patient : str
        ``<id>`` or ``Patient/<id>``: the subject.
    author : str or None
        Who recorded the answers (the signed-in user, ``Practitioner/<id>`` or ``Patient/<id>``).
    authored : str
        FHIR dateTime with time zone.
    identifier : str
        Business identifier value (``[A-Za-z0-9._-]{1,64}``, e.g. a UUID) in system :data:`SID_RESPONSE`.
    source : str or None
        Who answered (the patient's or a clinician's reference); left out when None (not known).

    Raises
    ------
    FhirMappingError
        Naming the bad item, reference, time or identifier.
    """
    q = load_questionnaire()
    checked = check_answers(answers)
    subject = ids.patient_reference(patient)
    author_ref = _reference(author, field="author")
    source_ref = _reference(source, field="source")
    if source_ref is not None and source_ref.rsplit("/", 2)[-2] == "Patient":
        if "Patient/" + source_ref.rsplit("/", 1)[-1] != subject:
            raise FhirMappingError(f"source {source!r} is another patient than the subject {subject!r}")
        source_ref = subject
    if not isinstance(authored, str) or not _DATETIME.fullmatch(authored):
        raise FhirMappingError(f"authored {authored!r} is not a FHIR dateTime with time zone "
                               "(e.g. 2026-03-02T10:05:00+01:00)")
    if not isinstance(identifier, str) or not _IDENTIFIER.fullmatch(identifier):
        raise FhirMappingError(f"identifier {identifier!r} is not usable; expected 1-64 of A-Z a-z 0-9 . _ -")
    scores = score_fdi(checked, authored=authored)
    items: list[dict[str, Any]] = []
    for group in q.groups:
        answered = [{"linkId": i.link_id, "text": i.text,
                     "answer": [{"valueCoding": i.option_for_points(checked[i.link_id]).coding()}]}
                    for i in group.items]
        items.append({"linkId": group.link_id, "text": group.text, "item": answered})
    score_items = [{"linkId": SCORE_ITEMS[part], "text": q.score_texts[SCORE_ITEMS[part]],
                    "answer": [{"valueDecimal": round(value, 2)}]}
                   for part, value in (("physical", scores.physical), ("social", scores.social)) if value is not None]
    items.append({"linkId": "scores", "text": q.scores_text, "item": score_items})
    if source_ref is None:
        who = "Who answered is not recorded"
    elif source_ref == subject:
        who = "Answered by the patient"
    else:
        who = f"Answered on the patient's behalf by {_ROLES[source_ref.rsplit('/', 2)[-2]]}"
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "text": narrative(q.title, [f"Physical function {_fmt(scores.physical)}, social and well-being function "
                                    f"{_fmt(scores.social)} (0 to 100, 100 = no disability).",
                                    f"{who}; recorded with fpcds."]),
        "identifier": {"system": SID_RESPONSE, "value": identifier},
        "questionnaire": q.canonical,
        "status": "completed",
        "subject": {"reference": subject},
        "authored": authored,
    }
    if author_ref:
        resource["author"] = {"reference": author_ref}
    if source_ref:
        resource["source"] = {"reference": source_ref}
    resource["item"] = items
    return resource


def _walk(items: list[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        if isinstance(item, dict):
            yield item
            yield from _walk(item.get("item") or [])
            for answer in item.get("answer") or []:
                if isinstance(answer, dict):
                    yield from _walk(answer.get("item") or [])


def answers_from_response(qr: Mapping[str, Any]) -> dict[str, int]:
    """``{linkId: points}`` of a QuestionnaireResponse to the FDI, read from its item answers.

    Raises
    ------
    FhirMappingError
        When the response answers another questionnaire (naming it), is not completed, or an item has no
        answer, several answers or an answer that is not one of its options.
    """
    q = load_questionnaire()
    if not isinstance(qr, Mapping) or qr.get("resourceType") != "QuestionnaireResponse":
        found = qr.get("resourceType") if isinstance(qr, Mapping) else type(qr).__name__
        raise FhirMappingError(f"expected a QuestionnaireResponse; found {found!r}")
    answered = str(qr.get("questionnaire") or "")
    url, _, version = answered.partition("|")
    if url != q.url:
        raise FhirMappingError(f"the QuestionnaireResponse answers questionnaire {answered or '(none)'!r}, not the "
                               f"Facial Disability Index ({q.url})")
    if version and version != q.version:
        raise FhirMappingError(f"the QuestionnaireResponse answers FDI version {version!r}; fpcds scores version "
                               f"{q.version}")
    if qr.get("status") not in SCORED_STATUSES:
        raise FhirMappingError(f"the FDI QuestionnaireResponse has status {qr.get('status')!r}; only "
                               f"{' or '.join(SCORED_STATUSES)} responses are scored")
    codes: dict[str, str] = {}
    for node in _walk(list(qr.get("item") or [])):
        item = q.item(str(node.get("linkId")))
        if item is None:
            continue
        if item.link_id in codes:
            raise FhirMappingError(f"FDI {item.label} appears twice in the QuestionnaireResponse")
        answers = node.get("answer") or []
        if len(answers) != 1:
            raise FhirMappingError(f"FDI {item.label} has {len(answers)} answers in the QuestionnaireResponse; "
                                   "expected one")
        coding = answers[0].get("valueCoding") if isinstance(answers[0], dict) else None
        if not isinstance(coding, dict) or coding.get("system") != ids.CODE_SYSTEM:
            raise FhirMappingError(f"FDI {item.label}: the answer is not an fpcds code ({ids.CODE_SYSTEM})")
        codes[item.link_id] = str(coding.get("code"))
    points = answers_from_codes(codes)
    check_answers(points)
    return points


def scores_from_response(qr: Mapping[str, Any], *, source: str | None = None) -> FdiScores:
    """Re-score a QuestionnaireResponse to the FDI from its item answers (its stored score items are ignored).

    Parameters
    ----------
    qr : dict
        The QuestionnaireResponse.
    source : str, optional
        Recorded in the result; ``QuestionnaireResponse/<id>`` when omitted.

    Raises
    ------
    FhirMappingError
        See :func:`answers_from_response`; also when ``authored`` is missing.
    """
    points = answers_from_response(qr)
    authored = qr.get("authored")
    if not isinstance(authored, str) or not authored:
        raise FhirMappingError("the FDI QuestionnaireResponse has no authored time")
    rid = qr.get("id")
    return score_fdi(points, authored=authored,
                     source=source or (f"QuestionnaireResponse/{rid}" if rid else "QuestionnaireResponse"))


def authored_instant(authored: str) -> datetime:
    """``authored`` as an aware datetime for sorting (a date alone is its midnight UTC; unreadable is the epoch)."""
    try:
        value = datetime.fromisoformat(authored)
    except (TypeError, ValueError):
        return datetime.fromtimestamp(0, timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
