"""Fan-out of biofeedback frames from a capture agent to the physician's open pages (in process).

Each subscriber (one server-sent-events response) has a small queue; when a
slow client falls behind, its oldest frames are dropped, so a stalled
browser never delays the others or grows memory. The broker lives in one
server process: run the app with one worker process and several threads
(e.g. ``gunicorn -k gthread -w 1 --threads 16``) for live biofeedback.
:meth:`FeedbackBroker.close` ends every subscription at once, so a server
that is stopping does not wait for open event streams.
"""

from __future__ import annotations

import queue
import threading
from typing import Any


class Subscription:
    """One listener's queue; use as a context manager to unsubscribe."""

    def __init__(self, broker: "FeedbackBroker", key: str, size: int) -> None:
        self.broker = broker
        self.key = key
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=size)
        self.closed = False

    def close(self) -> None:
        """End this subscription: a waiting :meth:`get` returns at once and ``closed`` is True."""
        self.closed = True
        self.put({})

    def put(self, frame: dict[str, Any]) -> None:
        while True:
            try:
                self.queue.put_nowait(frame)
                return
            except queue.Full:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    pass

    def get(self, timeout_s: float) -> dict[str, Any] | None:
        """The next frame, or None after ``timeout_s`` seconds."""
        try:
            return self.queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.broker.unsubscribe(self)


class FeedbackBroker:
    """Publish frames per assessment; every current subscriber of it receives them.

    Parameters
    ----------
    queue_size : int
        Frames kept per subscriber before the oldest are dropped.
    """

    def __init__(self, *, queue_size: int = 32) -> None:
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._subs: dict[str, set[Subscription]] = {}
        self._closed = False

    def subscribe(self, key: str) -> Subscription:
        """A new subscription to ``key`` (already closed when the broker is)."""
        sub = Subscription(self, key, self.queue_size)
        with self._lock:
            if not self._closed:
                self._subs.setdefault(key, set()).add(sub)
                return sub
        sub.close()
        return sub

    def close(self) -> int:
        """End all current and future subscriptions (the server is stopping); returns how many were open."""
        with self._lock:
            self._closed = True
            subs = [sub for group in self._subs.values() for sub in group]
        for sub in subs:
            sub.close()
        return len(subs)

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[sub.key]

    def publish(self, key: str, frame: dict[str, Any]) -> int:
        """Send ``frame`` to the subscribers of ``key``; returns how many there were."""
        with self._lock:
            subs = list(self._subs.get(key, ()))
        for sub in subs:
            sub.put(frame)
        return len(subs)
