"""Custom scripts: a template's code run with the custom script's own arguments.

A custom script is a job of type ``custom`` whose configuration names its template
(``from_template_id``, checked when written: the caller must be able to use it) and
holds its ``arguments``. Its runs execute the template's backing script as it is when
the run starts (`programs.custom`). Runs are also answered at the container paths
(`scripts_containers.CONTAINER_READS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs, run_outputs, scripts, templates
from civis_platform.services import references as refs
from civis_platform.services._job_config import edit_job
from civis_platform.services._scripts import (
    check_arguments,
    check_resources,
    clone_job,
    common_view,
)
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context
from civis_platform.store import tables as t

KEY = "custom"
CUSTOM = JobKind.of(KEY)
_CONFIG_FIELDS = (
    "parent_id",
    "arguments",
    "from_template_id",
    "remote_host_id",
    "credential_id",
    "schedule",
    "notifications",
    "time_zone",
    "target_project_id",
    "required_resources",
    "partition_label",
    "running_as_id",
)
BACKING_NAMES = {"container": "Container", "python3": "Python"}


def _config(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in _CONFIG_FIELDS if k in body}


def _check(conn: Connection, ctx: Context, config: Mapping[str, Any]) -> None:
    refs.template(conn, ctx, config.get("from_template_id"), "fromTemplateId")
    check_arguments(config.get("arguments"))
    check_resources(config.get("required_resources"), required=False)
    refs.optional(conn, ctx, refs.credential, config, "credential_id", "credentialId")
    refs.optional(conn, ctx, refs.remote_host, config, "remote_host_id", "remoteHostId")


def _last_success(conn: Connection, job_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        select(t.runs)
        .where(t.runs.c.job_id == job_id, t.runs.c.state == "succeeded")
        .order_by(t.runs.c.id.desc())
        .limit(1)
    ).first()
    return jobs.run_view(row) if row is not None else None


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    template_id = config.get("from_template_id")
    backing = templates.backing_of(conn, template_id)
    backing_type, backing_config = backing if backing is not None else (None, {})
    name, note = templates.template_name(conn, template_id)
    view = common_view(
        conn, ctx, row, civis_type=JOB_TYPES[KEY].civis_type, links=f"scripts/custom/{row.id}"
    )
    code = backing_config.get("docker_command") or backing_config.get("source")
    view.update(
        {
            "backing_script_type": BACKING_NAMES.get(backing_type or ""),
            "params": backing_config.get("params") or [],
            "arguments": config.get("arguments") or {},
            "from_template_id": template_id,
            "ui_report_url": None,
            "ui_report_id": None,
            "ui_report_provide_api_key": None,
            "template_script_name": name,
            "template_note": note,
            "remote_host_id": config.get("remote_host_id"),
            "credential_id": config.get("credential_id"),
            "code_preview": code,
            "last_successful_run": _last_success(conn, row.id),
            "required_resources": config.get("required_resources")
            or backing_config.get("required_resources")
            or {},
            "partition_label": config.get("partition_label"),
        }
    )
    return view


def create_custom(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/custom``: a custom script of a template the caller may use."""
    config = _config(body)
    with ctx.store.transaction() as conn:
        _check(conn, ctx, config)
        name, _note = templates.template_name(conn, config["from_template_id"])
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=body.get("name") or name or "Custom Script",
            type=KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(conn, ctx, CUSTOM.row(conn, ctx, job_id))


def get_custom(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /scripts/custom/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, CUSTOM.row(conn, ctx, id))


def _update(ctx: Context, script_id: int, body: Mapping[str, Any], *, replace: bool) -> Any:
    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        kept = {"from_template_id": old.get("from_template_id")}
        config = {**(kept if replace else old), **_config(body)}
        _check(conn, ctx, config)
        return {"config": config, **({"name": body["name"]} if body.get("name") else {})}

    return edit_job(ctx, CUSTOM, script_id, change, lambda conn, row: _view(conn, ctx, row))


def replace_custom(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /scripts/custom/{id}`` (its template stays)."""
    return dict(_update(ctx, id, body, replace=True))


def update_custom(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /scripts/custom/{id}``."""
    return dict(_update(ctx, id, body, replace=False))


def clone_custom(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/custom/{id}/clone``."""
    with ctx.store.transaction() as conn:
        job_id = clone_job(conn, ctx, CUSTOM.row(conn, ctx, id), body)
        return _view(conn, ctx, CUSTOM.row(conn, ctx, job_id))


def _summary(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    view = _view(conn, ctx, row)
    return {
        k: view[k]
        for k in (
            "id",
            "name",
            "type",
            "backing_script_type",
            "created_at",
            "updated_at",
            "author",
            "state",
            "finished_at",
            "projects",
            "parent_id",
            "from_template_id",
            "time_zone",
            "last_run",
            "archived",
            "last_successful_run",
        )
    }


def _template_ids(value: Any) -> list[int]:
    try:
        return [int(x) for x in str(value).replace(" ", "").split(",") if x]
    except ValueError:
        raise BadRequestError(
            "from_template_id must be a comma-separated list of ids.", "from_template_id"
        ) from None


def list_customs(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /scripts/custom``: visible custom scripts, newest first; ``from_template_id``
    takes a comma-separated list (as CivisML's ``list_models`` sends it)."""
    stmt = jobs.visible_jobs(ctx, query).where(t.jobs.c.type == KEY)
    if query.get("status"):
        stmt = stmt.where(
            scripts.status_clause(scripts.filter_names(query, "status", scripts.STATUSES))
        )
    with ctx.store.transaction() as conn:
        if query.get("from_template_id"):
            wanted = _template_ids(query["from_template_id"])
            stmt = stmt.where(templates.config_template_id(conn.dialect.name).in_(wanted))
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={
                "updated_at": t.jobs.c.updated_at,
                "name": t.jobs.c.name,
                "created_at": t.jobs.c.created_at,
                "id": t.jobs.c.id,
            },
            default_order="updated_at",
            default_dir="desc",
        )
        return g.Page([_summary(conn, ctx, r) for r in rows], total, page_num, per_page)


def list_outputs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> g.Page:
    """Outputs of a run."""
    return CUSTOM.list_outputs(ctx, id=id, run_id=run_id, query=query)


def post_output(ctx: Context, *, id: int, run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Attach an output to a run (`run_outputs`)."""
    return run_outputs.post_output(ctx, CUSTOM, id=id, run_id=run_id, body=body)
