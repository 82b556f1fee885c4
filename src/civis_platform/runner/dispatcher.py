"""The dispatcher: worker threads that claim queued runs and execute their programs.

- ``notify()`` (called after a run is queued in this process) wakes idle workers at
  once; they also poll every ``runner_poll_seconds`` for runs queued by other processes.
- One heartbeat thread stamps this dispatcher's running runs every
  ``runner_heartbeat_seconds``, learns of cancellations made elsewhere, and fails
  runs of any process whose heartbeat is older than ``runner_stale_seconds``.
- ``start()`` first fails runs left ``running`` by a dead worker (same host, dead pid:
  at once; elsewhere: when their heartbeat goes stale). Queued runs simply run.
- ``stop()``: stop claiming, tell running programs to stop, wait up to
  ``runner_grace_seconds``, then fail what is still running with a shutdown error.
  (Leaving them for recovery would also be safe, but the error then says "restarted"
  only after the next start; failing them now records the true cause at once.)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from civis_platform.config import Settings
from civis_platform.runner.base import PROGRAMS, Executor, ProgramError, RunContext
from civis_platform.runner.local import LocalExecutor
from civis_platform.runner.queue import ClaimedRun
from civis_platform.services import runs
from civis_platform.store import tables as t
from civis_platform.store.db import Store

log = logging.getLogger("civis_platform.runner")


def new_worker_id() -> str:
    """``host:pid:random``: unique per dispatcher; host and pid let a restart spot the dead.

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


class Dispatcher:
    """Worker threads over the durable queue of one store."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        services: Any = None,
        executor: Executor | None = None,
        workers: int | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.services = services
        self.executor: Executor = executor or LocalExecutor()
        self.workers = settings.runner_workers if workers is None else workers
        self.worker_id = new_worker_id()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active: dict[int, RunContext] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Dispatcher:
        """Recover runs of dead workers, then start the worker and heartbeat threads."""
        self.recover()
        for n in range(self.workers):
            self._spawn(self._work, f"civis-runner-{n}")
        self._spawn(self._beat, "civis-runner-heartbeat")
        return self

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, grace: float | None = None) -> None:
        """Stop claiming, ask running programs to stop, then fail what remains."""
        grace = self.settings.runner_grace_seconds if grace is None else grace
        self._stopping.set()
        self._wake.set()
        with self._lock:
            active = list(self._active.values())
        for run in active:
            run.request_cancel()
        for thread in self._threads:
            thread.join(timeout=grace)
        with self._lock:
            left = list(self._active)
        for run_id in left:
            runs.fail_running(self.store, run_id, runs.SHUTDOWN_ERROR)
        self._threads.clear()

    def recover(self) -> list[int]:
        """Fail runs whose worker is gone: dead local processes now, others when stale."""
        with self.store.transaction() as conn:
            rows = conn.execute(
                select(t.runs.c.id, t.runs.c.worker_id).where(t.runs.c.state == runs.RUNNING)
            ).all()
        failed = [
            row.id
            for row in rows
            if is_dead_local_worker(row.worker_id)
            and runs.fail_running(self.store, row.id, runs.RESTART_ERROR)
        ]
        failed += runs.recover_stalled(
            self.store, older_than=timedelta(seconds=self.settings.runner_stale_seconds)
        )
        return failed

    # ------------------------------------------------------------------ doorbells

    def notify(self) -> None:
        """A run was queued: wake idle workers now."""
        self._wake.set()

    def request_cancel(self, run_id: int) -> None:
        """A run's cancellation was recorded: stop its program if it runs here."""
        with self._lock:
            run = self._active.get(run_id)
        if run is not None:
            run.request_cancel()

    # ------------------------------------------------------------------ threads

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = runs.claim_next(self.store, self.worker_id)
            except Exception:  # the store is down or busy: try again after a poll
                log.exception("claiming a run failed")
                claimed = None
            if claimed is None:
                self._wake.wait(self.settings.runner_poll_seconds)
                self._wake.clear()
                continue
            self._wake.set()  # there may be more: let another idle worker look too
            try:
                self.run_claimed(claimed)
            except Exception:  # e.g. the job was deleted meanwhile; keep the worker alive
                log.exception("run %s could not be finished", claimed.run_id)

    def _beat(self) -> None:
        stale = timedelta(seconds=self.settings.runner_stale_seconds)
        while not self._stopping.wait(self.settings.runner_heartbeat_seconds):
            try:
                with self._lock:
                    active = list(self._active)
                for run_id in runs.heartbeat(self.store, self.worker_id, active):
                    self.request_cancel(run_id)
                runs.recover_stalled(self.store, older_than=stale, error=runs.STALLED_ERROR)
            except Exception:
                log.exception("heartbeat failed")

    # ------------------------------------------------------------------ one run

    def run_claimed(self, claimed: ClaimedRun) -> str:
        """Execute a claimed run to its final state; returns that state."""
        with self.store.transaction() as conn:
            job = conn.execute(select(t.jobs).where(t.jobs.c.id == claimed.job_id)).first()
        if job is None:  # deleted since the claim (its runs went with it)
            return runs.current_state(self.store, claimed.run_id)
        try:
            config = runs.load_config(job.config)
        except ValueError:
            config = {}
        context = RunContext(
            job_id=job.id,
            run_id=claimed.run_id,
            owner_id=job.owner_id,
            job_type=job.type,
            config=config,
            store=self.store,
            settings=self.settings,
            services=self.services,
        )
        with self._lock:
            self._active[claimed.run_id] = context
        try:
            return self._execute(context)
        finally:
            with self._lock:
                self._active.pop(claimed.run_id, None)

    def _execute(self, run: RunContext) -> str:
        program = PROGRAMS.get(run.job_type)
        try:
            if program is None:
                raise ProgramError(f"No program runs jobs of type {run.job_type!r}.")
            self.executor.execute(program, run)
        except (Exception, SystemExit) as exc:  # the program failed: the run's outcome
            if run.is_cancel_requested():
                return runs.finish_cancelled(self.store, run.run_id)
            error = runs.failure_message(str(exc) or type(exc).__name__)
            if runs.fail_running(self.store, run.run_id, error):
                return runs.FAILED
            return runs.current_state(self.store, run.run_id)
        if run.is_cancel_requested():
            return runs.finish_cancelled(self.store, run.run_id)
        if runs.transition_in(self.store, run.run_id, expected=runs.RUNNING, to=runs.SUCCEEDED):
            return runs.SUCCEEDED
        return runs.current_state(self.store, run.run_id)
