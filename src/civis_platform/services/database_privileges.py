"""Who a database's users are and what they may do there, as the warehouse says.

``GET /databases/{id}/users``, ``/groups``, ``/schema_privileges/{schema}`` and
``/table_privileges/{schema}/{table}``, in the reference spec's shapes: ``users`` and
the privilege routes answer one object (the caller's database user, or the user of the
credential named by ``credential_id``), ``groups`` a list.

On PostgreSQL every answer comes from the warehouse's own catalogue: the role a user's
SQL runs as (`services.warehouse_roles`), its ``rolcanlogin``, the roles it belongs to
(``pg_auth_members``), and ``has_schema_privilege`` / ``has_table_privilege``, so a
``GRANT`` a user runs shows at once. DuckDB has no users: the database user is the
platform user, the groups are the platform groups the database is shared with, and
everyone granted the database holds every privilege on every schema and table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select

from civis_platform.errors import NotFoundError
from civis_platform.services import databases
from civis_platform.services.context import Context
from civis_platform.services.warehouses import check_credential, user_row
from civis_platform.store import tables as t
from civis_platform.warehouse.postgres_roles import PostgresRoles, Privileges

POSTGRES = "postgresql"
DUCKDB_SCHEMA_PRIVILEGES = ["USAGE", "CREATE"]
DUCKDB_TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]


def _database(ctx: Context, id: int) -> tuple[Row[Any], Row[Any]]:
    """The database (404 unless the caller reaches it) and the caller's user row."""
    with ctx.store.transaction() as conn:
        return databases.database_row(conn, ctx, id), user_row(conn, ctx.user.id)


def _role_of(ctx: Context, database: Row[Any], user: Row[Any]) -> str:
    """The PostgreSQL role ``user``'s SQL runs as on ``database``."""
    login = ctx.warehouse_pool().roles.login_for(database, user)
    if login is not None:
        return login.role
    return PostgresRoles(database.location).current_role()


def _subject(ctx: Context, database: Row[Any], query: Mapping[str, Any]) -> Row[Any]:
    """Whose privileges to show: the owner of ``credential_id`` (one the caller may use
    on this database; 400 naming it otherwise), or the caller."""
    with ctx.store.transaction() as conn:
        if query.get("credential_id") is None:
            return user_row(conn, ctx.user.id)
        credential = check_credential(
            conn, ctx, query["credential_id"], "credentialId", database.remote_host_id
        )
        owner = conn.execute(
            select(t.credentials.c.owner_id).where(t.credentials.c.id == credential)
        ).scalar_one()
        return user_row(conn, owner)


def get_user(ctx: Context, *, id: int, query: Mapping[str, Any]) -> dict[str, Any]:
    """``GET /databases/{id}/users``: the caller's database user and whether it is active
    (``active=false`` asks for a deactivated one: 404 when the caller's is active, and
    the other way round)."""
    database, user = _database(ctx, id)
    if database.adapter == POSTGRES:
        role = _role_of(ctx, database, user)
        active = PostgresRoles(database.location).logins([role]).get(role, False)
        username = role
    else:
        username, active = user.username, bool(user.active)
    wanted = query.get("active")
    if wanted is not None and bool(wanted) != active:
        state = "active" if wanted else "deactivated"
        raise NotFoundError(f"You have no {state} user on database {id}.")
    return {"username": username, "active": active}


def list_groups(ctx: Context, *, id: int) -> list[dict[str, Any]]:
    """``GET /databases/{id}/groups``: groups of the database's users and their members.

    PostgreSQL: every role that a platform-made role belongs to, with those members.
    DuckDB: the platform groups the database's remote host is shared with.
    """
    database, _user = _database(ctx, id)
    if database.adapter == POSTGRES:
        ctx.warehouse_pool().roles.group_role(database)  # made on first use
        roles = [role for _, role in ctx.warehouse_pool().roles.known_roles(database.id)]
        groups = PostgresRoles(database.location).groups(roles)
        return [{"group_name": name, "members": members} for name, members in groups]
    with ctx.store.transaction() as conn:
        shared = (
            select(t.groups.c.id, t.groups.c.name)
            .join(
                t.shares,
                (t.shares.c.grantee_id == t.groups.c.id) & (t.shares.c.grantee_type == "group"),
            )
            .where(
                t.shares.c.object_type == "remote_host",
                t.shares.c.object_id == database.remote_host_id,
            )
            .order_by(t.groups.c.name)
        )
        answer = []
        for group in conn.execute(shared):
            members = conn.execute(
                select(t.users.c.username)
                .join(t.group_members, t.group_members.c.user_id == t.users.c.id)
                .where(t.group_members.c.group_id == group.id)
                .order_by(t.users.c.username)
            ).scalars()
            answer.append({"group_name": group.name, "members": list(members)})
        return answer


def _view(privileges: Privileges) -> dict[str, Any]:
    return {
        "grantee": privileges.grantee,
        "grantee_type": privileges.grantee_type,
        "privileges": privileges.privileges,
        "grantable_privileges": privileges.grantable,
    }


def get_schema_privileges(
    ctx: Context, *, id: int, schema_name: str, query: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /databases/{id}/schema_privileges/{schema_name}``: what the caller's (or
    ``credential_id``'s) database user holds on the schema; 404 for no such schema, and
    (to non-admins) for one that user holds nothing on."""
    database, _user = _database(ctx, id)
    subject = _subject(ctx, database, query)
    if database.adapter == POSTGRES:
        role = _role_of(ctx, database, subject)
        found = PostgresRoles(database.location).schema_privileges(schema_name, role)
        if found is None or not (found.privileges or ctx.user.is_admin):
            raise NotFoundError(f"Schema {schema_name} was not found in database {id}.")
        return _view(found)
    if schema_name not in ctx.warehouse_pool().get(id).list_schemas():
        raise NotFoundError(f"Schema {schema_name} was not found in database {id}.")
    return _view(Privileges(subject.username, "user", DUCKDB_SCHEMA_PRIVILEGES, []))


def get_table_privileges(
    ctx: Context, *, id: int, schema_name: str, table_name: str, query: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /databases/{id}/table_privileges/{schema_name}/{table_name}``: what the
    caller's (or ``credential_id``'s) database user holds on the table; 404 for no such
    table, and (to non-admins) for one that user holds nothing on."""
    database, _user = _database(ctx, id)
    subject = _subject(ctx, database, query)
    missing = f"Table {schema_name}.{table_name} was not found in database {id}."
    if database.adapter == POSTGRES:
        role = _role_of(ctx, database, subject)
        found = PostgresRoles(database.location).table_privileges(schema_name, table_name, role)
        if found is None or not (found.privileges or ctx.user.is_admin):
            raise NotFoundError(missing)
        return _view(found)
    summaries = ctx.warehouse_pool().get(id).list_table_summaries(schema_name)
    if table_name not in {s.name for s in summaries}:
        raise NotFoundError(missing)
    return _view(Privileges(subject.username, "user", DUCKDB_TABLE_PRIVILEGES, []))
