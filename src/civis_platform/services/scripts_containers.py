"""Container scripts: jobs of type ``container`` whose configuration is the script.

The script's fields live in the job's JSON configuration; runs go through the jobs
services (one engine, one state writer) and are shown with the container run fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.programs.containers import CIVIS_TYPE, KEY
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


CONTAINERS = JobKind(keys=(KEY,), label="Container script", parent_field="container_id")


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    view = common_view(conn, ctx, row, civis_type=CIVIS_TYPE, links=f"scripts/containers/{row.id}")
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
    """Attach an output to a run (needs write on the script), e.g. from the run itself."""
    with ctx.store.transaction() as conn:
        CONTAINERS.row(conn, ctx, id, need="write")
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
