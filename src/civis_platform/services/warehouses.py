"""Reaching a registered database's warehouse: the pool of open engines, and the rules
for which database and credential a request or a run may use.

Every data-plane operation names its database one of three ways (``database`` id for
queries, ``remote_host_id`` for SQL scripts and imports, a table id) plus a database
credential. `resolve_target` turns that into a `Target`: the database row and its open
`Warehouse`, after checking that the caller may use the credential.

Warehouses are opened lazily, once per database, and shared by every request and run
thread (the engines are thread-safe); `WarehousePool.close` releases them at shutdown.
A DuckDB file can be open read-write in only one process, which is why the pool, not
each run, holds the engine.

Which login a caller's SQL runs as is the credential owner's (`WarehousePool.for_user`):
on PostgreSQL a role of their own, so PostgreSQL's grants decide what they reach (see
`civis_platform.services.warehouse_roles`). A database the caller may not reach (its
remote host is not shared with them) is not found, whatever the credential.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services import databases
from civis_platform.services.context import Context
from civis_platform.services.credentials import KIND as CREDENTIAL
from civis_platform.services.databases import warehouse_url
from civis_platform.services.warehouse_roles import RoleDirectory
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.warehouse import Warehouse, open_warehouse

DATABASE_CREDENTIAL_TYPE = "Database"


class WarehousePool:
    """One open `Warehouse` per database id, opened on first use.

    Examples:
        >>> pool = WarehousePool(Store.from_url("sqlite://"))
        >>> pool.close()
    """

    # Users' logins kept open at once; the least recently used one closes past that.
    MAX_USER_LOGINS = 32

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._open: dict[int, Warehouse] = {}
        # Users' own logins, least recently used first (each holds its idle connection).
        self._as_role: OrderedDict[tuple[int, str], Warehouse] = OrderedDict()
        self.roles = RoleDirectory(store)

    def get(self, database_id: int) -> Warehouse:
        """The warehouse of ``database_id``; raises `NotFoundError` for unknown ids."""
        with self._lock:
            warehouse = self._open.get(database_id)
            if warehouse is not None:
                return warehouse
            with self._store.transaction() as conn:
                row = _database_row(conn, database_id)
            # Opening under the lock: two threads must not both open one DuckDB file.
            warehouse = open_warehouse(warehouse_url(row.adapter, row.location))
            self._open[database_id] = warehouse
            return warehouse

    def for_user(self, database: Row[Any], user: Row[Any]) -> Warehouse:
        """The warehouse of ``database`` as ``user`` logs in to it: the registered login
        for DuckDB and for admins, else (PostgreSQL) the user's own role."""
        login = self.roles.login_for(database, user)
        if login is None:
            return self.get(database.id)
        key = (database.id, login.role)
        evicted: list[Warehouse] = []
        with self._lock:
            warehouse = self._as_role.get(key)
            if warehouse is not None:
                self._as_role.move_to_end(key)
            else:
                from civis_platform.warehouse.postgres import PostgresWarehouse

                group = self.roles.group_role(database)
                roles = self.roles.roles(database)
                warehouse = PostgresWarehouse(
                    login.conninfo(database.location),
                    make_schema=lambda schema: roles.ensure_shared_schema(schema, group),
                    max_idle=1,
                )
                self._as_role[key] = warehouse
                while len(self._as_role) > self.MAX_USER_LOGINS:
                    evicted.append(self._as_role.popitem(last=False)[1])
        for stale in evicted:
            stale.close()  # its idle connection; one in use closes when it is done
        return warehouse

    def close(self) -> None:
        """Close every open warehouse (the pool may be used again afterwards)."""
        with self._lock:
            opened = [*self._open.values(), *self._as_role.values()]
            self._open, self._as_role = {}, OrderedDict()
        for warehouse in opened:
            warehouse.close()


@dataclass(frozen=True)
class Target:
    """Where a data-plane operation runs: a database, its warehouse, the credential."""

    database_id: int
    database_name: str
    remote_host_id: int | None
    credential_id: int
    warehouse: Warehouse


def _database_row(conn: Connection, database_id: int) -> Row[Any]:
    row = conn.execute(select(t.databases).where(t.databases.c.id == database_id)).first()
    if row is None:
        raise NotFoundError(f"Database {database_id} was not found.")
    return row


def user_row(conn: Connection, user_id: int) -> Row[Any]:
    """A user's row (the owner of a credential or a run)."""
    return conn.execute(select(t.users).where(t.users.c.id == user_id)).one()


def _check_int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"{field} must be an integer.", field=field)
    return value


def database_for_remote_host(
    conn: Connection, ctx: Context, remote_host_id: Any, field: str
) -> Row[Any]:
    """The database registered on a remote host the caller may reach (400 naming
    ``field`` when the host is not such a database)."""
    host_id = _check_int(remote_host_id, field)
    row = conn.execute(
        select(t.databases).where(
            t.databases.c.remote_host_id == host_id, databases.visible_clause(ctx)
        )
    ).first()
    if row is None:
        raise BadRequestError(
            f"{field}: Remote host {host_id} was not found among the databases you can reach.",
            field=field,
        )
    return row


def check_credential(
    conn: Connection, ctx: Context, credential_id: Any, field: str, remote_host_id: int | None
) -> int:
    """The id of a Database credential the caller may use on ``remote_host_id``.

    ``None`` means the caller's default Database credential, which is good on every
    database; other credentials bound to a host only on that host. A credential the caller
    cannot see is reported as not found (400, naming ``field``), like any other object.
    """
    if credential_id is None:
        found = conn.execute(
            select(t.credentials.c.id)
            .where(
                t.credentials.c.owner_id == ctx.user.id,
                t.credentials.c.type == DATABASE_CREDENTIAL_TYPE,
                t.credentials.c.is_default.is_(True),
            )
            .limit(1)
        ).scalar()
        if found is None:
            raise BadRequestError("You have no default database credential.", field=field)
        return int(found)
    cred_id = _check_int(credential_id, field)
    try:
        row = g.fetch(conn, ctx, CREDENTIAL, cred_id)
    except NotFoundError:
        raise BadRequestError(
            f"{field}: Credential {cred_id} was not found.", field=field
        ) from None
    if row.type != DATABASE_CREDENTIAL_TYPE:
        raise BadRequestError(
            f"Credential {cred_id} is a {row.type} credential, not a Database one.", field=field
        )
    # A default Database credential is the user's login on every database here: the
    # official client sends it for any database (transfer_table uses it on both sides).
    if row.remote_host_id not in (None, remote_host_id) and not row.is_default:
        raise BadRequestError(
            f"Credential {cred_id} is for remote host {row.remote_host_id}, not {remote_host_id}.",
            field=field,
        )
    return cred_id


def resolve_target(
    ctx: Context,
    pool: WarehousePool,
    *,
    database_id: Any = None,
    remote_host_id: Any = None,
    credential_id: Any = None,
    database_field: str = "remoteHostId",
    credential_field: str = "credentialId",
) -> Target:
    """The database (by id or by remote host) and credential a caller wants to use.

    Raises `BadRequestError` naming the offending field, or `NotFoundError` for an
    unknown database id.
    """
    with ctx.store.transaction() as conn:
        if database_id is not None:
            row = databases.database_row(conn, ctx, _check_int(database_id, database_field))
        else:
            row = database_for_remote_host(conn, ctx, remote_host_id, database_field)
        cred = check_credential(conn, ctx, credential_id, credential_field, row.remote_host_id)
        owner_id = conn.execute(
            select(t.credentials.c.owner_id).where(t.credentials.c.id == cred)
        ).scalar_one()
        owner = user_row(conn, owner_id)
    return Target(
        database_id=row.id,
        database_name=row.name,
        remote_host_id=row.remote_host_id,
        credential_id=cred,
        warehouse=pool.for_user(row, owner),
    )
