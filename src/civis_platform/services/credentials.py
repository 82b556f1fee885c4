"""Credentials: owned, shareable secrets. Passwords are stored but never returned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.runner.host import Secret
from civis_platform.services import _generic as g
from civis_platform.services import references as refs
from civis_platform.services._input import parse_id_list
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

KIND = g.Kind(name="credential", table=t.credentials, label="Credential")

CREDENTIAL_TYPES = (
    "Amazon Web Services S3",
    "Bitbucket",
    "CASS/NCOA PAF",
    "Certificate",
    "Civis Platform",
    "Custom",
    "Database",
    "Google",
    "Github",
    "Salesforce User",
    "Salesforce Client",
    "TableauUser",
)

_COLUMNS = (
    "name",
    "type",
    "description",
    "username",
    "password",
    "remote_host_id",
    "state",
    "oauth",
)


def list_types(ctx: Context) -> dict[str, Any]:
    """The credential types this server accepts."""
    return {"types": list(CREDENTIAL_TYPES)}


def _view(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    owner = g.user_summary(conn, row.owner_id)
    host_name = None
    if row.remote_host_id is not None:
        host_name = conn.execute(
            select(t.remote_hosts.c.name).where(t.remote_hosts.c.id == row.remote_host_id)
        ).scalar()
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "username": row.username,
        "description": row.description,
        "owner": owner["username"] if owner else None,
        "user": owner,
        "remote_host_id": row.remote_host_id,
        "remote_host_name": host_name,
        "state": row.state,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "default": row.is_default,
        "oauth": row.oauth,
        # OAuth provider flows are not implemented, so no credential has a provider.
        "provider": None,
        "provider_metadata": None,
    }


def list_credentials(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """Credentials the caller can read, with the Civis filters."""
    table = t.credentials
    stmt = select(table).where(g.visible_clause(ctx, KIND))
    if query.get("type"):
        stmt = stmt.where(table.c.type.in_([x.strip() for x in query["type"].split(",")]))
    if query.get("remote_host_id") is not None:
        stmt = stmt.where(table.c.remote_host_id == query["remote_host_id"])
    if query.get("default"):
        # "default=true" means: only the caller's own default credential.
        stmt = stmt.where(table.c.is_default.is_(True), table.c.owner_id == ctx.user.id)
    if query.get("system_credentials"):
        stmt = stmt.where(table.c.system_credential.is_(True))
    if query.get("users"):
        owners = parse_id_list("users", query["users"])
        stmt = stmt.where(table.c.owner_id.in_(owners))
    if query.get("name"):
        stmt = stmt.where(table.c.name.ilike(f"%{query['name']}%"))
    if query.get("provider"):
        # No credential has an OAuth provider here, so a provider filter matches nothing.
        stmt = stmt.where(table.c.oauth.is_(True), table.c.id.is_(None))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={
                "updated_at": table.c.updated_at,
                "created_at": table.c.created_at,
                "name": table.c.name,
            },
            default_order="updated_at",
            default_dir="desc",
        )
        return g.Page([_view(conn, r) for r in rows], total, page_num, per_page)


def get_credential(ctx: Context, *, id: int) -> dict[str, Any]:
    """One credential the caller can read."""
    with ctx.store.transaction() as conn:
        return _view(conn, g.fetch(conn, ctx, KIND, id))


def _check(conn: Connection, ctx: Context, body: Mapping[str, Any]) -> None:
    if "type" in body and body["type"] not in CREDENTIAL_TYPES:
        raise BadRequestError(f"type must be one of: {', '.join(CREDENTIAL_TYPES)}.", "type")
    refs.optional(conn, ctx, refs.remote_host, body, "remote_host_id", "remoteHostId")
    if body.get("system_credential"):
        raise BadRequestError("System credentials cannot be created here.", "systemCredential")


def _owner(ctx: Context, body: Mapping[str, Any]) -> int:
    user_id = body.get("user_id")
    if user_id is None or user_id == ctx.user.id:
        return ctx.user.id
    if not ctx.user.is_admin:
        raise BadRequestError("Only an admin may create credentials for another user.", "userId")
    return int(user_id)


def _apply_default(
    conn: Connection, owner_id: int, credential_id: int, body: Mapping[str, Any]
) -> None:
    """A user has one default per type: setting one clears the others."""
    if not body.get("default"):
        return
    row = conn.execute(select(t.credentials).where(t.credentials.c.id == credential_id)).one()
    others = (
        conn.execute(
            select(t.credentials.c.id).where(
                t.credentials.c.owner_id == owner_id,
                t.credentials.c.type == row.type,
                t.credentials.c.id != credential_id,
            )
        )
        .scalars()
        .all()
    )
    for other in others:
        g.update_row(conn, t.credentials, other, {"is_default": False})
    g.update_row(conn, t.credentials, credential_id, {"is_default": True})


def create_credential(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Create a credential owned by the caller (or, for admins, by ``userId``)."""
    with ctx.store.transaction() as conn:
        _check(conn, ctx, body)
        owner_id = _owner(ctx, body)
        values = {c: body[c] for c in _COLUMNS if c in body}
        values.setdefault("oauth", False)
        credential_id = g.insert_row(
            conn,
            t.credentials,
            {**values, "owner_id": owner_id, "is_default": False, "system_credential": False},
        )
        _apply_default(conn, owner_id, credential_id, body)
        return _view(conn, g.fetch(conn, ctx, KIND, credential_id))


def update_credential(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """PUT or PATCH: requires write permission (a read-only share gets a 403)."""
    with ctx.store.transaction() as conn:
        row = g.fetch(conn, ctx, KIND, id, need="write")
        _check(conn, ctx, body)
        g.update_row(conn, t.credentials, id, {c: body[c] for c in _COLUMNS if c in body})
        _apply_default(conn, row.owner_id, id, body)
        return _view(conn, g.fetch(conn, ctx, KIND, id))


def delete_credential(ctx: Context, *, id: int) -> None:
    """Delete a credential the caller manages."""
    g.delete_owned(ctx, KIND, id)


def credential_secret(ctx: Context, credential_id: Any, field: str) -> Secret:
    """A credential the caller may use, with its password (for runs' environments);
    400 naming ``field`` when it is not an id of a credential the caller can see."""
    if isinstance(credential_id, bool) or not isinstance(credential_id, int):
        raise BadRequestError(f"{field} must be a credential id (an integer).", field=field)
    with ctx.store.transaction() as conn:
        try:
            row = g.fetch(conn, ctx, KIND, credential_id)
        except NotFoundError:
            message = f"Credential {credential_id} was not found."
            raise BadRequestError(message, field=field) from None
    return Secret(id=row.id, type=row.type, username=row.username, password=row.password)
