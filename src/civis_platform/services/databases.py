"""Databases: registered warehouses. Every user sees them; admins register them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.services import _generic as g
from civis_platform.services.context import Context
from civis_platform.services.errors import ConflictError, NotFoundError
from civis_platform.store import tables as t


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
    """Every registered database (this list is not paged in Civis)."""
    with ctx.store.transaction() as conn:
        return [_view(r) for r in conn.execute(select(t.databases).order_by(t.databases.c.id))]


def get_database(ctx: Context, *, id: int) -> dict[str, Any]:
    """One database."""
    with ctx.store.transaction() as conn:
        row = conn.execute(select(t.databases).where(t.databases.c.id == id)).first()
        if row is None:
            raise NotFoundError(f"Database {id} was not found.")
        return _view(row)


def register_duckdb(conn: Connection, *, name: str, path: Path, owner_id: int) -> int:
    """Register a DuckDB warehouse file (with its remote host) and return its id.

    The remote host is shared read-only with the default group, so every user's
    default credential can point at it.
    """
    if conn.execute(select(t.databases.c.id).where(t.databases.c.name == name)).first():
        raise ConflictError(f"A database named {name!r} is registered.")
    host_id = g.insert_row(
        conn,
        t.remote_hosts,
        {
            "owner_id": owner_id,
            "name": name,
            "type": "RemoteHostTypes::Postgres",
            "url": f"duckdb://{path}",
            "description": "Embedded DuckDB warehouse",
        },
    )
    return g.insert_row(
        conn,
        t.databases,
        {
            "name": name,
            "adapter": "duckdb",
            "cluster_identifier": None,
            "host": "localhost",
            "port": None,
            "database_name": path.stem,
            "managed": True,
            "location": str(path),
            "remote_host_id": host_id,
        },
    )
