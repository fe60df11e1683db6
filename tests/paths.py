"""Where tests find the shared real data: ``$FPCDS_SHARED`` or ``../shared`` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FPCDS_SHARED", REPO.parent / "shared"))
REAL_DATA = SHARED / "data" / "real"
