"""The feature catalogue: the fixed, ordered list of feature names with units and meaning.

Names read ``<modality>.<muscle or measure>.<quantity>.<task>``, e.g.
``emg.zygomaticus.rms_ratio.smile_open`` or
``motion.commissure.excursion_asym_pct.smile_open``. Side-specific
quantities end in ``_affected`` or ``_healthy``: features are oriented by the
affected side (known or inferred, see :mod:`models.features.side`), so a
left and a right palsy of the same severity give the same vector. Ratios are
affected / healthy; asymmetries are ``|left - right|`` in the measure's unit
and ``100 * |left - right| / |healthy|`` in percent.

Every session yields every name (NaN where it lacks the data), so the
models always see the same vector. Each feature is computed from a
per-side *measure* (``emg.zygomaticus.rms.smile_open`` for left and right)
by a :class:`Recipe`; :func:`recipes` gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from acquisition.anatomy import MUSCLES
from acquisition.protocol import STANDARD_PROTOCOL

MODALITIES: tuple[str, ...] = ("clinical", "emg", "motion")

#: Protocol tasks in protocol order, and the ones that ask for movement.
TASKS: tuple[str, ...] = STANDARD_PROTOCOL.task_names
ACTIVE_TASKS: tuple[str, ...] = tuple(t for t in TASKS if t != "rest")

#: Muscles that a facial palsy can affect; the masseter (trigeminal) is a control.
FACIAL_MUSCLES: tuple[str, ...] = tuple(m for m, (_, branch) in MUSCLES.items() if branch is not None)

#: Bilateral landmark measures: name -> (unit, description).
BILATERAL_MEASURES: dict[str, tuple[str, str]] = {
    "brow_height": ("mm", "vertical distance from the pupil to the mid-brow"),
    "mrd1": ("mm", "margin-reflex distance 1 (pupil to upper-lid margin)"),
    "mrd2": ("mm", "margin-reflex distance 2 (pupil to lower-lid margin)"),
    "fissure": ("mm", "palpebral fissure height (upper-lid margin above the lower-lid margin)"),
    "commissure": ("mm", "commissure excursion distance (lower-lip midline point to oral commissure)"),
    "commissure_height": ("mm", "height of the oral commissure above the inter-iris line (negative below)"),
    "smile_angle": ("deg", "angle above horizontal of the line from the lower-lip midline point to the commissure"),
    "lower_lip": ("mm", "height of the paramedian lower lip above the inter-iris line (negative below)"),
    "nasolabial": ("mm", "distance from the nasal ala to the oral commissure (nasolabial fold length)"),
}

#: Bilateral measures that exist only as movement from rest: name -> (unit, description).
DISPLACEMENT_MEASURES: dict[str, tuple[str, str]] = {
    "commissure_displacement": ("mm", "frontal-plane displacement of the oral commissure from its rest position"),
    "cheek_displacement": ("mm", "3-D displacement of the cheek point from its rest position"),
}

#: Midline landmark measures: name -> (unit, description).
MIDLINE_MEASURES: dict[str, tuple[str, str]] = {
    "dental_show": ("mm", "inner-lip gap at the midline (dental show)"),
    "mouth_width": ("mm", "distance between the oral commissures (lip pucker width)"),
}

#: The measure whose movement defines each active task's peak and kinematics.
TASK_PRIMARY: dict[str, str] = {
    "brow_raise": "brow_height",
    "gentle_eye_closure": "fissure",
    "tight_eye_closure": "fissure",
    "snarl": "nasolabial",
    "smile_closed": "commissure_displacement",
    "smile_open": "commissure_displacement",
    "pucker": "commissure_displacement",
    "eee": "lower_lip",
    "cheek_puff": "cheek_displacement",
}

#: Tasks in which eye narrowing is involuntary (ocular synkinesis) ...
OCULAR_SYNKINESIS_TASKS: tuple[str, ...] = ("snarl", "smile_closed", "smile_open", "pucker", "eee", "cheek_puff")
#: ... and those in which mouth movement is (oral synkinesis).
ORAL_SYNKINESIS_TASKS: tuple[str, ...] = ("brow_raise", "gentle_eye_closure", "tight_eye_closure")

#: Clinical facts: name -> (unit, description).
CLINICAL_FEATURES: dict[str, tuple[str, str]] = {
    "clinical.age": ("a", "age at capture in years"),
    "clinical.sex_female": ("1", "1 if female, 0 if male, NaN otherwise or unknown"),
    "clinical.days_since_onset": ("d", "days since palsy onset"),
    "clinical.fdi_physical": ("1", "Facial Disability Index, physical function (0-100, 100 = no disability)"),
    "clinical.fdi_social": ("1", "Facial Disability Index, social/well-being (0-100, 100 = no disability)"),
}


@dataclass(frozen=True)
class FeatureSpec:
    """What one feature is.

    Attributes
    ----------
    name : str
    unit : str
        UCUM-style unit: ``'uV'``, ``'Hz'``, ``'s'``, ``'mm'``, ``'mm/s'``,
        ``'mm/s2'``, ``'deg'``, ``'%'``, ``'1'`` (dimensionless), ``'a'``, ``'d'``.
    modality : {'clinical', 'emg', 'motion'}
    description : str
    """

    name: str
    unit: str
    modality: str
    description: str


@dataclass(frozen=True)
class Recipe:
    """How a feature is computed from a per-side or midline measure.

    Attributes
    ----------
    op : {'affected', 'healthy', 'ratio', 'asym_abs', 'asym_pct', 'diff', 'value'}
        ``ratio`` = affected / healthy; ``diff`` = affected - healthy;
        ``asym_abs`` = ``|left - right|``; ``asym_pct`` = 100 * asym_abs / ``|healthy|``;
        ``value`` takes a midline or clinical measure as is.
    source : str
        Measure key, e.g. ``'emg.zygomaticus.rms.smile_open'``.
    scale : float
        Multiplies the result (unit conversion, e.g. V -> uV).
    min_denominator : float
        Ratios and percentages are NaN when ``|healthy|`` is below this
        (in the measure's unit): a ratio of two near-zero movements means nothing.
    """

    op: str
    source: str
    scale: float = 1.0
    min_denominator: float = 0.0


_SIDED = {
    "affected": "on the affected side",
    "healthy": "on the healthy side",
}


class _Builder:
    def __init__(self) -> None:
        self.specs: list[FeatureSpec] = []
        self.recipes: dict[str, Recipe] = {}

    def add(self, name: str, unit: str, modality: str, description: str, recipe: Recipe) -> None:
        if name in self.recipes:
            raise AssertionError(f"duplicate feature name {name}")
        self.specs.append(FeatureSpec(name, unit, modality, description))
        self.recipes[name] = recipe

    def sided(self, group: str, quantity: str, task: str, unit: str, modality: str, what: str,
              source: str, *, scale: float = 1.0) -> None:
        for op, where in _SIDED.items():
            self.add(f"{group}.{quantity}_{op}.{task}", unit, modality, f"{what} {where}, task {task}",
                     Recipe(op, source, scale))


def _task_title(task: str) -> str:
    return STANDARD_PROTOCOL.task(task).title.lower()


def _emg(b: _Builder) -> None:
    for muscle in MUSCLES:
        g = f"emg.{muscle}"
        for task in TASKS:
            tt = _task_title(task)
            src = f"{g}.{{}}.{task}"
            b.sided(g, "rms", task, "uV", "emg", f"RMS of the cleaned {muscle} sEMG during {tt}",
                    src.format("rms"), scale=1e6)
            b.add(f"{g}.rms_ratio.{task}", "1", "emg",
                  f"{muscle} sEMG RMS affected / healthy side during {tt}",
                  Recipe("ratio", src.format("rms"), min_denominator=1e-9))
            b.add(f"{g}.mav_ratio.{task}", "1", "emg",
                  f"{muscle} sEMG mean absolute value affected / healthy side during {tt}",
                  Recipe("ratio", src.format("mav"), min_denominator=1e-9))
            if task == "rest":
                continue
            b.sided(g, "rms_rest_norm", task, "1", "emg",
                    f"{muscle} sEMG RMS during {tt} divided by its RMS at rest", src.format("rms_rest_norm"))
            b.sided(g, "mav_rest_norm", task, "1", "emg",
                    f"{muscle} sEMG mean absolute value during {tt} divided by its value at rest",
                    src.format("mav_rest_norm"))
            b.sided(g, "mdf", task, "Hz", "emg", f"median frequency (Welch) of the {muscle} sEMG during {tt}",
                    src.format("mdf"))
            b.sided(g, "mnf", task, "Hz", "emg", f"mean frequency (Welch) of the {muscle} sEMG during {tt}",
                    src.format("mnf"))
            b.sided(g, "hf_fraction", task, "1", "emg",
                    f"fraction of {muscle} sEMG power above 200 Hz during {tt}", src.format("hf_fraction"))
            targets = STANDARD_PROTOCOL.task(task).target_muscles
            if muscle in targets:
                b.add(f"{g}.onset_delay.{task}", "s", "emg",
                      f"{muscle} sEMG onset latency, affected minus healthy side, during {tt}",
                      Recipe("diff", src.format("onset")))
            elif muscle in FACIAL_MUSCLES:
                b.sided(g, "coactivation", task, "1", "emg",
                        f"fraction of the target muscle's active time in which the non-target {muscle} "
                        f"is also active during {tt} (synkinesis)", src.format("coactivation"))
                b.sided(g, "xcorr", task, "1", "emg",
                        f"peak normalised cross-correlation (lag within 0.2 s) of the {muscle} and target "
                        f"muscle envelopes during {tt} (synkinesis)", src.format("xcorr"))


def _motion(b: _Builder) -> None:
    for measure, (unit, what) in BILATERAL_MEASURES.items():
        g = f"motion.{measure}"
        min_den = 1.0 if unit == "deg" else 0.5
        b.sided(g, "value", "rest", unit, "motion", f"{what} at rest", f"{g}.rest")
        b.add(f"{g}.ratio.rest", "1", "motion", f"{what} at rest, affected / healthy side",
              Recipe("ratio", f"{g}.rest", min_denominator=min_den))
        b.add(f"{g}.asym_mm.rest" if unit == "mm" else f"{g}.asym_{unit}.rest", unit, "motion",
              f"{what} at rest, |left - right|", Recipe("asym_abs", f"{g}.rest"))
        b.add(f"{g}.asym_pct.rest", "%", "motion", f"{what} at rest, 100 |left - right| / healthy side",
              Recipe("asym_pct", f"{g}.rest", min_denominator=min_den))
        for task in ACTIVE_TASKS:
            _excursion(b, g, task, unit, what, min_den)
            tt = _task_title(task)
            b.add(f"{g}.asym_{'mm' if unit == 'mm' else unit}.{task}", unit, "motion",
                  f"{what} at the peak of {tt}, |left - right|", Recipe("asym_abs", f"{g}.peak.{task}"))
            b.add(f"{g}.asym_pct.{task}", "%", "motion",
                  f"{what} at the peak of {tt}, 100 |left - right| / healthy side",
                  Recipe("asym_pct", f"{g}.peak.{task}", min_denominator=min_den))
    for measure, (unit, what) in DISPLACEMENT_MEASURES.items():
        for task in ACTIVE_TASKS:
            _excursion(b, f"motion.{measure}", task, unit, what, 0.5)
    for measure, (unit, what) in MIDLINE_MEASURES.items():
        g = f"motion.{measure}"
        b.add(f"{g}.value.rest", unit, "motion", f"{what} at rest", Recipe("value", f"{g}.rest"))
        for task in ACTIVE_TASKS:
            b.add(f"{g}.excursion.{task}", unit, "motion",
                  f"{what}: value at the peak of {_task_title(task)} minus value at rest",
                  Recipe("value", f"{g}.excursion.{task}"))
    for task, primary in TASK_PRIMARY.items():
        g = f"motion.{primary}"
        tt = _task_title(task)
        b.sided(g, "peak_velocity", task, "mm/s", "motion", f"peak speed of the {primary} movement in {tt}",
                f"{g}.peak_velocity.{task}")
        b.sided(g, "peak_acceleration", task, "mm/s2", "motion",
                f"peak acceleration of the {primary} movement in {tt}", f"{g}.peak_acceleration.{task}")
        b.sided(g, "onset", task, "s", "motion",
                f"onset of the {primary} movement after the cue of {tt}", f"{g}.onset.{task}")
        b.sided(g, "time_to_peak", task, "s", "motion",
                f"time from onset to peak of the {primary} movement in {tt}", f"{g}.time_to_peak.{task}")
        b.add(f"{g}.lr_delay.{task}", "s", "motion",
              f"onset of the {primary} movement in {tt}, affected minus healthy side (central palsy delay)",
              Recipe("diff", f"{g}.onset.{task}"))
    for task in OCULAR_SYNKINESIS_TASKS:
        g = "motion.ocular_synkinesis"
        tt = _task_title(task)
        b.sided(g, "narrowing", task, "1", "motion",
                f"palpebral fissure narrowing (fraction of its rest height) at the peak of {tt}",
                f"{g}.narrowing.{task}")
        b.sided(g, "comovement", task, "1", "motion",
                f"correlation of eye narrowing with the mouth movement during {tt}", f"{g}.comovement.{task}")
    for task in ORAL_SYNKINESIS_TASKS:
        g = "motion.oral_synkinesis"
        tt = _task_title(task)
        b.sided(g, "displacement", task, "mm", "motion",
                f"oral commissure displacement at the peak of {tt}", f"{g}.displacement.{task}")
        b.sided(g, "comovement", task, "1", "motion",
                f"correlation of commissure movement with the eye/brow movement during {tt}",
                f"{g}.comovement.{task}")


def _excursion(b: _Builder, g: str, task: str, unit: str, what: str, min_den: float) -> None:
    tt = _task_title(task)
    src = f"{g}.excursion.{task}"
    b.sided(g, "excursion", task, unit, "motion", f"{what}: value at the peak of {tt} minus value at rest", src)
    b.add(f"{g}.excursion_ratio.{task}", "1", "motion", f"{what} excursion in {tt}, affected / healthy side",
          Recipe("ratio", src, min_denominator=min_den))
    b.add(f"{g}.excursion_asym_{'mm' if unit == 'mm' else unit}.{task}", unit, "motion",
          f"{what} excursion in {tt}, |left - right|", Recipe("asym_abs", src))
    b.add(f"{g}.excursion_asym_pct.{task}", "%", "motion",
          f"{what} excursion in {tt}, 100 |left - right| / healthy side",
          Recipe("asym_pct", src, min_denominator=min_den))


#: Muscle pairs whose joint activation outside tasks counts as synkinesis in long recordings.
SYNKINESIS_PAIRS: tuple[tuple[str, str], ...] = (
    ("orbicularis_oculi", "zygomaticus"),
    ("orbicularis_oculi", "orbicularis_oris"),
    ("orbicularis_oculi", "levator_labii"),
    ("orbicularis_oculi", "depressor_anguli_oris"),
    ("orbicularis_oculi", "mentalis"),
    ("frontalis_lateral", "orbicularis_oculi"),
)
#: Task label of whole-recording features of long recordings.
OUTSIDE = "outside_tasks"


def _long(b: _Builder) -> None:
    t = OUTSIDE
    for muscle in MUSCLES:
        g = f"emg.{muscle}"
        what = f"{muscle} sEMG outside protocol tasks"
        b.sided(g, "rms", t, "uV", "emg", f"RMS of the {what}", f"{g}.rms.{t}", scale=1e6)
        b.add(f"{g}.rms_ratio.{t}", "1", "emg", f"RMS of the {what}, affected / healthy side",
              Recipe("ratio", f"{g}.rms.{t}", min_denominator=1e-9))
        b.sided(g, "mdf", t, "Hz", "emg", f"median frequency of the {what}", f"{g}.mdf.{t}")
        b.sided(g, "hf_fraction", t, "1", "emg", f"fraction of power above 200 Hz of the {what}",
                f"{g}.hf_fraction.{t}")
        b.sided(g, "activation_episodes", t, "1", "emg",
                f"number of involuntary activation episodes of the {what}", f"{g}.activation_episodes.{t}")
        b.sided(g, "activation_per_h", t, "/h", "emg",
                f"involuntary activation episodes per hour of the {what}", f"{g}.activation_per_h.{t}")
        b.sided(g, "active_fraction", t, "1", "emg", f"fraction of time active of the {what}",
                f"{g}.active_fraction.{t}")
    for first, second in SYNKINESIS_PAIRS:
        g = f"emg.{first}-{second}"
        what = f"joint activation of {first} and {second} outside protocol tasks (synkinesis)"
        b.sided(g, "coactivation_episodes", t, "1", "emg", f"number of episodes of {what}",
                f"{g}.coactivation_episodes.{t}")
        b.sided(g, "coactivation_per_h", t, "/h", "emg", f"episodes per hour of {what}",
                f"{g}.coactivation_per_h.{t}")
    b.add(f"emg.recording.hours.{t}", "h", "emg", "valid sEMG recorded outside protocol tasks, hours",
          Recipe("value", f"emg.recording.hours.{t}"))


@lru_cache(maxsize=1)
def _long_catalogue() -> tuple[tuple[FeatureSpec, ...], dict[str, Recipe]]:
    b = _Builder()
    specs, recs = _catalogue()
    for spec in specs:
        if spec.modality in ("clinical", "emg"):
            b.add(spec.name, spec.unit, spec.modality, spec.description, recs[spec.name])
    _long(b)
    return tuple(b.specs), b.recipes


def long_feature_specs() -> tuple[FeatureSpec, ...]:
    """Specs of the long-recording table: the clinical and sEMG features, then whole-recording ones."""
    return _long_catalogue()[0]


def long_feature_names() -> tuple[str, ...]:
    """Canonical ordered names of the long-recording table."""
    return tuple(s.name for s in _long_catalogue()[0])


def long_recipes() -> dict[str, Recipe]:
    """Long-recording feature name -> Recipe (a copy)."""
    return dict(_long_catalogue()[1])


@lru_cache(maxsize=1)
def _catalogue() -> tuple[tuple[FeatureSpec, ...], dict[str, Recipe]]:
    b = _Builder()
    for name, (unit, what) in CLINICAL_FEATURES.items():
        b.add(name, unit, "clinical", what, Recipe("value", name))
    _emg(b)
    _motion(b)
    return tuple(b.specs), b.recipes


def feature_specs() -> tuple[FeatureSpec, ...]:
    """The specs of every feature, in canonical order."""
    return _catalogue()[0]


def feature_names() -> tuple[str, ...]:
    """The canonical ordered feature names (the models' fixed input vector)."""
    return tuple(s.name for s in _catalogue()[0])


def recipes() -> dict[str, Recipe]:
    """Feature name -> :class:`Recipe` (a copy)."""
    return dict(_catalogue()[1])
