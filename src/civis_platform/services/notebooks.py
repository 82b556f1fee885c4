"""Notebook records (``/notebooks``): owned, shareable metadata, nothing deployed.

The official ``civis`` command line needs a ``notebooks`` resource to start, and users
keep notebook records (name, language, image, resources); this platform runs no
notebook servers, so deployments answer "not supported here" (501), and a notebook's
``mostRecentDeployment`` is always null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select

from civis_platform.errors import BadRequestError, NotSupportedError
from civis_platform.services import _generic as g
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

KIND = g.Kind(name="notebook", table=t.notebooks, label="Notebook")
LANGUAGES = ("python3", "r")
DEFAULT_NAME = "Untitled Notebook"
DEFAULT_IMAGE = "civisanalytics/datascience-python"
# Fields kept in the JSON ``config`` column, with their defaults.
_CONFIG_DEFAULTS: dict[str, Any] = {
    "file_id": None,
    "requirements_file_id": None,
    "requirements": None,
    "docker_image_name": DEFAULT_IMAGE,
    "docker_image_tag": "latest",
    "instance_type": None,
    "memory": 2048,
    "cpu": 1000,
    "credentials": [],
    "environment_variables": {},
    "idle_timeout": 60,
    "partition_label": None,
    "git_repo_url": None,
    "git_ref": None,
    "git_path": None,
}
NOT_SUPPORTED = (
    "Notebook deployments are not supported on this platform: notebooks here are records "
    "only (run your code as a container or Python script instead)."
)


def _check(body: Mapping[str, Any]) -> None:
    language = body.get("language")
    if language is not None and language not in LANGUAGES:
        raise BadRequestError(f"language must be one of {', '.join(LANGUAGES)}.", "language")
    for name in ("memory", "cpu", "idle_timeout"):
        value = body.get(name)
        if value is not None and value <= 0:
            raise BadRequestError(f"{name} must be positive.", name)
    if body.get("name") is not None and not str(body["name"]).strip():
        raise BadRequestError("name must not be empty.", "name")


def _summary(conn: Any, row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "language": row.language,
        "description": row.description,
        "user": g.user_summary(conn, row.owner_id),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "most_recent_deployment": None,
        "archived": str(row.archived).lower(),
    }


def _view(conn: Any, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = {**_CONFIG_DEFAULTS, **json.loads(row.config or "{}")}
    summary = _summary(conn, row)
    return {
        "id": row.id,
        "name": row.name,
        "language": row.language,
        "description": row.description,
        "notebook_url": None,
        "notebook_preview_url": None,
        "requirements_url": None,
        "file_id": config["file_id"],
        "requirements_file_id": config["requirements_file_id"],
        "user": summary["user"],
        "docker_image_name": config["docker_image_name"],
        "docker_image_tag": config["docker_image_tag"],
        "instance_type": config["instance_type"],
        "memory": config["memory"],
        "cpu": config["cpu"],
        "created_at": summary["created_at"],
        "updated_at": summary["updated_at"],
        "most_recent_deployment": None,
        "credentials": config["credentials"],
        "environment_variables": config["environment_variables"],
        "idle_timeout": config["idle_timeout"],
        "partition_label": config["partition_label"],
        "git_repo_id": None,
        "git_repo_url": config["git_repo_url"],
        "git_ref": config["git_ref"],
        "git_path": config["git_path"],
        "my_permission_level": g.access_level(conn, ctx, KIND, row),
        "archived": summary["archived"],
        "hidden": row.hidden,
    }


def _config(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in _CONFIG_DEFAULTS if k in body}


def create_notebook(ctx: Context, *, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``POST /notebooks``: a record owned by the caller."""
    body = body or {}
    _check(body)
    with ctx.store.transaction() as conn:
        new_id = g.insert_row(
            conn,
            t.notebooks,
            {
                "owner_id": ctx.user.id,
                "name": body.get("name") or DEFAULT_NAME,
                "language": body.get("language") or "python3",
                "description": body.get("description"),
                "config": json.dumps(_config(body)),
                "hidden": bool(body.get("hidden", False)),
                "archived": False,
            },
        )
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, new_id))


def get_notebook(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /notebooks/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, id))


def list_notebooks(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /notebooks``: visible records, most recently updated first."""
    nb = t.notebooks
    stmt = select(nb).where(g.visible_clause(ctx, KIND), nb.c.hidden.is_(bool(query.get("hidden"))))
    archived = str(query.get("archived", "false")).lower()
    if archived in ("true", "false"):
        stmt = stmt.where(nb.c.archived.is_(archived == "true"))
    if query.get("author"):
        try:
            authors = [int(x) for x in str(query["author"]).split(",")]
        except ValueError:
            raise BadRequestError(
                "author must be a comma-separated list of ids.", "author"
            ) from None
        stmt = stmt.where(nb.c.owner_id.in_(authors))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={"updated_at": nb.c.updated_at, "name": nb.c.name, "id": nb.c.id},
            default_order="updated_at",
            default_dir="desc",
        )
        return g.Page([_summary(conn, r) for r in rows], total, page_num, per_page)


def update_notebook(ctx: Context, *, id: int, body: Mapping[str, Any] | None = None) -> Any:
    """``PATCH`` (and ``PUT``) ``/notebooks/{id}``: the attributes given."""
    body = body or {}
    _check(body)
    with g.locked(ctx, t.notebooks, id) as conn:
        row = g.fetch(conn, ctx, KIND, id, need="write")
        values: dict[str, Any] = {
            k: body[k] for k in ("name", "language", "description") if k in body
        }
        config = {**json.loads(row.config or "{}"), **_config(body)}
        values["config"] = json.dumps(config)
        g.update_row(conn, t.notebooks, id, values)
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, id))


def archive_notebook(ctx: Context, *, id: int) -> None:
    """``DELETE /notebooks/{id}``: archive it."""
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, id, need="write")
        g.update_row(conn, t.notebooks, id, {"archived": True})


def list_deployments(ctx: Context, *, notebook_id: int, query: Mapping[str, Any]) -> g.Page:
    """``GET /notebooks/{id}/deployments``: none, ever (nothing is deployed here)."""
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, notebook_id)
    return g.Page([], 0, 1, query.get("limit") or g.DEFAULT_PAGE_SIZE)


def _refuse(ctx: Context, notebook_id: int) -> None:
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, notebook_id)
    raise NotSupportedError(NOT_SUPPORTED)


def deploy(ctx: Context, *, notebook_id: int, body: Mapping[str, Any] | None = None) -> None:
    """``POST /notebooks/{id}/deployments``: 501, not supported here."""
    _refuse(ctx, notebook_id)


def get_deployment(ctx: Context, *, notebook_id: int, deployment_id: int) -> None:
    """``GET /notebooks/{id}/deployments/{deployment_id}``: 501."""
    _refuse(ctx, notebook_id)


def delete_deployment(ctx: Context, *, notebook_id: int, deployment_id: int) -> None:
    """``DELETE /notebooks/{id}/deployments/{deployment_id}``: 501."""
    _refuse(ctx, notebook_id)
