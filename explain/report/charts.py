"""Charts as reportlab vector graphics: line plots, contribution bars, shares, probabilities, intervals.

Every function returns a :class:`reportlab.graphics.shapes.Drawing` sized in
points, drawn with the standard Helvetica font so the PDF needs no font
files. Colours: the affected side red, the healthy side blue (as in the
rest of the report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
AFFECTED = colors.HexColor("#c0392b")
HEALTHY = colors.HexColor("#2471a3")
NEUTRAL = colors.HexColor("#7f8c8d")
GRID = colors.HexColor("#d5d8dc")
SPAN = colors.HexColor("#eef2f5")
TOWARDS = colors.HexColor("#c0392b")
AWAY = colors.HexColor("#2471a3")
MODALITY_COLOURS = {"emg": colors.HexColor("#8e44ad"), "motion": colors.HexColor("#16a085"),
                    "clinical": colors.HexColor("#b7950b")}


@dataclass(frozen=True)
class Series:
    """One line of a line plot.

    Attributes
    ----------
    label : str
    times : ndarray, shape (n,)
        x values.
    values : ndarray, shape (n,)
        y values; NaN breaks the line.
    colour : reportlab Color
    dashed : bool
    """

    label: str
    times: np.ndarray
    values: np.ndarray
    colour: colors.Color
    dashed: bool = False


def fit_text(text: str, width: float, *, size: float, font: str = FONT) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "..."


def nice_ticks(low: float, high: float, *, count: int = 4) -> list[float]:
    """Round tick values covering [low, high] (about ``count`` of them)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    t = first
    while t <= high + 1e-9 * step:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _fmt_tick(v: float) -> str:
    return f"{v:g}" if abs(v) >= 1e-9 else "0"


def line_plot(series: Sequence[Series], *, width: float, height: float, title: str, y_label: str,
              x_range: tuple[float, float], spans: Sequence[tuple[float, float]] = (),
              zero_line: bool = False) -> Drawing:
    """A small line plot with shaded spans (task repetitions) and a legend.

    Parameters
    ----------
    series : sequence of Series
    width, height : float
        Points.
    title, y_label : str
    x_range : (float, float)
        Shown x interval (seconds).
    spans : sequence of (float, float)
        x intervals shaded in grey.
    zero_line : bool
        Draw y = 0.
    """
    d = Drawing(width, height)
    left, bottom, right, top = 30.0, 16.0, 4.0, 20.0
    pw, ph = width - left - right, height - bottom - top
    finite = [s.values[np.isfinite(s.values)] for s in series]
    finite = [f for f in finite if f.size]
    ymin = min([0.0] + [float(f.min()) for f in finite])
    ymax = max([0.0] + [float(f.max()) for f in finite])
    if ymax - ymin < 1e-9:
        ymax = ymin + 1.0
    pad = 0.05 * (ymax - ymin)
    ymin, ymax = ymin - (pad if ymin < 0 else 0), ymax + pad
    x0, x1 = x_range
    if x1 <= x0:
        x1 = x0 + 1.0

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return bottom + (y - ymin) / (ymax - ymin) * ph

    d.add(String(left, height - 9, fit_text(title, pw, size=7, font=BOLD), fontName=BOLD, fontSize=7))
    for a, b in spans:
        a, b = max(a, x0), min(b, x1)
        if b > a:
            d.add(Rect(px(a), bottom, px(b) - px(a), ph, fillColor=SPAN, strokeColor=None))
    d.add(Rect(left, bottom, pw, ph, fillColor=None, strokeColor=GRID, strokeWidth=0.5))
    for t in nice_ticks(ymin, ymax, count=3):
        y = py(t)
        d.add(Line(left, y, left + pw, y, strokeColor=GRID, strokeWidth=0.3))
        d.add(String(left - 2, y - 2, _fmt_tick(t), fontName=FONT, fontSize=5.5, textAnchor="end"))
    for t in nice_ticks(x0, x1, count=5):
        x = px(t)
        d.add(Line(x, bottom, x, bottom - 2, strokeColor=NEUTRAL, strokeWidth=0.4))
        d.add(String(x, bottom - 8, _fmt_tick(t), fontName=FONT, fontSize=5.5, textAnchor="middle"))
    d.add(String(left + pw, 1, "time (s)", fontName=FONT, fontSize=5.5, textAnchor="end"))
    d.add(String(2, bottom + ph / 2, fit_text(y_label, 60, size=5.5), fontName=FONT, fontSize=5.5))
    if zero_line and ymin < 0 < ymax:
        d.add(Line(left, py(0), left + pw, py(0), strokeColor=NEUTRAL, strokeWidth=0.4))
    for s in series:
        _polyline(d, [px(t) for t in s.times], [py(v) if math.isfinite(v) else math.nan for v in s.values],
                  s.colour, s.dashed)
    lx = left + pw
    for s in reversed(series):
        w = stringWidth(s.label, FONT, 5.5) + 12
        lx -= w + 4
        d.add(Line(lx, height - 16, lx + 8, height - 16, strokeColor=s.colour, strokeWidth=1.2,
                   strokeDashArray=[2, 1] if s.dashed else None))
        d.add(String(lx + 10, height - 18, s.label, fontName=FONT, fontSize=5.5))
    return d


def _polyline(d: Drawing, xs: list[float], ys: list[float], colour: colors.Color, dashed: bool) -> None:
    run: list[float] = []
    for x, y in zip(xs, ys):
        if math.isfinite(y):
            run += [x, y]
            continue
        if len(run) >= 4:
            d.add(PolyLine(run, strokeColor=colour, strokeWidth=0.8, strokeDashArray=[2, 1] if dashed else None))
        run = []
    if len(run) >= 4:
        d.add(PolyLine(run, strokeColor=colour, strokeWidth=0.8, strokeDashArray=[2, 1] if dashed else None))


def note_box(text: str, *, width: float, height: float, title: str = "") -> Drawing:
    """A framed box saying why a plot is not shown."""
    d = Drawing(width, height)
    d.add(Rect(1, 1, width - 2, height - 2, fillColor=colors.HexColor("#fbfcfc"), strokeColor=GRID,
               strokeWidth=0.5))
    if title:
        d.add(String(6, height - 12, fit_text(title, width - 12, size=7, font=BOLD), fontName=BOLD, fontSize=7))
    d.add(String(width / 2, height / 2 - 3, fit_text(text, width - 12, size=6.5), fontName=FONT, fontSize=6.5,
                 textAnchor="middle", fillColor=NEUTRAL))
    return d


def contribution_chart(items: Sequence[tuple[str, float]], *, width: float, title: str, unit: str,
                       towards: str, away: str, row: float = 11.0) -> Drawing:
    """Horizontal bars of signed contributions around zero, in the order given (largest first).

    Parameters
    ----------
    items : sequence of (label, contribution)
        Top to bottom.
    width : float
        Points.
    title : str
    unit : str
        Of the contributions (the output's display space).
    towards, away : str
        What positive and negative contributions mean (legend).
    row : float
        Row height, points.
    """
    n = len(items)
    height = 16 + n * row + 14
    d = Drawing(width, height)
    label_w = width * 0.5
    bar_left, bar_right = label_w + 26, width - 26
    span = max([abs(v) for _, v in items] + [1e-12])
    zero = (bar_left + bar_right) / 2
    half = (bar_right - bar_left) / 2
    d.add(String(0, height - 10, fit_text(title, width, size=7.5, font=BOLD), fontName=BOLD, fontSize=7.5))
    y = height - 14
    for label, value in items:
        y -= row
        d.add(String(0, y + 2, fit_text(label, label_w, size=6.3), fontName=FONT, fontSize=6.3))
        w = abs(value) / span * half
        colour = TOWARDS if value >= 0 else AWAY
        x = zero if value >= 0 else zero - w
        d.add(Rect(x, y + 1, max(w, 0.3), row - 3, fillColor=colour, strokeColor=None))
        tx = zero + w + 2 if value >= 0 else zero - w - 2
        d.add(String(tx, y + 2, f"{value:+.2g}", fontName=FONT, fontSize=5.8,
                     textAnchor="start" if value >= 0 else "end"))
    d.add(Line(zero, y, zero, height - 14, strokeColor=NEUTRAL, strokeWidth=0.5))
    x = 0.0
    for text, colour in ((towards, TOWARDS), (away, AWAY)):
        d.add(Rect(x, 3, 7, 5, fillColor=colour, strokeColor=None))
        d.add(String(x + 9, 3, text, fontName=FONT, fontSize=5.8))
        x += stringWidth(text, FONT, 5.8) + 18
    d.add(String(x, 3, fit_text(f"(contributions in {unit})", max(width - x, 10), size=5.8), fontName=FONT,
                 fontSize=5.8, fillColor=NEUTRAL))
    return d


def share_bar(shares: Sequence[tuple[str, float, colors.Color]], *, width: float, title: str) -> Drawing:
    """One 100% stacked bar of shares (0-1) with a legend of every part below it."""
    size = 5.8
    entries = [(f"{label} {share:.0%}", colour) for label, share, colour in shares]
    lines: list[list[tuple[str, colors.Color, float]]] = [[]]
    x = 0.0
    for text, colour in entries:
        w = stringWidth(text, FONT, size) + 12
        if x + w > width and lines[-1]:
            lines.append([])
            x = 0.0
        lines[-1].append((text, colour, x))
        x += w
    height = 24 + 9 * len(lines)
    d = Drawing(width, height)
    d.add(String(0, height - 9, fit_text(title, width, size=7, font=BOLD), fontName=BOLD, fontSize=7))
    x, bar_y = 0.0, height - 21
    for label, share, colour in shares:
        w = share * width
        if w > 0:
            d.add(Rect(x, bar_y, w, 8, fillColor=colour, strokeColor=colors.white, strokeWidth=0.5))
            x += w
    y = bar_y - 10
    for line in lines:
        for text, colour, lx in line:
            d.add(Rect(lx, y, 6, 6, fillColor=colour, strokeColor=None))
            d.add(String(lx + 8, y + 0.5, text, fontName=FONT, fontSize=size))
        y -= 9
    return d


def probability_bars(probabilities: dict[str, float], *, width: float, height: float, title: str,
                     highlight: str | None = None) -> Drawing:
    """Vertical bars of class probabilities (House-Brackmann grades) with their percentages."""
    d = Drawing(width, height)
    d.add(String(0, height - 9, fit_text(title, width, size=7, font=BOLD), fontName=BOLD, fontSize=7))
    n = len(probabilities)
    bottom, top = 12.0, height - 22
    slot = width / max(n, 1)
    for i, (name, p) in enumerate(probabilities.items()):
        x = i * slot + slot * 0.2
        h = max(0.0, min(1.0, p)) * (top - bottom)
        colour = AFFECTED if name == highlight else NEUTRAL
        d.add(Rect(x, bottom, slot * 0.6, max(h, 0.3), fillColor=colour, strokeColor=None))
        d.add(String(x + slot * 0.3, bottom + h + 2, f"{p:.0%}", fontName=FONT, fontSize=6, textAnchor="middle"))
        d.add(String(x + slot * 0.3, 2, name, fontName=BOLD if name == highlight else FONT, fontSize=7,
                     textAnchor="middle"))
    d.add(Line(0, bottom, width, bottom, strokeColor=NEUTRAL, strokeWidth=0.5))
    return d


def interval_plot(value: float, lower: float, upper: float, *, low: float, high: float, width: float,
                  title: str, unit: str, reference: float | None = None, reference_label: str = "") -> Drawing:
    """A number line from ``low`` to ``high`` with the interval, the point estimate and an optional reference."""
    height = 40.0
    d = Drawing(width, height)
    d.add(String(0, height - 9, fit_text(title, width - 30, size=7, font=BOLD), fontName=BOLD, fontSize=7))
    left, right, y = 6.0, width - 6.0, 20.0

    def px(v: float) -> float:
        v = min(max(v, low), high)
        return left + (v - low) / (high - low) * (right - left)

    d.add(Line(left, y, right, y, strokeColor=GRID, strokeWidth=1))
    for t in nice_ticks(low, high, count=5):
        d.add(Line(px(t), y - 2, px(t), y + 2, strokeColor=NEUTRAL, strokeWidth=0.4))
        d.add(String(px(t), y - 9, _fmt_tick(t), fontName=FONT, fontSize=5.5, textAnchor="middle"))
    if all(math.isfinite(v) for v in (lower, upper)):
        d.add(Rect(px(lower), y - 3, max(px(upper) - px(lower), 0.5), 6, fillColor=colors.HexColor("#f5b7b1"),
                   strokeColor=None))
    if math.isfinite(value):
        d.add(Rect(px(value) - 1, y - 5, 2, 10, fillColor=AFFECTED, strokeColor=None))
    if reference is not None and math.isfinite(reference):
        d.add(Line(px(reference), y - 6, px(reference), y + 6, strokeColor=colors.black, strokeWidth=0.8,
                   strokeDashArray=[1.5, 1]))
        if reference_label:
            d.add(String(px(reference), 1, f"{reference_label} {reference:g}", fontName=FONT, fontSize=5.5,
                         textAnchor="middle"))
    d.add(String(right, height - 9, unit, fontName=FONT, fontSize=5.5, textAnchor="end", fillColor=NEUTRAL))
    return d
