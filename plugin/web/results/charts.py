"""Server-side SVG charts for the results page (no script, no inline style: the app's CSP allows neither).

Every chart is an ``<svg role="img">`` labelled by its ``<title>`` and
``<desc>``; the description says in words what the bars show, so a screen
reader gets the chart's content. Bars carry their value as text with sign
and unit, and a ``<title>`` with the full sentence. Colours come from
classes styled in ``fpcds.css``; geometry is plain SVG attributes.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from markupsafe import Markup, escape

WIDTH = 720
#: Horizontal room kept for a bar's value label on either side of the zero axis.
VALUE_ROOM = 118
LABEL_CHARS = 110


def signed(value: float, unit: str) -> str:
    """``+0.84 logit``; very small values in scientific notation so they never read as zero."""
    text = f"{value:+.2f}" if value == 0 or abs(value) >= 0.005 else f"{value:+.1e}"
    return f"{text} {unit}".strip()


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(chart_id: str, height: float, title: str, desc: str, css: str, width: int = WIDTH) -> list[str]:
    return [f'<svg class="chart {css}" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height:.0f}" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" preserveAspectRatio="xMinYMin meet">',
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>']


def contribution_chart(output: Mapping[str, Any], *, chart_id: str, title: str) -> Markup:
    """Horizontal bars of the largest SHAP contributions to one output, the others summed in one bar.

    Parameters
    ----------
    output : mapping
        One output of ``results.json`` (:func:`plugin.web.results.summary.output_block`): ``unit``,
        ``base_value``, ``value``, ``published``, ``published_label``, ``bars`` (``label``, ``sentence``,
        ``contribution``) and ``rest`` (``count``, ``contribution``).
    chart_id : str
        Unique id in the page.
    title : str
        What is explained, e.g. ``'House-Brackmann grade IV'``.

    Returns
    -------
    Markup
        The ``<svg>`` element.
    """
    unit = output["unit"]
    rows = [(b["label"], b["sentence"], float(b["contribution"]), "") for b in output["bars"]]
    rest = output["rest"]
    if rest["count"]:
        rows.append((f"{rest['count']} other features together", f"The other {rest['count']} features together "
                     f"contributed {signed(rest['contribution'], unit)}.", float(rest["contribution"]), " rest"))
    row_h, top = 40, 26
    height = top + row_h * max(len(rows), 1) + 8
    x0 = WIDTH / 2
    half = WIDTH / 2 - VALUE_ROOM
    largest = max((abs(r[2]) for r in rows), default=0.0) or 1.0
    scale = half / largest
    published = output.get("published")
    result = f"{output['published_label']} = {published:.2f}" if published is not None else output["published_label"]
    words = "; ".join(f"{r[0]}: {signed(r[2], unit)}" for r in rows) or "no feature contributed"
    desc = (f"SHAP contributions in {unit}. Base value {output['base_value']:.3f} {unit} plus the contributions gives "
            f"{output['value']:.3f} {unit} ({result}). Bars to the right raise the output, bars to the left lower it. "
            f"{words}.")
    parts = _open(chart_id, height, f"{title}: what moved the output", desc, "shap")
    parts.append(f'<text class="axis-note" x="{x0 - 6:.0f}" y="14" text-anchor="end">← lowers</text>'
                 f'<text class="axis-note" x="{x0 + 6:.0f}" y="14">raises →</text>')
    for i, (label, sentence, value, extra) in enumerate(rows):
        y = top + i * row_h
        w = max(abs(value) * scale, 1.0)
        kind = "pos" if value >= 0 else "neg"
        x = x0 if value >= 0 else x0 - w
        tx, anchor = (x0 + w + 5, "start") if value >= 0 else (x0 - w - 5, "end")
        parts.append(
            f'<g class="bar {kind}{extra}"><title>{escape(sentence)}</title>'
            f'<text class="label" x="4" y="{y + 12}">{escape(_clip(label))}</text>'
            f'<rect x="{x:.1f}" y="{y + 17}" width="{w:.1f}" height="14"></rect>'
            f'<text class="value" x="{tx:.1f}" y="{y + 28}" text-anchor="{anchor}">{escape(signed(value, unit))}</text>'
            f'<line class="axis" x1="{x0}" y1="{y + 15}" x2="{x0}" y2="{y + 33}"></line></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def share_chart(shares: Iterable[Mapping[str, Any]], *, chart_id: str, title: str, unit: str) -> Markup:
    """Bars of each group's share of the summed contribution magnitudes, labelled with the net effect.

    Parameters
    ----------
    shares : iterable of mapping
        ``title``, ``share`` (0-1), ``total`` (signed net contribution in ``unit``), ``n_features``.
    chart_id, title : str
    unit : str
        Unit of the output's display space.
    """
    rows = [s for s in shares if s["n_features"]]
    row_h, label_w, bar_w = 22, 108, 160
    height = row_h * max(len(rows), 1) + 6
    desc = "; ".join(f"{s['title']}: {s['share']:.0%} of the contribution, net {signed(s['total'], unit)} "
                     f"({s['n_features']} features)" for s in rows) or "no features"
    parts = _open(chart_id, height, title, desc + ".", "shares", width=label_w + bar_w + 190)
    for i, s in enumerate(rows):
        y = i * row_h + 4
        w = max(float(s["share"]) * bar_w, 1.0 if s["share"] > 0 else 0.0)
        parts.append(
            f'<g class="share"><text class="label" x="{label_w - 8}" y="{y + 13}" text-anchor="end">'
            f'{escape(s["title"])}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 2}" width="{bar_w}" height="14"></rect>'
            f'<rect class="fill" x="{label_w}" y="{y + 2}" width="{w:.1f}" height="14"></rect>'
            f'<text class="value" x="{label_w + bar_w + 8}" y="{y + 13}">{s["share"]:.0%}, net '
            f'{escape(signed(s["total"], unit))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def probability_chart(probabilities: Mapping[str, float], *, chart_id: str, title: str,
                      highlight: str | None = None, prefix: str = "") -> Markup:
    """Bars of a probability distribution (e.g. House-Brackmann grades I-VI), each labelled with its value."""
    items = list(probabilities.items())
    row_h, label_w, bar_w = 22, 74, 200
    height = row_h * max(len(items), 1) + 6
    desc = "; ".join(f"{prefix}{k}: {v:.2f}" for k, v in items)
    parts = _open(chart_id, height, title, desc + ".", "probabilities", width=label_w + bar_w + 44)
    for i, (key, p) in enumerate(items):
        y = i * row_h + 4
        mark = " top" if key == highlight else ""
        parts.append(
            f'<g class="share{mark}"><text class="label" x="{label_w - 8}" y="{y + 13}" text-anchor="end">'
            f'{escape(prefix + key)}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 2}" width="{bar_w}" height="14"></rect>'
            f'<rect class="fill" x="{label_w}" y="{y + 2}" width="{max(p * bar_w, 0.0):.1f}" height="14"></rect>'
            f'<text class="value" x="{label_w + bar_w + 8}" y="{y + 13}">{p:.2f}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
