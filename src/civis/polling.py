"""Poll a Civis run until it is done, with one shared scheduler for every future.

`PollableResult` is a real `concurrent.futures.Future`, so ``concurrent.futures.wait`` and
``as_completed`` work on it.  Unlike the official client (a thread per future, first poll
after 1 s), all futures share one scheduler thread and a small pool of daemon workers that
make the HTTP calls; thousands of pending futures cost a heap entry each, not a thread.

Default intervals start at `DEFAULT_FIRST_INTERVAL` (50 ms) and grow by
`DEFAULT_BACKOFF_FACTOR` up to `_MAX_POLLING_INTERVAL` (15 s): a run that finishes quickly
on a local server is seen within ~100 ms, and a long run costs about four polls a minute.

Scheduled polls also ask the server to hold the answer until the run's state changes
(``Prefer: wait=N``, RFC 7240). A server that does so (civis-platform) says
``Preference-Applied``; the next poll then goes out at once, so a run's end is seen
within tens of milliseconds at any age, with one request per state change. Servers that
ignore the header (Civis) answer at once and the backoff above applies. At most
`_MAX_LONG_POLLS` polls are held at a time so that held polls never starve the others.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Any

from civis._http import extra_headers
from civis._spec.model import server_platform
from civis.base import CANCELLED, DONE, FAILED, NOT_FINISHED, CivisJobFailure

__all__ = [
    "DEFAULT_BACKOFF_FACTOR",
    "DEFAULT_FIRST_INTERVAL",
    "PollableResult",
]

log = logging.getLogger(__name__)

_MAX_POLLING_INTERVAL = 15.0
DEFAULT_FIRST_INTERVAL = 0.05
DEFAULT_BACKOFF_FACTOR = 1.5
# Workers only make short GETs; a few absorb a slow answer without delaying other polls.
_MAX_WORKERS = 8
_KNOWN_STATES = frozenset(DONE + NOT_FINISHED)
LONG_POLL_SECONDS = 10
_MAX_LONG_POLLS = _MAX_WORKERS // 2
_LONG_POLL_SLOTS = threading.BoundedSemaphore(_MAX_LONG_POLLS)


def field_of(response: Any, name: str) -> Any:
    """``response.name`` for Response objects, ``response[name]`` for raw-dict clients."""
    if isinstance(response, dict):
        return response.get(name)
    getter = getattr(response, "get", None)
    return getter(name) if getter is not None else getattr(response, name, None)


class _Scheduler:
    """One daemon thread that hands due polls to a bounded set of daemon workers."""

    def __init__(self, max_workers: int = _MAX_WORKERS) -> None:
        self._heap: list[tuple[float, int, PollableResult]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._queue: deque[PollableResult] = deque()
        self._work = threading.Condition()
        self._idle = 0
        self._workers: list[threading.Thread] = []
        self._max_workers = max_workers
        self._thread: threading.Thread | None = None

    def schedule(self, result: PollableResult, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), result))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="civis-poll-scheduler", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                due, _, result = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            if not result.done():
                self._submit(result)

    def _submit(self, result: PollableResult) -> None:
        with self._work:
            self._queue.append(result)
            if self._idle == 0 and len(self._workers) < self._max_workers:
                worker = threading.Thread(
                    target=self._work_loop, name="civis-poll-worker", daemon=True
                )
                self._workers.append(worker)
                worker.start()
            self._work.notify()

    def _work_loop(self) -> None:
        while True:
            with self._work:
                self._idle += 1
                while not self._queue:
                    self._work.wait()
                self._idle -= 1
                result = self._queue.popleft()
            result._poll_and_reschedule()

    def reset_after_fork(self) -> None:
        """In a forked child the threads are gone: forget them (new ones start on demand)."""
        self._cond = threading.Condition()
        self._work = threading.Condition()
        self._queue, self._workers, self._idle, self._thread = deque(), [], 0, None

    def thread_count(self) -> int:
        """Threads this scheduler runs (for tests and diagnostics)."""
        return len(self._workers) + (self._thread is not None)


_SCHEDULER = _Scheduler()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_SCHEDULER.reset_after_fork)


def _holds_polls(client: Any) -> bool:
    """Whether the client's server says (in its spec) that it holds polls on request."""
    return bool(server_platform(client).get("longPolling"))


def _preference_applied(response: Any) -> bool:
    headers = getattr(response, "headers", None)
    if not headers:
        return False
    return "wait" in str(headers.get("Preference-Applied", ""))


class PollableResult(futures.Future[Any]):
    """A future whose result comes from polling a Civis API call until a final state.

    Parameters
    ----------
    poller : callable
        Called as ``poller(*poller_args)``; returns an object with ``state`` (and
        ``error`` when failed), typically ``client.jobs.get_runs``.
    poller_args : sequence
        Arguments of ``poller``.
    polling_interval : int or float, optional
        A fixed interval in seconds (> 0).  By default polls start at 50 ms and back off
        geometrically to 15 s.
    client : APIClient, optional
        Used by subclasses for follow-up calls; built from the environment if omitted.
    poll_on_creation : bool
        Poll once, synchronously, in the constructor.

    Examples
    --------
    >>> from civis.response import Response
    >>> result = PollableResult(lambda: Response({"state": "succeeded"}), ())
    >>> result.result().state
    'succeeded'
    >>> result.succeeded()
    True
    """

    # Private state of concurrent.futures.Future that typeshed does not declare.
    _done_callbacks: list[Callable[[Any], Any]]

    def __init__(
        self,
        poller: Callable[..., Any],
        poller_args: Sequence[Any],
        polling_interval: float | None = None,
        client: Any = None,
        poll_on_creation: bool = True,
    ) -> None:
        super().__init__()
        if polling_interval is not None and not polling_interval > 0:
            raise ValueError("The polling interval must be positive.")
        self.poller = poller
        self.poller_args = tuple(poller_args)
        self.polling_interval = polling_interval
        self._client = client
        self._civis_state: str | None = None
        self._last_result: Any = None
        self._interval = polling_interval or DEFAULT_FIRST_INTERVAL
        self._stopped = False
        self._callback_exception: BaseException | None = None
        self._callbacks_complete = threading.Event()
        self._callback_thread: int | None = None
        if poll_on_creation:
            self._poll_once()
        if not self.done():
            # A server that holds polls (see the module docstring) is asked at once: it
            # answers when the run's state changes, not 50 ms later.
            first = 0.0 if polling_interval is None and _holds_polls(client) else self._interval
            _SCHEDULER.schedule(self, first)

    # -- polling ---------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The API client (created from the environment on first use)."""
        if self._client is None:
            from civis.client import APIClient

            self._client = APIClient()
        return self._client

    def _next_delay(self) -> float:
        if self.polling_interval is not None:
            return self.polling_interval
        self._interval = min(self._interval * DEFAULT_BACKOFF_FACTOR, _MAX_POLLING_INTERVAL)
        return self._interval

    def _poll_and_reschedule(self) -> None:
        if self.done() or self._stopped:
            return
        held = self._poll_once(long_poll=self.polling_interval is None)
        if not self.done() and not self._stopped:
            _SCHEDULER.schedule(self, 0.0 if held else self._next_delay())

    def _poll_once(self, long_poll: bool = False) -> bool:
        """Poll once; True if the server held the poll (so the next may go out at once)."""
        slot = long_poll and _LONG_POLL_SLOTS.acquire(blocking=False)
        try:
            if slot:
                with extra_headers({"Prefer": f"wait={LONG_POLL_SECONDS}"}):
                    response = self.poller(*self.poller_args)
            else:
                response = self.poller(*self.poller_args)
            self._set_api_result(response)
            return bool(slot) and _preference_applied(response)
        except Exception as exc:  # any poller error (404, network) ends the future
            if not self.done():
                self._on_poll_error(exc)
            return False
        finally:
            if slot:
                _LONG_POLL_SLOTS.release()

    def _on_poll_error(self, exc: BaseException) -> None:
        """Hook for subclasses (reruns)."""
        self._set_exception_safely(exc)

    def _set_api_result(self, response: Any) -> None:
        state = field_of(response, "state")
        if state not in _KNOWN_STATES:
            raise ValueError(
                f"Unknown run state {state!r} (expected one of {sorted(_KNOWN_STATES)})"
            )
        self._civis_state = state
        self._last_result = response
        if state in FAILED:
            self._on_failure(response)
        elif state in CANCELLED:
            self._set_cancelled()
        elif state in DONE:
            self._set_result_safely(response)
        elif state == "running":
            with self._condition:
                if self._state == futures._base.PENDING:
                    self._state = futures._base.RUNNING

    def _on_failure(self, response: Any) -> None:
        """Hook for subclasses (reruns, log-based messages)."""
        self._set_exception_safely(self._failure_exception(response))

    def _failure_exception(self, response: Any) -> BaseException:
        return CivisJobFailure(str(field_of(response, "error") or ""), response)

    def _set_result_safely(self, value: Any) -> None:
        with contextlib.suppress(futures.InvalidStateError):  # cancelled meanwhile
            self.set_result(value)

    def _set_exception_safely(self, exc: BaseException) -> None:
        with contextlib.suppress(futures.InvalidStateError):
            self.set_exception(exc)

    def _set_cancelled(self) -> bool:
        """Put the future in the cancelled state, whatever its current local state."""
        with self._condition:
            if self._state in (futures._base.FINISHED, futures._base.CANCELLED_AND_NOTIFIED):
                return False
            if self._state == futures._base.CANCELLED:
                return True
            # Future.cancel() refuses RUNNING futures; a Civis run is cancellable then.
            self._state = futures._base.CANCELLED_AND_NOTIFIED
            for waiter in self._waiters:
                waiter.add_cancelled(self)
            self._condition.notify_all()
        self._stopped = True
        self._invoke_callbacks()
        return True

    def cleanup(self) -> None:
        """Stop polling (the future keeps its current state).

        Examples
        --------
        >>> from civis.response import Response
        >>> PollableResult(lambda: Response({"state": "running"}), ()).cleanup()
        """
        self._stopped = True

    def cancel(self) -> bool:
        """Stop waiting locally; subclasses also cancel the run on the server.

        Examples
        --------
        >>> from civis.response import Response
        >>> r = PollableResult(lambda: Response({"state": "queued"}), (),
        ...                    polling_interval=60)
        >>> r.cancel(), r.cancelled()
        (True, True)
        """
        return self._set_cancelled()

    # -- Civis extras ----------------------------------------------------------------------
    def succeeded(self) -> bool:
        """True if the run finished successfully."""
        return self.done() and not self.cancelled() and self._exception is None

    def failed(self) -> bool:
        """True if the run failed (or polling it raised)."""
        return self.done() and not self.cancelled() and self._exception is not None

    # -- callbacks whose exceptions are not lost (official 2.9.1+) ----------------------------
    def _run_callback(self, fn: Callable[[Any], Any]) -> None:
        previous = self._callback_thread
        self._callback_thread = threading.get_ident()
        try:
            fn(self)
        except BaseException as exc:  # surfaced by result(), as officially
            if self._callback_exception is None:
                self._callback_exception = exc
            log.exception("exception calling callback for %r", self)
        finally:
            self._callback_thread = previous

    def _invoke_callbacks(self) -> None:
        try:
            for callback in self._done_callbacks:
                self._run_callback(callback)
        finally:
            self._callbacks_complete.set()

    def add_done_callback(self, fn: Callable[[Any], Any]) -> None:
        """Call ``fn(self)`` when done; an exception it raises is re-raised by `result`."""
        with self._condition:
            if self._state not in (
                futures._base.CANCELLED,
                futures._base.CANCELLED_AND_NOTIFIED,
                futures._base.FINISHED,
            ):
                self._done_callbacks.append(fn)
                return
        try:
            self._run_callback(fn)
        finally:
            self._callbacks_complete.set()

    def _wait_callbacks(self, timeout: float | None) -> None:
        if self._callback_thread != threading.get_ident():
            self._callbacks_complete.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """The final run object; raises the run's failure or a callback's exception.

        Examples
        --------
        >>> from civis.response import Response
        >>> PollableResult(lambda: Response({"state": "success"}), ()).result().state
        'success'
        """
        try:
            value = super().result(timeout)
        finally:
            if self.done():
                self._wait_callbacks(timeout)
        if self._callback_exception is not None:
            raise self._callback_exception
        return value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The run's failure, else a callback's exception, else None."""
        exc = super().exception(timeout)
        self._wait_callbacks(timeout)
        return exc if exc is not None else self._callback_exception
