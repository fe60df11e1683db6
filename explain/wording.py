"""Plain clinical words for features and their contributions.

``describe_feature`` turns a catalogue name and its value into what a
physician reads ("left mouth-corner movement during big smile 3.1 mm
(healthy side 9.8 mm)"): sides are the patient's real sides (the affected
side of the assessment), muscles and measures get their everyday names,
values carry their units and, where the catalogue has it, the other side's
value. ``contribution_sentence`` adds what the contribution did to the
output ("... pushed the grade towards IV (+0.84 logit)").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from acquisition.protocol import STANDARD_PROTOCOL

from .explanation import Contribution, ModelExplanation, OutputExplanation

MUSCLE_WORDS: dict[str, str] = {
    "frontalis_medial": "inner forehead muscle (frontalis)",
    "frontalis_lateral": "outer forehead muscle (frontalis)",
    "corrugator": "brow-furrowing muscle (corrugator)",
    "depressor_supercilii": "brow depressor (depressor supercilii)",
    "orbicularis_oculi": "eye-closing muscle (orbicularis oculi)",
    "levator_labii": "upper-lip lifter (levator labii)",
    "zygomaticus": "smile muscle (zygomaticus major)",
    "orbicularis_oris": "lip muscle (orbicularis oris)",
    "depressor_anguli_oris": "mouth-corner depressor (DAO)",
    "mentalis": "chin muscle (mentalis)",
    "masseter": "jaw muscle (masseter, control)",
}

#: Landmark measure -> (its value, its movement).
MEASURE_WORDS: dict[str, tuple[str, str]] = {
    "brow_height": ("brow height", "brow lift"),
    "mrd1": ("upper-lid position (MRD1)", "upper-lid movement (MRD1)"),
    "mrd2": ("lower-lid position (MRD2)", "lower-lid movement (MRD2)"),
    "fissure": ("eye opening", "change in eye opening"),
    "commissure": ("mouth-corner distance from the lip midline", "mouth-corner excursion"),
    "commissure_height": ("mouth-corner height", "mouth-corner rise"),
    "smile_angle": ("smile angle", "change in smile angle"),
    "lower_lip": ("lower-lip height", "lower-lip movement"),
    "nasolabial": ("nasolabial fold length", "change in nasolabial fold length"),
    "commissure_displacement": ("mouth-corner position", "mouth-corner movement"),
    "cheek_displacement": ("cheek position", "cheek movement"),
    "dental_show": ("dental show", "change in dental show"),
    "mouth_width": ("mouth width", "change in mouth width"),
}

TASK_WORDS: dict[str, str] = {
    "rest": "at rest",
    "eee": "while saying 'eee'",
    "smile_open": "during big smile",
    "outside_tasks": "outside the protocol tasks",
}

CLINICAL_WORDS: dict[str, str] = {
    "clinical.age": "age",
    "clinical.sex_female": "sex",
    "clinical.days_since_onset": "time since onset",
    "clinical.fdi_physical": "Facial Disability Index, physical function",
    "clinical.fdi_social": "Facial Disability Index, social function",
}

#: unit -> (format, shown unit).
UNIT_FORMATS: dict[str, tuple[str, str]] = {
    "mm": ("{:.1f}", " mm"), "mm/s": ("{:.0f}", " mm/s"), "mm/s2": ("{:.0f}", " mm/s²"), "deg": ("{:.0f}", "°"),
    "s": ("{:.2f}", " s"), "Hz": ("{:.0f}", " Hz"), "uV": ("{:.1f}", " µV"), "%": ("{:.0f}", "%"),
    "1": ("{:.2f}", ""), "a": ("{:.0f}", " years"), "d": ("{:.0f}", " days"), "/h": ("{:.1f}", "/h"),
    "h": ("{:.2f}", " h"),
}

#: Binary model id -> the event in words.
EVENT_WORDS: dict[str, str] = {
    "lesion": "a central lesion",
    "synkinesis": "synkinesis",
    "recovery_6mo": "complete recovery by 6 months",
}
#: Interval model id -> the estimate in words.
ESTIMATE_WORDS: dict[str, str] = {
    "sunnybrook": "the Sunnybrook composite estimate",
    "weeks_to_recovery": "the predicted time to recovery",
}
PART_WORDS = {"lower": "lower bound of ", "upper": "upper bound of ", "q10": "lower bound of ",
              "q90": "upper bound of ", "point": "", "q50": ""}


@lru_cache(maxsize=1)
def catalogue_units() -> dict[str, str]:
    """Feature name -> unit, for every feature of the catalogue and of long recordings."""
    from models.features.names import feature_specs, long_feature_specs

    return {s.name: s.unit for s in (*feature_specs(), *long_feature_specs())}


def format_value(value: float, unit: str) -> str:
    """``3.1 mm``, ``45%``, ``0.32``; ``not available`` for NaN."""
    if value is None or not math.isfinite(value):
        return "not available"
    fmt, shown = UNIT_FORMATS.get(unit, ("{:.3g}", f" {unit}" if unit else ""))
    text = fmt.format(value)
    return "0" + text[2:] + shown if text.startswith("-0") and float(text) == 0 else text + shown


@dataclass(frozen=True)
class Sides:
    """Which real side ``affected`` and ``healthy`` mean.

    Attributes
    ----------
    affected : {'left', 'right'}
    source : {'subject', 'inferred', 'unknown'}
    """

    affected: str
    source: str = "inferred"

    @property
    def healthy(self) -> str:
        return "right" if self.affected == "left" else "left"

    def word(self, op: str) -> str:
        """'left' / 'right' for 'affected' / 'healthy'."""
        return self.affected if op == "affected" else self.healthy

    def other_label(self, op: str) -> str:
        """How the counterpart side is named: 'healthy side' (or 'right side' when the side is unknown)."""
        if self.source == "unknown":
            return f"{self.word('healthy' if op == 'affected' else 'affected')} side"
        return "healthy side" if op == "affected" else "affected side"


@dataclass(frozen=True)
class FeatureName:
    """A parsed catalogue name.

    Attributes
    ----------
    modality, group, quantity, task : str
        ``quantity`` without its side suffix.
    op : {'affected', 'healthy', ''}
        The side suffix ('' for ratios, asymmetries, midline and clinical values).
    """

    modality: str
    group: str
    quantity: str
    task: str
    op: str

    def sided(self, op: str, quantity: str | None = None) -> str:
        """The catalogue name of the ``op`` side of this (or another) quantity for the same group and task."""
        return f"{self.modality}.{self.group}.{quantity or self.quantity}_{op}.{self.task}"


def parse_feature(name: str) -> FeatureName:
    """Split a catalogue name into its parts (clinical facts have group = the fact)."""
    parts = name.split(".")
    if parts[0] == "clinical" or len(parts) != 4:
        return FeatureName(parts[0], ".".join(parts[1:]), "value", "", "")
    modality, group, quantity, task = parts
    for op in ("affected", "healthy"):
        if quantity.endswith("_" + op):
            return FeatureName(modality, group, quantity[: -len(op) - 1], task, op)
    return FeatureName(modality, group, quantity, task, "")


def task_words(task: str) -> str:
    """``'during big smile'``, ``'at rest'``."""
    if task in TASK_WORDS:
        return TASK_WORDS[task]
    try:
        return "during " + STANDARD_PROTOCOL.task(task).title.lower()
    except KeyError:
        return f"during {task.replace('_', ' ')}"


def _emg_phrase(f: FeatureName, sides: Sides) -> str:
    names = [MUSCLE_WORDS.get(m, m.replace("_", " ")) for m in f.group.split("-")]
    muscle = " and ".join(names)
    s = sides.word(f.op) + " " if f.op else ""
    a, h = sides.affected, sides.healthy
    table = {
        "rms": f"{s}{muscle} sEMG amplitude {{t}}",
        "rms_ratio": f"{muscle} sEMG amplitude {{t}}, {a}/{h} ratio",
        "mav_ratio": f"{muscle} sEMG mean absolute value {{t}}, {a}/{h} ratio",
        "rms_rest_norm": f"{s}{muscle} sEMG amplitude {{t}} (multiple of rest)",
        "mav_rest_norm": f"{s}{muscle} sEMG mean absolute value {{t}} (multiple of rest)",
        "mdf": f"{s}{muscle} sEMG median frequency {{t}}",
        "mnf": f"{s}{muscle} sEMG mean frequency {{t}}",
        "hf_fraction": f"share of {s}{muscle} sEMG power above 200 Hz {{t}}",
        "onset_delay": f"{muscle} sEMG onset {{t}}, {a} minus {h} side",
        "coactivation": f"{s}{muscle} co-activation {{t}} (synkinesis)",
        "xcorr": f"{s}{muscle} envelope correlation with the target muscle {{t}} (synkinesis)",
        "activation_episodes": f"{s}{muscle} involuntary activation episodes {{t}}",
        "activation_per_h": f"{s}{muscle} involuntary activations per hour {{t}}",
        "active_fraction": f"time the {s}{muscle} is active {{t}}",
        "coactivation_episodes": f"{s}joint activations of the {muscle} {{t}}",
        "coactivation_per_h": f"{s}joint activations per hour of the {muscle} {{t}}",
        "hours": "hours of sEMG {t}",
    }
    return table.get(f.quantity, f"{s}{muscle} {f.quantity.replace('_', ' ')} {{t}}")


def _motion_phrase(f: FeatureName, sides: Sides) -> str:
    s = sides.word(f.op) + " " if f.op else ""
    a, h = sides.affected, sides.healthy
    if f.group == "ocular_synkinesis":
        return {"narrowing": f"{s}involuntary eye narrowing {{t}}",
                "comovement": f"{s}eye narrowing moving with the mouth {{t}}"}.get(f.quantity,
                                                                                   f"{s}ocular synkinesis {{t}}")
    if f.group == "oral_synkinesis":
        return {"displacement": f"{s}involuntary mouth-corner movement {{t}}",
                "comovement": f"{s}mouth corner moving with the eye or brow {{t}}"}.get(f.quantity,
                                                                                      f"{s}oral synkinesis {{t}}")
    static, movement = MEASURE_WORDS.get(f.group, (f.group.replace("_", " "), f.group.replace("_", " ") + " movement"))
    q = f.quantity
    if q == "value":
        return f"{s}{static} {{t}}"
    if q == "ratio":
        return f"{static} {{t}}, {a}/{h} ratio"
    if q == "asym_pct":
        return f"asymmetry of {static} {{t}}"
    if q.startswith("asym_"):
        return f"left-right difference in {static} {{t}}"
    if q == "excursion":
        return f"{s}{movement} {{t}}"
    if q == "excursion_ratio":
        return f"{movement} {{t}}, {a}/{h} ratio"
    if q == "excursion_asym_pct":
        return f"asymmetry of {movement} {{t}}"
    if q.startswith("excursion_asym_"):
        return f"left-right difference in {movement} {{t}}"
    kinematic = {"peak_velocity": "peak speed", "peak_acceleration": "peak acceleration", "onset": "onset time",
                 "time_to_peak": "time to peak"}
    if q in kinematic:
        return f"{kinematic[q]} of the {s}{movement} {{t}}"
    if q == "lr_delay":
        return f"onset of the {movement} {{t}}, {a} minus {h} side"
    return f"{s}{static} {q.replace('_', ' ')} {{t}}"


def feature_phrase(name: str, sides: Sides) -> str:
    """What a feature is, in words, without its value (e.g. ``'left mouth-corner movement during big smile'``)."""
    f = parse_feature(name)
    if f.modality == "clinical":
        return CLINICAL_WORDS.get(name, f.group.replace("_", " "))
    template = _emg_phrase(f, sides) if f.modality == "emg" else _motion_phrase(f, sides)
    text = template.replace("{t}", task_words(f.task) if f.task else "")
    return " ".join(text.split()).replace(" ,", ",")


def _clinical_value(name: str, value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "not available"
    if name == "clinical.sex_female":
        return "female" if value >= 0.5 else "male"
    if name == "clinical.days_since_onset":
        return f"{value:.0f} days"
    if name.startswith("clinical.fdi"):
        return f"{value:.0f}/100"
    return format_value(value, unit)


def _counterparts(f: FeatureName) -> tuple[str, str] | None:
    """Sided source features of a two-sided quantity (ratio, asymmetry, delay): (affected name, healthy name)."""
    q = f.quantity
    if f.modality == "emg" and q == "rms_ratio":
        base = "rms"
    elif f.modality == "motion" and (q == "ratio" or (q.startswith("asym_") and f.task == "rest")):
        base = "value"
    elif f.modality == "motion" and (q == "excursion_ratio" or q.startswith("excursion_asym_")):
        base = "excursion"
    elif f.modality == "motion" and q == "lr_delay":
        base = "onset"
    else:
        return None
    return f.sided("affected", base), f.sided("healthy", base)


def describe_feature(name: str, value: float, unit: str, *, sides: Sides,
                     context: Mapping[str, float] | None = None) -> str:
    """A feature with its value and, where known, the other side's value.

    Parameters
    ----------
    name : str
        Catalogue name.
    value : float
        Its value in ``unit`` (NaN: not available).
    unit : str
        Catalogue unit.
    sides : Sides
    context : mapping, optional
        Other feature values of the session (for the counterpart).

    Returns
    -------
    str
        E.g. ``'left mouth-corner movement during big smile 3.1 mm (healthy side 9.8 mm)'``.
    """
    f = parse_feature(name)
    phrase = feature_phrase(name, sides)
    if f.modality == "clinical":
        return f"{phrase} {_clinical_value(name, value, unit)}"
    if not math.isfinite(value):
        return f"{phrase} (not available)"
    shown = format_value(value, unit)
    if f.quantity.endswith("asym_pct"):
        shown += f" of the {sides.other_label('affected')}"
    text = f"{phrase} {shown}"
    context = context or {}
    if f.op:
        other = "healthy" if f.op == "affected" else "affected"
        v = context.get(f.sided(other))
        if v is not None and math.isfinite(v):
            text += f" ({sides.other_label(f.op)} {format_value(v, unit)})"
        return text
    pair = _counterparts(f)
    if pair is not None:
        va, vh = context.get(pair[0]), context.get(pair[1])
        if va is not None and vh is not None and math.isfinite(va) and math.isfinite(vh):
            side_unit = catalogue_units().get(pair[0], unit)
            text += (f" ({sides.affected} {format_value(va, side_unit)}, "
                     f"{sides.healthy} {format_value(vh, side_unit)})")
    return text


def _signed(x: float, unit: str) -> str:
    return f"{x:+.2f} {unit}" if abs(x) >= 0.005 or x == 0 else f"{x:+.1e} {unit}"


def effect_phrase(model: ModelExplanation, output: OutputExplanation, contribution: float) -> str:
    """What a contribution did to the output, e.g. ``'pushed the grade towards IV (+0.84 logit)'``."""
    up = contribution >= 0
    if model.kind == "multiclass":
        where = "towards" if up else "away from"
        return f"pushed the grade {where} {output.name} ({_signed(contribution, 'logit')})"
    if model.kind == "binary":
        event = EVENT_WORDS.get(model.model_id, f"'{output.name}'")
        return f"{'raised' if up else 'lowered'} the probability of {event} ({_signed(contribution, 'log-odds')})"
    estimate = PART_WORDS.get(output.name, f"{output.name} of ") + ESTIMATE_WORDS.get(model.model_id, model.title)
    if output.unit == "log(1+wk)":
        factor = math.exp(contribution)
        verb = "lengthened" if up else "shortened"
        return f"{verb} {estimate} (x{factor:.2f} on 1 + weeks)"
    return f"{'raised' if up else 'lowered'} {estimate} by {abs(contribution):.1f} {output.unit}"


def contribution_sentence(model: ModelExplanation, output: OutputExplanation, item: Contribution, *,
                          sides: Sides, context: Mapping[str, float] | None = None) -> str:
    """One contribution as a sentence: feature, value, counterpart and effect."""
    text = describe_feature(item.name, item.value, item.unit, sides=sides, context=context)
    sentence = f"{text} {effect_phrase(model, output, item.contribution)}."
    return sentence[0].upper() + sentence[1:]


def top_sentences(model: ModelExplanation, *, sides: Sides, context: Mapping[str, float] | None = None,
                  n: int = 3, output: str | None = None) -> list[str]:
    """The ``n`` largest contributions to ``output`` (default: the model's primary output) as sentences."""
    out = model.output(output) if output is not None else model.primary_output
    return [contribution_sentence(model, out, c, sides=sides, context=context) for c in out.top(n)
            if c.contribution != 0.0]
