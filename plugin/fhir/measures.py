"""Observations of the clinical measures in a FeatureTable: landmark asymmetries and facial sEMG.

Asymmetries (|left - right| at the peak of a task, in mm or degrees, with
the same relative to the healthy side in %) come from facial motion; sEMG
measures (affected / healthy RMS ratio, median frequency and power above
200 Hz per side) come from each facial muscle recorded, during the task in
which it is the prime mover. A measure the session lacks (no motion, no
such channel) has no Observation.
"""

from __future__ import annotations

import math
from typing import Mapping

from . import ids
from .common import Context, Entry, observation
from .observations import component
from .terminology import concept, display, quantity

#: (code, feature group, task, unit): the landmark asymmetries reported.
ASYMMETRIES: tuple[tuple[str, str, str, str], ...] = (
    ("asymmetry-brow", "motion.brow_height", "brow_raise", "mm"),
    ("asymmetry-palpebral-fissure", "motion.fissure", "gentle_eye_closure", "mm"),
    ("asymmetry-commissure", "motion.commissure", "smile_open", "mm"),
    ("asymmetry-smile-angle", "motion.smile_angle", "smile_open", "deg"),
)
#: Facial muscle -> the protocol task in which it is the prime mover.
SEMG_TASKS: dict[str, str] = {
    "frontalis_medial": "brow_raise", "frontalis_lateral": "brow_raise", "corrugator": "tight_eye_closure",
    "depressor_supercilii": "tight_eye_closure", "orbicularis_oculi": "tight_eye_closure", "levator_labii": "snarl",
    "zygomaticus": "smile_open", "orbicularis_oris": "pucker", "depressor_anguli_oris": "eee", "mentalis": "eee",
}
LANDMARK_METHOD = ("fpcds facial landmark measures: |left - right| of the measure at the peak of the task, in a head "
                   "frame whose inter-iris line is horizontal, scaled in mm by the iris diameter (11.77 mm).")
SEMG_METHOD = ("fpcds sEMG measures: band-pass 20-450 Hz, powerline notch, RMS and Welch spectrum over the task "
               "segments.")


def _value(features: Mapping[str, float], name: str) -> float | None:
    value = features.get(name, math.nan)
    return None if value is None or not math.isfinite(value) else float(value)


def _task_component(task: str) -> dict:
    return {"code": concept("protocol-task"), "valueCodeableConcept": concept(task)}


def _side_note(ctx: Context) -> str:
    v = ctx.view
    if v.affected_side_source == "unknown":
        return "The affected side is unknown: 'affected' stands for the left side."
    return f"Affected side: {v.affected_side} ({'recorded' if v.affected_side_source == 'subject' else 'inferred'})."


def asymmetry_observations(ctx: Context, features: Mapping[str, float]) -> list[Entry]:
    out = []
    for code, group, task, unit in ASYMMETRIES:
        absolute = _value(features, f"{group}.asym_{unit}.{task}")
        if absolute is None:
            continue
        relative = _value(features, f"{group}.asym_pct.{task}")
        components = [_task_component(task)]
        if relative is not None:
            components.append(component("asymmetry-percent", quantity(relative, "%", digits=1)))
        words = f"{display(code)}, {display(task).lower()}"
        shown = f"{absolute:.1f} {'mm' if unit == 'mm' else 'degrees'}"
        out.append(observation(
            ctx, output=f"{code}/{task}", profile_id=ids.ASYMMETRY, kind="procedure",
            code=concept(code, words), value={"valueQuantity": quantity(absolute, unit, digits=2)},
            method="landmark-measurement", method_text=LANDMARK_METHOD,
            title=f"{words}: {shown}" + (f" ({relative:.0f}% of the healthy side)" if relative is not None else ""),
            components=components,
        ))
    return out


def semg_observations(ctx: Context, features: Mapping[str, float]) -> list[Entry]:
    out = []
    sides = {"affected": ctx.view.affected_side, "healthy": "right" if ctx.view.affected_side == "left" else "left"}
    for muscle, task in SEMG_TASKS.items():
        muscle_words, task_words = display(muscle), display(task).lower()
        site = concept(muscle)
        ratio = _value(features, f"emg.{muscle}.rms_ratio.{task}")
        if ratio is not None:
            out.append(observation(
                ctx, output=f"semg-rms-ratio/{muscle}/{task}", profile_id=ids.SEMG, kind="procedure",
                code=concept("semg-rms-ratio", f"{muscle_words} sEMG RMS ratio (affected / healthy), {task_words}"),
                value={"valueQuantity": quantity(ratio, "1", digits=3)}, method="semg-analysis",
                method_text=SEMG_METHOD, title=f"{muscle_words} sEMG RMS ratio, {task_words}: {ratio:.2f}",
                notes=[_side_note(ctx)], body_site=site, components=[_task_component(task)],
            ))
        for role, side in sides.items():
            side_component = {"code": concept("body-side"), "valueCodeableConcept": concept(side)}
            mdf = _value(features, f"emg.{muscle}.mdf_{role}.{task}")
            if mdf is not None:
                out.append(observation(
                    ctx, output=f"semg-median-frequency/{muscle}/{side}/{task}", profile_id=ids.SEMG,
                    kind="procedure",
                    code=concept("semg-median-frequency", f"{muscle_words} sEMG median frequency, {side} ({role}), "
                                 f"{task_words}"),
                    value={"valueQuantity": quantity(mdf, "Hz", digits=1)}, method="semg-analysis",
                    method_text=SEMG_METHOD, title=f"{muscle_words} sEMG median frequency, {side}, {task_words}: "
                                                   f"{mdf:.0f} Hz",
                    notes=[_side_note(ctx)], body_site=site, components=[_task_component(task), side_component],
                ))
            hf = _value(features, f"emg.{muscle}.hf_fraction_{role}.{task}")
            if hf is not None:
                out.append(observation(
                    ctx, output=f"semg-hf-fraction/{muscle}/{side}/{task}", profile_id=ids.SEMG, kind="procedure",
                    code=concept("semg-hf-fraction", f"{muscle_words} sEMG power above 200 Hz, {side} ({role}), "
                                 f"{task_words}"),
                    value={"valueQuantity": quantity(100 * hf, "%", digits=1)}, method="semg-analysis",
                    method_text=SEMG_METHOD, title=f"{muscle_words} sEMG power above 200 Hz, {side}, {task_words}: "
                                                   f"{100 * hf:.0f}%",
                    notes=[_side_note(ctx)], body_site=site, components=[_task_component(task), side_component],
                ))
    return out


def measure_observations(ctx: Context, features: Mapping[str, float] | None) -> list[Entry]:
    """Asymmetry and sEMG Observations of the features (none without features)."""
    if features is None:
        return []
    return asymmetry_observations(ctx, features) + semg_observations(ctx, features)
