"""Who reaches a database and its tables, over loopback, with two non-admin users.

A database is reachable through its remote host's shares; on PostgreSQL each user's
SQL runs as a role of their own, so a table is its creator's until they grant it, down
to the rows, and SQL that would reach the server (files, programs, other roles) is
refused by PostgreSQL itself. The privilege routes report the warehouse's own roles and
grants.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from platform_helpers import Api, assert_civis_error, unique
from sql_helpers import DUCKDB, SqlUser, Warehouse, _warehouse, make_user, post_credential, wait
from sqlalchemy import select

import support
from civis_platform.store import tables as t
from civis_platform.testing import ThreadedServer

REFUSED = re.compile(r"permission denied|must be superuser|must be owner|must have", re.I)


def _run(user: SqlUser, wh: Warehouse, sql: str) -> dict[str, Any]:
    """Run ``sql`` as a query of ``user``; the finished query."""
    response = user.api.post(
        "queries",
        json={
            "database": wh.database_id,
            "sql": sql,
            "credential": user.credential_id,
            "preview_rows": 100,
        },
    )
    assert response.status_code == 200, response.text
    return wait(user.api, f"queries/{response.json()['id']}")


def _ok(user: SqlUser, wh: Warehouse, sql: str) -> list[list[str | None]]:
    done = _run(user, wh, sql)
    assert done["state"] == "succeeded", done
    rows: list[list[str | None]] = done["resultRows"]
    return rows


def _refused(user: SqlUser, wh: Warehouse, sql: str) -> str:
    done = _run(user, wh, sql)
    assert done["state"] == "failed", done
    assert REFUSED.search(done["error"]), done["error"]
    return str(done["error"])


def _role(user: SqlUser, wh: Warehouse) -> str:
    response = user.api.get(f"databases/{wh.database_id}/users")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active"] is True
    return str(body["username"])


def _table_names(user: SqlUser, wh: Warehouse, schema: str) -> list[str]:
    response = user.api.get("tables", params={"database_id": wh.database_id, "schema": schema})
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database (its SQLAlchemy URL)."""
    with support.temporary_pg_database("civis_access_wh") as url:
        yield url


@pytest.fixture(scope="module")
def pg(server: ThreadedServer, pg_url: str) -> Iterator[Warehouse]:
    """The PostgreSQL warehouse under test, registered on the module's server."""
    name = unique("Access PG ")
    database_id = server.register_postgres(name, pg_url)
    yield Warehouse("postgres", database_id, database_id)
    server.close_warehouses()


def _admin_sql(pg_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the warehouse as the registered (admin) login."""
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


# --------------------------------------------------------------------------- roles


@pytest.mark.postgres
def test_each_user_runs_as_a_plain_role_of_their_own(
    server: ThreadedServer, pg: Warehouse, pg_url: str
) -> None:
    a, b = make_user(server, pg), make_user(server, pg)
    role_a, role_b = _role(a, pg), _role(b, pg)
    assert role_a != role_b
    assert _ok(a, pg, "select current_user, session_user") == [[role_a, role_a]]
    assert _ok(b, pg, "select current_user") == [[role_b]]
    [(attributes,)] = _admin_sql(
        pg_url,
        "select array[rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls]"
        f" from pg_roles where rolname = '{role_a}'",
    )
    assert attributes == [False] * 5
    for forbidden in ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program"):
        [(member,)] = _admin_sql(pg_url, f"select pg_has_role('{role_a}', '{forbidden}', 'MEMBER')")
        assert member is False, forbidden
    # The password PostgreSQL holds is a SCRAM verifier, never the clear text.
    [(stored,)] = _admin_sql(
        pg_url, f"select rolpassword from pg_authid where rolname = '{role_a}'"
    )
    assert stored.startswith("SCRAM-SHA-256$4096:")


@pytest.mark.postgres
def test_a_table_is_its_creators_until_granted(server: ThreadedServer, pg: Warehouse) -> None:
    a, b = make_user(server, pg), make_user(server, pg)
    schema = unique("own")
    _ok(a, pg, f"create schema {schema}")
    _ok(a, pg, f"create table {schema}.secret as select 42 as answer, 'a''s' as note")
    _ok(a, pg, "create table public.a_secret_" + schema + " as select 7 as x")
    # B is granted the database (the default group's share), yet reads none of it.
    _refused(b, pg, f"select * from {schema}.secret")
    _refused(b, pg, f"select * from public.a_secret_{schema}")
    _refused(b, pg, f"drop table public.a_secret_{schema}")
    _refused(b, pg, f"delete from public.a_secret_{schema}")
    _refused(b, pg, f"create table {schema}.squat (x int)")
    assert _table_names(b, pg, schema) == []
    assert f"a_secret_{schema}" not in _table_names(b, pg, "public")
    assert_civis_error(b.api.get(f"databases/{pg.database_id}/schemas/{schema}/tables/secret"), 404)
    assert_civis_error(b.api.get(f"databases/{pg.database_id}/schemas/{schema}/tables"), 404)
    schemas = [s["schema"] for s in b.api.get(f"databases/{pg.database_id}/schemas").json()]
    assert schema not in schemas
    path = f"databases/{pg.database_id}/table_privileges/{schema}/secret"
    assert_civis_error(b.api.get(path), 404)
    # A sees and owns it, and its id is the same whoever looked before.
    assert _table_names(a, pg, schema) == ["secret"]
    [row] = a.api.get("tables", params={"database_id": pg.database_id, "schema": schema}).json()
    assert_civis_error(b.api.get(f"tables/{row['id']}"), 404)
    assert_civis_error(b.api.get(f"tables/{row['id']}/columns"), 404)
    assert_civis_error(b.api.patch(f"tables/{row['id']}", json={"description": "b's"}), 404)
    mine = a.api.get(path).json()
    assert mine["grantee"] == _role(a, pg) and "SELECT" in mine["privileges"]
    assert set(mine["grantablePrivileges"]) >= {"SELECT", "INSERT"}  # the owner's

    # A grants B SELECT, as A's own SQL: B reads the rows, and the table shows.
    role_b = _role(b, pg)
    _ok(a, pg, f'grant usage on schema {schema} to "{role_b}"')
    _ok(a, pg, f'grant select on {schema}.secret to "{role_b}"')
    assert _ok(b, pg, f"select answer, note from {schema}.secret") == [["42", "a's"]]
    assert _table_names(b, pg, schema) == ["secret"]
    assert b.api.get(f"tables/{row['id']}").json()["rowCount"] == 1
    theirs = b.api.get(path).json()
    assert (theirs["grantee"], theirs["granteeType"]) == (role_b, "user")
    assert theirs["privileges"] == ["SELECT"] and theirs["grantablePrivileges"] == []
    # SELECT is all: B still cannot change or drop it.
    _refused(b, pg, f"insert into {schema}.secret values (1, 'b')")
    _refused(b, pg, f"drop table {schema}.secret")
    # A's other table stays A's.
    _refused(b, pg, f"select * from public.a_secret_{schema}")


@pytest.mark.postgres
def test_demo_tables_in_public_are_readable_by_all(
    server: ThreadedServer, pg: Warehouse, pg_url: str
) -> None:
    name = unique("demo")
    _admin_sql(pg_url, f"create table public.{name} as select 1 as n")  # the admin login's
    b = make_user(server, pg)
    assert _ok(b, pg, f"select n from public.{name}") == [["1"]]
    assert name in _table_names(b, pg, "public")
    _refused(b, pg, f"drop table public.{name}")
    _refused(b, pg, f"insert into public.{name} values (2)")
    public = b.api.get(f"databases/{pg.database_id}/schema_privileges/public").json()
    assert public["grantee"] == _role(b, pg)
    assert set(public["privileges"]) == {"USAGE", "CREATE"}


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "select pg_read_file('/etc/hostname')",
        "select pg_ls_dir('/')",
        "select lo_import('/etc/hostname')",
        "copy (select 1) to '/tmp/{marker}'",
        "create table {table} (x text); copy {table} from program 'id'",
        "create temp table t (x text); copy t from '/etc/hostname'",
        "create role {marker}",
        'alter role "{me}" superuser',
        'alter role "{me}" createrole',
        "set role postgres",
        'set role "{other}"',
        "set session authorization postgres",
        'grant pg_read_server_files to "{me}"',
        "create extension if not exists dblink",
    ],
)
def test_hostile_sql_is_refused_with_a_clear_error(
    server: ThreadedServer, pg: Warehouse, sql: str
) -> None:
    a, b = make_user(server, pg), make_user(server, pg)
    marker = f"civis_hostile_{uuid.uuid4().hex[:8]}"
    text = sql.format(marker=marker, table=marker, me=_role(b, pg), other=_role(a, pg))
    _refused(b, pg, text)
    assert not Path(f"/tmp/{marker}").exists()
    assert _ok(b, pg, "select current_user") == [[_role(b, pg)]]


@pytest.mark.postgres
def test_hostile_sql_in_a_sql_script_fails_the_run(server: ThreadedServer, pg: Warehouse) -> None:
    b = make_user(server, pg)
    created = b.api.post(
        "scripts/sql",
        json={
            "name": "escape",
            "sql": "select 1; select pg_read_file('/etc/passwd')",
            "remoteHostId": pg.remote_host_id,
            "credentialId": b.credential_id,
        },
    )
    assert created.status_code == 201, created.text
    script = created.json()["id"]
    run = b.api.post(f"scripts/sql/{script}/runs")
    assert run.status_code == 202, run.text
    done = wait(b.api, f"scripts/sql/{script}/runs/{run.json()['id']}")
    assert done["state"] == "failed" and REFUSED.search(done["error"]), done


# --------------------------------------------------------------------------- shares


def _default_group(server: ThreadedServer) -> int:
    with server.app.state.platform.store.transaction() as conn:
        return int(conn.execute(select(t.groups.c.id).where(t.groups.c.slug == "default")).scalar())


@pytest.fixture
def private_db(server: ThreadedServer) -> Iterator[Warehouse]:
    """A PostgreSQL database whose remote host is shared with nobody but its registrant."""
    with support.temporary_pg_database("civis_private_wh") as url:
        database_id = server.register_postgres(unique("Private PG "), url)
        admin = Api(server.base_url, server.admin_api_key)
        revoked = admin.delete(f"remote_hosts/{database_id}/shares/groups/{_default_group(server)}")
        assert revoked.status_code == 204, revoked.text
        yield Warehouse("postgres", database_id, database_id)
        server.close_warehouses()


@pytest.mark.postgres
def test_without_the_remote_host_share_the_database_is_not_there(
    server: ThreadedServer, private_db: Warehouse
) -> None:
    a_user = server.create_user(unique("sql"))
    a_api = Api(server.base_url, a_user.api_key)
    created = server.create_user(unique("sql"))
    b_api = Api(server.base_url, created.api_key)
    admin = Api(server.base_url, server.admin_api_key)
    db = private_db.database_id
    # Neither can name the private remote host in a credential before it is shared.
    for user, api in ((a_user, a_api), (created, b_api)):
        refused = post_credential(api, user.username, private_db)
        assert "remoteHostId" in assert_civis_error(refused, 400)["errorDescription"]
    shared = admin.put(
        f"remote_hosts/{db}/shares/users", json={"userIds": [a_user.id], "permissionLevel": "read"}
    )
    assert shared.status_code == 200, shared.text
    a_credential = post_credential(a_api, a_user.username, private_db)
    assert a_credential.status_code in (200, 201), a_credential.text
    a = SqlUser(a_user.id, a_api, int(a_credential.json()["id"]))
    schema = unique("priv")
    _ok(a, private_db, f"create schema {schema}")
    _ok(a, private_db, f"create table {schema}.t as select 1 as x")
    [table] = a.api.get("tables", params={"database_id": db, "schema": schema}).json()

    assert db in [d["id"] for d in a.api.get("databases").json()]
    assert db not in [d["id"] for d in b_api.get("databases").json()]
    for path in (
        f"databases/{db}",
        f"databases/{db}/schemas",
        f"databases/{db}/schemas/{schema}/tables",
        f"databases/{db}/schemas/{schema}/tables/t",
        f"databases/{db}/users",
        f"databases/{db}/groups",
        f"databases/{db}/schema_privileges/public",
        f"databases/{db}/table_privileges/{schema}/t",
        f"tables/{table['id']}",
        f"tables/{table['id']}/columns",
        f"remote_hosts/{db}",
    ):
        assert_civis_error(b_api.get(path), 404)
    assert_civis_error(b_api.get("tables", params={"database_id": db}), 404)
    assert table["id"] not in [r["id"] for r in b_api.get("tables", params={"limit": 1000}).json()]
    query = b_api.post("queries", json={"database": db, "sql": "select 1", "previewRows": 1})
    assert f"Database {db} " in assert_civis_error(query, 400)["errorDescription"]
    script = b_api.post(
        "scripts/sql",
        json={"name": "x", "sql": "select 1", "remoteHostId": db, "credentialId": 1},
    )
    assert f"Remote host {db} " in assert_civis_error(script, 400)["errorDescription"]

    # A share with a group B is in lets B in (as B's own role: A's table stays A's).
    group = admin.post("groups", json={"name": unique("analysts")})
    assert group.status_code == 201, group.text
    gid = group.json()["id"]
    assert admin.put(f"groups/{gid}/members/{created.id}").status_code == 200
    shared = admin.put(
        f"remote_hosts/{db}/shares/groups", json={"groupIds": [gid], "permissionLevel": "read"}
    )
    assert shared.status_code == 200, shared.text
    credential = post_credential(b_api, created.username, private_db)
    assert credential.status_code in (200, 201), credential.text
    b = SqlUser(created.id, b_api, int(credential.json()["id"]))
    assert b.api.get(f"databases/{db}").status_code == 200
    assert _ok(b, private_db, "select 1") == [["1"]]
    _refused(b, private_db, f"select * from {schema}.t")
    assert_civis_error(b.api.get(f"tables/{table['id']}"), 404)


# --------------------------------------------------------------------------- privileges


@pytest.mark.postgres
def test_groups_report_the_warehouse_roles(server: ThreadedServer, pg: Warehouse) -> None:
    a, b = make_user(server, pg), make_user(server, pg)
    role_a, role_b = _role(a, pg), _role(b, pg)
    groups = a.api.get(f"databases/{pg.database_id}/groups")
    assert groups.status_code == 200, groups.text
    [platform_group] = [g for g in groups.json() if role_a in g["members"]]
    assert role_b in platform_group["members"]
    assert platform_group["groupName"].startswith("civis_")
    assert_civis_error(a.api.get(f"databases/{pg.database_id}/users?active=false"), 404)


def test_duckdb_reports_the_platform_users_granted_it(server: ThreadedServer) -> None:
    wh = _warehouse(server, DUCKDB, "duckdb")
    user = make_user(server, wh)
    me = user.api.get("users/me").json()["username"]
    assert user.api.get(f"databases/{wh.database_id}/users").json() == {
        "username": me,
        "active": True,
    }
    groups = user.api.get(f"databases/{wh.database_id}/groups").json()
    assert any(me in g["members"] for g in groups), groups
    schema = unique("duck")
    _ok(user, wh, f"create schema {schema}; create table {schema}.t as select 1 as x")
    granted = user.api.get(f"databases/{wh.database_id}/schema_privileges/{schema}").json()
    assert (granted["grantee"], granted["privileges"]) == (me, ["USAGE", "CREATE"])
    table = user.api.get(f"databases/{wh.database_id}/table_privileges/{schema}/t").json()
    assert "SELECT" in table["privileges"] and "DELETE" in table["privileges"]
    # Another user granted the database shares the table (DuckDB has no users).
    other = make_user(server, wh)
    assert _ok(other, wh, f"select x from {schema}.t") == [["1"]]
    host = user.api.get(f"remote_hosts/{wh.remote_host_id}").json()
    assert "everyone granted this database" in host["description"]
    assert "PostgreSQL" in host["description"]
    missing = f"databases/{wh.database_id}/table_privileges/{schema}/no_such_table_here"
    assert_civis_error(user.api.get(missing), 404)


@pytest.mark.postgres
def test_many_users_hold_few_connections(
    server: ThreadedServer, pg: Warehouse, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = server.app.state.platform.warehouses
    monkeypatch.setattr(pool, "MAX_USER_LOGINS", 2)
    users = [make_user(server, pg) for _ in range(4)]
    for user in users:
        assert _ok(user, pg, "select 1") == [["1"]]
    roles = [_role(user, pg) for user in users]
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
        [(held,)] = conn.execute(
            "select count(*) from pg_stat_activity where usename = any(%s)", (roles,)
        ).fetchall()
    assert held <= 2, held  # one idle connection for each of the two most recent users
    # A user whose login was closed comes back as the same role.
    assert _ok(users[0], pg, "select current_user") == [[roles[0]]]
