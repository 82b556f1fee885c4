"""Which warehouse login a user's SQL runs as, and the PostgreSQL roles behind it.

On a PostgreSQL warehouse every non-admin user's SQL runs as a PostgreSQL role of
their own (see `civis_platform.warehouse.postgres_roles`), made on first use through
the registered admin connection and remembered in ``warehouse_roles``; platform admins
act as the registered login itself (they registered the database). DuckDB has no users:
everyone granted a DuckDB database shares the one engine and all of its tables.

Examples:
    >>> role_names("civis_ab12cd34", 7)
    'civis_ab12cd34_u7'
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.services import _generic as g
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.warehouse.postgres_roles import PostgresRoles, RoleLogin, new_password

WR = t.warehouse_roles
POSTGRES = "postgresql"


def role_names(group: str, user_id: int) -> str:
    """The login role of ``user_id`` under a database's group role."""
    return f"{group}_u{user_id}"


class RoleDirectory:
    """Makes and finds the PostgreSQL roles of one app's users (one lock per app, so a
    role is made once however many requests want it at once).

    Examples:
        >>> RoleDirectory(Store.from_url("sqlite://")).login_for  # doctest: +ELLIPSIS
        <bound method RoleDirectory.login_for of ...>
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()

    @staticmethod
    def roles(database: Row[Any]) -> PostgresRoles:
        """Role management on a PostgreSQL database, through its registered login."""
        return PostgresRoles(database.location)

    def group_role(self, database: Row[Any]) -> str:
        """The database's group role, made (and granted its rights) on first use."""
        with self._lock:
            return self._group_locked(database)

    def _group_locked(self, database: Row[Any]) -> str:
        with self._store.transaction() as conn:
            name = _stored(conn, database.id, None)
        if name is not None:
            return str(name.role_name)
        group = f"civis_{secrets.token_hex(4)}"
        self.roles(database).ensure_group(group)
        with self._store.transaction() as conn:
            g.insert_row(
                conn, WR, {"database_id": database.id, "user_id": None, "role_name": group}
            )
        return group

    def login_for(self, database: Row[Any], user: Row[Any]) -> RoleLogin | None:
        """The login ``user``'s SQL runs as on ``database``: ``None`` for the registered
        login (DuckDB, or an admin), else the user's own role (made now if new)."""
        if database.adapter != POSTGRES or user.is_admin:
            return None
        with self._lock:
            with self._store.transaction() as conn:
                row = _stored(conn, database.id, user.id)
            if row is not None:
                return RoleLogin(str(row.role_name), row.password)
            group = self._group_locked(database)
            login = RoleLogin(role_names(group, user.id), new_password())
            self.roles(database).ensure_user(login, group)
            with self._store.transaction() as conn:
                g.insert_row(
                    conn,
                    WR,
                    {
                        "database_id": database.id,
                        "user_id": user.id,
                        "role_name": login.role,
                        "password": login.password,
                    },
                )
            return login

    def known_roles(self, database_id: int) -> list[tuple[int | None, str]]:
        """(user id, role) of every role made on a database; the group's user id is None."""
        with self._store.transaction() as conn:
            rows = conn.execute(
                select(WR.c.user_id, WR.c.role_name)
                .where(WR.c.database_id == database_id)
                .order_by(WR.c.id)
            )
            return [(r.user_id, str(r.role_name)) for r in rows]


def _stored(conn: Connection, database_id: int, user_id: int | None) -> Row[Any] | None:
    where = WR.c.user_id.is_(None) if user_id is None else WR.c.user_id == user_id
    return conn.execute(select(WR).where(WR.c.database_id == database_id, where)).first()
