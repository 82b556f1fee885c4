"""`PostgresRoles` against the real PostgreSQL server: roles made, checked, described."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import support
from civis_platform.warehouse.base import WarehouseError
from civis_platform.warehouse.postgres_roles import (
    PostgresRoles,
    RoleLogin,
    new_password,
    scram_verifier,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with support.temporary_pg_database("civis_roles_wh") as found:
        yield found.replace("+psycopg", "")


def _sql(url: str, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def _names() -> tuple[str, str]:
    token = uuid.uuid4().hex[:8]
    return f"civis_t{token}", f"civis_t{token}_u1"


def test_the_verifier_is_the_one_postgresql_computes(url: str) -> None:
    role = f"civis_scram_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(f"CREATE ROLE {role} PASSWORD 'correct horse'")
        [(stored,)] = _sql(url, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))
        method, rest = stored.split("$", 1)
        assert method == "SCRAM-SHA-256"
        iterations, salt = rest.split("$")[0].split(":")
        ours = scram_verifier(
            "correct horse", salt=base64.b64decode(salt), iterations=int(iterations)
        )
        assert ours == stored
    finally:
        _sql(url, f"DROP ROLE IF EXISTS {role}")


def test_a_user_role_is_plain_and_in_its_group(url: str) -> None:
    group, user = _names()
    roles = PostgresRoles(url)
    roles.ensure_group(group)
    password = new_password()
    roles.ensure_user(RoleLogin(user, password), group)
    [(attrs,)] = _sql(
        url,
        "SELECT array[rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,"
        " rolcanlogin] FROM pg_roles WHERE rolname = %s",
        (user,),
    )
    assert attrs == [False, False, False, False, False, True]
    [(stored,)] = _sql(url, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (user,))
    assert stored.startswith("SCRAM-SHA-256$") and password not in stored
    assert roles.groups([user]) == [(group, [user])]
    assert roles.logins([user, "no_such_role_x"]) == {user: True}
    roles.set_login(user, False)
    assert roles.logins([user]) == {user: False}
    # Made again (e.g. after someone widened it by hand): plain again.
    _sql(url, f'ALTER ROLE "{user}" CREATEROLE CREATEDB')
    roles.ensure_user(RoleLogin(user, password), group)
    [(widened,)] = _sql(
        url, "SELECT rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = %s", (user,)
    )
    assert widened is False and roles.logins([user]) == {user: True}


@pytest.mark.parametrize(
    "widen",
    [
        'ALTER ROLE "{role}" SUPERUSER',
        'ALTER ROLE "{role}" BYPASSRLS',
        'GRANT pg_read_server_files TO "{role}"',
        'GRANT pg_write_server_files TO "{role}"',
        'GRANT pg_execute_server_program TO "{role}"',
        'CREATE ROLE "{role}_mid"; GRANT pg_read_server_files TO "{role}_mid";'
        ' GRANT "{role}_mid" TO "{role}"',
    ],
)
def test_a_role_with_more_than_a_user_may_is_refused(url: str, widen: str) -> None:
    group, user = _names()
    roles = PostgresRoles(url)
    roles.ensure_group(group)
    roles.ensure_user(RoleLogin(user, new_password()), group)
    try:
        for statement in widen.format(role=user).split(";"):
            _sql(url, statement)
        with pytest.raises(WarehouseError, match=user):
            roles.check_user(user)
    finally:
        _sql(url, f'DROP ROLE IF EXISTS "{user}_mid"')


def test_privileges_follow_grants(url: str) -> None:
    group, user = _names()
    roles = PostgresRoles(url)
    roles.ensure_group(group)
    roles.ensure_user(RoleLogin(user, new_password()), group)
    schema = f"s_{uuid.uuid4().hex[:8]}"
    _sql(url, f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.t (x int)")
    assert roles.table_privileges(schema, "nope", user) is None
    assert roles.schema_privileges("no_such_schema_x", user) is None
    assert roles.schema_privileges(schema, user).privileges == []  # type: ignore[union-attr]
    assert roles.table_privileges(schema, "t", user).privileges == []  # type: ignore[union-attr]
    _sql(url, f'GRANT USAGE ON SCHEMA {schema} TO "{user}"')
    _sql(url, f'GRANT SELECT, INSERT ON {schema}.t TO "{user}" WITH GRANT OPTION')
    table = roles.table_privileges(schema, "t", user)
    assert table is not None and table.grantee_type == "user"
    assert (table.privileges, table.grantable) == (["SELECT", "INSERT"], ["SELECT", "INSERT"])
    through_group = roles.schema_privileges("public", user)
    assert through_group is not None and set(through_group.privileges) == {"USAGE", "CREATE"}
    assert roles.schema_privileges("public", group).grantee_type == "group"  # type: ignore[union-attr]
    # Tables the admin login makes in public are readable by the group, now and later.
    _sql(url, f"CREATE TABLE public.{schema}_demo (x int)")
    demo = roles.table_privileges("public", f"{schema}_demo", user)
    assert demo is not None and demo.privileges == ["SELECT"]
