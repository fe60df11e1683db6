"""The PDF report of one assessment (reportlab): summary page, signals, scores, outputs, explanations, audit.

:func:`render_report` takes :class:`ReportInputs` and returns the PDF bytes.
The report is PHI (it prints the patient identity the caller gives); no
part of it is logged.
"""

from .context import Approval, Patient, ReportInputs
from .document import render_report

__all__ = ["Approval", "Patient", "ReportInputs", "render_report"]
