"""The durable run queue: queued rows of ``runs`` are the queue.

This module holds the engine's only dialect-specific SQL. ``claim`` moves the oldest
queued run (of the job types a worker takes) to ``running`` in one statement, so two
workers (threads or processes) never get the same run:

- PostgreSQL: ``UPDATE runs ... WHERE id = (SELECT id ... FOR UPDATE SKIP LOCKED)``;
- SQLite: the same guarded ``UPDATE ... RETURNING`` inside ``BEGIN IMMEDIATE`` (the
  write lock is taken first, so the read cannot go stale before the write).

On PostgreSQL, queueing and cancelling also send ``NOTIFY`` on `QUEUED_CHANNEL` and
`CANCEL_CHANNEL` (delivered when the transaction commits), which `wakeup.Listener`
turns into doorbells in every process; polling stays the fallback.

``heartbeat`` proves a worker alive and reports which of its runs were cancelled
(also from other processes); ``running_runs`` finds running runs, optionally only those
whose worker stopped heartbeating. State is *decided* in `runs`; the claim is the one
state change written here, checked against `states.TRANSITIONS` by its caller.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, or_, select, text, update

from civis_platform.clock import utcnow
from civis_platform.store import tables as t
from civis_platform.store.db import Store

QUEUED_CHANNEL = "civis_runs_queued"
CANCEL_CHANNEL = "civis_runs_cancelled"


@dataclass(frozen=True)
class ClaimedRun:
    """A run this worker now holds (its row already says ``running``)."""

    run_id: int
    job_id: int
    attempt: int


def claim(
    store: Store,
    worker_id: str,
    job_types: Collection[str] | None,
    *,
    from_state: str,
    to_state: str,
) -> ClaimedRun | None:
    """Take the oldest run in ``from_state`` whose job is of ``job_types`` (None: any)
    and move it to ``to_state`` for ``worker_id``. Returns None when there is none."""
    runs = t.runs
    now = utcnow()
    pick = select(runs.c.id).where(runs.c.state == from_state)
    if job_types is not None:
        pick = pick.join(t.jobs, t.jobs.c.id == runs.c.job_id).where(
            t.jobs.c.type.in_(sorted(job_types))
        )
    pick = pick.order_by(runs.c.id).limit(1)
    postgres = store.engine.dialect.name == "postgresql"
    if postgres:
        pick = pick.with_for_update(of=runs, skip_locked=True)
    stmt = (
        update(runs)
        .where(runs.c.id == pick.scalar_subquery(), runs.c.state == from_state)
        .values(
            state=to_state,
            worker_id=worker_id,
            heartbeat_at=now,
            started_at=now,
            attempts=runs.c.attempts + 1,
        )
        .returning(runs.c.id, runs.c.job_id, runs.c.attempts)
    )
    if not postgres:
        # A plain read first: an idle poll must not take SQLite's write lock.
        with store.transaction() as conn:
            if conn.execute(pick).first() is None:
                return None
    # On SQLite the write lock is taken up front, so the claim waits (busy_timeout)
    # instead of failing on a stale read; PostgreSQL skips rows others have locked.
    with store.write_transaction() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    return ClaimedRun(run_id=row.id, job_id=row.job_id, attempt=row.attempts)


def heartbeat(store: Store, worker_id: str, run_ids: Collection[int]) -> set[int]:
    """Stamp ``heartbeat_at`` on this worker's running runs; return those to stop.

    A run is to stop when its cancellation was requested, it is no longer running
    (cancelled, or failed by a stall check), or another worker holds it now.
    """
    if not run_ids:
        return set()
    runs = t.runs
    ids = list(run_ids)
    with store.transaction() as conn:
        conn.execute(
            update(runs)
            .where(runs.c.id.in_(ids), runs.c.worker_id == worker_id, runs.c.state == "running")
            .values(heartbeat_at=utcnow())
        )
        rows = conn.execute(
            select(runs.c.id).where(
                runs.c.id.in_(ids),
                or_(
                    runs.c.is_cancel_requested.is_(True),
                    runs.c.state != "running",
                    runs.c.worker_id != worker_id,
                ),
            )
        )
        return {row.id for row in rows}


def running_runs(
    store: Store, *, older_than: timedelta | None = None, now: datetime | None = None
) -> list[Row[Any]]:
    """Running runs with their job's type (id, type, worker_id); with ``older_than``,
    only those whose last heartbeat is older than that."""
    runs = t.runs
    stmt = (
        select(runs.c.id, runs.c.worker_id, t.jobs.c.type)
        .join(t.jobs, t.jobs.c.id == runs.c.job_id)
        .where(runs.c.state == "running")
        .order_by(runs.c.id)
    )
    if older_than is not None:
        cutoff = (now or utcnow()) - older_than
        stmt = stmt.where(or_(runs.c.heartbeat_at.is_(None), runs.c.heartbeat_at < cutoff))
    with store.transaction() as conn:
        rows: list[Row[Any]] = list(conn.execute(stmt))
        return rows


def _notify(conn: Connection, channel: str, payload: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )


def notify_queued(conn: Connection, run_id: int) -> None:
    """Tell workers of every process that a run was queued (PostgreSQL; else nothing)."""
    _notify(conn, QUEUED_CHANNEL, str(run_id))


def notify_cancelled(conn: Connection, run_id: int) -> None:
    """Tell the worker holding a run, wherever it is, that it was cancelled."""
    _notify(conn, CANCEL_CHANNEL, str(run_id))
