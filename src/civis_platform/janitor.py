"""The janitor: housekeeping that runs at start-up and then periodically.

Expired files keep their metadata but lose their contents, and abandoned multipart
uploads are removed (see `services.files.housekeeping`). Running it only at start-up
let a long-lived server fill its disk with expired exports, so it also runs every
``housekeeping_seconds`` in a daemon thread (0 turns the periodic runs off).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

Task = Callable[[], object]


class Janitor:
    """Call each task now and then every ``interval`` seconds until stopped.

    A failing task is logged and retried at the next tick; it never stops the others.

    Examples:
        >>> calls = []
        >>> janitor = Janitor([lambda: calls.append(1)], interval=0).start()
        >>> janitor.stop(); calls
        [1]
    """

    def __init__(self, tasks: list[Task], interval: float) -> None:
        self._tasks = tasks
        self._interval = interval
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """Run every task once, logging (not raising) failures."""
        for task in self._tasks:
            try:
                task()
            except Exception:  # one broken task must not stop housekeeping
                logger.exception("housekeeping task %r failed", task)

    def start(self) -> Janitor:
        """Run the tasks once in the caller's thread, then periodically in the background."""
        self.run_once()
        if self._interval > 0:
            self._thread = threading.Thread(
                target=self._loop, daemon=True, name="civis-platform-janitor"
            )
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            self.run_once()

    def stop(self) -> None:
        """Stop the periodic runs (waits for a run in progress)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
