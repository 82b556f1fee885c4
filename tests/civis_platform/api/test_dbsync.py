"""Dbsync imports over loopback: ``/imports`` with syncs, runs that copy tables between
the DuckDB and PostgreSQL warehouses with their types, and the routes the official
``transfer_table`` uses (``runId``, ``/imports/files/{id}/runs/{run_id}``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from import_helpers import (
    DEFAULT_DATABASE,
    database_id,
    default_credential,
    remote_host_id,
    rows,
    unique_table,
    wait,
)
from platform_helpers import Api, assert_civis_error

import support
from civis_platform.testing import ThreadedServer

PG = "Dbsync Test Warehouse"
pytestmark = pytest.mark.postgres

COLUMNS = (
    "id integer, big bigint, zip varchar, day date, seen timestamp, ok boolean, x double precision,"
    " word varchar, amount numeric(10,2), tz timestamptz, t time, small smallint"
)
VALUES = [
    "(1, 9007199254740993, '00123', DATE '2024-02-29', TIMESTAMP '2024-01-02 03:04:05.123456',"
    " true, 1.25, 'café ☕', 12345678.90, TIMESTAMPTZ '2024-01-02 03:04:05+00',"
    " TIME '13:14:15', 7)",
    "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    "(3, -5, '', DATE '1999-12-31', TIMESTAMP '1970-01-01 00:00:00', false, -0.5, 'x,\"y\"',"
    " -0.01, NULL, NULL, -32768)",
]
EXPECTED = [
    [
        "1",
        "9007199254740993",
        "00123",
        "2024-02-29",
        "2024-01-02 03:04:05.123456",
        "t",
        "1.25",
        "café ☕",
        "12345678.90",
        "2024-01-02 03:04:05+00:00",
        "13:14:15",
        "7",
    ],
    ["2", None, None, None, None, None, None, None, None, None, None, None],
    [
        "3",
        "-5",
        "",
        "1999-12-31",
        "1970-01-01 00:00:00",
        "f",
        "-0.5",
        'x,"y"',
        "-0.01",
        None,
        None,
        "-32768",
    ],
]
TYPES = [
    ("id", "integer"),
    ("big", "bigint"),
    ("zip", "character varying"),
    ("day", "date"),
    ("seen", "timestamp without time zone"),
    ("ok", "boolean"),
    ("x", "double precision"),
    ("word", "character varying"),
    ("amount", "numeric(10,2)"),
    ("tz", "timestamp with time zone"),
    ("t", "time without time zone"),
    ("small", "smallint"),
]


@pytest.fixture(scope="module")
def pg(server: ThreadedServer) -> Iterator[str]:
    with support.temporary_pg_database("civis_dbsync_wh") as url:
        server.register_postgres(PG, url)
        yield PG
        server.close_warehouses()


def _warehouse(server: ThreadedServer, api: Api, name: str) -> Any:
    assert server.app is not None
    return server.app.state.platform.warehouses.get(database_id(api, name))


def _seed(server: ThreadedServer, api: Api, name: str, table: str) -> None:
    wh = _warehouse(server, api, name)
    wh.execute("CREATE SCHEMA IF NOT EXISTS src")
    wh.execute(f"CREATE TABLE src.{table} ({COLUMNS})")
    wh.execute(f"INSERT INTO src.{table} VALUES {', '.join(VALUES)}")
    _grant_to_everyone(server, database_id(api, name), table)


def _grant_to_everyone(server: ThreadedServer, db_id: int, table: str) -> None:
    """On PostgreSQL the seeded table is the admin login's: let every user read it (a
    GRANT to the database's group role); on DuckDB everyone reads every table."""
    from sqlalchemy import select

    from civis_platform.store import tables as t

    assert server.app is not None
    platform = server.app.state.platform
    with platform.store.transaction() as conn:
        row = conn.execute(select(t.databases).where(t.databases.c.id == db_id)).one()
    if row.adapter != "postgresql":
        return
    group = platform.warehouses.roles.group_role(row)
    wh = platform.warehouses.get(db_id)
    wh.execute(f'GRANT USAGE ON SCHEMA src TO "{group}"')
    wh.execute(f'GRANT SELECT ON src.{table} TO "{group}"')


def _create(api: Api, source: str, destination: str, **extra: Any) -> dict[str, Any]:
    cred = default_credential(api)
    body = {
        "name": "sync",
        "sync_type": "Dbsync",
        "is_outbound": True,
        "source": {"remote_host_id": remote_host_id(api, source), "credential_id": cred},
        "destination": {"remote_host_id": remote_host_id(api, destination), "credential_id": cred},
        **extra,
    }
    response = api.post("imports", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _sync(api: Api, import_id: int, src: str, dst: str, **options: Any) -> dict[str, Any]:
    body = {"source": {"path": src}, "destination": {"path": dst}, "advanced_options": options}
    response = api.post(f"imports/{import_id}/syncs", json=body)
    assert response.status_code == 201, response.text
    sync: dict[str, Any] = response.json()
    return sync


def _run(api: Api, import_id: int) -> dict[str, Any]:
    started = api.post(f"imports/{import_id}/runs")
    assert started.status_code == 202, started.text
    return wait(api, f"imports/files/{import_id}/runs/{started.json()['runId']}")


@pytest.mark.parametrize("direction", ["duckdb->postgres", "postgres->duckdb"])
def test_tables_cross_warehouses_with_their_types(
    server: ThreadedServer, pg: str, new_user: Any, direction: str
) -> None:
    _user, api = new_user()
    source, destination = (
        (DEFAULT_DATABASE, pg) if direction.startswith("duckdb") else (pg, DEFAULT_DATABASE)
    )
    table = unique_table("typed")
    _seed(server, api, source, table)
    created = _create(api, source, destination)
    _sync(api, created["id"], f"src.{table}", f"dst.{table}")
    run = _run(api, created["id"])
    assert run["state"] == "succeeded", run["error"]
    assert run["importId"] == created["id"]
    got = rows(server, database_id(api, destination), f"SELECT * FROM dst.{table} ORDER BY id")
    assert got == EXPECTED
    wh = _warehouse(server, api, destination)
    assert [(c.name, c.sql_type) for c in wh.describe_table("dst", table).columns] == TYPES


def test_import_show_list_update_syncs_and_runs(
    server: ThreadedServer, pg: str, new_user: Any
) -> None:
    _user, api = new_user()
    created = _create(api, DEFAULT_DATABASE, pg, name="nightly")
    assert (created["syncType"], created["jobType"], created["state"]) == (
        "Dbsync",
        "JobTypes::Import",
        "idle",
    )
    assert created["source"]["name"] == DEFAULT_DATABASE and created["destination"]["name"] == pg
    assert created["syncs"] == [] and created["myPermissionLevel"] == "manage"
    sync = _sync(api, created["id"], "src.a", "dst.a", existing_table_rows="append")
    assert sync["source"]["path"] == "src.a"
    assert sync["source"]["databaseTable"] == {
        "schema": "src",
        "table": "a",
        "useWithoutSchema": False,
    }
    assert sync["advancedOptions"]["existingTableRows"] == "append"
    body = {
        "source": {"database_table": {"schema": "src", "table": "b"}},
        "destination": {"path": "dst.b"},
    }
    updated = api.put(f"imports/{created['id']}/syncs/{sync['id']}", json=body).json()
    assert updated["source"]["path"] == "src.b" and updated["id"] == sync["id"]
    shown = api.get(f"imports/{created['id']}").json()
    assert [s["id"] for s in shown["syncs"]] == [sync["id"]]
    listed = api.get("imports").json()
    assert [i["id"] for i in listed] == [created["id"]] and listed[0]["name"] == "nightly"
    assert len(api.get("imports", params={"type": "AutoImport,DbSync"}).json()) == 1
    assert api.get("imports", params={"type": "GdocImport"}).json() == []
    put = api.put(
        f"imports/{created['id']}",
        json={
            "name": "renamed",
            "sync_type": "Dbsync",
            "is_outbound": True,
            "source": created["source"] | {"name": None},
            "destination": created["destination"],
        },
    ).json()
    assert put["name"] == "renamed" and len(put["syncs"]) == 1
    run = _run(api, created["id"])
    assert run["state"] == "failed" and "src.b" in run["error"], run
    history = api.get(f"imports/{created['id']}/runs").json()
    assert [r["id"] for r in history] == [run["id"]] and history[0]["importId"] == created["id"]
    logs = api.get(f"imports/{created['id']}/runs/{run['id']}/logs").json()
    assert any("src.b" in line["message"] for line in logs)
    assert api.delete(f"imports/{created['id']}/syncs/{sync['id']}").status_code == 204
    assert api.get(f"imports/{created['id']}").json()["syncs"] == []
    run = _run(api, created["id"])
    assert run["state"] == "failed" and "no syncs" in run["error"]
    assert_civis_error(api.post(f"imports/{created['id']}/cancel"), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"sync_type": "GdocImport"}, "syncType"),
        ({"source": None}, "source.remoteHostId"),
        ({"is_outbound": None}, "isOutbound"),
    ],
)
def test_bad_imports_are_400s(pg: str, new_user: Any, body: dict[str, Any], field: str) -> None:
    _user, api = new_user()
    cred = default_credential(api)
    full = {
        "name": "x",
        "sync_type": "Dbsync",
        "is_outbound": True,
        "source": {"remote_host_id": remote_host_id(api), "credential_id": cred},
        "destination": {"remote_host_id": remote_host_id(api, pg), "credential_id": cred},
        **body,
    }
    error = assert_civis_error(api.post("imports", json=full), 400)
    assert field in error["errorDescription"] or field.split(".")[0] in error["errorDescription"]


def test_bad_syncs_are_400s(pg: str, new_user: Any) -> None:
    _user, api = new_user()
    created = _create(api, DEFAULT_DATABASE, pg)
    bad = {"source": {"path": "nodot"}, "destination": {"path": "d.t"}}
    assert (
        "source.path"
        in assert_civis_error(api.post(f"imports/{created['id']}/syncs", json=bad), 400)[
            "errorDescription"
        ]
    )
    bad = {
        "source": {"path": "s.t"},
        "destination": {"path": "d.t"},
        "advanced_options": {"existing_table_rows": "merge"},
    }
    assert_civis_error(api.post(f"imports/{created['id']}/syncs", json=bad), 400)
    assert_civis_error(
        api.put(
            f"imports/{created['id']}/syncs/99",
            json={"source": {"path": "a.b"}, "destination": {"path": "c.d"}},
        ),
        404,
    )


def test_existing_destination_modes(server: ThreadedServer, pg: str, new_user: Any) -> None:
    _user, api = new_user()
    table = unique_table("modes")
    _seed(server, api, DEFAULT_DATABASE, table)
    dst = database_id(api, pg)
    count = f"SELECT count(*) FROM dst.{table}"

    def sync_once(**options: Any) -> dict[str, Any]:
        created = _create(api, DEFAULT_DATABASE, pg)
        _sync(api, created["id"], f"src.{table}", f"dst.{table}", **options)
        return _run(api, created["id"])

    assert sync_once()["state"] == "succeeded"
    assert sync_once()["state"] == "succeeded"  # the default refreshes in full
    assert rows(server, dst, count) == [["3"]]
    assert sync_once(existing_table_rows="append")["state"] == "succeeded"
    assert rows(server, dst, count) == [["6"]]
    assert sync_once(existing_table_rows="truncate")["state"] == "succeeded"
    assert rows(server, dst, count) == [["3"]]
    assert sync_once(identity_column="id")["state"] == "succeeded"  # upsert on id
    assert rows(server, dst, count) == [["3"]]
    failed = sync_once(existing_table_rows="fail")
    assert failed["state"] == "failed" and "already exists" in failed["error"], failed
    assert rows(server, dst, count) == [["3"]]
    missing = _create(api, DEFAULT_DATABASE, pg)
    _sync(api, missing["id"], "src.no_such_table", f"dst.{table}_x")
    run = _run(api, missing["id"])
    assert run["state"] == "failed" and "no_such_table" in run["error"]
    assert rows(server, dst, f"SELECT 1 FROM dst.{table}_x") is None


def test_a_foreign_credential_is_refused_and_an_unshared_one_fails_the_run(
    pg: str, new_user: Any
) -> None:
    user, api = new_user()
    _other, other_api = new_user()
    foreign = default_credential(other_api)
    created = _create(api, DEFAULT_DATABASE, pg)
    body = {
        "name": "x",
        "sync_type": "Dbsync",
        "is_outbound": True,
        "source": {"remote_host_id": remote_host_id(api), "credential_id": foreign},
        "destination": created["destination"],
    }
    refused = assert_civis_error(api.put(f"imports/{created['id']}", json=body), 400)
    assert "source.credentialId" in refused["errorDescription"]
    grant = {"userIds": [user.id], "permissionLevel": "read"}
    assert other_api.put(f"credentials/{foreign}/shares/users", json=grant).status_code == 200
    assert api.put(f"imports/{created['id']}", json=body).status_code == 200
    assert other_api.delete(f"credentials/{foreign}/shares/users/{user.id}").status_code == 204
    _sync(api, created["id"], "src.a", "dst.a")
    run = _run(api, created["id"])
    assert run["state"] == "failed" and f"Credential {foreign} was not found" in run["error"]


def test_a_sync_within_one_warehouse(server: ThreadedServer, pg: str, new_user: Any) -> None:
    _user, api = new_user()
    for database in (DEFAULT_DATABASE, pg):
        table = unique_table("same")
        _seed(server, api, database, table)
        created = _create(api, database, database)
        _sync(api, created["id"], f"src.{table}", f"copy.{table}")
        run = _run(api, created["id"])
        assert run["state"] == "succeeded", run["error"]
        got = rows(server, database_id(api, database), f"SELECT * FROM copy.{table} ORDER BY id")
        assert got == EXPECTED
