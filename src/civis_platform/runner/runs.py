"""Run persistence: the one guarded writer of run state, queueing, claiming, heartbeats,
recovery, and a run's logs and outputs.

Every state change is an ``UPDATE runs SET state = :to WHERE id = :id AND state =
:expected`` whose row count says whether this caller won; a loser changes nothing. A
failed run always gets a non-empty ``error``. A run that reaches a final state has its
API keys (the ones minted for it, ``api_keys.run_id``) revoked in the same transaction,
whoever ends it: its program, a cancel, or the recovery of a dead worker.

The claim's SQL lives in `queue` (the engine's only dialect-specific statements).

Examples:
    >>> load_config('{"a": 1}'), load_config(None)
    ({'a': 1}, {})
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from civis_platform.clock import iso, utcnow
from civis_platform.runner import queue
from civis_platform.runner.states import (
    ACTIVE,
    CANCELLED,
    DEFAULT_FAILURE,
    FAILED,
    FINAL,
    LOG_LEVELS,
    QUEUED,
    RESTART_ERROR,
    RUNNING,
    SHUTDOWN_ERROR,
    STALLED_ERROR,
    STATES,
    SUCCEEDED,
    TRANSITIONS,
    InvalidTransitionError,
    check_transition,
    failure_message,
)
from civis_platform.store import tables as t
from civis_platform.store.db import Store

# The states and their table are re-exported: callers of the run services say
# ``runs.FINAL``, ``runs.check_transition``.
__all__ = [
    "ACTIVE",
    "CANCELLED",
    "DEFAULT_FAILURE",
    "FAILED",
    "FINAL",
    "LOG_LEVELS",
    "QUEUED",
    "RESTART_ERROR",
    "RUNNING",
    "SHUTDOWN_ERROR",
    "STALLED_ERROR",
    "STATES",
    "SUCCEEDED",
    "TRANSITIONS",
    "InvalidTransitionError",
    "LogPage",
    "LostRun",
    "add_output",
    "append_log",
    "append_logs",
    "check_transition",
    "claim_next",
    "current_state",
    "enqueue",
    "fail_running",
    "failure_message",
    "finish_cancelled",
    "heartbeat",
    "insert_log",
    "insert_output",
    "load_config",
    "read_logs",
    "recover",
    "request_cancel",
    "requeue_or_fail",
    "revoke_run_keys",
    "running_runs",
    "transition",
    "transition_in",
]


def transition(
    conn: Connection,
    run_id: int,
    *,
    expected: str,
    to: str,
    error: str | None = None,
    cancel_requested: bool = False,
) -> bool:
    """Move run ``run_id`` from ``expected`` to ``to``; True if this call made the change.

    False means the run was not in ``expected`` any more (someone else won the race).
    Raises InvalidTransitionError for a pair TRANSITIONS forbids.
    """
    check_transition(expected, to)
    now = utcnow()
    values: dict[str, Any] = {"state": to}
    if to == RUNNING:
        values["started_at"] = now
        values["heartbeat_at"] = now
    if to in FINAL:
        values["finished_at"] = now
    if to == FAILED:
        values["error"] = failure_message(error)
    if to == QUEUED:  # a retry after a lost worker: the run starts over
        values.update(worker_id=None, heartbeat_at=None, started_at=None)
    if cancel_requested:
        values["is_cancel_requested"] = True
    result = conn.execute(
        update(t.runs).where(t.runs.c.id == run_id, t.runs.c.state == expected).values(**values)
    )
    won = result.rowcount == 1
    if won and to in FINAL:
        revoke_run_keys(conn, run_id)
    return won


def revoke_run_keys(conn: Connection, run_id: int) -> None:
    """Revoke every API key minted for a run (it has ended)."""
    keys = t.api_keys
    conn.execute(
        update(keys)
        .where(keys.c.run_id == run_id, keys.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def transition_in(
    store: Store, run_id: int, *, expected: str, to: str, error: str | None = None
) -> bool:
    """:func:`transition` in a transaction of its own."""
    with store.transaction() as conn:
        return transition(conn, run_id, expected=expected, to=to, error=error)


def enqueue(conn: Connection, job_id: int) -> int:
    """Insert a queued run of ``job_id``; returns its id.

    On PostgreSQL the insert also notifies workers in other processes (delivered at
    commit, `queue.notify_queued`); ring the local doorbell after commit as well.
    """
    result = conn.execute(
        insert(t.runs)
        .values(
            job_id=job_id,
            state=QUEUED,
            is_cancel_requested=False,
            attempts=0,
            created_at=utcnow(),
        )
        .returning(t.runs.c.id)
    )
    run_id = int(result.scalar_one())
    queue.notify_queued(conn, run_id)
    return run_id


def claim_next(
    store: Store, worker_id: str, job_types: Collection[str] | None = None
) -> queue.ClaimedRun | None:
    """The oldest queued run (of ``job_types``, or any), now ``running`` and held by
    ``worker_id``; None when there is none."""
    check_transition(QUEUED, RUNNING)
    return queue.claim(store, worker_id, job_types, from_state=QUEUED, to_state=RUNNING)


def heartbeat(store: Store, worker_id: str, run_ids: Collection[int]) -> set[int]:
    """Prove ``worker_id`` alive for its runs; returns the ids whose work must stop."""
    return queue.heartbeat(store, worker_id, run_ids)


def current_state(store: Store, run_id: int) -> str:
    """The state a run is in now ("" when the run no longer exists)."""
    with store.transaction() as conn:
        state = conn.execute(select(t.runs.c.state).where(t.runs.c.id == run_id)).scalar()
        return "" if state is None else str(state)


def finish_cancelled(store: Store, run_id: int) -> str:
    """A cancelled program returned: make sure the run says cancelled; returns the state."""
    transition_in(store, run_id, expected=RUNNING, to=CANCELLED)
    return current_state(store, run_id)


def load_config(text: str | None) -> dict[str, Any]:
    """A job's stored configuration (a JSON object)."""
    value = json.loads(text) if text else {}
    if not isinstance(value, dict):
        raise ValueError("a job configuration is a JSON object")
    return value


def fail_running(store: Store, run_id: int, error: str) -> bool:
    """Fail a running run and log ``error`` in one transaction; True if this call did.

    The log line and the state appear together, so a client that sees ``failed`` also
    sees the line; a caller that loses the race (the run already ended) logs nothing.
    """
    message = failure_message(error)
    with store.transaction() as conn:
        won = transition(conn, run_id, expected=RUNNING, to=FAILED, error=message)
        if won:
            insert_log(conn, run_id, message, "error")
        return won


def requeue_or_fail(store: Store, run_id: int, error: str, *, retries: int) -> str:
    """A run whose worker was lost: back to the queue while it has retries left
    (``attempts`` counts the claims so far), else failed with ``error``. Returns the
    state this call set, or "" when the run had already moved on."""
    message = failure_message(error)
    with store.transaction() as conn:
        attempts = conn.execute(select(t.runs.c.attempts).where(t.runs.c.id == run_id)).scalar()
        if attempts is not None and max(attempts, 1) <= retries:
            if transition(conn, run_id, expected=RUNNING, to=QUEUED):
                insert_log(
                    conn, run_id, f"{message} Retrying (attempt {max(attempts, 1) + 1}).", "warn"
                )
                queue.notify_queued(conn, run_id)
                return QUEUED
            return ""
        if transition(conn, run_id, expected=RUNNING, to=FAILED, error=message):
            insert_log(conn, run_id, message, "error")
            return FAILED
        return ""


@dataclass(frozen=True)
class LostRun:
    """A running run whose worker is gone, with what recovery needs to decide."""

    run_id: int
    job_type: str
    worker_id: str | None


def running_runs(store: Store, *, stale_after: timedelta | None = None) -> list[LostRun]:
    """Running runs (only those whose heartbeat is older than ``stale_after``, if given)."""
    return [
        LostRun(run_id=r.id, job_type=r.type, worker_id=r.worker_id)
        for r in queue.running_runs(store, older_than=stale_after)
    ]


def recover(
    store: Store, lost: Collection[LostRun], error: str = RESTART_ERROR, *, retries: Any = None
) -> list[int]:
    """Requeue or fail each lost run (``retries(job_type) -> int``, default 0); returns
    the ids this call changed."""
    changed = []
    for run in lost:
        allowed = retries(run.job_type) if retries is not None else 0
        if requeue_or_fail(store, run.run_id, error, retries=allowed):
            changed.append(run.run_id)
    return changed


# ---------------------------------------------------------------------------- logs


def append_log(store: Store, run_id: int, message: str, level: str = "info") -> int:
    """Add one log line to a run; returns its id."""
    with store.transaction() as conn:
        return insert_log(conn, run_id, message, level)


def append_logs(store: Store, run_id: int, lines: Collection[tuple[str, str]]) -> None:
    """Add several ``(message, level)`` lines to a run in one transaction, in order."""
    if not lines:
        return
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(
            insert(t.run_logs),
            [
                {
                    "run_id": run_id,
                    "created_at": now,
                    "message": message,
                    "level": level if level in LOG_LEVELS else "info",
                }
                for message, level in lines
            ],
        )


def insert_log(conn: Connection, run_id: int, message: str, level: str = "info") -> int:
    """:func:`append_log` inside the caller's transaction."""
    if level not in LOG_LEVELS:
        level = "info"
    result = conn.execute(
        insert(t.run_logs)
        .values(run_id=run_id, created_at=utcnow(), message=message, level=level)
        .returning(t.run_logs.c.id)
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class LogPage:
    """Log lines plus what the logs endpoint reports in headers."""

    items: list[dict[str, Any]]
    max_id: int | None
    final: bool


def read_logs(
    conn: Connection, run_id: int, state: str, *, last_id: int | None, limit: int
) -> LogPage:
    """Logs of one run: after ``last_id`` in id order, else the newest first.

    ``state`` must be read before calling: a run is final only after its last log
    line was written, so final-state logs read afterwards are complete.
    """
    logs = t.run_logs
    # The maximum first, and rows bounded by it: under READ COMMITTED each statement sees
    # new commits, so the other order could report a max id newer than every row sent.
    max_id = conn.execute(select(func.max(logs.c.id)).where(logs.c.run_id == run_id)).scalar()
    if max_id is None:
        return LogPage(items=[], max_id=None, final=state in FINAL)
    stmt = select(logs).where(logs.c.run_id == run_id, logs.c.id <= max_id)
    if last_id is not None:
        stmt = stmt.where(logs.c.id > last_id).order_by(logs.c.id.asc())
    else:
        stmt = stmt.order_by(logs.c.created_at.desc(), logs.c.id.desc())
    rows = conn.execute(stmt.limit(limit)).all()
    items = [
        {"id": r.id, "created_at": iso(r.created_at), "message": r.message, "level": r.level}
        for r in rows
    ]
    return LogPage(items=items, max_id=max_id, final=state in FINAL)


# ---------------------------------------------------------------------------- outputs


def insert_output(
    store: Store,
    run_id: int,
    object_type: str,
    object_id: int | None,
    name: str | None,
    value: Any = None,
) -> int:
    """Record an output of a run in a transaction of its own; its id."""
    with store.transaction() as conn:
        return add_output(conn, run_id, object_type, object_id, name, value)


def add_output(
    conn: Connection,
    run_id: int,
    object_type: str,
    object_id: int | None,
    name: str | None,
    value: Any = None,
) -> int:
    """Record an output of a run (``value`` is any JSON value, for ``JSONValue``); its id.

    A File output without a name takes the file's name (clients find outputs by name).
    """
    if name is None and object_type == "File" and object_id is not None:
        name = conn.execute(select(t.files.c.name).where(t.files.c.id == object_id)).scalar()
    result = conn.execute(
        insert(t.run_outputs)
        .values(
            run_id=run_id,
            object_type=object_type,
            object_id=object_id,
            name=name,
            value=None if value is None else json.dumps(value),
            created_at=utcnow(),
        )
        .returning(t.run_outputs.c.id)
    )
    return int(result.scalar_one())


def request_cancel(conn: Connection, run_id: int, state: str) -> bool:
    """Cancel an active run now (queued or running); False if it had already finished.

    A running run's row says ``cancelled`` at once; its worker learns it through the
    doorbell (`queue.notify_cancelled`, also across processes on PostgreSQL) or its next
    heartbeat, and stops the program.
    """
    if state not in ACTIVE:
        return False
    won = transition(conn, run_id, expected=state, to=CANCELLED, cancel_requested=True)
    if not won and state == QUEUED:
        # Claimed meanwhile: cancel it as a running run.
        won = transition(conn, run_id, expected=RUNNING, to=CANCELLED, cancel_requested=True)
    if won:
        queue.notify_cancelled(conn, run_id)
    return won
