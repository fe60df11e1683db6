"""Paragraph and table styles of the report (Helvetica, A4)."""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, Table, TableStyle

WARNING_RED = colors.HexColor("#922b21")
BANNER = colors.HexColor("#fdedec")
HEADER_GREY = colors.HexColor("#eaeded")
LINE = colors.HexColor("#aab7b8")


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    """Named paragraph styles."""
    base = ParagraphStyle("body", fontName="Helvetica", fontSize=8.5, leading=11)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.8),
        "tiny": ParagraphStyle("tiny", parent=base, fontSize=6.2, leading=7.6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.4, leading=9),
        "cellbold": ParagraphStyle("cellbold", parent=base, fontName="Helvetica-Bold", fontSize=7.4, leading=9),
        "title": ParagraphStyle("title", parent=base, fontName="Helvetica-Bold", fontSize=14, leading=17,
                                spaceAfter=2),
        "h1": ParagraphStyle("h1", parent=base, fontName="Helvetica-Bold", fontSize=11.5, leading=14,
                             spaceBefore=6, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName="Helvetica-Bold", fontSize=9.5, leading=12,
                             spaceBefore=5, spaceAfter=2),
        "banner": ParagraphStyle("banner", parent=base, fontName="Helvetica-Bold", fontSize=9, leading=11.5,
                                 textColor=WARNING_RED),
        "warn": ParagraphStyle("warn", parent=base, fontSize=7.6, leading=9.4, textColor=WARNING_RED),
        "mono": ParagraphStyle("mono", parent=base, fontName="Courier", fontSize=6.4, leading=7.8),
    }


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped; no markup)."""
    return Paragraph(escape(text), styles()[style])


def markup(text: str, style: str = "body") -> Paragraph:
    """A paragraph whose text already holds reportlab markup (callers escape the data they insert)."""
    return Paragraph(text, styles()[style])


def grid(rows: list[list], widths: list[float], *, header: bool = True, zebra: bool = False,
         extra: list[tuple] | None = None) -> Table:
    """A table with a light grid; ``rows`` hold Paragraphs or strings."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 7.4),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY), ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold")]
    if zebra:
        for r in range(1 if header else 0, len(rows), 2):
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f8f9f9")))
    table.setStyle(TableStyle(style + (extra or [])))
    return table
