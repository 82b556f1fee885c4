"""Container scripts: jobs of type ``container`` whose configuration is the script.

The script's fields live in the job's JSON configuration; runs go through the jobs
services (one engine, one state writer) and are shown with the container run fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.programs.containers import CIVIS_TYPE, KEY
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services.context import Context, iso
from civis_platform.services.errors import BadRequestError, NotFoundError
from civis_platform.store import tables as t

DEFAULT_NAME = "Container Script"
DEFAULT_IMAGE_TAG = "latest"
_CONFIG_FIELDS = (
    "parent_id",
    "user_context",
    "params",
    "arguments",
    "schedule",
    "notifications",
    "required_resources",
    "repo_http_uri",
    "repo_ref",
    "remote_host_credential_id",
    "git_credential_id",
    "docker_command",
    "docker_image_name",
    "docker_image_tag",
    "instance_type",
    "cancel_timeout",
    "time_zone",
    "partition_label",
    "target_project_id",
    "running_as_id",
)


def _container_row(conn: Connection, ctx: Context, script_id: int, need: str = "read") -> Row[Any]:
    row = g.fetch(conn, ctx, jobs.KIND, script_id, need=need)
    if row.type != KEY:
        raise NotFoundError(f"Container script {script_id} was not found.")
    return row


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    last = conn.execute(
        select(t.runs).where(t.runs.c.job_id == row.id).order_by(t.runs.c.id.desc()).limit(1)
    ).first()
    author = g.user_summary(conn, row.owner_id)
    return {
        "id": row.id,
        "from_template_aliases": [],
        "name": row.name,
        "type": CIVIS_TYPE,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "author": author,
        "state": last.state if last is not None else "idle",
        "finished_at": iso(last.finished_at) if last is not None else None,
        "category": "script",
        "projects": [],
        "parent_id": config.get("parent_id"),
        "user_context": config.get("user_context", "runner"),
        "params": config.get("params", []),
        "arguments": config.get("arguments", {}),
        "is_template": False,
        "template_dependents_count": 0,
        "published_as_template_id": None,
        "from_template_id": None,
        "template_script_name": None,
        "links": {
            "details": f"scripts/containers/{row.id}",
            "runs": f"scripts/containers/{row.id}/runs",
        },
        "schedule": config.get("schedule") or jobs.NO_SCHEDULE,
        "notifications": config.get("notifications", {}),
        "running_as": author,
        "required_resources": config.get("required_resources", {}),
        "repo_http_uri": config.get("repo_http_uri"),
        "repo_ref": config.get("repo_ref"),
        "remote_host_credential_id": config.get("remote_host_credential_id"),
        "git_credential_id": config.get("git_credential_id"),
        "docker_command": config.get("docker_command"),
        "docker_image_name": config.get("docker_image_name"),
        "docker_image_tag": config.get("docker_image_tag", DEFAULT_IMAGE_TAG),
        "instance_type": config.get("instance_type"),
        "cancel_timeout": config.get("cancel_timeout", 0),
        "last_run": jobs.run_view(last) if last is not None else None,
        "time_zone": config.get("time_zone", "America/Chicago"),
        "partition_label": config.get("partition_label"),
        "my_permission_level": g.access_level(conn, ctx, jobs.KIND, row),
        "hidden": row.hidden,
        "archived": row.archived,
        "target_project_id": config.get("target_project_id"),
        "running_as_id": row.owner_id,
    }


def create_container(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/containers``: a container script owned by the caller."""
    resources = body.get("required_resources")
    if not isinstance(resources, dict):
        raise BadRequestError("requiredResources must be an object.", "requiredResources")
    config = {k: body[k] for k in _CONFIG_FIELDS if k in body}
    with ctx.store.transaction() as conn:
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=body.get("name") or DEFAULT_NAME,
            type=KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(conn, ctx, _container_row(conn, ctx, job_id))


def get_container(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /scripts/containers/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, _container_row(conn, ctx, id))


def _check(ctx: Context, script_id: int) -> None:
    with ctx.store.transaction() as conn:
        _container_row(conn, ctx, script_id)


def _run_view(script_id: int, run: dict[str, Any], cancel_requested: bool) -> dict[str, Any]:
    return {
        "id": run["id"],
        "container_id": script_id,
        "state": run["state"],
        "is_cancel_requested": cancel_requested,
        "created_at": run["created_at"],
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "error": run["error"],
        "max_memory_usage": None,
        "max_cpu_usage": None,
    }


def _cancel_flag(ctx: Context, run_id: int) -> bool:
    with ctx.store.transaction() as conn:
        value = conn.execute(
            select(t.runs.c.is_cancel_requested).where(t.runs.c.id == run_id)
        ).scalar()
        return bool(value)


def post_run(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /scripts/containers/{id}/runs``."""
    _check(ctx, id)
    return _run_view(id, jobs.queue_run(ctx, id), False)


def list_runs(ctx: Context, *, id: int, query: Mapping[str, Any]) -> g.Page:
    """Runs of a container script, newest first."""
    _check(ctx, id)
    page = jobs.list_runs(ctx, id=id, query=query)
    items = [_run_view(id, r, _cancel_flag(ctx, r["id"])) for r in page.items]
    return g.Page(items, page.total, page.page_num, page.per_page)


def get_run(ctx: Context, *, id: int, run_id: int) -> dict[str, Any]:
    """One run of a container script (with ``isCancelRequested``)."""
    _check(ctx, id)
    run = jobs.get_run(ctx, id=id, run_id=run_id)
    return _run_view(id, run, _cancel_flag(ctx, run_id))


def cancel_run(ctx: Context, *, id: int, run_id: int) -> None:
    """Cancel an active run; 404 once finished."""
    _check(ctx, id)
    jobs.cancel_run(ctx, id=id, run_id=run_id)


def list_logs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> Any:
    """Logs of a run (same semantics and headers as ``/jobs``)."""
    _check(ctx, id)
    return jobs.list_logs(ctx, id=id, run_id=run_id, query=query)


def list_outputs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> g.Page:
    """Outputs of a run."""
    _check(ctx, id)
    return jobs.list_outputs(ctx, id=id, run_id=run_id, query=query)


def post_output(ctx: Context, *, id: int, run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Attach an output to a run (needs write on the script), e.g. from the run itself."""
    with ctx.store.transaction() as conn:
        _container_row(conn, ctx, id, need="write")
        exists = conn.execute(
            select(t.runs.c.id).where(t.runs.c.id == run_id, t.runs.c.job_id == id)
        ).first()
        if exists is None:
            raise NotFoundError(f"Run {run_id} of container script {id} was not found.")
    jobs.add_output(ctx, run_id, body["object_type"], body["object_id"], None)
    page = jobs.list_outputs(
        ctx, id=id, run_id=run_id, query={"order": "id", "order_dir": "desc", "limit": 1}
    )
    return dict(page.items[0])


def cancel_script(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /scripts/{id}/cancel``: cancel the script's active run; 404 when none is."""
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, jobs.KIND, id, need="write")
        last = conn.execute(
            select(t.runs).where(t.runs.c.job_id == id).order_by(t.runs.c.id.desc()).limit(1)
        ).first()
    if last is None:
        raise NotFoundError(f"Script {id} has no active run.")
    jobs.cancel_run(ctx, id=id, run_id=last.id)
    return {"id": id, "state": "cancelled", "is_cancel_requested": True}
