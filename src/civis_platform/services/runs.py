"""Run state: the TRANSITIONS table and ``transition()``, the only writer of run state.

States are exactly ``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``.
Every change is an ``UPDATE runs SET state = :to WHERE id = :id AND state = :expected``
whose row count says whether this caller won; a loser changes nothing. A failed run
always gets a non-empty ``error``.

Also here: the run's logs and outputs (written by programs through ``RunContext``),
queueing, claiming (the statement lives in ``runner.queue``) and recovery of runs
whose worker died.

Examples:
    >>> check_transition("queued", "running")
    >>> check_transition("succeeded", "running")
    Traceback (most recent call last):
    ...
    civis_platform.services.runs.InvalidTransitionError: A succeeded run cannot become running.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from civis_platform.errors import ConflictError
from civis_platform.runner import queue
from civis_platform.services.context import iso, utcnow
from civis_platform.store import tables as t
from civis_platform.store.db import Store

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
ACTIVE = frozenset({QUEUED, RUNNING})
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

# From state -> the states it may move to. Final states never change again.
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, CANCELLED, FAILED}),
    RUNNING: frozenset({SUCCEEDED, FAILED, CANCELLED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
    CANCELLED: frozenset(),
}

DEFAULT_FAILURE = "The run failed."
RESTART_ERROR = "The server restarted while this run was running."
STALLED_ERROR = "The worker running this run stopped responding."
SHUTDOWN_ERROR = "The server shut down while this run was running."
LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")


class InvalidTransitionError(ConflictError):
    """A state change the TRANSITIONS table forbids."""


def check_transition(current: str, to: str) -> None:
    """Raise InvalidTransitionError unless ``current -> to`` is in TRANSITIONS."""
    if current not in TRANSITIONS or to not in STATES:
        raise InvalidTransitionError(f"Unknown run state: {current!r} -> {to!r}.")
    if to not in TRANSITIONS[current]:
        raise InvalidTransitionError(f"A {current} run cannot become {to}.")


def failure_message(error: str | None) -> str:
    """The error a failed run records: never empty.

    Examples:
        >>> failure_message("  "), failure_message("boom")
        ('The run failed.', 'boom')
    """
    text = (error or "").strip()
    return text or DEFAULT_FAILURE


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
    if cancel_requested:
        values["is_cancel_requested"] = True
    result = conn.execute(
        update(t.runs).where(t.runs.c.id == run_id, t.runs.c.state == expected).values(**values)
    )
    return result.rowcount == 1


def transition_in(
    store: Store, run_id: int, *, expected: str, to: str, error: str | None = None
) -> bool:
    """:func:`transition` in a transaction of its own."""
    with store.transaction() as conn:
        return transition(conn, run_id, expected=expected, to=to, error=error)


def enqueue(conn: Connection, job_id: int) -> int:
    """Insert a queued run of ``job_id``; returns its id (wake the runner after commit)."""
    result = conn.execute(
        insert(t.runs)
        .values(job_id=job_id, state=QUEUED, is_cancel_requested=False, created_at=utcnow())
        .returning(t.runs.c.id)
    )
    return int(result.scalar_one())


def claim_next(store: Store, worker_id: str) -> queue.ClaimedRun | None:
    """The oldest queued run, now ``running`` and held by ``worker_id`` (or None)."""
    check_transition(QUEUED, RUNNING)
    return queue.claim(store, worker_id, from_state=QUEUED, to_state=RUNNING)


def heartbeat(store: Store, worker_id: str, run_ids: list[int]) -> set[int]:
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
    """A job's stored configuration (a JSON object).

    Examples:
        >>> load_config('{"a": 1}'), load_config(None)
        ({'a': 1}, {})
    """
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


def recover_stalled(
    store: Store, *, older_than: timedelta, error: str = RESTART_ERROR
) -> list[int]:
    """Fail running runs whose worker stopped heartbeating; returns their ids."""
    return [
        run_id
        for run_id in queue.stalled_runs(store, older_than=older_than)
        if fail_running(store, run_id, error)
    ]


# ---------------------------------------------------------------------------- logs


def append_log(store: Store, run_id: int, message: str, level: str = "info") -> int:
    """Add one log line to a run; returns its id."""
    with store.transaction() as conn:
        return insert_log(conn, run_id, message, level)


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
) -> None:
    """Record an output of a run (``value`` is any JSON value, for ``JSONValue``).

    A File output without a name takes the file's name (clients find outputs by name).
    """
    with store.transaction() as conn:
        if name is None and object_type == "File" and object_id is not None:
            name = conn.execute(select(t.files.c.name).where(t.files.c.id == object_id)).scalar()
        conn.execute(
            insert(t.run_outputs).values(
                run_id=run_id,
                object_type=object_type,
                object_id=object_id,
                name=name,
                value=None if value is None else json.dumps(value),
                created_at=utcnow(),
            )
        )


def request_cancel(conn: Connection, run_id: int, state: str) -> bool:
    """Cancel an active run now (queued or running); False if it had already finished.

    A running run's row says ``cancelled`` at once; its worker learns it through the
    dispatcher's doorbell or its next heartbeat and stops the program.
    """
    if state not in ACTIVE:
        return False
    won = transition(conn, run_id, expected=state, to=CANCELLED, cancel_requested=True)
    if not won and state == QUEUED:
        # Claimed meanwhile: cancel it as a running run.
        won = transition(conn, run_id, expected=RUNNING, to=CANCELLED, cancel_requested=True)
    return won
