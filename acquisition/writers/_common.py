"""What the writers share: their error type and the events they store."""

from __future__ import annotations

from ..errors import FpcdsError
from ..segments import Event, boundary_events
from ..session import Session


class WriterError(FpcdsError, ValueError):
    """A session cannot be written in the requested format (the message says why and what to do)."""


def events_for(session: Session) -> list[Event]:
    """All events a writer stores: the markers plus segment boundaries they lack, in time order."""
    events = [Event(m.time, m.label) for m in session.markers] + boundary_events(session)
    return sorted(events, key=lambda e: e.time)
