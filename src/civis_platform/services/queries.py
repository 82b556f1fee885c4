"""Queries: one-off SQL on a database, run at once, with a preview of the result.

A query is a job of type ``query`` (its id is the job's id), queued as it is created.
``GET /queries/{id}`` shows the last run's state and error, and its preview (the
``JSONValue`` output the program records): ``resultColumns`` and ``resultRows``, every
value as text (NULL as null). ``DELETE /queries/{id}`` hides the query and cancels a
run still going.

Listing filters on the SQL text, database, credential and last run in Python after
the store's filters (owner, hidden, archived): queries are small rows, and the
database and credential live in the job's configuration.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError
from civis_platform.programs.sql import DEFAULT_PREVIEW_ROWS, MAX_PREVIEW_ROWS
from civis_platform.programs.sql_export import parse_csv_settings
from civis_platform.runner import runs
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services import references as refs
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context, iso
from civis_platform.services.files import parse_time
from civis_platform.services.warehouses import check_credential
from civis_platform.store import tables as t

QUERY_KEY = "query"
QUERIES = JobKind.of(QUERY_KEY)
DEFAULT_PAGE = 20
MAX_PAGE = 50
NAME_LENGTH = 60
_CSV_FIELDS = ("include_header", "compression", "column_delimiter", "unquoted", "filename_prefix")


def _result(conn: Connection, run_id: int) -> dict[str, Any]:
    value = conn.execute(
        select(t.run_outputs.c.value).where(
            t.run_outputs.c.run_id == run_id,
            t.run_outputs.c.object_type == "JSONValue",
            t.run_outputs.c.name == "query_result",
        )
    ).scalar()
    return json.loads(value) if value else {}


def _view(conn: Connection, ctx: Context, row: Row[Any], *, results: bool = True) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    last = jobs.last_run(conn, row.id)
    result = _result(conn, last.id) if results and last is not None else {}
    return {
        "id": row.id,
        "database": config.get("database"),
        "sql": config.get("sql"),
        "credential": config.get("credential"),
        "result_rows": result.get("rows", []),
        "result_columns": result.get("columns", []),
        "error": last.error if last is not None else None,
        "started_at": iso(last.started_at) if last is not None else None,
        "finished_at": iso(last.finished_at) if last is not None else None,
        "state": last.state if last is not None else runs.QUEUED,
        "script_id": None,
        "exception": None,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "last_run_id": last.id if last is not None else None,
        "hidden": row.hidden,
        "archived": str(row.archived).lower(),
        "my_permission_level": g.access_level(conn, ctx, jobs.KIND, row),
        "interactive": config.get("interactive", False),
        "preview_rows": config.get("preview_rows"),
        **{name: config.get(name) for name in _CSV_FIELDS},
        "report_id": None,
        "name": row.name,
        "author": g.user_summary(conn, row.owner_id),
    }


def _preview_rows(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError("previewRows must be an integer.", field="previewRows")
    if not 0 <= value <= MAX_PREVIEW_ROWS:
        raise BadRequestError(
            f"previewRows must be between 0 and {MAX_PREVIEW_ROWS}.", field="previewRows"
        )
    return value


def _database(conn: Connection, ctx: Context, database_id: Any) -> Row[Any]:
    if isinstance(database_id, bool) or not isinstance(database_id, int):
        raise BadRequestError("database must be a database id.", field="database")
    return refs.database(conn, ctx, database_id, "database")


def create_query(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /queries``: check, store and queue a query; answers with it (``queued``)."""
    sql = str(body.get("sql") or "")
    if not sql.strip():
        raise BadRequestError("sql must not be empty.", field="sql")
    preview_rows = _preview_rows(body.get("preview_rows", DEFAULT_PREVIEW_ROWS))
    csv = {name: body[name] for name in _CSV_FIELDS if name in body}
    try:
        parse_csv_settings(csv)
    except ValueError as error:
        field = str(error).split(" ", 1)[0]
        raise BadRequestError(str(error), field=field) from None
    with ctx.store.transaction() as conn:
        database = _database(conn, ctx, body.get("database"))
        credential = check_credential(
            conn, ctx, body.get("credential"), "credential", database.remote_host_id
        )
        config = {
            "database": database.id,
            "sql": sql,
            "credential": credential,
            "preview_rows": preview_rows,
            "interactive": bool(body.get("interactive", False)),
            **csv,
        }
        one_line = " ".join(sql.split())
        name = one_line if len(one_line) <= NAME_LENGTH else one_line[: NAME_LENGTH - 1] + "…"
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=name,
            type=QUERY_KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
    jobs.queue_run(ctx, job_id)
    return get_query(ctx, id=job_id)


def get_query(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /queries/{id}``: the query and its last run (state, error, preview)."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, QUERIES.row(conn, ctx, id))


def delete_query(ctx: Context, *, id: int) -> dict[str, Any]:
    """``DELETE /queries/{id}``: hide the query; a run still active is cancelled."""
    with ctx.store.transaction() as conn:
        QUERIES.row(conn, ctx, id, need="write")
        g.update_row(conn, t.jobs, id, {"hidden": True})
        last = jobs.last_run(conn, id)
    if last is not None and last.state in runs.ACTIVE:
        with ctx.store.transaction() as conn:
            cancelled = runs.request_cancel(conn, last.id, last.state)
        if cancelled:
            ctx.cancel_run(last.id)
    return get_query(ctx, id=id)


def _time(query: Mapping[str, Any], name: str) -> datetime | None:
    return parse_time(query[name], name) if query.get(name) else None


def _matches(view: dict[str, Any], query: Mapping[str, Any], states: set[str]) -> bool:
    if query.get("database_id") is not None and view["database"] != query["database_id"]:
        return False
    if query.get("credential_id") is not None and view["credential"] != query["credential_id"]:
        return False
    if states and view["state"] not in states:
        return False
    if query.get("query"):
        sql = (view["sql"] or "").lower()
        words = str(query["query"]).lower().split()
        if not all(fnmatch.fnmatchcase(sql, f"*{w}*") for w in words):
            return False
    for field, name, after in (
        ("created_at", "created_after", True),
        ("created_at", "created_before", False),
        ("started_at", "started_after", True),
        ("started_at", "started_before", False),
    ):
        bound = _time(query, name)
        if bound is not None:
            if view[field] is None:
                return False
            when = parse_time(view[field], name)
            if (when < bound) if after else (when > bound):
                return False
    return True


def list_queries(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /queries``: the caller's visible queries, filtered, newest first."""
    limit = query.get("limit") or DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequestError(f"limit must be between 1 and {MAX_PAGE}.", "limit")
    page_num = query.get("page_num") or 1
    if page_num < 1:
        raise BadRequestError("page_num must be at least 1.", "page_num")
    order = query.get("order") or "created_at"
    if order not in ("created_at", "started_at"):
        raise BadRequestError("order must be created_at or started_at.", "order")
    direction = query.get("order_dir") or "desc"
    if direction not in ("asc", "desc"):
        raise BadRequestError("order_dir must be asc or desc.", "order_dir")
    states = {s.strip() for value in query.get("state") or [] for s in value.split(",") if s}
    unknown = states - set(runs.STATES)
    if unknown:
        raise BadRequestError(f"Unknown state(s): {', '.join(sorted(unknown))}.", "state")
    for name in ("created_after", "created_before", "started_after", "started_before"):
        _time(query, name)  # a malformed bound is a 400 even when nothing is listed
    jobs_t = t.jobs
    stmt = select(jobs_t).where(jobs_t.c.type == QUERY_KEY, g.visible_clause(ctx, jobs.KIND))
    stmt = stmt.where(jobs_t.c.hidden.is_(bool(query.get("hidden"))))
    archived = str(query.get("archived", "false")).lower()
    if archived in ("true", "false"):
        stmt = stmt.where(jobs_t.c.archived.is_(archived == "true"))
    if query.get("author_id") is not None:
        stmt = stmt.where(jobs_t.c.owner_id == query["author_id"])
    with ctx.store.transaction() as conn:
        # Filter and page on the light views; previews are read for the page only.
        views = [_view(conn, ctx, r, results=False) for r in conn.execute(stmt).all()]
        views = [v for v in views if _matches(v, query, states)]
        views.sort(key=lambda v: (v[order] or "", v["id"]), reverse=direction == "desc")
        start = (page_num - 1) * limit
        page = views[start : start + limit]
        if not query.get("exclude_results"):
            for view in page:
                if view["last_run_id"] is not None:
                    result = _result(conn, view["last_run_id"])
                    view["result_rows"] = result.get("rows", [])
                    view["result_columns"] = result.get("columns", [])
    return g.Page(page, len(views), page_num, limit)
