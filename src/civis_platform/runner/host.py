"""The host interface: everything a program may do, and nothing else.

A *program* is what a job type does: ``program(host: Host) -> None``, where
``host.spec`` is its `RunSpec`. Returning means success; raising means failure, with
``str(exception)`` as the run's error (`ProgramError` for messages meant for users);
when the run was cancelled meanwhile, the outcome is ``cancelled`` whatever the
program did. A user-code program instead returns a `Launch`, which the worker hands to
its sandbox executor (`UserCodeExecutor`).

`Host` has two implementations: in-process (``services.run_host.LocalHost``, for the
embedded and standalone workers) and over the API with the run's own key
(`runner.remote.ApiHost`, on a Dask worker). Programs written against `Host` run on
either. `OwnerAccess` (``host.owner``) reaches the job owner's files, credentials and
warehouses with exactly the owner's rights; only the in-process host can open
warehouses.

Examples:
    >>> cancellation = Cancellation()
    >>> seen = []
    >>> with cancellation.when_cancelled(lambda: seen.append("stop")):
    ...     cancellation.request()
    >>> seen, cancellation.is_set()
    (['stop'], True)
"""

from __future__ import annotations

import abc
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from civis_platform.runner.runspec import Launch, Outcome, RunSpec

_log = logging.getLogger(__name__)


class ProgramError(Exception):
    """A program's failure whose message is meant for the user as the run's error."""


class Cancellation:
    """A run's cancellation: an event plus callbacks that interrupt blocking calls."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        """True once someone asked to cancel this run."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for a cancellation; True if there was one."""
        return self._event.wait(timeout)

    def request(self) -> None:
        """Mark the run cancelled and call the callbacks of `when_cancelled` blocks."""
        with self._lock:
            self._event.set()
            for callback in list(self._callbacks):
                _call_safely(callback)

    @contextlib.contextmanager
    def when_cancelled(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call ``callback`` (from the thread that cancels) if the run is cancelled
        while the block runs, or at once if it already was: e.g. `Session.interrupt`
        to stop a long warehouse statement. Once the block is left it is never called."""
        with self._lock:
            self._callbacks.append(callback)
            if self._event.is_set():
                _call_safely(callback)
        try:
            yield
        finally:
            with self._lock:  # waits for a callback under way to return
                self._callbacks.remove(callback)


def _call_safely(callback: Callable[[], None]) -> None:
    """A cancel callback must not break the canceller (an API request, the heartbeat)."""
    try:
        callback()
    except Exception:
        _log.exception("a cancel callback failed")


@dataclass(frozen=True)
class Secret:
    """A credential as a run may use it (never shown by the API)."""

    id: int
    type: str
    username: str
    password: str


class OwnerAccess(Protocol):
    """What a run may reach of its job owner's objects, with the owner's rights.

    Refusals are `civis_platform.errors.DomainError`s whose message is fit for the
    run's error (the same the API would give the owner)."""

    def target(self, **where: Any) -> Any:
        """A warehouse and credential (``database_id`` or ``remote_host_id``, plus
        ``credential_id`` and the fields to name in errors): a ``services.warehouses
        .Target``. Raises ProgramError when the owner may not use them."""
        ...

    def readable_file(self, file_id: Any, field: str) -> Any:
        """A complete file row the owner may read (ProgramError otherwise)."""
        ...

    def open_file(self, row: Any) -> contextlib.AbstractContextManager[BinaryIO]:
        """The contents of a file row from `readable_file`."""
        ...

    def store_file(self, *, name: str, source: Path | BinaryIO, detected_info: Any = None) -> int:
        """A new file of the owner: a local file in `staging_dir` (moved, not copied)
        or a stream's bytes; its id."""
        ...

    def set_detected_info(self, file_id: int, detected: Any) -> None:
        """Record ``detectedInfo`` on one of the owner's files."""
        ...

    def file_links(self, file_id: int) -> tuple[str, str | None, int]:
        """(API link, signed download URL, size) of a stored file."""
        ...

    def staging_dir(self) -> Path:
        """A folder where files to store can be spooled (storing them is a rename)."""
        ...

    def table_id(self, database_id: int, schema: str, table: str) -> int:
        """The stable id of a warehouse table (made now if new)."""
        ...

    def credential(self, credential_id: Any, field: str) -> Secret:
        """A credential the owner may use (ProgramError otherwise)."""
        ...

    def api_key(self) -> str:
        """An API key of the owner for this run only: it expires with the run's time
        limit and is revoked when the run ends."""
        ...


class Host(abc.ABC):
    """What a program sees of its run (see the module docstring).

    Subclasses write logs and outputs and give `owner`; the rest is shared here.
    """

    def __init__(self, spec: RunSpec, cancellation: Cancellation | None = None) -> None:
        self.spec = spec
        self.cancellation = cancellation or Cancellation()

    # -- the run's identity and configuration, for programs' convenience

    @property
    def run_id(self) -> int:
        """The run's id."""
        return self.spec.run_id

    @property
    def job_id(self) -> int:
        """The job's id."""
        return self.spec.job_id

    @property
    def owner_id(self) -> int:
        """The id of the job's owner."""
        return self.spec.owner_id

    @property
    def config(self) -> dict[str, Any]:
        """The job's configuration (a JSON object)."""
        return self.spec.config

    # -- cancellation

    def is_cancel_requested(self) -> bool:
        """True once someone asked to cancel this run."""
        return self.cancellation.is_set()

    def when_cancelled(
        self, callback: Callable[[], None]
    ) -> contextlib.AbstractContextManager[None]:
        """`Cancellation.when_cancelled`."""
        return self.cancellation.when_cancelled(callback)

    @contextlib.contextmanager
    def warehouse_session(self, warehouse: Any) -> Iterator[Any]:
        """`Warehouse.session` for this run: its cancellation interrupts the statement
        under way and refuses the rest (`Session.interrupt`)."""
        with warehouse.session() as session, self.when_cancelled(session.interrupt):
            yield session

    # -- what implementations provide

    @property
    @abc.abstractmethod
    def owner(self) -> OwnerAccess:
        """The job owner's objects (`OwnerAccess`)."""

    @abc.abstractmethod
    def log_lines(self, lines: Sequence[tuple[str, str]]) -> None:
        """Append several ``(message, level)`` lines, in order, in one write."""

    @abc.abstractmethod
    def add_output(
        self,
        object_type: str,
        object_id: int | None = None,
        name: str | None = None,
        value: Any = None,
    ) -> None:
        """Record an output (``File``, ``Table``, ``JSONValue`` with a raw ``value``...)."""

    def log(self, message: str, level: str = "info") -> None:
        """Append a line to the run's logs (visible at once)."""
        self.log_lines([(message, level)])


class UserCodeExecutor(Protocol):
    """Runs a `Launch` in a sandbox and reports through ``host``: its output lines
    become logs as they come, ``host.cancellation`` stops the whole process tree.

    Implementations: `runner.sandbox.LocalSandbox`, `runner.dask.DaskExecutor`.
    """

    def run(self, launch: Launch, host: Host) -> Outcome:
        """Run ``launch`` to its end."""
        ...

    def close(self) -> None:
        """Release what the executor holds (processes, cluster connections)."""
        ...
