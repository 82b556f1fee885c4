"""Python scripts (``/scripts/python3``): jobs of type ``python3`` whose configuration
holds the ``source`` that `programs.python` runs in a sandbox."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row

from civis_platform.errors import BadRequestError, NotFoundError
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

KEY = "python3"
PYTHON = JobKind.of(KEY)
DEFAULT_IMAGE_TAG = "latest"
_CONFIG_FIELDS = (
    "parent_id",
    "user_context",
    "params",
    "arguments",
    "schedule",
    "notifications",
    "time_zone",
    "target_project_id",
    "required_resources",
    "instance_type",
    "cancel_timeout",
    "docker_image_tag",
    "partition_label",
    "running_as_id",
    "source",
)


def _config(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in _CONFIG_FIELDS if k in body}


def _check(config: Mapping[str, Any]) -> None:
    if not isinstance(config.get("source"), str):
        raise BadRequestError("source must be a string of Python code.", field="source")
    check_params(config.get("params"))
    check_arguments(config.get("arguments"))
    check_resources(config.get("required_resources"), required=False)


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = json.loads(row.config or "{}")
    view = common_view(
        conn, ctx, row, civis_type=JOB_TYPES[KEY].civis_type, links=f"scripts/python3/{row.id}"
    )
    view.update(
        {
            "required_resources": config.get("required_resources") or {},
            "instance_type": config.get("instance_type"),
            "cancel_timeout": config.get("cancel_timeout", 0),
            "docker_image_tag": config.get("docker_image_tag", DEFAULT_IMAGE_TAG),
            "partition_label": config.get("partition_label"),
            "source": config.get("source"),
        }
    )
    return view


def create_python(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/python3``: a Python script owned by the caller."""
    config = _config(body)
    _check(config)
    with ctx.store.transaction() as conn:
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=body["name"],
            type=KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(conn, ctx, PYTHON.row(conn, ctx, job_id))


def get_python(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /scripts/python3/{id}`` (also for readers of a template it backs)."""
    with ctx.store.transaction() as conn:
        try:
            row = PYTHON.row(conn, ctx, id)
        except NotFoundError:
            row = templates.backing_row(conn, ctx, id, PYTHON)
        return _view(conn, ctx, row)


def _update(ctx: Context, script_id: int, body: Mapping[str, Any], *, replace: bool) -> Any:
    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        config = {**({} if replace else old), **_config(body)}
        _check(config)
        return {"config": config, **({"name": body["name"]} if body.get("name") else {})}

    return edit_job(ctx, PYTHON, script_id, change, lambda conn, row: _view(conn, ctx, row))


def replace_python(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /scripts/python3/{id}``."""
    return dict(_update(ctx, id, body, replace=True))


def update_python(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /scripts/python3/{id}``."""
    return dict(_update(ctx, id, body, replace=False))


def clone_python(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /scripts/python3/{id}/clone``."""
    with ctx.store.transaction() as conn:
        job_id = clone_job(conn, ctx, PYTHON.row(conn, ctx, id), body)
        return _view(conn, ctx, PYTHON.row(conn, ctx, job_id))


def list_outputs(ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> g.Page:
    """Outputs of a run."""
    return PYTHON.list_outputs(ctx, id=id, run_id=run_id, query=query)


def post_output(ctx: Context, *, id: int, run_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Attach an output to a run (`run_outputs`)."""
    return run_outputs.post_output(ctx, PYTHON, id=id, run_id=run_id, body=body)
