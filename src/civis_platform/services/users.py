"""Users, their API keys, and the ``/users/me`` view.

Users are visible to every authenticated user (as in a Civis organisation); creating
and editing other users is for admins only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, or_, select, update

from civis_platform.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
)
from civis_platform.services import _generic as g
from civis_platform.services.auth import NewKey, mint_key
from civis_platform.services.context import Context, iso, utcnow
from civis_platform.store import tables as t

ORGANIZATION_NAME = "Civis Platform"
ORGANIZATION_SLUG = "civis-platform"
ORGANIZATION_ID = 1
DEFAULT_GROUP_SLUG = "default"
DEFAULT_DATABASE_NAME = "Civis Database"

# Body fields (snake_case) that map one-to-one onto users columns.
_USER_COLUMNS = (
    "name",
    "email",
    "active",
    "primary_group_id",
    "city",
    "state",
    "time_zone",
    "initials",
    "department",
    "title",
    "robot",
    "phone",
)


def initials_of(name: str) -> str:
    """Upper-case initials of a display name.

    Examples:
        >>> initials_of("Ada Lovelace")
        'AL'
    """
    return "".join(part[0] for part in name.split() if part)[:4].upper() or "?"


def require_admin(ctx: Context) -> None:
    """Raise ForbiddenError unless the caller is an admin."""
    if not ctx.user.is_admin:
        raise ForbiddenError("Only an admin may do this.")


# Built once: these run on every users/me call (the client's `username` lookup, and the
# first call most scripts make), and building a select costs more than running it.
_GROUPS_OF_USER = (
    select(t.groups)
    .join(t.group_members, t.group_members.c.group_id == t.groups.c.id)
    .where(t.group_members.c.user_id == bindparam("user_id"))
    .order_by(t.groups.c.id)
)
_USER_BY_ID = select(t.users).where(t.users.c.id == bindparam("user_id"))


def _groups_of(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(_GROUPS_OF_USER, {"user_id": user_id})
    return [
        {
            "id": r.id,
            "name": r.name,
            "slug": r.slug,
            "organization_id": ORGANIZATION_ID,
            "organization_name": ORGANIZATION_NAME,
        }
        for r in rows
    ]


def _user_detail(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    mine = row.id == ctx.user.id or ctx.user.is_admin
    return {
        **{column: getattr(row, column) for column in _USER_COLUMNS},
        "id": row.id,
        "user": row.username,
        "groups": _groups_of(conn, row.id),
        "prefers_sms_otp": False,
        "vpn_enabled": False,
        "sso_disabled": False,
        "otp_required_for_login": False,
        "exempt_from_org_sms_otp_disabled": False,
        "sms_otp_allowed": False,
        "organization_slug": ORGANIZATION_SLUG,
        "organization_sso_disable_capable": False,
        "organization_login_type": "password",
        "organization_sms_otp_disabled": True,
        "my_permission_level": "manage" if mine else "read",
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "suspended": False,
        "created_by_id": row.created_by_id,
        "last_updated_by_id": row.last_updated_by_id,
        "account_status": "active" if row.active else "inactive",
    }


def _user_me(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "username": row.username,
        "initials": row.initials,
        "last_checked_announcements": iso(row.last_checked_announcements),
        "feature_flags": {},
        "roles": ["admin"] if row.is_admin else [],
        "preferences": json.loads(row.preferences or "{}"),
        "primary_group_id": row.primary_group_id,
        "groups": _groups_of(conn, row.id),
        "organization_name": ORGANIZATION_NAME,
        "organization_slug": ORGANIZATION_SLUG,
        "created_at": iso(row.created_at),
        "sign_in_count": 0,
        "assuming_role": False,
        "assuming_admin": False,
        "disable_non_compliant_fedramp_features": False,
        "created_by_id": row.created_by_id,
        "last_updated_by_id": row.last_updated_by_id,
    }


def _get_row(conn: Connection, user_id: int) -> Row[Any]:
    row = conn.execute(_USER_BY_ID, {"user_id": user_id}).first()
    if row is None:
        raise NotFoundError(f"User {user_id} was not found.")
    return row


def get_me(ctx: Context) -> dict[str, Any]:
    """The caller's own profile."""
    with ctx.store.transaction() as conn:
        return _user_me(conn, _get_row(conn, ctx.user.id))


def patch_me(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Update the caller's preferences (merged) and last-checked-announcements time."""
    with ctx.store.transaction() as conn:
        row = _get_row(conn, ctx.user.id)
        values: dict[str, Any] = {}
        if "preferences" in body:
            merged = {**json.loads(row.preferences or "{}"), **body["preferences"]}
            values["preferences"] = json.dumps(merged)
        if "last_checked_announcements" in body:
            values["last_checked_announcements"] = body["last_checked_announcements"]
        g.update_row(conn, t.users, row.id, values)
        return _user_me(conn, _get_row(conn, row.id))


def get_user(ctx: Context, *, id: int) -> dict[str, Any]:
    """One user's profile."""
    with ctx.store.transaction() as conn:
        return _user_detail(conn, ctx, _get_row(conn, id))


def list_users(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """Users, filtered by status, free-text query and group membership."""
    status = query.get("account_status") or "active"
    if status not in ("active", "inactive", "all"):
        raise BadRequestError("account_status must be active, inactive or all.", "account_status")
    stmt = select(t.users)
    if status != "all":
        stmt = stmt.where(t.users.c.active == (status == "active"))
    if query.get("query"):
        pattern = f"%{query['query']}%"
        stmt = stmt.where(
            or_(
                t.users.c.name.ilike(pattern),
                t.users.c.username.ilike(pattern),
                t.users.c.email.ilike(pattern),
            )
        )
    group_ids = query.get("group_ids") or ([query["group_id"]] if query.get("group_id") else [])
    if group_ids:
        members = select(t.group_members.c.user_id).where(t.group_members.c.group_id.in_(group_ids))
        stmt = stmt.where(t.users.c.id.in_(members))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={"name": t.users.c.name, "user": t.users.c.username},
            default_order="name",
        )
        items = []
        for row in rows:
            item = _user_detail(conn, ctx, row)
            if query.get("exclude_groups"):
                item["groups"] = []
            item["current_sign_in_at"] = None
            items.append(item)
        return g.Page(items, total, page_num, per_page)


def insert_user(
    conn: Connection,
    *,
    username: str,
    name: str | None = None,
    email: str | None = None,
    admin: bool = False,
    created_by_id: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Create a user in the default group with a default Database credential."""
    taken = conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first()
    if taken is not None:
        raise ConflictError(f"The username {username!r} is taken.")
    default_group = conn.execute(
        select(t.groups.c.id).where(t.groups.c.slug == DEFAULT_GROUP_SLUG)
    ).scalar()
    display = name or username
    values: dict[str, Any] = {
        "username": username,
        "name": display,
        "email": email,
        "initials": initials_of(display),
        "is_admin": admin,
        "active": True,
        "robot": False,
        "preferences": "{}",
        "primary_group_id": default_group,
        "created_by_id": created_by_id,
        "last_updated_by_id": created_by_id,
        **(extra or {}),
    }
    user_id = g.insert_row(conn, t.users, values)
    for group_id in {default_group, values.get("primary_group_id")}:
        if group_id is not None:
            insert_member(conn, group_id, user_id)
    _create_default_credential(conn, user_id, username)
    return user_id


def insert_member(conn: Connection, group_id: int, user_id: int) -> None:
    present = conn.execute(
        select(t.group_members).where(
            t.group_members.c.group_id == group_id, t.group_members.c.user_id == user_id
        )
    ).first()
    if present is None:
        conn.execute(insert(t.group_members).values(group_id=group_id, user_id=user_id))


def _create_default_credential(conn: Connection, user_id: int, username: str) -> None:
    remote_host_id = conn.execute(
        select(t.databases.c.remote_host_id).where(t.databases.c.name == DEFAULT_DATABASE_NAME)
    ).scalar()
    g.insert_row(
        conn,
        t.credentials,
        {
            "owner_id": user_id,
            "name": f"{username} ({DEFAULT_DATABASE_NAME})",
            "type": "Database",
            "username": username,
            # The embedded warehouse authenticates through the API key, not this secret.
            "password": "",
            "remote_host_id": remote_host_id,
            "is_default": True,
            "oauth": False,
            "system_credential": False,
        },
    )


def _check_groups(conn: Connection, group_ids: list[int], field: str) -> None:
    known = set(conn.execute(select(t.groups.c.id).where(t.groups.c.id.in_(group_ids))).scalars())
    missing = sorted(set(group_ids) - known)
    if missing:
        raise BadRequestError(f"{field} has unknown group ids: {missing}.", field)


def create_user(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Admins only: create a user from a POST /users body."""
    require_admin(ctx)
    extra = {k: body[k] for k in _USER_COLUMNS if k in body and k not in ("name", "email")}
    group_ids = list(body.get("group_ids") or [])
    with ctx.store.transaction() as conn:
        _check_groups(conn, [*group_ids, body["primary_group_id"]], "primaryGroupId")
        user_id = insert_user(
            conn,
            username=body["user"],
            name=body["name"],
            email=body["email"],
            created_by_id=ctx.user.id,
            extra=extra,
        )
        for group_id in group_ids:
            insert_member(conn, group_id, user_id)
        return _user_detail(conn, ctx, _get_row(conn, user_id))


def patch_user(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Admins only: update another user's attributes (and group memberships)."""
    require_admin(ctx)
    with ctx.store.transaction() as conn:
        _get_row(conn, id)
        values = {k: body[k] for k in _USER_COLUMNS if k in body}
        if "account_status" in body:
            if body["account_status"] not in ("active", "inactive"):
                raise BadRequestError("accountStatus must be active or inactive.", "accountStatus")
            values["active"] = body["account_status"] == "active"
        if "primary_group_id" in body:
            _check_groups(conn, [body["primary_group_id"]], "primaryGroupId")
            insert_member(conn, body["primary_group_id"], id)
        if "group_ids" in body:
            _check_groups(conn, list(body["group_ids"]), "groupIds")
            for group_id in body["group_ids"]:
                insert_member(conn, group_id, id)
        values["last_updated_by_id"] = ctx.user.id
        g.update_row(conn, t.users, id, values)
        view = _user_detail(conn, ctx, _get_row(conn, id))
    ctx.evict_user(id)
    return view


# ---------------------------------------------------------------------------- API keys


def _key_view(row: Row[Any]) -> dict[str, Any]:
    now = utcnow()
    expires_at = row.expires_at
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=now.tzinfo)
    expired = expires_at is not None and expires_at <= now
    return {
        "id": row.id,
        "name": row.name,
        "expires_at": iso(row.expires_at),
        "created_at": iso(row.created_at),
        "revoked_at": iso(row.revoked_at),
        "last_used_at": iso(row.last_used_at),
        "scopes": [],
        "use_count": row.use_count,
        "expired": expired,
        "active": not expired and row.revoked_at is None,
        "constraint_count": 0,
        "constraints": [],
    }


def _key_owner(ctx: Context, id: str) -> int:
    """Resolve the ``{id}`` of /users/{id}/api_keys ("me" or a number); self or admin."""
    if id == "me":
        return ctx.user.id
    try:
        user_id = int(id)
    except ValueError:
        raise NotFoundError(f"User {id} was not found.") from None
    if not 0 < user_id < 2**31:  # ids are 32-bit; anything else names no user
        raise NotFoundError(f"User {id} was not found.")
    if user_id != ctx.user.id and not ctx.user.is_admin:
        raise NotFoundError(f"User {id} was not found.")
    return user_id


def list_api_keys(ctx: Context, *, id: str, query: Mapping[str, Any]) -> g.Page:
    """A user's API keys (never their tokens)."""
    user_id = _key_owner(ctx, id)
    with ctx.store.transaction() as conn:
        _get_row(conn, user_id)
        rows, total, page_num, per_page = g.paginate(
            conn,
            select(t.api_keys).where(t.api_keys.c.user_id == user_id),
            g.page_request(query),
            orderable={
                "id": t.api_keys.c.id,
                "created_at": t.api_keys.c.created_at,
                "name": t.api_keys.c.name,
            },
            default_order="id",
        )
        return g.Page([_key_view(r) for r in rows], total, page_num, per_page)


def create_api_key(ctx: Context, *, id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Mint a key; the response is the only place its token ever appears."""
    user_id = _key_owner(ctx, id)
    if body["expires_in"] <= 0:
        raise BadRequestError("expiresIn must be a positive number of seconds.", "expiresIn")
    with ctx.store.transaction() as conn:
        _get_row(conn, user_id)
        key = mint_key(conn, user_id=user_id, name=body["name"], expires_in=body["expires_in"])
        row = conn.execute(select(t.api_keys).where(t.api_keys.c.id == key.id)).one()
        return {**_key_view(row), "token": key.token}


def get_api_key(ctx: Context, *, id: str, key_id: int) -> dict[str, Any]:
    """One of a user's keys."""
    user_id = _key_owner(ctx, id)
    with ctx.store.transaction() as conn:
        return _key_view(_get_key_row(conn, user_id, key_id))


def _get_key_row(conn: Connection, user_id: int, key_id: int) -> Row[Any]:
    row = conn.execute(
        select(t.api_keys).where(t.api_keys.c.id == key_id, t.api_keys.c.user_id == user_id)
    ).first()
    if row is None:
        raise NotFoundError(f"API key {key_id} was not found.")
    return row


def revoke_api_key(ctx: Context, *, id: str, key_id: int) -> dict[str, Any]:
    """Revoke a key now, and drop it from the verification cache."""
    user_id = _key_owner(ctx, id)
    with ctx.store.transaction() as conn:
        revoke_key_row(conn, user_id=user_id, key_id=key_id)
        view = _key_view(_get_key_row(conn, user_id, key_id))
    ctx.evict_key(key_id)
    return view


def revoke_key_row(conn: Connection, *, user_id: int | None, key_id: int) -> None:
    """Mark a key revoked (``user_id`` None: any owner, for the CLI)."""
    stmt = select(t.api_keys).where(t.api_keys.c.id == key_id)
    if user_id is not None:
        stmt = stmt.where(t.api_keys.c.user_id == user_id)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFoundError(f"API key {key_id} was not found.")
    if row.revoked_at is None:
        conn.execute(
            update(t.api_keys).where(t.api_keys.c.id == key_id).values(revoked_at=utcnow())
        )


def mint_key_for(conn: Connection, username: str, *, name: str, expires_in: int | None) -> NewKey:
    """Mint a key for a user named ``username`` (CLI and test support)."""
    user_id = conn.execute(select(t.users.c.id).where(t.users.c.username == username)).scalar()
    if user_id is None:
        raise NotFoundError(f"No user named {username!r}.")
    return mint_key(conn, user_id=user_id, name=name, expires_in=expires_in)
