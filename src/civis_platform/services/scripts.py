"""``GET /scripts``: the scripts of every type served here (SQL and container scripts)
in one list, with the Civis filters.

Each type lives in its own module (`scripts_sql`, `scripts_containers`); a row here is
the part of the script view every type shares (`_scripts.common_view`), pointing at the
type's own path for details and runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, case, exists, func, or_, select

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services._scripts import common_view
from civis_platform.services.context import Context
from civis_platform.store import tables as t

# Job type -> (Civis type, path below the API root) of each script type served here.
SCRIPT_TYPES = {t.key: (t.civis_type, t.path) for t in JOB_TYPES.scripts()}
# ``type`` as Civis takes it -> our job type (None: a Civis type not served here).
CIVIS_SCRIPT_TYPES = ("sql", "containers", "python3", "javascript", "r", "dbt", "custom")
TYPE_NAMES: dict[str, str | None] = {
    **dict.fromkeys(CIVIS_SCRIPT_TYPES),
    **{t.script_type: t.key for t in JOB_TYPES.scripts() if t.script_type},
}
CATEGORIES = ("script", "import", "export", "enhancement")
# ``status`` -> the states of the last run it stands for ("idle": never run; nothing
# is ever "scheduled" here). Our run states are accepted by their own names too.
STATUSES: dict[str, tuple[str, ...]] = {
    "running": ("queued", "running"),
    "queued": ("queued",),
    "failed": ("failed",),
    "succeeded": ("succeeded",),
    "cancelled": ("cancelled",),
    "idle": (),
    "scheduled": (),
}
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50

_SUMMARY_FIELDS = (
    "id",
    "name",
    "type",
    "created_at",
    "updated_at",
    "author",
    "state",
    "finished_at",
    "projects",
    "parent_id",
    "is_template",
    "from_template_id",
    "links",
    "time_zone",
    "last_run",
    "archived",
)


def _names(query: Mapping[str, Any], field: str, allowed: Mapping[str, Any]) -> list[str]:
    """A comma-separated filter as lower-case names, each one of ``allowed`` (else 400)."""
    names = [x.strip().lower() for x in str(query[field]).split(",") if x.strip()]
    unknown = [x for x in names if x not in allowed]
    if unknown:
        raise BadRequestError(
            f"{field} must be a comma-separated list of: {', '.join(allowed)} "
            f"(not {', '.join(unknown)}).",
            field,
        )
    return names


def _latest_run_id() -> Any:
    newest = t.runs.alias("newest")
    return (
        select(func.max(newest.c.id))
        .where(newest.c.job_id == t.jobs.c.id)
        .correlate(t.jobs)
        .scalar_subquery()
    )


def _status_clause(statuses: list[str]) -> ColumnElement[bool]:
    states = sorted({s for name in statuses for s in STATUSES[name]})
    latest = select(t.runs.c.state).where(t.runs.c.id == _latest_run_id()).scalar_subquery()
    never_run = ~exists().where(t.runs.c.job_id == t.jobs.c.id)
    clauses: list[ColumnElement[bool]] = [latest.in_(states)] if states else []
    if "idle" in statuses:
        clauses.append(never_run)
    return or_(*clauses) if clauses else t.jobs.c.id.is_(None)


def _summary(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    civis_type, path = SCRIPT_TYPES[row.type]
    view = common_view(conn, ctx, row, civis_type=civis_type, links=f"{path}/{row.id}")
    return {**{k: view[k] for k in _SUMMARY_FIELDS}, "template_script_id": None}


def list_scripts(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /scripts``: the caller's visible scripts, most recently updated first.

    Filters: ``type`` (sql, containers; the other Civis types match nothing here),
    ``category`` (every script here is a "script"), ``author`` (user ids), ``status``
    (of the last run: running, failed, succeeded, idle for never run, scheduled),
    ``hidden``, ``archived``. Ordered by updated_at, name, created_at or
    last_run.updated_at (when the last run was made; never-run scripts count as oldest).
    """
    jobs_ = t.jobs
    types = list(SCRIPT_TYPES)
    if query.get("type"):
        wanted = {TYPE_NAMES[x] for x in _names(query, "type", TYPE_NAMES)}
        types = [x for x in types if x in wanted]
    if query.get("category") and "script" not in _names(
        query, "category", dict.fromkeys(CATEGORIES)
    ):
        types = []
    stmt = jobs.visible_jobs(ctx, query).where(jobs_.c.type.in_(types))
    if query.get("status"):
        stmt = stmt.where(_status_clause(_names(query, "status", STATUSES)))
    limit = query.get("limit") or DEFAULT_PAGE_SIZE
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadRequestError(f"limit must be between 1 and {MAX_PAGE_SIZE}.", "limit")
    last_run_at = (
        select(func.max(t.runs.c.created_at)).where(t.runs.c.job_id == jobs_.c.id).scalar_subquery()
    )
    has_run = case((last_run_at.is_(None), 0), else_=1)
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.PageRequest(
                limit=limit,
                page_num=query.get("page_num"),
                order=query.get("order"),
                order_dir=query.get("order_dir"),
            ),
            orderable={
                "updated_at": jobs_.c.updated_at,
                "name": jobs_.c.name,
                "created_at": jobs_.c.created_at,
                "last_run.updated_at": (has_run, last_run_at),
            },
            default_order="updated_at",
            default_dir="desc",
        )
        return g.Page([_summary(conn, ctx, r) for r in rows], total, page_num, per_page)


def _script_row(conn: Connection, ctx: Context, script_id: int, need: str = "read") -> Row[Any]:
    row = g.fetch(conn, ctx, jobs.KIND, script_id, need=need)
    if row.type not in SCRIPT_TYPES:
        raise NotFoundError(f"Script {script_id} was not found.")
    return row


def get_script(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /scripts/{id}``: any script type, with the fields every type shares (plus
    ``sql`` for SQL scripts)."""
    with ctx.store.transaction() as conn:
        row = _script_row(conn, ctx, id)
        civis_type, path = SCRIPT_TYPES[row.type]
        view = common_view(conn, ctx, row, civis_type=civis_type, links=f"{path}/{row.id}")
        config = json.loads(row.config or "{}")
        return {
            **view,
            "sql": config.get("sql"),
            "expanded_arguments": config.get("arguments") or {},
            "template_script_id": config.get("from_template_id"),
        }


def archive_script(ctx: Context, *, id: int) -> None:
    """``DELETE /scripts/{id}``: archive a script of any type (write permission)."""
    with ctx.store.transaction() as conn:
        _script_row(conn, ctx, id, need="write")
        g.update_row(conn, t.jobs, id, {"archived": True})
