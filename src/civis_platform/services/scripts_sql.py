"""SQL scripts: jobs of type ``sql`` whose configuration is the script.

The script's SQL, database, credential, params, arguments and ``csv_settings`` live in
the job's JSON configuration and are checked when written (400 naming the field), so
a run fails only for what can change later (the SQL itself, the data, shares). Runs go
through the jobs engine; a run shows its export files as ``output`` with signed URLs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError
from civis_platform.programs.sql_export import parse_csv_settings
from civis_platform.programs.sql_text import TemplateError, check_template, render_sql
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services import references as refs
from civis_platform.services._job_config import edit_job
from civis_platform.services._scripts import common_view
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context
from civis_platform.services.files import signed_url
from civis_platform.services.warehouses import check_credential, database_for_remote_host
from civis_platform.store import tables as t

SQL_KEY = "sql"
SQL_SCRIPTS = JobKind.of(SQL_KEY)
PARAM_TYPES = frozenset(
    {
        "string",
        "multi_line_string",
        "integer",
        "float",
        "bool",
        "file",
        "table",
        "database",
        "credential_aws",
        "credential_redshift",
        "credential_custom",
    }
)
_CONFIG_FIELDS = (
    "parent_id",
    "user_context",
    "params",
    "arguments",
    "schedule",
    "notifications",
    "time_zone",
    "target_project_id",
    "sql",
    "remote_host_id",
    "credential_id",
    "csv_settings",
    "running_as_id",
)


def _check_params(params: Any) -> None:
    for index, param in enumerate(params or []):
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise BadRequestError(f"params[{index}] needs a name.", field="params")
        if param.get("type") not in PARAM_TYPES:
            kinds = ", ".join(sorted(PARAM_TYPES))
            raise BadRequestError(
                f"params[{index}] ({param['name']}) has type {param.get('type')!r}; "
                f"use one of {kinds}.",
                field="params",
            )


def _check_config(conn: Connection, ctx: Context, config: Mapping[str, Any]) -> None:
    """400 naming the field for anything a run would trip over that we can see now."""
    if not str(config.get("sql") or "").strip():
        raise BadRequestError("sql must not be empty.", field="sql")
    refs.optional(conn, ctx, refs.job, config, "parent_id", "parentId")
    refs.optional(conn, ctx, refs.project, config, "target_project_id", "targetProjectId")
    database = database_for_remote_host(conn, ctx, config.get("remote_host_id"), "remoteHostId")
    check_credential(
        conn, ctx, config.get("credential_id"), "credentialId", database.remote_host_id
    )
    _check_params(config.get("params"))
    if not isinstance(config.get("arguments") or {}, dict):
        raise BadRequestError("arguments must be an object.", field="arguments")
    try:
        check_template(
            str(config["sql"]), config.get("params") or [], config.get("arguments") or {}
        )
    except TemplateError as error:
        raise BadRequestError(str(error), field="arguments") from None
    try:
        parse_csv_settings(config.get("csv_settings"))
    except ValueError as error:
        raise BadRequestError(str(error), field="csvSettings") from None


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    civis_type = JOB_TYPES[SQL_KEY].civis_type
    view = common_view(conn, ctx, row, civis_type=civis_type, links=f"scripts/sql/{row.id}")
    try:
        preview: str | None = render_sql(
            config.get("sql", ""), config.get("params") or [], config.get("arguments") or {}
        )
    except TemplateError:
        preview = None
    view.update(
        {
            "sql": config.get("sql"),
            "expanded_arguments": config.get("arguments") or {},
            "remote_host_id": config.get("remote_host_id"),
            "credential_id": config.get("credential_id"),
            "code_preview": preview,
            "csv_settings": parse_csv_settings(config.get("csv_settings")).as_dict(),
        }
    )
    return view


def _config(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in _CONFIG_FIELDS if k in body}


def create_sql(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/sql``: a SQL script owned by the caller."""
    config = _config(body)
    with ctx.store.transaction() as conn:
        _check_config(conn, ctx, config)
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=body["name"],
            type=SQL_KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(conn, ctx, SQL_SCRIPTS.row(conn, ctx, job_id))


def get_sql(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /scripts/sql/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, SQL_SCRIPTS.row(conn, ctx, id))


def _update(ctx: Context, script_id: int, body: Mapping[str, Any], *, replace: bool) -> Any:
    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        config = {**({} if replace else old), **_config(body)}
        _check_config(conn, ctx, config)
        return {"config": config, **({"name": body["name"]} if "name" in body else {})}

    return edit_job(ctx, SQL_SCRIPTS, script_id, change, lambda conn, row: _view(conn, ctx, row))


def replace_sql(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /scripts/sql/{id}``: every attribute from the body (absent ones reset)."""
    return dict(_update(ctx, id, body, replace=True))


def update_sql(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /scripts/sql/{id}``: only the attributes given."""
    return dict(_update(ctx, id, body, replace=False))


def clone_sql(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/sql/{id}/clone``: a copy owned by the caller (schedule and
    notifications only when asked for), named "Clone of ..."."""
    with ctx.store.transaction() as conn:
        row = SQL_SCRIPTS.row(conn, ctx, id)
        config = json.loads(row.config or "{}")
        if not body.get("clone_schedule"):
            config.pop("schedule", None)
        if not body.get("clone_notifications"):
            config.pop("notifications", None)
        # A clone of a shared script is the cloner's: references they cannot see (the
        # owner's credential, a parent job) are not copied; the credential falls back
        # to the cloner's default.
        for key, check in (("credential_id", refs.credential), ("parent_id", refs.job)):
            if config.get(key) is not None:
                try:
                    check(conn, ctx, config[key], key)
                except BadRequestError:
                    config.pop(key)
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=f"Clone of {row.name}",
            type=SQL_KEY,
            config=config,
            hidden=row.hidden,
        )
        return _view(conn, ctx, SQL_SCRIPTS.row(conn, ctx, job_id))


def _outputs(ctx: Context, _script_id: int, run_id: int) -> list[dict[str, Any]]:
    """The run's File outputs in the order recorded, with signed download URLs."""
    outputs, files = t.run_outputs, t.files
    with ctx.store.transaction() as conn:
        rows = conn.execute(
            select(outputs.c.name.label("output_name"), files)
            .join(files, files.c.id == outputs.c.object_id)
            .where(outputs.c.run_id == run_id, outputs.c.object_type == "File")
            .order_by(outputs.c.id)
        ).all()
    return [
        {"output_name": r.output_name, "file_id": r.id, "path": signed_url(ctx.platform, r)}
        for r in rows
    ]


def _with_output(ctx: Context, script_id: int, run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "output": _outputs(ctx, script_id, run["id"]), "output_cached_on": None}


def post_run(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /scripts/sql/{id}/runs``."""
    return _with_output(ctx, id, SQL_SCRIPTS.post_run(ctx, id=id))


def list_runs(ctx: Context, *, id: int, query: Mapping[str, Any]) -> g.Page:
    """Runs of a SQL script, newest first, each with its output files."""
    page = SQL_SCRIPTS.list_runs(ctx, id=id, query=query)
    items = [_with_output(ctx, id, r) for r in page.items]
    return g.Page(items, page.total, page.page_num, page.per_page)


def get_run(ctx: Context, *, id: int, run_id: int) -> dict[str, Any]:
    """One run with ``output``: ``[{outputName, fileId, path}]`` (path is a signed URL)."""
    return _with_output(ctx, id, SQL_SCRIPTS.get_run(ctx, id=id, run_id=run_id))


def list_outputs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> g.Page:
    """Outputs of a run (the export files)."""
    return SQL_SCRIPTS.list_outputs(ctx, id=id, run_id=run_id, query=query)
