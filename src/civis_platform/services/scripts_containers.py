"""Container scripts: jobs of type ``container`` whose configuration is the script.

The script's fields live in the job's JSON configuration; runs go through the jobs
services (one engine, one state writer) and are shown with the container run fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError, ConflictError, NotFoundError
from civis_platform.runner import runs
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services._scripts import common_view
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context
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


KEY = "container"
CONTAINERS = JobKind.of(KEY)


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    civis_type = JOB_TYPES[KEY].civis_type
    view = common_view(conn, ctx, row, civis_type=civis_type, links=f"scripts/containers/{row.id}")
    view.update(
        {
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
            "partition_label": config.get("partition_label"),
        }
    )
    return view


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
        return _view(conn, ctx, CONTAINERS.row(conn, ctx, job_id))


def get_container(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /scripts/containers/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, CONTAINERS.row(conn, ctx, id))


def list_outputs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> g.Page:
    """Outputs of a run."""
    return CONTAINERS.list_outputs(ctx, id=id, run_id=run_id, query=query)


def post_output(ctx: Context, *, id: int, run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Attach an output to a run (needs write on the script), e.g. from the run itself;
    checked and written in one transaction."""
    with ctx.store.transaction() as conn:
        jobs.run_row(conn, ctx, id, run_id, need="write", check=CONTAINERS.check_type)
        output_id = runs.add_output(conn, run_id, body["object_type"], body["object_id"], None)
        row = conn.execute(select(t.run_outputs).where(t.run_outputs.c.id == output_id)).one()
        return jobs.output_view(ctx, row)


MAX_LOG_BATCH = 10_000
MAX_LOG_MESSAGE = 64 * 1024


def post_logs(ctx: Context, *, id: int, run_id: int, body: Mapping[str, Any] | None) -> None:
    """``POST .../runs/{run_id}/logs``: add lines to an active run's logs (needs write on
    the script: the run itself posts with its key). A finished run's logs are final."""
    body = body or {}
    lines: list[tuple[str, str]] = []
    if body.get("message") is not None:
        lines.append((body["message"], body.get("level") or "info"))
    for entry in body.get("messages") or []:
        lines.append((entry["message"], entry.get("level") or "info"))
    if not lines:
        raise BadRequestError("Give message or messages.", "message")
    if len(lines) > MAX_LOG_BATCH:
        raise BadRequestError(f"At most {MAX_LOG_BATCH} messages at once.", "messages")
    for message, level in lines:
        if level not in runs.LOG_LEVELS:
            raise BadRequestError(f"level must be one of {', '.join(runs.LOG_LEVELS)}.", "level")
        if len(message) > MAX_LOG_MESSAGE:
            raise BadRequestError(
                f"A log message is at most {MAX_LOG_MESSAGE} characters.", "message"
            )
    with ctx.store.transaction() as conn:
        run = jobs.run_row(conn, ctx, id, run_id, need="write", check=CONTAINERS.check_type)
        if run.state in runs.FINAL:
            raise ConflictError(f"Run {run_id} has finished; its logs are final.")
        for message, level in lines:
            runs.insert_log(conn, run_id, message, level)


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
