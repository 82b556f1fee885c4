"""Projects: owned, shareable, archivable folders of objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.services import _generic as g
from civis_platform.services._input import parse_id_list
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

KIND = g.PROJECT
_COLUMNS = ("name", "description", "note", "auto_share", "hidden")


def _all_objects(conn: Connection, ctx: Context, row: Row[Any]) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.project_objects)
        .where(t.project_objects.c.project_id == row.id)
        .order_by(t.project_objects.c.created_at)
    )
    return [
        {
            "project_id": row.id,
            "object_id": r.object_id,
            "object_type": r.object_type,
            "updated_at": iso(r.created_at),
            "archived": False,
            "hidden": False,
        }
        for r in rows
    ]


def _detail(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    return {
        **g.project_summary(conn, row),
        "all_objects": _all_objects(conn, ctx, row),
        "note": row.note,
        "can_current_user_enable_auto_share": row.owner_id == ctx.user.id,
        "hidden": row.hidden,
        "my_permission_level": g.access_level(conn, ctx, KIND, row),
    }


def list_projects(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """Projects the caller can read; archived ones only when asked (``archived``)."""
    stmt = select(t.projects).where(g.visible_clause(ctx, KIND))
    archived = str(query.get("archived", "false")).lower()
    if archived in ("true", "false"):
        stmt = stmt.where(t.projects.c.archived.is_(archived == "true"))
    stmt = stmt.where(t.projects.c.hidden.is_(bool(query.get("hidden"))))
    if query.get("auto_share") is not None:
        stmt = stmt.where(t.projects.c.auto_share.is_(query["auto_share"]))
    if query.get("author"):
        authors = parse_id_list("author", query["author"])
        stmt = stmt.where(t.projects.c.owner_id.in_(authors))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={
                "updated_at": t.projects.c.updated_at,
                "name": t.projects.c.name,
                "created_at": t.projects.c.created_at,
            },
            default_order="updated_at",
            default_dir="desc",
        )
        return g.Page([g.project_summary(conn, r) for r in rows], total, page_num, per_page)


def get_project(ctx: Context, *, project_id: int) -> dict[str, Any]:
    """One project with the objects in it."""
    with ctx.store.transaction() as conn:
        return _detail(conn, ctx, g.fetch(conn, ctx, KIND, project_id))


def get_project_by_id(ctx: Context, *, id: int) -> dict[str, Any]:
    """``get_project`` for routes whose placeholder is ``{id}`` (archive)."""
    return get_project(ctx, project_id=id)


def create_project(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a project owned by the caller."""
    values = {"auto_share": False, "hidden": False, "archived": False}
    values.update({c: body[c] for c in _COLUMNS if c in body})
    with ctx.store.transaction() as conn:
        project_id = g.insert_row(conn, t.projects, {**values, "owner_id": ctx.user.id})
        return _detail(conn, ctx, g.fetch(conn, ctx, KIND, project_id))


def update_project(ctx: Context, *, project_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Update name, description or note (write permission)."""
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, project_id, need="write")
        g.update_row(conn, t.projects, project_id, {c: body[c] for c in _COLUMNS if c in body})
        return _detail(conn, ctx, g.fetch(conn, ctx, KIND, project_id))
