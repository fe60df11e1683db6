"""Controlled vocabulary for facial muscles, sides and facial-nerve branches.

Muscle names follow the bilateral surface-EMG atlas of Fridlund & Cacioppo
(1986); the abbreviations are the ones used by the real healthy reference in
``shared/data/real/fridlund_bilateral_semg.csv`` (``li`` = left, ``re`` =
right). Sides are always the *patient's* sides, never the image's.
"""

from __future__ import annotations

from typing import Literal

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")

#: Facial-nerve branches modelled per side.
BRANCHES: tuple[str, ...] = ("temporal", "zygomatic", "buccal", "marginal_mandibular")

#: muscle name -> (Fridlund abbreviation, innervating branch).
#: The masseter is trigeminal (not facial-nerve) and serves as an internal
#: control that a facial palsy leaves intact.
MUSCLES: dict[str, tuple[str, str | None]] = {
    "frontalis_medial": ("med Front", "temporal"),
    "frontalis_lateral": ("lat Front", "temporal"),
    "corrugator": ("Corr", "temporal"),
    "depressor_supercilii": ("Deprsup", "temporal"),
    "orbicularis_oculi": ("OrbOc", "zygomatic"),
    "levator_labii": ("Llsup", "buccal"),
    "zygomaticus": ("Zyg", "zygomatic"),
    "orbicularis_oris": ("OrbOr", "buccal"),
    "depressor_anguli_oris": ("DAO", "marginal_mandibular"),
    "mentalis": ("Ment", "marginal_mandibular"),
    "masseter": ("Mass", None),
}

#: Placement schemes a channel can declare.
PLACEMENT_SCHEMES: tuple[str, ...] = ("fridlund1986", "custom")

_SIDE_SUFFIX = {"li": "left", "re": "right"}


def muscle_branch(muscle: str) -> str | None:
    """Return the facial-nerve branch that innervates ``muscle`` (None: not facial)."""
    try:
        return MUSCLES[muscle][1]
    except KeyError:
        raise KeyError(f"unknown muscle {muscle!r}; expected one of {sorted(MUSCLES)}") from None


def muscle_from_fridlund(label: str) -> tuple[str, Side]:
    """Translate a Fridlund-style label such as ``'Zyg re'`` to (muscle, side).

    Parameters
    ----------
    label : str
        Abbreviation and side suffix separated by white space.

    Returns
    -------
    muscle, side : tuple of str
    """
    text = " ".join(label.split())
    abbrev, _, suffix = text.rpartition(" ")
    if suffix not in _SIDE_SUFFIX:
        raise KeyError(f"label {label!r} does not end in 'li' or 're'")
    for name, (short, _) in MUSCLES.items():
        if short.lower() == abbrev.lower():
            return name, _SIDE_SUFFIX[suffix]  # type: ignore[return-value]
    raise KeyError(f"label {label!r}: unknown muscle abbreviation {abbrev!r}")


def other_side(side: Side) -> Side:
    """Return the contralateral side."""
    return "right" if side == "left" else "left"
