"""The fields every script object (``/scripts/sql``, ``/scripts/containers``, ...) shows
on top of its job row: author, state of the last run, params and arguments, schedule...

Runs of scripts are served by ``_typed_runs.JobKind`` (the ``/jobs`` engine behind a
type check); this module only shapes the script itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row

from civis_platform.errors import BadRequestError
from civis_platform.services import _generic as g
from civis_platform.services import jobs, templates
from civis_platform.services.context import Context, iso


def common_view(
    conn: Connection, ctx: Context, row: Row[Any], *, civis_type: str, links: str
) -> dict[str, Any]:
    """The fields every script shows, from its job row and stored configuration.

    ``links`` is the script's path below the API root (``scripts/sql/7``).
    """
    config = json.loads(row.config or "{}")
    last = jobs.last_run(conn, row.id)
    author = g.user_summary(conn, row.owner_id)
    return {
        "id": row.id,
        "from_template_aliases": [],
        "name": row.name,
        "type": civis_type,
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
        "from_template_id": config.get("from_template_id"),
        "template_script_name": None,
        **templates.publication(conn, row.id),
        "links": {"details": links, "runs": f"{links}/runs"},
        "schedule": config.get("schedule") or jobs.NO_SCHEDULE,
        "notifications": config.get("notifications", {}),
        "running_as": author,
        "next_run_at": None,
        "time_zone": config.get("time_zone", "America/Chicago"),
        "last_run": jobs.run_view(last) if last is not None else None,
        "my_permission_level": g.access_level(conn, ctx, jobs.KIND, row),
        "hidden": row.hidden,
        "archived": str(row.archived).lower(),
        "target_project_id": config.get("target_project_id"),
        "running_as_id": row.owner_id,
    }


# The parameter types scripts declare (Civis's list); others are refused when written.
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


def check_params(params: Any, field: str = "params") -> None:
    """400 naming ``field`` for params that are not a list of named, typed entries."""
    if params is None:
        return
    if not isinstance(params, list):
        raise BadRequestError(f"{field} must be a list.", field=field)
    names: set[str] = set()
    for index, param in enumerate(params):
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise BadRequestError(f"{field}[{index}] needs a name.", field=field)
        if not param["name"] or param["name"] in names:
            raise BadRequestError(
                f"{field}[{index}]: names must be non-empty and unique.", field=field
            )
        names.add(param["name"])
        if param.get("type") not in PARAM_TYPES:
            kinds = ", ".join(sorted(PARAM_TYPES))
            raise BadRequestError(
                f"{field}[{index}] ({param['name']}) has type {param.get('type')!r}; "
                f"use one of {kinds}.",
                field=field,
            )


def check_arguments(arguments: Any, field: str = "arguments") -> None:
    """400 unless ``arguments`` is an object (or absent)."""
    if arguments is not None and not isinstance(arguments, dict):
        raise BadRequestError(f"{field} must be an object.", field=field)


def check_resources(resources: Any, *, required: bool) -> None:
    """400 unless ``requiredResources`` is an object (and given, when ``required``)."""
    if resources is None and not required:
        return
    if not isinstance(resources, dict):
        raise BadRequestError("requiredResources must be an object.", "requiredResources")


def clone_job(conn: Connection, ctx: Context, row: Row[Any], body: Mapping[str, Any]) -> int:
    """A copy of a script's job owned by the caller, named "Clone of ..." (its schedule
    and notifications only when ``clone_schedule``/``clone_notifications`` ask); its id."""
    config = json.loads(row.config or "{}")
    if not body.get("clone_schedule"):
        config.pop("schedule", None)
    if not body.get("clone_notifications"):
        config.pop("notifications", None)
    return jobs.insert_job(
        conn,
        owner_id=ctx.user.id,
        name=f"Clone of {row.name}",
        type=row.type,
        config=config,
        hidden=row.hidden,
    )
