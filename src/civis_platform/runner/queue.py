"""The durable run queue: queued rows of ``runs`` are the queue.

This module holds the engine's only dialect-specific SQL. ``claim`` moves the oldest
queued run to ``running`` in one statement, so two workers (threads or processes)
never get the same run:

- PostgreSQL: ``UPDATE runs ... WHERE id = (SELECT id ... FOR UPDATE SKIP LOCKED)``;
- SQLite: the same guarded ``UPDATE ... RETURNING`` inside ``BEGIN IMMEDIATE`` (the
  write lock is taken first, so the read cannot go stale before the write).

``heartbeat`` proves a worker alive and reports which of its runs were cancelled
(also from other processes); ``stalled_runs`` finds running runs whose worker stopped
heartbeating. State is *decided* in ``services.runs``; the claim is the one state
change written here, checked against ``services.runs.TRANSITIONS`` by its caller.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from civis_platform.services.context import utcnow
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@dataclass(frozen=True)
class ClaimedRun:
    """A run this worker now holds (its row already says ``running``)."""

    run_id: int
    job_id: int


def claim(store: Store, worker_id: str, *, from_state: str, to_state: str) -> ClaimedRun | None:
    """Take the oldest run in ``from_state`` and move it to ``to_state`` for ``worker_id``.

    Returns None when nothing is queued.
    """
    runs = t.runs
    now = utcnow()
    pick = select(runs.c.id).where(runs.c.state == from_state).order_by(runs.c.id).limit(1)
    postgres = store.engine.dialect.name == "postgresql"
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(runs)
        .where(runs.c.id == pick.scalar_subquery(), runs.c.state == from_state)
        .values(state=to_state, worker_id=worker_id, heartbeat_at=now, started_at=now)
        .returning(runs.c.id, runs.c.job_id)
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
    return None if row is None else ClaimedRun(run_id=row.id, job_id=row.job_id)


def heartbeat(store: Store, worker_id: str, run_ids: Collection[int]) -> set[int]:
    """Stamp ``heartbeat_at`` on this worker's running runs; return those to stop.

    A run is to stop when its cancellation was requested or it is no longer running
    (cancelled, or failed by a stall check).
    """
    if not run_ids:
        return set()
    runs = t.runs
    with store.transaction() as conn:
        conn.execute(
            update(runs)
            .where(
                runs.c.id.in_(list(run_ids)),
                runs.c.worker_id == worker_id,
                runs.c.state == "running",
            )
            .values(heartbeat_at=utcnow())
        )
        rows = conn.execute(
            select(runs.c.id).where(
                runs.c.id.in_(list(run_ids)),
                or_(runs.c.is_cancel_requested.is_(True), runs.c.state != "running"),
            )
        )
        return {row.id for row in rows}


def stalled_runs(store: Store, *, older_than: timedelta, now: datetime | None = None) -> list[int]:
    """Ids of running runs whose last heartbeat is older than ``older_than``."""
    runs = t.runs
    cutoff = (now or utcnow()) - older_than
    with store.transaction() as conn:
        rows = conn.execute(
            select(runs.c.id)
            .where(
                runs.c.state == "running",
                or_(runs.c.heartbeat_at.is_(None), runs.c.heartbeat_at < cutoff),
            )
            .order_by(runs.c.id)
        )
        return [row.id for row in rows]
