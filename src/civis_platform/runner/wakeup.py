"""Doorbells: how a worker learns at once that a run was queued or cancelled.

In one process, `Doorbell.ring` wakes idle worker slots. Across processes, on a
PostgreSQL metadata store, `Listener` holds one connection that ``LISTEN``s on the
queue's channels (`queue.QUEUED_CHANNEL`, `queue.CANCEL_CHANNEL`) and rings the local
doorbells when another process queues or cancels a run. Polling every
``runner_poll_seconds`` stays the fallback (SQLite, or a dropped connection).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url

from civis_platform.runner.queue import CANCEL_CHANNEL, QUEUED_CHANNEL

log = logging.getLogger("civis_platform.runner")

RECONNECT_SECONDS = 1.0


class Doorbell:
    """An event idle slots wait on; `ring` wakes them.

    Examples:
        >>> bell = Doorbell()
        >>> bell.ring(); bell.wait(0)
        True
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self) -> None:
        """Wake whoever waits (now, or the next one to wait)."""
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a ring; True if there was one (consumed)."""
        rang = self._event.wait(timeout)
        self._event.clear()
        return rang


def libpq_url(sqlalchemy_url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq takes it.

    Examples:
        >>> libpq_url("postgresql+psycopg://postgres@127.0.0.1:5432/meta")
        'postgresql://postgres@127.0.0.1:5432/meta'
    """
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Listener:
    """A thread that turns PostgreSQL notifications into calls of ``on_queued()`` and
    ``on_cancelled(run_id)``; it reconnects after a lost connection."""

    def __init__(
        self,
        url: str,
        *,
        on_queued: Callable[[], None],
        on_cancelled: Callable[[int], None],
    ) -> None:
        self._url = libpq_url(url)
        self._on_queued = on_queued
        self._on_cancelled = on_cancelled
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._listen, name="civis-runner-listen", daemon=True
        )

    def start(self, ready_timeout: float = 10.0) -> Listener:
        """Start listening; returns once the first LISTEN is in place (or the timeout)."""
        self._thread.start()
        self._ready.wait(ready_timeout)
        return self

    def stop(self) -> None:
        """Stop listening (the thread ends within about a second)."""
        self._stopping.set()
        self._thread.join(timeout=5)

    def _listen(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {QUEUED_CHANNEL}")
                    conn.execute(f"LISTEN {CANCEL_CHANNEL}")
                    self._ready.set()
                    self._on_queued()  # runs queued while we were not listening
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._deliver(note.channel, note.payload)
            except Exception:
                if self._stopping.is_set():
                    return
                log.warning("run notifications lost; reconnecting", exc_info=True)
                self._stopping.wait(RECONNECT_SECONDS)

    def _deliver(self, channel: str, payload: str) -> None:
        try:
            if channel == QUEUED_CHANNEL:
                self._on_queued()
            elif channel == CANCEL_CHANNEL:
                self._on_cancelled(int(payload))
        except Exception:
            log.exception("a run notification could not be delivered")
