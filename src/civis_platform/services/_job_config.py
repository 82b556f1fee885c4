"""Editing a job's JSON configuration (PUT and PATCH of imports, preprocess jobs and
scripts, the syncs of an import) as one locked read-modify-write.

Every such edit reads the stored configuration, merges the request into it, checks the
result and writes it back. Done in two transactions, or in one that does not lock,
two concurrent PATCHes of different fields each write back the configuration they
read and one change is lost; here the whole edit holds the job's row (`g.locked`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, Row

from civis_platform.services import _generic as g
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context
from civis_platform.store import tables as t

T = TypeVar("T")


def edit_job(
    ctx: Context,
    kind: JobKind,
    job_id: int,
    change: Callable[[Connection, dict[str, Any]], Mapping[str, Any]],
    view: Callable[[Connection, Row[Any]], T],
) -> T:
    """Apply ``change`` to a job the caller may write, and answer ``view`` of the result.

    ``change(conn, config)`` gets the stored configuration (a fresh dict it may
    modify) and returns the job columns to write: ``config`` as a dict (stored as
    JSON) and any others (``name``). It raises (e.g. `BadRequestError`) to write
    nothing. ``view(conn, row)`` shapes the job as written, in the same transaction.

    Raises:
        NotFoundError: no such job of ``kind`` visible to the caller.
        ForbiddenError: the caller can only read it.
    """
    with g.locked(ctx, t.jobs, job_id) as conn:
        row = kind.row(conn, ctx, job_id, need="write")
        values = dict(change(conn, json.loads(row.config or "{}")))
        if "config" in values:
            values["config"] = json.dumps(values["config"])
        g.update_row(conn, t.jobs, job_id, values)
        return view(conn, kind.row(conn, ctx, job_id))
