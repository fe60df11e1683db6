"""The assess step's results: the job that makes them, the files that hold them, the page that shows them.

* :mod:`.job` - :func:`run_assessment` (no Flask): session -> assessment, explanation, PDF, audit -> files.
* :mod:`.files` - the file layout and :func:`load_results` (for the approval step).
* :mod:`.summary` - ``results.json``: what the results page shows, computed once.
* :mod:`.charts` - server-side SVG charts of SHAP contributions and shares.
* :mod:`.jobs` - background jobs: one per assessment at a time, their stage, failure or interruption.
* :mod:`.view` - the results page and the report PDF route (a blueprint).
"""

from .files import ResultsError, StoredResults, is_complete, load_results
from .job import STAGES, run_assessment

__all__ = ["STAGES", "ResultsError", "StoredResults", "is_complete", "load_results", "run_assessment"]
