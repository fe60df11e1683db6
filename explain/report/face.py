"""A face diagram of asymmetry: the neutral face mesh with each side's movement and muscle activation.

Drawn in the clinician's view (the patient's right on the left of the
page), on :func:`acquisition.face_mesh.neutral_face` (a real, symmetric
face, mm). Arrows start at the neutral position of each named landmark
(:data:`acquisition.face_mesh.LANDMARKS`) and show its frontal-plane
movement at the task's peak, magnified; circles mark the approximate
electrode sites of the task's target muscles (Fridlund & Cacioppo 1986)
with their sEMG activation (RMS during the task / at rest).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, String
from reportlab.lib import colors

from acquisition.face_mesh import LANDMARKS, neutral_face

from .charts import AFFECTED, BOLD, FONT, HEALTHY, NEUTRAL, fit_text
from .signals import FacePanel

#: Arrow magnification.
GAIN = 2.0
#: Landmarks drawn with arrows (side-specific ones, both sides).
ARROW_LANDMARKS = ("brow_mid", "brow_inner", "brow_outer", "upper_lid", "lower_lid", "commissure", "cheek", "ala",
                   "lower_lip", "upper_lip")
#: Approximate electrode site of each muscle on the right side: (landmark, dx, dy) in mm; mirrored on the left.
MUSCLE_SITES: dict[str, tuple[str, float, float]] = {
    "frontalis_medial": ("brow_inner_right", -6.0, 18.0),
    "frontalis_lateral": ("brow_mid_right", -4.0, 14.0),
    "corrugator": ("brow_inner_right", 2.0, -6.0),
    "depressor_supercilii": ("eye_inner_right", -2.0, 10.0),
    "orbicularis_oculi": ("eye_outer_right", 2.0, -12.0),
    "levator_labii": ("ala_right", -2.0, 8.0),
    "zygomaticus": ("cheek_right", 8.0, -14.0),
    "orbicularis_oris": ("upper_lip_right", -8.0, -10.0),
    "depressor_anguli_oris": ("commissure_right", 2.0, -22.0),
    "mentalis": ("lower_lip_right", 0.0, -20.0),
    "masseter": ("commissure_right", -30.0, -2.0),
}


#: Outline strokes through canonical landmarks ('{s}' = each side), drawn over the face's convex hull.
OUTLINES: tuple[tuple[str, ...], ...] = (
    ("brow_outer_{s}", "brow_mid_{s}", "brow_inner_{s}"),
    ("eye_outer_{s}", "upper_lid_{s}", "eye_inner_{s}", "lower_lid_{s}", "eye_outer_{s}"),
    ("ala_{s}", "nose_tip"),
    ("ala_{s}", "commissure_{s}"),
    ("commissure_{s}", "upper_lip_{s}", "upper_lip_mid"),
    ("commissure_{s}", "lower_lip_{s}", "lower_lip_mid"),
    ("nasion", "nose_tip"),
)
OUTLINE = colors.HexColor("#95a5a6")


@lru_cache(maxsize=1)
def face_outline() -> tuple[tuple[float, ...], ...]:
    """Polylines (flat x, y lists, mm) of the neutral face: its convex hull and the strokes of :data:`OUTLINES`."""
    from scipy.spatial import ConvexHull

    face = neutral_face()[:, :2].astype(float)
    hull = ConvexHull(face)
    ring = [face[i] for i in hull.vertices] + [face[hull.vertices[0]]]
    lines = [tuple(v for p in ring for v in p)]
    for stroke in OUTLINES:
        for side in (("left", "right") if any("{s}" in n for n in stroke) else ("",)):
            pts = [face[LANDMARKS[n.format(s=side)]] for n in stroke]
            lines.append(tuple(float(v) for p in pts for v in p))
    return tuple(lines)


def muscle_site(muscle: str, side: str) -> tuple[float, float]:
    """Frontal (x, y) of a muscle's electrode site on the neutral face, mm (+x = patient's left)."""
    landmark, dx, dy = MUSCLE_SITES[muscle]
    x, y = (float(v) for v in neutral_face()[LANDMARKS[landmark], :2])
    x, y = x + dx, y + dy
    return (-x, y) if side == "left" else (x, y)


def _arrow(d: Drawing, x0: float, y0: float, x1: float, y1: float, colour: colors.Color) -> None:
    d.add(Line(x0, y0, x1, y1, strokeColor=colour, strokeWidth=1.1))
    length = math.hypot(x1 - x0, y1 - y0)
    if length < 2.0:
        return
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    size = 2.6
    bx, by = x1 - ux * size, y1 - uy * size
    d.add(Polygon([x1, y1, bx - uy * size * 0.5, by + ux * size * 0.5, bx + uy * size * 0.5, by - ux * size * 0.5],
                  fillColor=colour, strokeColor=None))


def face_figure(panels: Sequence[FacePanel], *, width: float, affected_side: str, side_known: bool) -> Drawing:
    """One drawing with a face per panel, side by side.

    Parameters
    ----------
    panels : sequence of FacePanel
    width : float
        Points.
    affected_side : {'left', 'right'}
    side_known : bool
        False when the affected side is unknown (colours then only tell the sides apart).

    Returns
    -------
    Drawing
    """
    face = neutral_face()
    xs, ys = face[:, 0], face[:, 1]
    margin = 6.0
    fx0, fx1 = float(xs.min()) - margin, float(xs.max()) + margin
    fy0, fy1 = float(ys.min()) - margin, float(ys.max()) + margin
    n = max(len(panels), 1)
    slot = width / n
    scale = min((slot - 8) / (fx1 - fx0), 1.15)
    face_h = (fy1 - fy0) * scale
    height = face_h + 30
    d = Drawing(width, height)
    colour = {affected_side: AFFECTED, ("right" if affected_side == "left" else "left"): HEALTHY}
    for k, panel in enumerate(panels):
        ox = k * slot + (slot - (fx1 - fx0) * scale) / 2
        oy = 4.0

        # clinician's view: the patient's left (+x) is drawn on the right of the page
        def px(x: float) -> float:
            return ox + (x - fx0) * scale

        def py(y: float) -> float:
            return oy + (y - fy0) * scale

        d.add(String(k * slot + slot / 2, height - 10, fit_text(panel.title, slot - 4, size=7.5, font=BOLD),
                     fontName=BOLD, fontSize=7.5, textAnchor="middle"))
        for line in face_outline():
            d.add(PolyLine([px(v) if i % 2 == 0 else py(v) for i, v in enumerate(line)], strokeColor=OUTLINE,
                           strokeWidth=0.6))
        for side in ("left", "right"):
            ix, iy = (float(v) for v in face[LANDMARKS[f"iris_center_{side}"], :2])
            d.add(Circle(px(ix), py(iy), 5.9 * scale, fillColor=None, strokeColor=OUTLINE, strokeWidth=0.5))
        d.add(String(px(fx0) + 2, py(fy1) - 8, "R", fontName=BOLD, fontSize=7, fillColor=NEUTRAL))
        d.add(String(px(fx1) - 2, py(fy1) - 8, "L", fontName=BOLD, fontSize=7, fillColor=NEUTRAL,
                     textAnchor="end"))
        for (muscle, side), act in sorted(panel.activation.items()):
            sx, sy = muscle_site(muscle, side)
            radius = min(7.0, max(2.5, 2.5 + 0.9 * math.log2(max(act, 1.0))))
            c = colour[side]
            d.add(Circle(px(sx), py(sy), radius * scale, fillColor=colors.Color(c.red, c.green, c.blue, alpha=0.3),
                         strokeColor=c, strokeWidth=0.5))
            d.add(String(px(sx), py(sy) - radius * scale - 6, f"x{act:.1f}", fontName=BOLD, fontSize=5.5,
                         textAnchor="middle", fillColor=c))
        for base in ARROW_LANDMARKS:
            for side in ("left", "right"):
                name = f"{base}_{side}"
                if name not in panel.displacement or name not in LANDMARKS:
                    continue
                x, y = (float(v) for v in face[LANDMARKS[name], :2])
                dx, dy = panel.displacement[name]
                _arrow(d, px(x), py(y), px(x + GAIN * dx), py(y + GAIN * dy), colour[side])
        if not panel.displacement and not panel.activation:
            d.add(String(k * slot + slot / 2, oy + face_h / 2, "no data for this task", fontName=FONT, fontSize=6.5,
                         textAnchor="middle", fillColor=NEUTRAL))
    return d
