"""Assembling the PDF: page frame, running header and footer, sections in order.

The document is built with reportlab in invariant mode and its metadata
date set from ``created_at``, so the same inputs give the same bytes (the
audit record's report hash can be reproduced).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate

from models.card import STATEMENT

from .context import ReportInputs
from .sections import (audit_section, cards_section, explanation_section, methods_section, outputs_section,
                       protocol_section, scores_section, signals_section)
from .styles import WARNING_RED
from .summary import summary_page

MARGIN = 15 * mm
TITLE = "fpcds facial palsy assessment report"


def _decorate(inputs: ReportInputs):  # -> callable(canvas, doc)
    who = inputs.patient.name or inputs.patient.identifier or ""
    short = (inputs.assessment.session_sha256 or "")[:12]
    status = "APPROVED" if inputs.approval is not None else "PRELIMINARY"

    def draw(canvas: Any, doc: Any) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(WARNING_RED)
        canvas.drawCentredString(width / 2, 9 * mm, f"{STATEMENT.upper()} - decision support for clinician review, "
                                                    "not a diagnosis")
        canvas.setFillColorRGB(0.35, 0.35, 0.35)
        canvas.drawRightString(width - MARGIN, 9 * mm - 9, f"page {doc.page}")
        canvas.drawString(MARGIN, 9 * mm - 9, f"{status}; session {short}; report {inputs.created_at}")
        if doc.page > 1:
            canvas.drawString(MARGIN, height - 10 * mm, f"{TITLE}{' - ' + who if who else ''}")
            canvas.drawRightString(width - MARGIN, height - 10 * mm, status)
        canvas.restoreState()

    return draw


def _pdf_date(created_at: str) -> str | None:
    try:
        t = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.strftime("%Y%m%d%H%M%S")


def render_report(inputs: ReportInputs) -> bytes:
    """The PDF report of one assessment.

    Parameters
    ----------
    inputs : ReportInputs

    Returns
    -------
    bytes
        A PDF document (PHI: it carries the patient identity given by the caller).
    """
    buffer = io.BytesIO()
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm,
                          bottomMargin=16 * mm, title=TITLE, author="fpcds", subject=STATEMENT, creator="fpcds",
                          invariant=1)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_decorate(inputs))])
    story = summary_page(inputs) + [PageBreak()]
    for section in (protocol_section, signals_section, scores_section, outputs_section, explanation_section,
                    methods_section, cards_section, audit_section):
        story += section(inputs)
    doc.build(story, canvasmaker=_canvas_maker(_pdf_date(inputs.created_at)))
    return buffer.getvalue()


def _canvas_maker(date: str | None):  # -> Canvas subclass: invariant, metadata dated ``date`` (UTC)
    from reportlab.pdfgen.canvas import Canvas

    class _Canvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            if date is not None:
                self._doc.info._dateFormatter = lambda *_: f"D:{date}+00'00'"  # type: ignore[attr-defined]

    return _Canvas
