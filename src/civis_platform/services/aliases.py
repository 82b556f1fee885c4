"""Aliases: stable names for objects (CivisML finds its templates through them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import ConflictError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services import references as refs
from civis_platform.services.context import Context
from civis_platform.store import tables as t

KIND = g.Kind(name="alias", table=t.aliases, label="Alias")
_COLUMNS = ("object_id", "object_type", "alias", "display_name")


def _view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "object_id": row.object_id,
        "object_type": row.object_type,
        "alias": row.alias,
        "user_id": row.owner_id,
        "display_name": row.display_name,
    }


def list_aliases(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """Aliases the caller can read, optionally of some object types (comma-separated)."""
    stmt = select(t.aliases).where(g.visible_clause(ctx, KIND))
    if query.get("object_type"):
        types = [x.strip() for x in query["object_type"].split(",")]
        stmt = stmt.where(t.aliases.c.object_type.in_(types))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={"id": t.aliases.c.id, "object_type": t.aliases.c.object_type},
            default_order="id",
        )
        return g.Page([_view(r) for r in rows], total, page_num, per_page)


def get_alias(ctx: Context, *, id: int) -> dict[str, Any]:
    """One alias the caller can read."""
    with ctx.store.transaction() as conn:
        return _view(g.fetch(conn, ctx, KIND, id))


def get_alias_by_name(ctx: Context, *, object_type: str, alias: str) -> dict[str, Any]:
    """Resolve ``alias`` within ``object_type`` (404 when absent or not visible)."""
    with ctx.store.transaction() as conn:
        alias_id = conn.execute(
            select(t.aliases.c.id).where(
                t.aliases.c.object_type == object_type, t.aliases.c.alias == alias
            )
        ).scalar()
        if alias_id is None:
            raise NotFoundError(f"No {object_type} alias named {alias!r}.")
        return _view(g.fetch(conn, ctx, KIND, alias_id))


def _check_unique(conn: Connection, object_type: str, alias: str, own_id: int | None) -> None:
    stmt = select(t.aliases.c.id).where(
        t.aliases.c.object_type == object_type, t.aliases.c.alias == alias
    )
    if own_id is not None:
        stmt = stmt.where(t.aliases.c.id != own_id)
    if conn.execute(stmt).first() is not None:
        raise ConflictError(f"The {object_type} alias {alias!r} is taken.")


def create_alias(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create an alias owned by the caller, of an object they can see."""
    with ctx.store.transaction() as conn:
        refs.typed(conn, ctx, refs.ALIAS_TYPES, body["object_type"], body["object_id"])
        _check_unique(conn, body["object_type"], body["alias"], None)
        values = {c: body[c] for c in _COLUMNS if c in body}
        alias_id = g.insert_row(conn, t.aliases, {**values, "owner_id": ctx.user.id})
        return _view(g.fetch(conn, ctx, KIND, alias_id))


def update_alias(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """PUT or PATCH an alias (write permission)."""
    with ctx.store.transaction() as conn:
        row = g.fetch(conn, ctx, KIND, id, need="write")
        values = {c: body[c] for c in _COLUMNS if c in body}
        object_type = values.get("object_type", row.object_type)
        if "object_type" in values or "object_id" in values:
            target = values.get("object_id", row.object_id)
            refs.typed(conn, ctx, refs.ALIAS_TYPES, object_type, target)
        _check_unique(conn, object_type, values.get("alias", row.alias), id)
        g.update_row(conn, t.aliases, id, values)
        return _view(g.fetch(conn, ctx, KIND, id))


def delete_alias(ctx: Context, *, id: int) -> None:
    """Delete an alias the caller manages."""
    g.delete_owned(ctx, KIND, id)
