"""Remote hosts: where credentials point (the default warehouse has one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError
from civis_platform.services import _generic as g
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

KIND = g.Kind(name="remote_host", table=t.remote_hosts, label="Remote host")

REMOTE_HOST_TYPES = (
    "RemoteHostTypes::Bigquery",
    "RemoteHostTypes::Bitbucket",
    "RemoteHostTypes::GitSSH",
    "RemoteHostTypes::Github",
    "RemoteHostTypes::GoogleDoc",
    "RemoteHostTypes::JDBC",
    "RemoteHostTypes::Postgres",
    "RemoteHostTypes::Redshift",
    "RemoteHostTypes::S3Storage",
    "RemoteHostTypes::Salesforce",
)
_COLUMNS = ("name", "type", "url", "description")


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "url": row.url,
        "description": row.description,
        "my_permission_level": g.access_level(conn, ctx, KIND, row),
        "user": g.user_summary(conn, row.owner_id),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def list_remote_hosts(ctx: Context, *, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Remote hosts the caller can read (this list is not paged in Civis)."""
    stmt = select(t.remote_hosts).where(g.visible_clause(ctx, KIND)).order_by(t.remote_hosts.c.id)
    if query.get("type"):
        stmt = stmt.where(t.remote_hosts.c.type == query["type"])
    with ctx.store.transaction() as conn:
        return [_view(conn, ctx, r) for r in conn.execute(stmt)]


def get_remote_host(ctx: Context, *, id: int) -> dict[str, Any]:
    """One remote host the caller can read."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, id))


def _check(body: Mapping[str, Any]) -> None:
    if "type" in body and body["type"] not in REMOTE_HOST_TYPES:
        raise BadRequestError(f"type must be one of: {', '.join(REMOTE_HOST_TYPES)}.", "type")


def create_remote_host(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Register a remote host owned by the caller."""
    _check(body)
    with ctx.store.transaction() as conn:
        values = {c: body[c] for c in _COLUMNS if c in body}
        host_id = g.insert_row(conn, t.remote_hosts, {**values, "owner_id": ctx.user.id})
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, host_id))


def update_remote_host(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """PUT or PATCH a remote host (write permission)."""
    _check(body)
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, id, need="write")
        g.update_row(conn, t.remote_hosts, id, {c: body[c] for c in _COLUMNS if c in body})
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, id))
