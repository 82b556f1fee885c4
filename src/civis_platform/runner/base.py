"""What a program sees of its run, the program registry, and the Executor protocol.

A *program* is what a job type does: ``program(run: RunContext) -> None``. Returning
means success; raising means failure, with ``str(exception)`` as the run's error; when
the run was cancelled meanwhile, the outcome is ``cancelled`` whatever the program did.

Examples:
    >>> def hello(run: RunContext) -> None:
    ...     run.log("hello")
    >>> register("Example::Hello", civis_type="Example")(hello) is hello
    True
    >>> PROGRAMS["Example::Hello"] is hello, CIVIS_TYPES["Example::Hello"]
    (True, 'Example')
    >>> _ = unregister("Example::Hello")
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from civis_platform.config import Settings
from civis_platform.services import runs
from civis_platform.services.auth import load_principal
from civis_platform.services.context import Context
from civis_platform.store.db import Store

_log = logging.getLogger(__name__)

Program = Callable[["RunContext"], None]

# Job type key -> program. Stable keys are ours; CIVIS_TYPES gives the ``type`` string
# the API reports for jobs of that key (e.g. "JobTypes::ContainerDocker").
PROGRAMS: dict[str, Program] = {}
CIVIS_TYPES: dict[str, str] = {}


def register(key: str, *, civis_type: str | None = None) -> Callable[[Program], Program]:
    """Decorator: make ``program`` run the jobs whose type is ``key``."""

    def decorate(program: Program) -> Program:
        PROGRAMS[key] = program
        CIVIS_TYPES[key] = civis_type or key
        return program

    return decorate


def unregister(key: str) -> Program | None:
    """Remove a program (tests register throwaway ones); returns what was registered."""
    CIVIS_TYPES.pop(key, None)
    return PROGRAMS.pop(key, None)


def civis_type(key: str) -> str:
    """The Civis ``type`` string of a job type key (the key itself when unknown).

    Examples:
        >>> civis_type("Never::Registered")
        'Never::Registered'
    """
    return CIVIS_TYPES.get(key, key)


class ProgramError(Exception):
    """A program's failure whose message is meant for the user as the run's error."""


@dataclass
class RunContext:
    """One run as its program sees it.

    ``log`` and ``add_output`` write through the run services (each call its own
    transaction, so logs are visible while the run goes on). ``cancelled`` is set when
    the run's cancellation is requested (`request_cancel`); programs that wait should
    wait on it, and programs blocked in a call can have it interrupted
    (`when_cancelled`).
    """

    job_id: int
    run_id: int
    owner_id: int
    job_type: str
    config: dict[str, Any]
    store: Store
    settings: Settings
    # Whatever the app keeps for programs (``app.state``: blob store, warehouse, ...).
    services: Any = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    _cancel_callbacks: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _callbacks_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def log(self, message: str, level: str = "info") -> None:
        """Append a line to the run's logs."""
        runs.append_log(self.store, self.run_id, message, level)

    def add_output(
        self,
        object_type: str,
        object_id: int | None = None,
        name: str | None = None,
        value: Any = None,
    ) -> None:
        """Record an output (``File``, ``Table``, ``JSONValue`` with a raw ``value``, ...)."""
        runs.insert_output(self.store, self.run_id, object_type, object_id, name, value)

    def is_cancel_requested(self) -> bool:
        """True once someone asked to cancel this run."""
        return self.cancelled.is_set()

    def request_cancel(self) -> None:
        """Mark the run cancelled and call the callbacks of `when_cancelled` blocks."""
        with self._callbacks_lock:
            self.cancelled.set()
            for callback in list(self._cancel_callbacks):
                _call_safely(callback)

    @contextlib.contextmanager
    def when_cancelled(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call ``callback`` (from the thread that cancels) if the run is cancelled
        while the block runs, or at once if it already was: e.g. `Session.interrupt`
        to stop a long warehouse statement. Once the block is left it is never called."""
        with self._callbacks_lock:
            self._cancel_callbacks.append(callback)
            if self.cancelled.is_set():
                _call_safely(callback)
        try:
            yield
        finally:
            with self._callbacks_lock:  # waits for a callback under way to return
                self._cancel_callbacks.remove(callback)

    @contextlib.contextmanager
    def warehouse_session(self, warehouse: Any) -> Iterator[Any]:
        """`Warehouse.session` for this run: its cancellation interrupts the statement
        under way and refuses the rest (`Session.interrupt`)."""
        with warehouse.session() as session, self.when_cancelled(session.interrupt):
            yield session

    def owner_context(self) -> Context:
        """A service Context acting as the job's owner, so a run can reach exactly
        what its owner can (their files, credentials and databases) and no more."""
        with self.store.transaction() as conn:
            principal = load_principal(conn, self.owner_id)
        if principal is None:
            raise ProgramError(f"The owner of job {self.job_id} is no longer an active user.")
        return Context(
            user=principal,
            store=self.store,
            settings=self.settings,
            warehouses=getattr(self.services, "warehouses", None),
        )


def _call_safely(callback: Callable[[], None]) -> None:
    """A cancel callback must not break the canceller (an API request, the heartbeat)."""
    try:
        callback()
    except Exception:
        _log.exception("a cancel callback failed")


class Executor(Protocol):
    """Runs a program for one run; returns when the program is done.

    Raises whatever the program raised. Implementations: ``local.LocalExecutor``.
    """

    def execute(self, program: Program, run: RunContext) -> None:
        """Run ``program(run)`` to completion."""
        ...
