"""Workers: slots that claim queued runs from the metadata store and run their programs.

A `Worker` has ``slots`` threads and takes the job types it is given (all by default).
For each claimed run it builds the run's `RunSpec` and a `Host` (through the
``host_factory`` the composition root supplies: in-process, with the platform's
services), then:

- a platform program (SQL, imports, exports, preprocess) runs in the slot's thread;
- a user-code program only prepares a `Launch`, which the worker's sandbox executor
  (`runner.sandbox.LocalSandbox`, or `runner.dask.DaskExecutor`) runs outside this
  process; the slot thread waits, so users' code never runs in it.

Around that:

- Besides its ``slots``, a worker that takes both kinds has one more slot for
  platform programs only, so users' code waiting on a run of its own (CivisML's SQL
  export of its table) cannot deadlock a worker whose slots all run users' code.
- `notify` (after a run is queued in this process) wakes idle slots at once; on
  PostgreSQL a `wakeup.Listener` does the same for runs queued by other processes, and
  delivers cancellations; slots also poll every ``runner_poll_seconds``.
- One heartbeat thread stamps this worker's running runs every
  ``runner_heartbeat_seconds``, learns of cancellations made elsewhere, and recovers
  runs of any worker whose heartbeat is older than ``runner_stale_seconds``: they fail
  with a clear error, or go back to the queue where their job type allows a retry.
- `start` first recovers runs left ``running`` by a dead worker (same host, dead pid:
  at once; elsewhere: when their heartbeat goes stale). Queued runs simply run.
- `stop`: stop claiming, stop running programs (their sandboxes are killed), wait up to
  ``runner_grace_seconds``, and fail what ran with a shutdown error (a run the user
  cancelled meanwhile ends cancelled).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from civis_platform.config import Settings
from civis_platform.runner import runs
from civis_platform.runner.host import Cancellation, Host, ProgramError, UserCodeExecutor
from civis_platform.runner.jobtypes import JOB_TYPES, JobTypes
from civis_platform.runner.queue import ClaimedRun
from civis_platform.runner.runspec import Launch, Limits, RunSpec
from civis_platform.runner.wakeup import Doorbell, Listener
from civis_platform.store import tables as t
from civis_platform.store.db import Store

log = logging.getLogger("civis_platform.runner")

HostFactory = Callable[[RunSpec, Cancellation], Host]


def new_worker_id() -> str:
    """``host:pid:random``: unique per worker; host and pid let a restart spot the dead.

    Examples:
        >>> new_worker_id().count(":")
        2
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def is_dead_local_worker(worker_id: str | None) -> bool:
    """True for a worker id of this host whose process no longer exists.

    Examples:
        >>> is_dead_local_worker(new_worker_id())
        False
    """
    if not worker_id:
        return True
    parts = worker_id.split(":")
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class _Active:
    """A run this worker holds: its cancellation, and whether a user asked for it."""

    cancellation: Cancellation
    user_cancelled: bool = False
    host: Host | None = None


class Worker:
    """Slots over the durable queue of one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        host_factory: HostFactory,
        job_types: JobTypes = JOB_TYPES,
        sandbox: UserCodeExecutor | None = None,
        slots: int | None = None,
        takes: Collection[str] | None = None,
        listen: bool | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.job_types = job_types
        self.host_factory = host_factory
        self.sandbox = sandbox
        self.slots = settings.runner_workers if slots is None else slots
        # None: every job type (so also types unknown here, which then fail clearly).
        self.takes = None if takes is None else frozenset(takes)
        self.worker_id = new_worker_id()
        self._listen = store.engine.dialect.name == "postgresql" if listen is None else listen
        self._listener: Listener | None = None
        self._bell = Doorbell()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active: dict[int, _Active] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Worker:
        """Recover runs of dead workers, then start the slots, heartbeat and listener."""
        self.recover()
        if self._listen:
            self._listener = Listener(
                self.store.engine.url.render_as_string(hide_password=False),
                on_queued=self.notify,
                on_cancelled=self.request_cancel,
            ).start()
        for n in range(self.slots):
            self._spawn(self._work, f"civis-runner-{n}")
        reserved = self.reserved_platform_types()
        if reserved:
            self._spawn(lambda: self._work(reserved), "civis-runner-platform")
        self._spawn(self._beat, "civis-runner-heartbeat")
        return self

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, grace: float | None = None) -> None:
        """Stop claiming, stop running programs, then fail what they left running."""
        grace = self.settings.runner_grace_seconds if grace is None else grace
        self._stopping.set()
        self._bell.ring()
        if self._listener is not None:
            self._listener.stop()
        with self._lock:
            active = list(self._active.values())
        for run in active:
            run.cancellation.request()
        for thread in self._threads:
            thread.join(timeout=grace)
        with self._lock:
            left = list(self._active)
        for run_id in left:
            runs.fail_running(self.store, run_id, runs.SHUTDOWN_ERROR)
        self._threads.clear()
        if self.sandbox is not None:
            self.sandbox.close()

    def retries_of(self, job_type: str) -> int:
        """How often a run of ``job_type`` whose worker was lost goes back to the queue."""
        known = self.job_types.get(job_type)
        return known.retries if known is not None else 0

    def recover(self) -> list[int]:
        """Fail (or requeue) runs whose worker is gone: dead local processes now,
        others when their heartbeat is stale. Returns the ids changed."""
        running = runs.running_runs(self.store)
        dead = [r for r in running if is_dead_local_worker(r.worker_id)]
        changed = runs.recover(self.store, dead, runs.RESTART_ERROR, retries=self.retries_of)
        stale = runs.running_runs(
            self.store, stale_after=timedelta(seconds=self.settings.runner_stale_seconds)
        )
        changed += runs.recover(self.store, stale, runs.RESTART_ERROR, retries=self.retries_of)
        return changed

    # ------------------------------------------------------------------ doorbells

    def notify(self) -> None:
        """A run was queued: wake idle slots now."""
        self._bell.ring()

    def request_cancel(self, run_id: int) -> None:
        """A run's cancellation was recorded: stop its program if it runs here."""
        with self._lock:
            run = self._active.get(run_id)
            if run is not None:
                run.user_cancelled = True
        if run is not None:
            run.cancellation.request()

    # ------------------------------------------------------------------ threads

    def reserved_platform_types(self) -> frozenset[str]:
        """The platform job types of the extra slot a worker that takes users' code too
        keeps for them (empty when it takes only one kind): users' code that waits on
        a platform run of its own (an SQL export, a query, an import: CivisML reading
        its table) never finds every slot taken by runs like itself."""
        user_code = self.job_types.user_code_keys()
        taken = frozenset(self.job_types) if self.takes is None else self.takes
        platform = taken - user_code
        return platform if platform and taken & user_code else frozenset()

    def _work(self, takes: frozenset[str] | None = None) -> None:
        takes = self.takes if takes is None else takes
        while not self._stopping.is_set():
            try:
                claimed = runs.claim_next(self.store, self.worker_id, takes)
            except Exception:  # the store is down or busy: try again after a poll
                log.exception("claiming a run failed")
                claimed = None
            if claimed is None:
                self._bell.wait(self.settings.runner_poll_seconds)
                continue
            self._bell.ring()  # there may be more: let another idle slot look too
            try:
                self.run_claimed(claimed)
            except Exception:  # e.g. the job was deleted meanwhile; keep the slot alive
                log.exception("run %s could not be finished", claimed.run_id)

    def _beat(self) -> None:
        stale = timedelta(seconds=self.settings.runner_stale_seconds)
        while not self._stopping.wait(self.settings.runner_heartbeat_seconds):
            try:
                with self._lock:
                    active = list(self._active)
                for run_id in runs.heartbeat(self.store, self.worker_id, active):
                    self.request_cancel(run_id)
                lost = runs.running_runs(self.store, stale_after=stale)
                runs.recover(self.store, lost, runs.STALLED_ERROR, retries=self.retries_of)
            except Exception:
                log.exception("heartbeat failed")

    # ------------------------------------------------------------------ one run

    def run_claimed(self, claimed: ClaimedRun) -> str:
        """Execute a claimed run to its final state; returns that state."""
        with self.store.transaction() as conn:
            job = conn.execute(select(t.jobs).where(t.jobs.c.id == claimed.job_id)).first()
        if job is None:  # deleted since the claim (its runs went with it)
            return runs.current_state(self.store, claimed.run_id)
        active = _Active(cancellation=Cancellation())
        with self._lock:
            self._active[claimed.run_id] = active
        try:
            try:
                config = runs.load_config(job.config)
            except ValueError:
                config = {}
            spec = RunSpec(
                run_id=claimed.run_id,
                job_id=job.id,
                owner_id=job.owner_id,
                job_type=job.type,
                config=config,
                attempt=claimed.attempt,
                limits=Limits.from_resources(
                    config.get("required_resources"),
                    time_limit_seconds=self.settings.runner_time_limit_seconds,
                ),
            )
            return self._execute(spec, active)
        finally:
            with self._lock:
                self._active.pop(claimed.run_id, None)

    def _execute(self, spec: RunSpec, active: _Active) -> str:
        host: Host | None = None
        try:
            host = self.host_factory(spec, active.cancellation)
            active.host = host
            self._run_program(spec, host)
        except (Exception, SystemExit) as exc:  # the program failed: the run's outcome
            return self._finish(spec.run_id, active, error=str(exc) or type(exc).__name__)
        finally:
            close = getattr(host, "close", None)
            if close is not None:
                close()
        return self._finish(spec.run_id, active, error=None)

    def _run_program(self, spec: RunSpec, host: Host) -> None:
        job_type = self.job_types.get(spec.job_type)
        if job_type is None:
            raise ProgramError(f"No program runs jobs of type {spec.job_type!r}.")
        model = self.job_types.config_model(spec.job_type)
        if model is not None:
            try:
                model.model_validate(spec.config)
            except Exception as error:
                raise ProgramError(f"The job's configuration is not valid: {error}") from None
        program = self.job_types.program(spec.job_type)
        if not job_type.user_code:
            program(host)
            return
        if self.sandbox is None:
            raise ProgramError("This worker cannot run users' code (no sandbox executor).")
        launch = program(host)
        if not isinstance(launch, Launch):
            raise ProgramError(f"The {job_type.label} program did not prepare a process.")
        if host.is_cancel_requested():
            return
        failure = self.sandbox.run(launch, host).failure()
        if failure is not None:
            raise ProgramError(failure)

    def _finish(self, run_id: int, active: _Active, *, error: str | None) -> str:
        if active.cancellation.is_set():
            if not active.user_cancelled and self._stopping.is_set():
                if runs.fail_running(self.store, run_id, runs.SHUTDOWN_ERROR):
                    return runs.FAILED
                return runs.current_state(self.store, run_id)
            return runs.finish_cancelled(self.store, run_id)
        if error is not None:
            if runs.fail_running(self.store, run_id, runs.failure_message(error)):
                return runs.FAILED
            return runs.current_state(self.store, run_id)
        if runs.transition_in(self.store, run_id, expected=runs.RUNNING, to=runs.SUCCEEDED):
            return runs.SUCCEEDED
        return runs.current_state(self.store, run_id)
