"""Databases: registered warehouses, which admins register.

A database is reachable by the users and groups its remote host is shared with
(``PUT /remote_hosts/{id}/shares/users|groups``, as on Civis), by the host's owner (who
registered it) and by admins; to everyone else it, its tables, and SQL on it do not
exist (404, or 400 naming the field that named it). A new database's host is shared
read-only with the default group, so every user reaches it until an admin revokes that
share (``DELETE /remote_hosts/{id}/shares/groups/{group_id}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, select, true

from civis_platform.errors import BadRequestError, ConflictError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services.context import Context
from civis_platform.services.remote_hosts import KIND as REMOTE_HOST
from civis_platform.services.users import DEFAULT_GROUP_SLUG
from civis_platform.store import tables as t


def visible_clause(ctx: Context) -> ColumnElement[bool]:
    """SQL condition selecting the databases the caller may reach (see the module doc)."""
    if ctx.user.is_admin:
        return true()
    hosts = select(t.remote_hosts.c.id).where(g.visible_clause(ctx, REMOTE_HOST))
    return t.databases.c.remote_host_id.in_(hosts)


def database_row(conn: Connection, ctx: Context, database_id: int) -> Row[Any]:
    """The database ``database_id`` if the caller may reach it, else `NotFoundError`."""
    row = conn.execute(
        select(t.databases).where(t.databases.c.id == database_id, visible_clause(ctx))
    ).first()
    if row is None:
        raise NotFoundError(f"Database {database_id} was not found.")
    return row


def _view(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "adapter": row.adapter,
        "cluster_identifier": row.cluster_identifier,
        "host": row.host,
        "port": row.port,
        "database_name": row.database_name,
        "managed": row.managed,
    }


def list_databases(ctx: Context) -> list[dict[str, Any]]:
    """The databases the caller may reach (this list is not paged in Civis)."""
    stmt = select(t.databases).where(visible_clause(ctx)).order_by(t.databases.c.id)
    with ctx.store.transaction() as conn:
        return [_view(r) for r in conn.execute(stmt)]


def get_database(ctx: Context, *, id: int) -> dict[str, Any]:
    """One database the caller may reach."""
    with ctx.store.transaction() as conn:
        return _view(database_row(conn, ctx, id))


def warehouse_url(adapter: str, location: str) -> str:
    """The URL a database's warehouse is opened by (DuckDB rows keep a file path).

    Examples:
        >>> warehouse_url("duckdb", "/srv/w.duckdb")
        'duckdb:///srv/w.duckdb'
    """
    return location if adapter == "postgresql" else f"duckdb://{location}"


# What a remote host's description says about its warehouse's table permissions.
DESCRIPTIONS = {
    "duckdb": (
        "Embedded DuckDB warehouse. DuckDB has no users: everyone granted this database "
        "shares its tables (reads, changes and drops them). For per-user table "
        "permissions, use a PostgreSQL warehouse."
    ),
    "postgresql": (
        "PostgreSQL warehouse: each user's SQL runs as their own role, and PostgreSQL's "
        "grants and ownership decide which tables they reach."
    ),
}


def register_database(
    conn: Connection,
    *,
    name: str,
    adapter: str,
    location: str,
    owner_id: int,
    host: str | None = None,
    port: int | None = None,
    database_name: str | None = None,
) -> int:
    """Register a warehouse and its remote host; return the database id.

    The remote host is shared read-only with the default group, so every user's
    credentials can point at it. The database takes its remote host's id: the official
    client sends a database id where Civis asks for ``remote_host_id`` (``/scripts/sql``,
    ``/imports``), which works because on Civis a database *is* its remote host. (Every
    database row is inserted here with that explicit id, so no id sequence is involved.)
    """
    if conn.execute(select(t.databases.c.id).where(t.databases.c.name == name)).first():
        raise ConflictError(f"A database named {name!r} is registered.")
    host_type = "RemoteHostTypes::Postgres"
    host_id = g.insert_row(
        conn,
        t.remote_hosts,
        {
            "owner_id": owner_id,
            "name": name,
            "type": host_type,
            "url": warehouse_url(adapter, location),
            "description": DESCRIPTIONS.get(adapter, f"{adapter} warehouse"),
        },
    )
    default_group = conn.execute(
        select(t.groups.c.id).where(t.groups.c.slug == DEFAULT_GROUP_SLUG)
    ).scalar()
    if default_group is not None:
        g.grant(conn, REMOTE_HOST, host_id, "group", default_group, "read")
    return g.insert_row(
        conn,
        t.databases,
        {
            "id": host_id,
            "name": name,
            "adapter": adapter,
            "cluster_identifier": None,
            "host": host,
            "port": port,
            "database_name": database_name,
            "managed": True,
            "location": location,
            "remote_host_id": host_id,
        },
    )


def register_duckdb(conn: Connection, *, name: str, path: Path, owner_id: int) -> int:
    """Register a DuckDB warehouse file."""
    return register_database(
        conn,
        name=name,
        adapter="duckdb",
        location=str(path),
        owner_id=owner_id,
        host="localhost",
        database_name=path.stem,
    )


def register_postgres(conn: Connection, *, name: str, url: str, owner_id: int) -> int:
    """Register a PostgreSQL warehouse by connection URL (kept server-side, never served)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception as error:  # SQLAlchemy raises ArgumentError for malformed URLs
        raise BadRequestError(f"Not a database URL: {error}", field="url") from None
    if not parsed.get_backend_name().startswith("postgres"):
        raise BadRequestError("Only postgresql:// URLs can be registered.", field="url")
    return register_database(
        conn,
        name=name,
        adapter="postgresql",
        location=url,
        owner_id=owner_id,
        host=parsed.host,
        port=parsed.port or 5432,
        database_name=parsed.database,
    )
