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
from civis_platform.services import jobs, run_outputs, templates
from civis_platform.services._job_config import edit_job
from civis_platform.services._scripts import (
    check_arguments,
    check_params,
    check_resources,
    clone_job,
    common_view,
)
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
# Custom scripts backed by container templates are answered at the container paths
# too (the official ContainerFuture, ModelFuture and CustomScriptExecutor poll there).
CONTAINER_READS = JobKind.of(KEY, "custom", label=CONTAINERS.label)


def _shown_config(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    """The configuration a script shows here: a container's own, or for a custom
    script its template's backing script's with the custom script's arguments."""
    config: dict[str, Any] = json.loads(row.config or "{}")
    if row.type != "custom":
        return config
    backing = templates.backing_of(conn, config.get("from_template_id"))
    shown = dict(backing[1]) if backing is not None else {}
    for name in ("arguments", "required_resources", "schedule", "notifications", "parent_id"):
        if config.get(name) is not None:
            shown[name] = config[name]
    return shown


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = _shown_config(conn, row)
    civis_type = JOB_TYPES[row.type].civis_type
    path = JOB_TYPES[row.type].path
    view = common_view(conn, ctx, row, civis_type=civis_type, links=f"{path}/{row.id}")
    view.update(
        {
            "params": config.get("params", []),
            "arguments": config.get("arguments", {}),
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
    if row.type == "custom":
        view["from_template_id"] = json.loads(row.config or "{}").get("from_template_id")
    return view


def _config(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in _CONFIG_FIELDS if k in body}


def _check(config: Mapping[str, Any], *, required: bool = True) -> None:
    check_resources(config.get("required_resources"), required=required)
    check_params(config.get("params"))
    check_arguments(config.get("arguments"))


def create_container(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/containers``: a container script owned by the caller."""
    config = _config(body)
    _check(config)
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
    """``GET /scripts/containers/{id}`` (a custom script backed by a container too)."""
    with ctx.store.transaction() as conn:
        try:
            row = CONTAINER_READS.row(conn, ctx, id)
        except NotFoundError:
            row = templates.backing_row(conn, ctx, id, CONTAINER_READS)
        return _view(conn, ctx, row)


def _update(ctx: Context, script_id: int, body: Mapping[str, Any], *, replace: bool) -> Any:
    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        config = {**({} if replace else old), **_config(body)}
        _check(config, required=replace or "required_resources" in old)
        return {"config": config, **({"name": body["name"]} if body.get("name") else {})}

    return edit_job(ctx, CONTAINERS, script_id, change, lambda conn, row: _view(conn, ctx, row))


def replace_container(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /scripts/containers/{id}``: every attribute from the body (absent ones reset)."""
    return dict(_update(ctx, id, body, replace=True))


def update_container(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /scripts/containers/{id}``: only the attributes given."""
    return dict(_update(ctx, id, body, replace=False))


def clone_container(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/containers/{id}/clone``: a copy owned by the caller."""
    with ctx.store.transaction() as conn:
        job_id = clone_job(conn, ctx, CONTAINERS.row(conn, ctx, id), body)
        return _view(conn, ctx, CONTAINERS.row(conn, ctx, job_id))


def list_outputs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> g.Page:
    """Outputs of a run."""
    return CONTAINER_READS.list_outputs(ctx, id=id, run_id=run_id, query=query)


def post_output(ctx: Context, *, id: int, run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Attach an output to a run (needs write on the script), e.g. from the run itself;
    the object must be one the caller can see (`run_outputs`)."""
    return run_outputs.post_output(ctx, CONTAINER_READS, id=id, run_id=run_id, body=body)


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
        run = jobs.run_row(conn, ctx, id, run_id, need="write", check=CONTAINER_READS.check_type)
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
