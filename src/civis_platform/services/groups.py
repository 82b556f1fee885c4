"""Groups and their members. Members and admins see a group; admins manage them.

A group the caller is not in answers 404 to a non-admin, as an object they cannot
see does (its name, members and existence are not theirs to learn).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, delete, or_, select

from civis_platform.errors import BadRequestError, ConflictError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services.context import Context, iso
from civis_platform.services.users import (
    ORGANIZATION_ID,
    ORGANIZATION_NAME,
    insert_member,
    require_admin,
)
from civis_platform.store import tables as t

_GROUP_COLUMNS = (
    "name",
    "description",
    "slug",
    "default_otp_required_for_login",
    "default_time_zone",
    "default_jobs_label",
    "default_notebooks_label",
    "default_services_label",
)


def slugify(name: str) -> str:
    """A URL-friendly slug.

    Examples:
        >>> slugify("Data Science Team!")
        'data-science-team'
    """
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(part for part in cleaned.split("-") if part) or "group"


def _members(conn: Connection, group_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(t.users)
        .join(t.group_members, t.group_members.c.user_id == t.users.c.id)
        .where(t.group_members.c.group_id == group_id)
        .order_by(t.users.c.id)
    )
    return [
        {
            "id": u.id,
            "name": u.name,
            "username": u.username,
            "initials": u.initials,
            "online": None,
            "email": u.email,
            "primary_group_id": u.primary_group_id,
            "active": u.active,
        }
        for u in rows
    ]


def _view(conn: Connection, row: Row[Any], *, with_members: bool = True) -> dict[str, Any]:
    members = _members(conn, row.id)
    return {
        **{c: getattr(row, c) for c in _GROUP_COLUMNS},
        "id": row.id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "organization_id": ORGANIZATION_ID,
        "organization_name": ORGANIZATION_NAME,
        "member_count": len(members),
        "total_member_count": len(members),
        "role_ids": [],
        "last_updated_by_id": row.last_updated_by_id,
        "created_by_id": row.created_by_id,
        "members": members if with_members else [],
    }


def _get_row(conn: Connection, group_id: int, ctx: Context | None = None) -> Row[Any]:
    stmt = select(t.groups).where(t.groups.c.id == group_id)
    if ctx is not None:
        stmt = stmt.where(g.visible_groups(ctx))
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"Group {group_id} was not found.")
    return row


def _require_manager(ctx: Context, conn: Connection, group_id: int) -> None:
    """404 for a group the caller cannot see, then 403 unless they are an admin."""
    _get_row(conn, group_id, ctx)
    require_admin(ctx)


def list_groups(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """The groups the caller may see, optionally filtered by text or by member ids."""
    stmt = select(t.groups).where(g.visible_groups(ctx))
    if query.get("query"):
        pattern = f"%{query['query']}%"
        stmt = stmt.where(or_(t.groups.c.name.ilike(pattern), t.groups.c.slug.ilike(pattern)))
    if query.get("user_ids"):
        members = select(t.group_members.c.group_id).where(
            t.group_members.c.user_id.in_(query["user_ids"])
        )
        stmt = stmt.where(t.groups.c.id.in_(members))
    if query.get("permission") in ("write", "manage") and not ctx.user.is_admin:
        # Only admins manage groups; others merely read them.
        stmt = stmt.where(t.groups.c.id.is_(None))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={"name": t.groups.c.name, "created_at": t.groups.c.created_at},
            default_order="name",
        )
        include = bool(query.get("include_members"))
        return g.Page(
            [_view(conn, r, with_members=include) for r in rows], total, page_num, per_page
        )


def get_group(ctx: Context, *, id: int) -> dict[str, Any]:
    """One group with its members (members and admins only)."""
    with ctx.store.transaction() as conn:
        return _view(conn, _get_row(conn, id, ctx))


def insert_group(
    conn: Connection,
    *,
    name: str,
    slug: str | None = None,
    description: str | None = None,
    created_by_id: int | None = None,
) -> int:
    """Create a group row (no permission checks; seeding and services)."""
    slug = slug or slugify(name)
    if conn.execute(select(t.groups.c.id).where(t.groups.c.slug == slug)).first() is not None:
        raise ConflictError(f"A group with slug {slug!r} exists.")
    return g.insert_row(
        conn,
        t.groups,
        {
            "name": name,
            "slug": slug,
            "description": description,
            "default_otp_required_for_login": False,
            "created_by_id": created_by_id,
            "last_updated_by_id": created_by_id,
        },
    )


def create_group(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Admins only: create a group."""
    require_admin(ctx)
    with ctx.store.transaction() as conn:
        group_id = insert_group(
            conn,
            name=body["name"],
            slug=body.get("slug"),
            description=body.get("description"),
            created_by_id=ctx.user.id,
        )
        extra = {c: body[c] for c in _GROUP_COLUMNS if c in body and c not in ("name", "slug")}
        g.update_row(conn, t.groups, group_id, extra)
        return _view(conn, _get_row(conn, group_id))


def update_group(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Admins only: PUT or PATCH a group (PUT's required fields are checked upstream)."""
    with ctx.store.transaction() as conn:
        _require_manager(ctx, conn, id)
        values = {c: body[c] for c in _GROUP_COLUMNS if c in body}
        if "slug" in values:
            clash = conn.execute(
                select(t.groups.c.id).where(t.groups.c.slug == values["slug"], t.groups.c.id != id)
            ).first()
            if clash is not None:
                raise BadRequestError(f"The slug {values['slug']!r} is taken.", "slug")
        values["last_updated_by_id"] = ctx.user.id
        g.update_row(conn, t.groups, id, values)
        return _view(conn, _get_row(conn, id))


def add_member(ctx: Context, *, id: int, user_id: int) -> dict[str, Any]:
    """Admins only: add a user to a group."""
    with ctx.store.transaction() as conn:
        _require_manager(ctx, conn, id)
        if conn.execute(select(t.users.c.id).where(t.users.c.id == user_id)).first() is None:
            raise NotFoundError(f"User {user_id} was not found.")
        insert_member(conn, id, user_id)
        view = _view(conn, _get_row(conn, id))
    ctx.evict_user(user_id)
    return view


def remove_member(ctx: Context, *, id: int, user_id: int) -> None:
    """Admins only: remove a user from a group."""
    with ctx.store.transaction() as conn:
        _require_manager(ctx, conn, id)
        result = conn.execute(
            delete(t.group_members).where(
                t.group_members.c.group_id == id, t.group_members.c.user_id == user_id
            )
        )
        if not result.rowcount:
            raise NotFoundError(f"User {user_id} is not a member of group {id}.")
    ctx.evict_user(user_id)
