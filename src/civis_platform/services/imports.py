"""``/imports``: import configurations with syncs. Only ``Dbsync`` runs here: each sync
copies a table from the source database to the destination (`programs.imports.run_dbsync`).

An import is a job; its syncs live in the job's JSON configuration (ids count up per
import). Runs go through the jobs engine; ``/imports/files/{id}/runs/{run_id}`` serves
them too, since the official ``transfer_table`` polls that path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.programs.imports import SYNC_MODES
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services import references as refs
from civis_platform.services._job_config import edit_job
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

T = TypeVar("T")
DBSYNC_KEY = "dbsync"
KIND = JobKind.of(DBSYNC_KEY, parent_field=None)
# Run rows as ``GET /imports/{id}/runs`` shows them (with ``importId``).
KIND_RUNS = JobKind.of(DBSYNC_KEY)
SYNC_TYPES = ("Dbsync",)
CONFIG_FIELDS = (
    "sync_type",
    "source",
    "destination",
    "schedule",
    "notifications",
    "parent_id",
    "is_outbound",
    "next_run_at",
    "time_zone",
)
DEFAULT_TIME_ZONE = "America/Chicago"


def _check_endpoint(config: Mapping[str, Any], side: str) -> None:
    value = config.get(side)
    if not isinstance(value, Mapping) or value.get("remote_host_id") is None:
        raise BadRequestError(f"A Dbsync needs {side}.remoteHostId.", f"{side}.remoteHostId")


def _check_import(config: Mapping[str, Any]) -> None:
    if config.get("sync_type") not in SYNC_TYPES:
        raise BadRequestError(
            f"syncType {config.get('sync_type')!r} is not supported here; use Dbsync.",
            "syncType",
        )
    _check_endpoint(config, "source")
    _check_endpoint(config, "destination")


def _check_references(conn: Connection, ctx: Context, config: Mapping[str, Any]) -> None:
    """The hosts and credentials of both ends, and the parent job, must be the caller's
    to see."""
    for side in ("source", "destination"):
        end = config.get(side) or {}
        refs.optional(conn, ctx, refs.remote_host, end, "remote_host_id", f"{side}.remoteHostId")
        refs.optional(conn, ctx, refs.credential, end, "credential_id", f"{side}.credentialId")
    refs.optional(conn, ctx, refs.job, config, "parent_id", "parentId")


def _host_name(conn: Connection, host_id: Any) -> str | None:
    if not isinstance(host_id, int):
        return None
    return conn.execute(
        select(t.remote_hosts.c.name).where(t.remote_hosts.c.id == host_id)
    ).scalar()


def _endpoint_view(conn: Connection, value: Mapping[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {
        "remote_host_id": value.get("remote_host_id"),
        "credential_id": value.get("credential_id"),
        "additional_credentials": value.get("additional_credentials") or [],
        "name": _host_name(conn, value.get("remote_host_id")),
    }


def _table_view(path: str | None) -> dict[str, Any] | None:
    if not path or "." not in path:
        return None
    schema, _, table = path.partition(".")
    return {"schema_": schema, "table": table, "use_without_schema": False}


def sync_view(sync: Mapping[str, Any]) -> dict[str, Any]:
    """A sync as Civis shows it (``path`` and ``databaseTable`` both filled in).

    Examples:
        >>> view = sync_view({"id": 1, "source": {"path": "a.b"}, "destination": {"path": "c.d"}})
        >>> view["source"]["database_table"]["table"], view["destination"]["path"]
        ('b', 'c.d')
    """
    source = sync.get("source") or {}
    destination = sync.get("destination") or {}
    return {
        "id": sync["id"],
        "source": {
            "id": None,
            "path": source.get("path"),
            "database_table": _table_view(source.get("path")),
            "file": None,
            "google_worksheet": None,
        },
        "destination": {
            "path": destination.get("path"),
            "database_table": _table_view(destination.get("path")),
            "google_worksheet": None,
        },
        "advanced_options": sync.get("advanced_options") or {},
    }


def _summary(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    last = jobs.last_run(conn, row.id)
    return {
        "name": row.name,
        "sync_type": config.get("sync_type"),
        "source": _endpoint_view(conn, config.get("source")),
        "destination": _endpoint_view(conn, config.get("destination")),
        "schedule": config.get("schedule") or jobs.NO_SCHEDULE,
        "id": row.id,
        "is_outbound": config.get("is_outbound"),
        "job_type": JOB_TYPES[DBSYNC_KEY].civis_type,
        "state": last.state if last is not None else "idle",
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "last_run": jobs.run_view(last) if last is not None else None,
        "user": g.user_summary(conn, row.owner_id),
        "time_zone": config.get("time_zone") or DEFAULT_TIME_ZONE,
        "archived": str(row.archived).lower(),
    }


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    summary = _summary(conn, row)
    return {
        **summary,
        "notifications": config.get("notifications") or {},
        "parent_id": config.get("parent_id"),
        "syncs": [sync_view(s) for s in config.get("syncs", []) if not s.get("archived")],
        "running_as": summary["user"],
        "next_run_at": config.get("next_run_at"),
        "hidden": row.hidden,
        "my_permission_level": g.access_level(conn, ctx, jobs.KIND, row),
    }


def create_import(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /imports``: a Dbsync import (other sync types are a 400 naming syncType)."""
    config: dict[str, Any] = {k: body[k] for k in CONFIG_FIELDS if k in body}
    _check_import(config)
    config["syncs"] = []
    with ctx.store.transaction() as conn:
        _check_references(conn, ctx, config)
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=body["name"],
            type=DBSYNC_KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(conn, ctx, KIND.row(conn, ctx, job_id))


def list_imports(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /imports``: the caller's visible imports (filters: type, author, hidden,
    archived), most recently updated first."""
    stmt = jobs.visible_jobs(ctx, query).where(t.jobs.c.type == DBSYNC_KEY)
    if query.get("type"):
        # A comma-separated list; Civis documents "DbSync", its objects say "Dbsync".
        wanted = {x.strip().lower() for x in str(query["type"]).split(",")}
        if not wanted & {x.lower() for x in SYNC_TYPES}:
            stmt = stmt.where(t.jobs.c.id.is_(None))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={"updated_at": t.jobs.c.updated_at, "name": t.jobs.c.name},
            default_order="updated_at",
            default_dir="desc",
        )
        return g.Page([_summary(conn, r) for r in rows], total, page_num, per_page)


def get_import(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /imports/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, KIND.row(conn, ctx, id))


def update_import(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /imports/{id}``: the import's attributes (its syncs stay)."""

    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        config = {k: body[k] for k in CONFIG_FIELDS if k in body}
        _check_import(config)
        _check_references(conn, ctx, config)
        config["syncs"] = old.get("syncs", [])
        return {"name": body["name"], "config": config}

    return edit_job(ctx, KIND, id, change, lambda conn, row: _view(conn, ctx, row))


def _path(side: Mapping[str, Any] | None, field: str) -> str:
    """``schema.table`` from ``path`` or ``databaseTable`` (400 naming ``field``)."""
    side = side or {}
    table = side.get("database_table")
    path = side.get("path")
    if not path and isinstance(table, Mapping):
        path = f"{table.get('schema_')}.{table.get('table')}"
    schema, dot, name = str(path or "").partition(".")
    if not (schema and dot and name):
        raise BadRequestError(f"{field} must be a table as schema.table.", field)
    return str(path)


def _sync_config(body: Mapping[str, Any], sync_id: int) -> dict[str, Any]:
    options = dict(body.get("advanced_options") or {})
    mode = options.get("existing_table_rows")
    if mode is not None and mode not in SYNC_MODES:
        raise BadRequestError(
            f"advancedOptions.existingTableRows must be one of {', '.join(SYNC_MODES)}.",
            "advancedOptions.existingTableRows",
        )
    return {
        "id": sync_id,
        "source": {"path": _path(body.get("source"), "source.path")},
        "destination": {"path": _path(body.get("destination"), "destination.path")},
        "advanced_options": options,
    }


def _edit_syncs(ctx: Context, import_id: int, change: Callable[[list[dict[str, Any]]], T]) -> T:
    """Apply ``change(syncs) -> result`` to an import's syncs and save them."""
    results: list[T] = []

    def edit(_conn: Connection, config: dict[str, Any]) -> dict[str, Any]:
        results.append(change(config.setdefault("syncs", [])))
        return {"config": config}

    edit_job(ctx, KIND, import_id, edit, lambda _conn, _row: None)
    return results[0]


def _find_sync(syncs: list[dict[str, Any]], import_id: int, sync_id: int) -> int:
    for index, sync in enumerate(syncs):
        if sync["id"] == sync_id and not sync.get("archived"):
            return index
    raise NotFoundError(f"Sync {sync_id} of import {import_id} was not found.")


def create_sync(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /imports/{id}/syncs``: a table to copy on each run."""

    def add(syncs: list[dict[str, Any]]) -> dict[str, Any]:
        sync = _sync_config(body, max((s["id"] for s in syncs), default=0) + 1)
        syncs.append(sync)
        return sync_view(sync)

    return dict(_edit_syncs(ctx, id, add))


def update_sync(ctx: Context, *, id: int, sync_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /imports/{id}/syncs/{sync_id}``."""

    def replace(syncs: list[dict[str, Any]]) -> dict[str, Any]:
        index = _find_sync(syncs, id, sync_id)
        syncs[index] = _sync_config(body, sync_id)
        return sync_view(syncs[index])

    return dict(_edit_syncs(ctx, id, replace))


def archive_sync(ctx: Context, *, id: int, sync_id: int) -> None:
    """``DELETE /imports/{id}/syncs/{sync_id}``: the sync no longer runs or shows."""

    def archive(syncs: list[dict[str, Any]]) -> None:
        syncs[_find_sync(syncs, id, sync_id)]["archived"] = True

    _edit_syncs(ctx, id, archive)


def post_run(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /imports/{id}/runs``: answers ``{runId}`` (poll ``/imports/files/{id}/runs``)."""
    return {"run_id": KIND.post_run(ctx, id=id)["id"]}


def cancel(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /imports/{id}/cancel``: cancel the active run (404 when none is)."""
    with ctx.store.transaction() as conn:
        KIND.row(conn, ctx, id, need="write")
        last = jobs.last_run(conn, id)
    if last is None:
        raise NotFoundError(f"Import {id} has no active run.")
    jobs.cancel_run(ctx, id=id, run_id=last.id)
    return {"id": last.id, "state": "cancelled", "is_cancel_requested": True}
