"""What Civis repeats for every owned object, written once.

A resource declares a :class:`Kind` (its table and object-type name); these functions
give it visibility rules (owner, user shares, group shares), paging and ordering,
get/insert/update/delete with permission checks, and the shares sub-resource.

Permission levels, weakest first: ``read`` < ``write`` < ``manage``. The owner has
``manage``. Another user's object is invisible (404) unless shared; mutating with only
``read`` is a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from civis_platform.errors import BadRequestError, ForbiddenError, NotFoundError
from civis_platform.services.context import Context, iso, utcnow
from civis_platform.store import tables as t

LEVELS = ("read", "write", "manage")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Kind:
    """A shareable, owned object type: ``name`` is its share key, ``table`` its rows."""

    name: str
    table: Table
    label: str


@dataclass(frozen=True)
class PageRequest:
    """Paging and ordering as the Civis list endpoints take them."""

    limit: int | None = None
    page_num: int | None = None
    order: str | None = None
    order_dir: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list: the items plus what the X-Pagination headers report."""

    items: list[Any]
    total: int
    page_num: int
    per_page: int

    @property
    def total_pages(self) -> int:
        """Number of pages (at least 1, as Civis reports for an empty list)."""
        return max(1, -(-self.total // self.per_page))


def page_request(query: Mapping[str, Any], **override: Any) -> PageRequest:
    """The paging and ordering fields of a list query (``override`` replaces some).

    Examples:
        >>> page_request({"limit": 5, "order": "name", "q": "x"}, limit=10)
        PageRequest(limit=10, page_num=None, order='name', order_dir=None)
    """
    fields = {k: query.get(k) for k in ("limit", "page_num", "order", "order_dir")}
    return PageRequest(**{**fields, **override})


def level_rank(level: str | None) -> int:
    """0 for no access, then 1..3 for read, write, manage.

    Examples:
        >>> [level_rank(x) for x in (None, "read", "write", "manage")]
        [0, 1, 2, 3]
    """
    return 0 if level is None else LEVELS.index(level) + 1


def _grantee_clause(ctx: Context) -> ColumnElement[bool]:
    user_clause = and_(t.shares.c.grantee_type == "user", t.shares.c.grantee_id == ctx.user.id)
    if not ctx.user.group_ids:
        return user_clause
    group_clause = and_(
        t.shares.c.grantee_type == "group", t.shares.c.grantee_id.in_(ctx.user.group_ids)
    )
    return or_(user_clause, group_clause)


def visible_clause(ctx: Context, kind: Kind) -> ColumnElement[bool]:
    """SQL condition selecting the rows of ``kind`` the caller may read."""
    shared = select(t.shares.c.object_id).where(
        t.shares.c.object_type == kind.name, _grantee_clause(ctx)
    )
    return or_(kind.table.c.owner_id == ctx.user.id, kind.table.c.id.in_(shared))


def access_level(conn: Connection, ctx: Context, kind: Kind, row: Row[Any]) -> str | None:
    """The caller's level on one row: ``manage`` for the owner, else the best share."""
    if row.owner_id == ctx.user.id:
        return "manage"
    levels = conn.execute(
        select(t.shares.c.level).where(
            t.shares.c.object_type == kind.name,
            t.shares.c.object_id == row.id,
            _grantee_clause(ctx),
        )
    ).scalars()
    best = max((level_rank(x) for x in levels), default=0)
    return LEVELS[best - 1] if best else None


def fetch(
    conn: Connection, ctx: Context, kind: Kind, object_id: int, need: str = "read"
) -> Row[Any]:
    """The row ``object_id`` if the caller holds at least ``need`` on it.

    Raises:
        NotFoundError: no such row, or the caller cannot see it.
        ForbiddenError: the caller can see it but lacks ``need``.
    """
    row = conn.execute(select(kind.table).where(kind.table.c.id == object_id)).first()
    if row is None:
        raise NotFoundError(f"{kind.label} {object_id} was not found.")
    level = access_level(conn, ctx, kind, row)
    if level is None:
        raise NotFoundError(f"{kind.label} {object_id} was not found.")
    if level_rank(level) < level_rank(need):
        raise ForbiddenError(f"You need {need} permission on {kind.label} {object_id}.")
    return row


def paginate(
    conn: Connection,
    query: Select[Any],
    page: PageRequest,
    *,
    orderable: Mapping[str, Any],
    default_order: str,
    default_dir: str = "asc",
) -> tuple[list[Row[Any]], int, int, int]:
    """Count, order and slice ``query``; returns (rows, total, page_num, per_page).

    ``orderable`` maps each accepted ``order`` to a column or a tuple of columns.

    A page past the last yields no rows (the official client stops on ``[]``).
    """
    order = page.order or default_order
    if order not in orderable:
        raise BadRequestError(
            f"order must be one of: {', '.join(sorted(orderable))}.", field="order"
        )
    direction = (page.order_dir or default_dir).lower()
    if direction not in ("asc", "desc"):
        raise BadRequestError("order_dir must be asc or desc.", field="order_dir")
    per_page = page.limit or DEFAULT_PAGE_SIZE
    if per_page < 1 or per_page > MAX_PAGE_SIZE:
        raise BadRequestError(f"limit must be between 1 and {MAX_PAGE_SIZE}.", field="limit")
    page_num = page.page_num or 1
    if page_num < 1:
        raise BadRequestError("page_num must be at least 1.", field="page_num")
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    # A tuple orders by several columns (e.g. schema, then name).
    chosen = orderable[order]
    columns = chosen if isinstance(chosen, tuple) else (chosen,)
    ordering = [c.asc() if direction == "asc" else c.desc() for c in columns]
    rows = conn.execute(
        query.order_by(*ordering, query.selected_columns[0].asc())
        .limit(per_page)
        .offset((page_num - 1) * per_page)
    ).all()
    return list(rows), total, page_num, per_page


def insert_row(conn: Connection, table: Table, values: Mapping[str, Any]) -> int:
    """Insert with created/updated timestamps; returns the new id."""
    now = utcnow()
    stamped = {"created_at": now, "updated_at": now, **values}
    result = conn.execute(insert(table).values(**stamped).returning(table.c.id))
    return int(result.scalar_one())


def update_row(conn: Connection, table: Table, object_id: int, values: Mapping[str, Any]) -> None:
    """Update the given columns (and ``updated_at`` when the table has it)."""
    stamped = dict(values)
    if "updated_at" in table.c:
        stamped["updated_at"] = utcnow()
    if stamped:
        conn.execute(update(table).where(table.c.id == object_id).values(**stamped))


@contextmanager
def locked(ctx: Context, table: Table, object_id: int) -> Iterator[Connection]:
    """A write transaction holding the lock on one row: read-modify-write inside it.

    Two callers that read a row, change it and write it back (a PATCH of a JSON
    configuration) then run one after the other instead of the later silently undoing
    the earlier's change. SQLite serialises writers from the start (``BEGIN
    IMMEDIATE``); PostgreSQL locks the row (``SELECT ... FOR UPDATE``), and since each
    statement reads the latest committed data, what is read after this is current.
    Permission checks are the caller's (`fetch`): a missing row locks nothing.
    """
    with ctx.store.write_transaction() as conn:
        if conn.dialect.name != "sqlite":
            conn.execute(select(table.c.id).where(table.c.id == object_id).with_for_update())
        yield conn


def delete_owned(ctx: Context, kind: Kind, object_id: int) -> None:
    """Delete an object the caller manages, together with its shares."""
    with ctx.store.transaction() as conn:
        fetch(conn, ctx, kind, object_id, need="manage")
        conn.execute(
            delete(t.shares).where(
                t.shares.c.object_type == kind.name, t.shares.c.object_id == object_id
            )
        )
        conn.execute(delete(kind.table).where(kind.table.c.id == object_id))


# ---------------------------------------------------------------------------- shares


def _describe_shares(conn: Connection, kind: Kind, row: Row[Any]) -> dict[str, Any]:
    buckets: dict[str, dict[str, list[dict[str, Any]]]] = {
        level: {"users": [], "groups": []} for level in LEVELS
    }
    owner = conn.execute(select(t.users.c.id, t.users.c.name).where(t.users.c.id == row.owner_id))
    buckets["manage"]["users"].extend({"id": u.id, "name": u.name} for u in owner)
    grants = conn.execute(
        select(t.shares).where(t.shares.c.object_type == kind.name, t.shares.c.object_id == row.id)
    ).all()
    user_names = {r.id: r.name for r in conn.execute(select(t.users.c.id, t.users.c.name))}
    group_names = {r.id: r.name for r in conn.execute(select(t.groups.c.id, t.groups.c.name))}
    for grant in grants:
        names = user_names if grant.grantee_type == "user" else group_names
        bucket = buckets[grant.level]["users" if grant.grantee_type == "user" else "groups"]
        bucket.append({"id": grant.grantee_id, "name": names.get(grant.grantee_id)})
    users_count = sum(1 for g in grants if g.grantee_type == "user")
    return {
        "readers": buckets["read"],
        "writers": buckets["write"],
        "owners": buckets["manage"],
        "total_user_shares": users_count,
        "total_group_shares": len(grants) - users_count,
    }


def list_shares(ctx: Context, kind: Kind, object_id: int) -> list[dict[str, Any]]:
    """Who can see this object, grouped by level (Civis answers a one-element list)."""
    with ctx.store.transaction() as conn:
        row = fetch(conn, ctx, kind, object_id)
        return [_describe_shares(conn, kind, row)]


def visible_groups(ctx: Context) -> ColumnElement[bool]:
    """SQL condition selecting the groups the caller may see: all for an admin, else
    the ones they are a member of (read from the store, not the cached principal)."""
    if ctx.user.is_admin:
        return true()
    mine = select(t.group_members.c.group_id).where(t.group_members.c.user_id == ctx.user.id)
    return t.groups.c.id.in_(mine)


def set_shares(
    ctx: Context,
    kind: Kind,
    object_id: int,
    *,
    grantee_type: str,
    grantee_ids: Sequence[int],
    permission_level: str,
) -> dict[str, Any]:
    """Grant ``permission_level`` to users or groups (replacing their previous level).

    Groups must be ones the caller can see (see `visible_groups`): others are unknown.
    """
    if permission_level not in LEVELS:
        raise BadRequestError(
            "permissionLevel must be one of read, write, manage.", field="permissionLevel"
        )
    grantee_table = t.users if grantee_type == "user" else t.groups
    field = "userIds" if grantee_type == "user" else "groupIds"
    with ctx.store.transaction() as conn:
        row = fetch(conn, ctx, kind, object_id, need="manage")
        wanted = select(grantee_table.c.id).where(grantee_table.c.id.in_(grantee_ids))
        if grantee_type == "group":
            wanted = wanted.where(visible_groups(ctx))
        known = set(conn.execute(wanted).scalars())
        missing = sorted(set(grantee_ids) - known)
        if missing:
            raise BadRequestError(f"{field} has unknown ids: {missing}.", field=field)
        for grantee_id in known:
            _revoke(conn, kind, object_id, grantee_type, grantee_id)
            conn.execute(
                insert(t.shares).values(
                    object_type=kind.name,
                    object_id=object_id,
                    grantee_type=grantee_type,
                    grantee_id=grantee_id,
                    level=permission_level,
                )
            )
        return _describe_shares(conn, kind, row)


def _revoke(
    conn: Connection, kind: Kind, object_id: int, grantee_type: str, grantee_id: int
) -> int:
    result = conn.execute(
        delete(t.shares).where(
            t.shares.c.object_type == kind.name,
            t.shares.c.object_id == object_id,
            t.shares.c.grantee_type == grantee_type,
            t.shares.c.grantee_id == grantee_id,
        )
    )
    return result.rowcount


def revoke_share(
    ctx: Context, kind: Kind, object_id: int, *, grantee_type: str, grantee_id: int
) -> None:
    """Remove a user's or group's share; 404 when there was none."""
    with ctx.store.transaction() as conn:
        fetch(conn, ctx, kind, object_id, need="manage")
        if not _revoke(conn, kind, object_id, grantee_type, grantee_id):
            raise NotFoundError(f"No share for {grantee_type} {grantee_id} on this object.")


def grant(
    conn: Connection, kind: Kind, object_id: int, grantee_type: str, grantee_id: int, level: str
) -> None:
    """Record a share without permission checks (seeding and system use only)."""
    _revoke(conn, kind, object_id, grantee_type, grantee_id)
    conn.execute(
        insert(t.shares).values(
            object_type=kind.name,
            object_id=object_id,
            grantee_type=grantee_type,
            grantee_id=grantee_id,
            level=level,
        )
    )


def user_summary(conn: Connection, user_id: int | None) -> dict[str, Any] | None:
    """The small ``{id, name, username, initials, online}`` object Civis embeds."""
    if user_id is None:
        return None
    row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
    if row is None:
        return None
    return {
        "id": row.id,
        "name": row.name,
        "username": row.username,
        "initials": row.initials,
        "online": None,
    }


def transfer(ctx: Context, kind: Kind, object_id: int, *, user_id: int) -> dict[str, Any]:
    """Make ``user_id`` the owner; the previous owner keeps ``manage`` through a share.

    Objects here have no tracked dependencies yet, so none are reported or shared.
    """
    with ctx.store.transaction() as conn:
        row = fetch(conn, ctx, kind, object_id, need="manage")
        if conn.execute(select(t.users.c.id).where(t.users.c.id == user_id)).first() is None:
            raise BadRequestError(f"userId {user_id} names no user.", field="userId")
        if user_id != row.owner_id:
            _revoke(conn, kind, object_id, "user", user_id)
            grant(conn, kind, object_id, "user", row.owner_id, "manage")
            update_row(conn, kind.table, object_id, {"owner_id": user_id})
    return {"dependencies": []}


# ---------------------------------------------------------------------------- archive


def set_archived(
    ctx: Context, kind: Kind, object_id: int, *, status: bool, view: Callable[..., Any]
) -> Any:
    """Archive (``status`` True) or restore an object; needs write permission.

    Returns ``view(ctx, id=object_id)``, the resource's own view of the object after
    the change (Civis answers an archive call with the full object).
    """
    if "archived" not in kind.table.c:
        raise TypeError(f"{kind.label} has no archived column")
    with ctx.store.transaction() as conn:
        fetch(conn, ctx, kind, object_id, need="write")
        update_row(conn, kind.table, object_id, {"archived": status})
    return view(ctx, id=object_id)


# ---------------------------------------------------------------------------- projects
# Projects are themselves a Kind (services/projects.py); these functions are the
# generic "which projects is this object in" sub-resource every project-able object has.

PROJECT = Kind(name="project", table=t.projects, label="Project")


def project_summary(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    """The list-row view of a project (also used by ``GET /{resource}/{id}/projects``)."""
    sharers = conn.execute(
        select(t.users)
        .join(
            t.shares, and_(t.shares.c.grantee_type == "user", t.shares.c.grantee_id == t.users.c.id)
        )
        .where(t.shares.c.object_type == PROJECT.name, t.shares.c.object_id == row.id)
        .order_by(t.users.c.id)
    )
    return {
        "id": row.id,
        "author": user_summary(conn, row.owner_id),
        "name": row.name,
        "description": row.description,
        "users": [user_summary(conn, u.id) for u in sharers],
        "auto_share": row.auto_share,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "archived": row.archived,
    }


def list_object_projects(
    ctx: Context, kind: Kind, object_id: int, *, hidden: bool | None = None
) -> list[dict[str, Any]]:
    """The projects (visible to the caller) that contain a readable object."""
    stmt = (
        select(t.projects)
        .join(t.project_objects, t.project_objects.c.project_id == t.projects.c.id)
        .where(
            t.project_objects.c.object_type == kind.name,
            t.project_objects.c.object_id == object_id,
            visible_clause(ctx, PROJECT),
            t.projects.c.hidden.is_(bool(hidden)),
        )
        .order_by(t.projects.c.id)
    )
    with ctx.store.transaction() as conn:
        fetch(conn, ctx, kind, object_id)
        return [project_summary(conn, row) for row in conn.execute(stmt)]


def _in_project(project_id: int, kind: Kind, object_id: int) -> ColumnElement[bool]:
    """The project_objects row that puts one object into one project."""
    return and_(
        t.project_objects.c.project_id == project_id,
        t.project_objects.c.object_type == kind.name,
        t.project_objects.c.object_id == object_id,
    )


def add_to_project(ctx: Context, kind: Kind, object_id: int, *, project_id: int) -> None:
    """Put a readable object into a project the caller may write to (idempotent)."""
    with ctx.store.transaction() as conn:
        fetch(conn, ctx, kind, object_id)
        fetch(conn, ctx, PROJECT, project_id, need="write")
        present = conn.execute(
            select(t.project_objects).where(_in_project(project_id, kind, object_id))
        ).first()
        if present is None:
            conn.execute(
                insert(t.project_objects).values(
                    project_id=project_id,
                    object_type=kind.name,
                    object_id=object_id,
                    created_at=utcnow(),
                )
            )


def remove_from_project(ctx: Context, kind: Kind, object_id: int, *, project_id: int) -> None:
    """Take an object out of a project; 404 when it was not in it."""
    with ctx.store.transaction() as conn:
        fetch(conn, ctx, kind, object_id)
        fetch(conn, ctx, PROJECT, project_id, need="write")
        result = conn.execute(
            delete(t.project_objects).where(_in_project(project_id, kind, object_id))
        )
        if not result.rowcount:
            raise NotFoundError(f"{kind.label} {object_id} is not in project {project_id}.")
