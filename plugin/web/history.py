"""The patient overview's card of earlier assessments: the chart read per launch, cached, and its trends.

:func:`chart_history` reads the launch's patient's history with the
launch's token (:func:`plugin.fhir.history.read_history`). Reading the chart
never breaks the overview page: a failure becomes
:attr:`~plugin.fhir.history.ChartHistory.problem`, shown in the history card
only. Successful reads are kept in memory per launch for
``app.config["HISTORY_CACHE_S"]`` seconds (default 30); :func:`forget_history`
drops them, e.g. after a write-back. :func:`history_trends` lays out the
House-Brackmann and Sunnybrook trend charts (inline SVG in
``history_home.html``).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from flask import Flask, current_app

from ..fhir.client import FhirClientError
from ..fhir.history import ChartHistory, ChartRow, read_history
from ..fhir.inputs import GRADES
from ..smart.errors import SmartError
from .context import ehr_problem_text, fhir_client
from .sessions import Launch

log = logging.getLogger("fpcds.history")

#: Default lifetime of a launch's cached history (s).
CACHE_S = 30.0


@dataclass(frozen=True)
class TrendPoint:
    """One point of a trend chart: position in the chart's viewBox (px), what it shows, where it comes from."""

    x: float
    y: float
    label: str
    source: str


@dataclass(frozen=True)
class TrendChart:
    """A small line chart of one scale over time, laid out for inline SVG (coordinates in viewBox px).

    Attributes
    ----------
    name : str
        ``hb`` or ``sunnybrook`` (element ids).
    title : str
    width, height : int
        The viewBox (px).
    left, right, top, bottom : float
        The plot area (px).
    points : tuple of TrendPoint
        Oldest first.
    y_ticks : tuple of (float, str)
        Grid lines: y (px) and label.
    x_labels : tuple of (float, str, str)
        x (px), text-anchor and label (first and last day).
    """

    name: str
    title: str
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    points: tuple[TrendPoint, ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_labels: tuple[tuple[float, str, str], ...]

    @property
    def polyline(self) -> str:
        """The ``points`` attribute of the SVG polyline through the points."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


# ---------------------------------------------------------------- trend charts
def trend_chart(rows: Iterable[ChartRow], *, scale: str, width: int = 320, height: int = 150) -> TrendChart | None:
    """A line chart of ``scale`` (``'hb'`` or ``'sunnybrook'``) over time; None with fewer than two values.

    House-Brackmann grade I (normal) is at the top, VI at the bottom;
    Sunnybrook 100 (normal) at the top, 0 at the bottom.
    """
    if scale not in ("hb", "sunnybrook"):
        raise ValueError(f"scale is {scale!r}; expected 'hb' or 'sunnybrook'")
    points = [(r, r.hb_grade if scale == "hb" else r.sunnybrook) for r in rows]
    points = sorted(((r, v) for r, v in points if v is not None), key=lambda p: p[0].moment)
    if len(points) < 2:
        return None
    left, right, top, bottom = 40.0, width - 12.0, 10.0, height - 24.0
    first, last = points[0][0].moment, points[-1][0].moment
    span = (last - first).total_seconds()

    def x(moment: datetime) -> float:
        return (left + right) / 2 if span <= 0 else left + (right - left) * (moment - first).total_seconds() / span

    if scale == "hb":
        def y(v: Any) -> float:
            return top + (bottom - top) * GRADES.index(v) / (len(GRADES) - 1)
        ticks = tuple((y(g), g) for g in GRADES)
        title, unit = "House-Brackmann grade", "HB"
    else:
        def y(v: Any) -> float:
            return bottom - (bottom - top) * float(v) / 100.0
        ticks = tuple((y(v), str(v)) for v in (0, 25, 50, 75, 100))
        title, unit = "Sunnybrook composite", "Sunnybrook"
    shown = [TrendPoint(x(r.moment), y(v), f"{r.day.isoformat()}: {unit} {_format(v)}; {r.source_text}", r.source)
             for r, v in points]
    labels = ((left, "start", points[0][0].day.isoformat()), (right, "end", points[-1][0].day.isoformat()))
    return TrendChart(scale, title, width, height, left, right, top, bottom, tuple(shown), ticks, labels)


def _format(value: Any) -> str:
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def history_trends(history: ChartHistory) -> tuple[TrendChart, ...]:
    """The trend charts with at least two points (House-Brackmann, then Sunnybrook)."""
    charts = (trend_chart(history.rows, scale="hb"), trend_chart(history.rows, scale="sunnybrook"))
    return tuple(c for c in charts if c is not None)


# ---------------------------------------------------------------- the launch's history (cached)
class HistoryCache:
    """Recently read histories by launch id, in memory (never in cookies), for ``max_age_s`` seconds."""

    def __init__(self, *, max_entries: int = 256, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, ChartHistory]] = {}
        self.max_entries = max_entries
        self.clock = clock

    def get(self, launch_id: str, *, max_age_s: float) -> ChartHistory | None:
        with self._lock:
            item = self._items.get(launch_id)
        if item is None or self.clock() - item[0] >= max_age_s:
            return None
        return item[1]

    def put(self, launch_id: str, history: ChartHistory) -> None:
        now = self.clock()
        with self._lock:
            self._items[launch_id] = (now, history)
            while len(self._items) > self.max_entries:
                del self._items[min(self._items, key=lambda k: self._items[k][0])]

    def forget(self, launch_id: str) -> None:
        with self._lock:
            self._items.pop(launch_id, None)


def _cache() -> HistoryCache:
    return current_app.extensions["fpcds_history"]


def chart_history(launch: Launch) -> ChartHistory:
    """The earlier assessments of the launch's patient; EHR failures become :attr:`ChartHistory.problem`."""
    cache, max_age = _cache(), float(current_app.config["HISTORY_CACHE_S"])
    found = cache.get(launch.id, max_age_s=max_age)
    if found is not None:
        return found
    try:
        history = read_history(fhir_client(launch), launch.patient, user=launch.fhir_user, today=date.today())
    except (FhirClientError, SmartError) as exc:
        log.warning("the chart history could not be read: %s (HTTP %s)", type(exc).__name__,
                    getattr(exc, "status", None))
        return ChartHistory.unavailable(ehr_problem_text(exc))
    except Exception as exc:  # the overview page must render whatever the chart holds
        ref = secrets.token_hex(4)
        # the exception's text may quote chart data: log its type and where it was raised only
        frames = traceback.extract_tb(exc.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "unknown"
        log.error("unexpected error reading the chart history (reference %s): %s at %s", ref, type(exc).__name__,
                  where)
        return ChartHistory.unavailable(f"an unexpected error occurred, reference {ref}")
    if max_age > 0:
        cache.put(launch.id, history)
    return history


def forget_history(launch: Launch) -> None:
    """Drop the launch's cached history (call after writing to the chart)."""
    _cache().forget(launch.id)


def init_app(app: Flask) -> None:
    """Keep a history cache and offer ``chart_history(launch)`` and ``history_trends(history)`` to templates."""
    app.config.setdefault("HISTORY_CACHE_S", CACHE_S)
    app.extensions["fpcds_history"] = HistoryCache()
    app.context_processor(lambda: {"chart_history": chart_history, "history_trends": history_trends})
