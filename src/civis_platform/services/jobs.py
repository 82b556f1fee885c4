"""Jobs and their runs: listing, running, cancelling, logs and outputs.

A job is an owned, shareable object; other resources (scripts, imports, ...) create
their job rows through :func:`insert_job` and run them through :func:`queue_run`.
Run state is written only by :mod:`civis_platform.runner.runs`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Row, Select, func, or_, select

from civis_platform.errors import BadRequestError, ConflictError, NotFoundError
from civis_platform.runner import runs
from civis_platform.services import _generic as g
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

KIND = g.Kind(name="job", table=t.jobs, label="Job")
ALREADY_ACTIVE = "The script cannot be queued because it is already active."
DEFAULT_RUNS_PAGE = 20
MAX_RUNS_PAGE = 100
DEFAULT_LOG_LIMIT = 10000
MAX_LOG_LIMIT = 10000
NO_SCHEDULE = {
    "scheduled": False,
    "scheduled_days": [],
    "scheduled_hours": [],
    "scheduled_minutes": [],
    "scheduled_runs_per_hour": None,
    "scheduled_days_of_month": [],
}


JobCheck = Callable[[Row[Any]], None]
"""Raises `NotFoundError` for a job a typed resource does not serve (see `_typed_runs`)."""


def insert_job(
    conn: Connection,
    *,
    owner_id: int,
    name: str,
    type: str,
    config: Mapping[str, Any] | None = None,
    hidden: bool = False,
) -> int:
    """Create a job row (``type`` is a key of the job-type table); returns its id."""
    return g.insert_row(
        conn,
        t.jobs,
        {
            "owner_id": owner_id,
            "name": name,
            "type": type,
            "config": json.dumps(dict(config or {})),
            "hidden": hidden,
            "archived": False,
        },
    )


def run_view(row: Row[Any]) -> dict[str, Any]:
    """The JobRun object."""
    return {
        "id": row.id,
        "state": row.state,
        "created_at": iso(row.created_at),
        "started_at": iso(row.started_at),
        "finished_at": iso(row.finished_at),
        "error": row.error,
    }


def last_run(conn: Connection, job_id: int) -> Row[Any] | None:
    """The newest run of a job, if any."""
    return conn.execute(
        select(t.runs).where(t.runs.c.job_id == job_id).order_by(t.runs.c.id.desc()).limit(1)
    ).first()


def _run_updated(row: Row[Any]) -> Any:
    return row.finished_at or row.started_at or row.created_at


def _summary(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    last = last_run(conn, row.id)
    return {
        "id": row.id,
        "name": row.name,
        "type": ctx.job_types.civis_type(row.type),
        "from_template_id": None,
        "state": last.state if last is not None else None,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "last_run_updated_at": iso(_run_updated(last)) if last is not None else None,
        "last_run": run_view(last) if last is not None else None,
        "archived": str(row.archived).lower(),
        "author": g.user_summary(conn, row.owner_id),
        "schedule": NO_SCHEDULE,
    }


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    summary = _summary(conn, ctx, row)
    recent = conn.execute(
        select(t.runs).where(t.runs.c.job_id == row.id).order_by(t.runs.c.id.desc()).limit(10)
    ).all()
    owner = g.user_summary(conn, row.owner_id) or {}
    return {
        **summary,
        "runs": [run_view(r) for r in recent],
        "hidden": row.hidden,
        "my_permission_level": g.access_level(conn, ctx, KIND, row),
        "success_email_subject": None,
        "success_email_body": None,
        "running_as_user": owner.get("username"),
        "run_by_user": owner.get("username"),
    }


def visible_jobs(ctx: Context, query: Mapping[str, Any]) -> Select[Any]:
    """The jobs the caller can read, with the filters every Civis job list takes:
    ``hidden`` (default false), ``archived`` (``true``/``false``/``all``, default false)
    and ``author`` (comma-separated user ids)."""
    jobs = t.jobs
    stmt = select(jobs).where(g.visible_clause(ctx, KIND))
    stmt = stmt.where(jobs.c.hidden.is_(bool(query.get("hidden"))))
    archived = str(query.get("archived", "false")).lower()
    if archived in ("true", "false"):
        stmt = stmt.where(jobs.c.archived.is_(archived == "true"))
    if query.get("author"):
        try:
            authors = [int(x) for x in str(query["author"]).split(",")]
        except ValueError:
            raise BadRequestError(
                "author must be a comma-separated list of ids.", "author"
            ) from None
        stmt = stmt.where(jobs.c.owner_id.in_(authors))
    return stmt


def list_jobs(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """Jobs the caller can read, with the Civis filters (state, type, q, author, ...)."""
    jobs = t.jobs
    stmt = visible_jobs(ctx, query)
    if query.get("scheduled"):
        stmt = stmt.where(jobs.c.id.is_(None))  # nothing is scheduled here
    if query.get("type"):
        wanted = {x.strip() for x in query["type"].split(",")}
        stmt = stmt.where(or_(*(_type_clause(ctx, x) for x in wanted)))
    if query.get("q"):
        needle = f"%{query['q']}%"
        stmt = stmt.where(or_(jobs.c.name.ilike(needle), jobs.c.type.ilike(needle)))
    if query.get("state"):
        states = [x.strip() for x in query["state"].split(",")]
        latest = t.runs.alias("latest")
        newest = select(func.max(latest.c.id)).group_by(latest.c.job_id)
        stmt = stmt.where(
            jobs.c.id.in_(
                select(t.runs.c.job_id).where(t.runs.c.id.in_(newest), t.runs.c.state.in_(states))
            )
        )
    permission = query.get("permission")
    if permission is not None and permission not in g.LEVELS:
        raise BadRequestError("permission must be one of read, write, manage.", "permission")
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={"updated_at": jobs.c.updated_at},
            default_order="updated_at",
            default_dir="desc",
        )
        if permission is not None:
            rows = [
                r
                for r in rows
                if g.level_rank(g.access_level(conn, ctx, KIND, r)) >= g.level_rank(permission)
            ]
        return g.Page([_summary(conn, ctx, r) for r in rows], total, page_num, per_page)


def _type_clause(ctx: Context, name: str) -> Any:
    keys = [*ctx.job_types.keys_for_civis_type(name), name]
    return t.jobs.c.type.in_(keys)


def get_job(ctx: Context, *, id: int) -> dict[str, Any]:
    """One job the caller can read."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, id))


def queue_run(ctx: Context, job_id: int, check: JobCheck | None = None) -> dict[str, Any]:
    """Queue a run of a job the caller may write to (and ``check`` accepts, in the same
    transaction); 409 while one is active."""
    with ctx.store.write_transaction() as conn:
        job = g.fetch(conn, ctx, KIND, job_id, need="write")
        if check is not None:
            check(job)
        # Serialise concurrent starts of one job (the row lock on PostgreSQL; SQLite's
        # write transaction holds the database's write lock already).
        conn.execute(select(t.jobs.c.id).where(t.jobs.c.id == job_id).with_for_update())
        last = last_run(conn, job_id)
        if last is not None and last.state in runs.ACTIVE:
            raise ConflictError(ALREADY_ACTIVE)
        run_id = runs.enqueue(conn, job_id)
        g.update_row(conn, t.jobs, job_id, {})
        row = conn.execute(select(t.runs).where(t.runs.c.id == run_id)).one()
    ctx.wake_runner()
    return run_view(row)


def post_run(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /jobs/{id}/runs``."""
    return queue_run(ctx, id)


def run_row(
    conn: Connection,
    ctx: Context,
    job_id: int,
    run_id: int,
    need: str = "read",
    check: JobCheck | None = None,
    label: str = "job",
) -> Row[Any]:
    """A run of a job the caller may ``need``; 404 for a missing one, a job ``check``
    refuses, or a run of another job (``label`` names the job in the message)."""
    job = g.fetch(conn, ctx, KIND, job_id, need=need)
    if check is not None:
        check(job)
    row = conn.execute(
        select(t.runs).where(t.runs.c.id == run_id, t.runs.c.job_id == job_id)
    ).first()
    if row is None:
        raise NotFoundError(f"Run {run_id} of {label} {job_id} was not found.")
    return row


def list_runs(ctx: Context, *, id: int, query: Mapping[str, Any]) -> g.Page:
    """Runs of a job, newest first by default (``order=id`` only)."""
    return page_runs(ctx, id, query, run_view)


def page_runs(
    ctx: Context, id: int, query: Mapping[str, Any], view: Callable[[Row[Any]], dict[str, Any]]
) -> g.Page:
    """`list_runs` with each run shown by ``view`` (typed resources add their fields)."""
    limit = query.get("limit") or DEFAULT_RUNS_PAGE
    if not 1 <= limit <= MAX_RUNS_PAGE:
        raise BadRequestError(f"limit must be between 1 and {MAX_RUNS_PAGE}.", "limit")
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, id)
        rows, total, page_num, per_page = g.paginate(
            conn,
            select(t.runs).where(t.runs.c.job_id == id),
            g.page_request(query, limit=limit),
            orderable={"id": t.runs.c.id},
            default_order="id",
            default_dir="desc",
        )
        return g.Page([view(r) for r in rows], total, page_num, per_page)


def get_run(ctx: Context, *, id: int, run_id: int) -> dict[str, Any]:
    """One run of a job the caller can read."""
    with ctx.store.transaction() as conn:
        return run_view(run_row(conn, ctx, id, run_id))


def cancel_run(ctx: Context, *, id: int, run_id: int, check: JobCheck | None = None) -> None:
    """Cancel an active run (it becomes ``cancelled``); 404 once it has finished."""
    with ctx.store.transaction() as conn:
        row = run_row(conn, ctx, id, run_id, need="write", check=check)
        if not runs.request_cancel(conn, run_id, row.state):
            raise NotFoundError(f"Run {run_id} of job {id} is not active.")
    ctx.cancel_run(run_id)


def list_logs(
    ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any], check: JobCheck | None = None
) -> runs.LogPage:
    """Log lines of a run (see ``runs.read_logs``) and whether they are final."""
    limit = query.get("limit") or DEFAULT_LOG_LIMIT
    if not 1 <= limit <= MAX_LOG_LIMIT:
        raise BadRequestError(f"limit must be between 1 and {MAX_LOG_LIMIT}.", "limit")
    with ctx.store.transaction() as conn:
        row = run_row(conn, ctx, id, run_id, check=check)
        return runs.read_logs(conn, run_id, row.state, last_id=query.get("last_id"), limit=limit)


def output_view(ctx: Context, row: Row[Any]) -> dict[str, Any]:
    """One run output; JSONValue outputs carry their raw ``value``."""
    link = None
    if row.object_id is not None:
        segment = {
            "File": "files",
            "Table": "tables",
            "Project": "projects",
            "JSONValue": "json_values",
            "Script": "scripts",
        }.get(row.object_type)
        if segment:
            link = f"{ctx.settings.resolved_external_url()}{segment}/{row.object_id}"
    return {
        "object_type": row.object_type,
        "object_id": row.object_id,
        "name": row.name,
        "link": link,
        "value": None if row.value is None else json.loads(row.value),
    }


def list_outputs(
    ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any], check: JobCheck | None = None
) -> g.Page:
    """Outputs of a run (files, tables, JSON values)."""
    outputs = t.run_outputs
    with ctx.store.transaction() as conn:
        run_row(conn, ctx, id, run_id, check=check)
        rows, total, page_num, per_page = g.paginate(
            conn,
            select(outputs).where(outputs.c.run_id == run_id),
            g.page_request(query),
            orderable={"created_at": outputs.c.created_at, "id": outputs.c.id},
            default_order="created_at",
            default_dir="desc",
        )
        return g.Page([output_view(ctx, r) for r in rows], total, page_num, per_page)
