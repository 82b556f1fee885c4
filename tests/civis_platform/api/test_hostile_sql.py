"""Hostile SQL over loopback on the embedded DuckDB warehouse: a second, non-admin user
tries every way out of the warehouse through ``/queries``, SQL scripts (their statements
and their export) and imports, and gets a failed run with a clear error saying it is not
allowed here; the server's files are untouched.

(User A uploads a file first, so that there is another user's blob to go after.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from import_helpers import database_id, rows, unique_table, upload
from platform_helpers import Api
from sql_helpers import SqlUser, Warehouse, make_user, wait, wh

from civis_platform.testing import ThreadedServer
from civis_platform.warehouse.duckdb import REFUSED

__all__ = ["wh"]  # fixture used by name

A_SECRET_FILE = b"user A's private upload: account 4242\n"

# Each way out as B would write it; {home} is the server's home.
WAYS_OUT = {
    "read the signing key": "select * from read_text('{home}/signing.key')",
    "read other users' blobs": "select content from read_blob('{home}/blobs/**')",
    "read a blob as CSV": "select * from read_csv('{home}/blobs/**', header = false)",
    "list the home": "select * from glob('{home}/*')",
    "write into the home": "copy (select 'owned' as x) to '{home}/x.csv'",
    "overwrite the signing key": "copy (select 'k' as x) to '{home}/signing.key' (header false)",
    "attach the metadata database": "attach '{home}/metadata.sqlite' as meta (type sqlite)",
    "attach a new database file": "attach '{home}/new.duckdb' as n",
    "install an extension": "install sqlite",
    "load an extension": "load sqlite",
    "change a setting": "set memory_limit = '1GB'",
    "unlock the configuration": "set lock_configuration = false",
    "enable external access": "set enable_external_access = true",
    "pragma a setting": "pragma threads = 1",
}

# The files of the home the server itself writes as it runs (the metadata store, the
# warehouse); everything else must stay exactly as it was.
_LIVE = ("metadata.sqlite", "warehouse.duckdb")


def _checksums(home: Path) -> dict[str, str]:
    return {
        str(path.relative_to(home)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(home.rglob("*"))
        if path.is_file() and not path.name.startswith(_LIVE)
    }


@pytest.fixture(scope="module")
def duck_only(server: ThreadedServer) -> Warehouse:
    from sql_helpers import DUCKDB, _warehouse

    return _warehouse(server, DUCKDB, "duckdb")


@pytest.fixture(scope="module")
def victim(server: ThreadedServer, duck_only: Warehouse) -> SqlUser:
    """User A, who has uploaded a private file."""
    a = make_user(server, duck_only)
    upload(a.api, A_SECRET_FILE, "private.csv")
    return a


@pytest.fixture(scope="module")
def attacker(server: ThreadedServer, duck_only: Warehouse, victim: SqlUser) -> SqlUser:
    """User B: not an admin, with a credential for the same warehouse."""
    b = make_user(server, duck_only)
    assert b.api.get("users/me").json()["id"] == b.id
    return b


def _home(server: ThreadedServer) -> Path:
    return Path(server.settings.home)


def _sql(server: ThreadedServer, name: str) -> str:
    return WAYS_OUT[name].format(home=_home(server))


def _refused(body: dict[str, Any], home: Path) -> None:
    assert body["state"] == "failed", body
    error: str = body["error"] or ""
    assert REFUSED in error, error
    assert (home / "signing.key").read_text().strip() not in error
    assert A_SECRET_FILE.decode().strip() not in error


def _untouched(before: dict[str, str], after: dict[str, str], *, new_blobs: bool) -> None:
    """Every file is as it was; new files only where uploads go (when there were any)."""
    assert {k: after.get(k) for k in before} == before
    added = set(after) - set(before)
    assert all(k.startswith("blobs/") for k in added) if new_blobs else not added, added


def _query(user: SqlUser, wh: Warehouse, sql: str) -> dict[str, Any]:
    body = {
        "database": wh.database_id,
        "sql": sql,
        "preview_rows": 10,
        "credential": user.credential_id,
    }
    response = user.api.post("queries", json=body)
    assert response.status_code == 200, response.text
    return wait(user.api, f"queries/{response.json()['id']}")


def _script_run(user: SqlUser, wh: Warehouse, sql: str) -> tuple[int, dict[str, Any]]:
    body = {
        "name": "hostile",
        "sql": sql,
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
    }
    created = user.api.post("scripts/sql", json=body)
    assert created.status_code == 201, created.text
    script_id = created.json()["id"]
    started = user.api.post(f"scripts/sql/{script_id}/runs")
    assert started.status_code == 202, started.text
    return script_id, wait(user.api, f"scripts/sql/{script_id}/runs/{started.json()['id']}")


@pytest.mark.parametrize("name", list(WAYS_OUT))
def test_every_way_out_is_refused_through_queries_and_scripts(
    server: ThreadedServer, duck_only: Warehouse, attacker: SqlUser, name: str
) -> None:
    home = _home(server)
    before = _checksums(home)
    assert "signing.key" in before and any(k.startswith("blobs/") for k in before), before
    sql = _sql(server, name)
    _refused(_query(attacker, duck_only, sql), home)
    # A script: the way out as its second statement, and as the query it exports.
    script_id, run = _script_run(attacker, duck_only, f"select 1 as warm_up;\n{sql}")
    _refused(run, home)
    assert run["output"] == []
    logs = attacker.api.get(f"scripts/sql/{script_id}/runs/{run['id']}/logs").json()
    assert any(REFUSED in entry["message"] for entry in logs), logs
    if not sql.startswith(("copy", "attach", "install", "load", "set", "pragma")):
        _, exported = _script_run(attacker, duck_only, sql)
        _refused(exported, home)
    _untouched(before, _checksums(home), new_blobs=False)
    assert not (home / "x.csv").exists() and not (home / "new.duckdb").exists()


def test_the_warehouse_still_serves_its_tables_after_the_attempts(
    server: ThreadedServer, duck_only: Warehouse, attacker: SqlUser
) -> None:
    table = unique_table("after")
    done = _query(attacker, duck_only, f"create table scratch_{table} as select 1 as n")
    assert done["state"] == "succeeded", done
    again = _query(attacker, duck_only, f"select n from scratch_{table}")
    assert again["resultRows"] == [["1"]], again
    settings = _query(
        attacker,
        duck_only,
        "select value from duckdb_settings() where name in "
        "('enable_external_access', 'lock_configuration') order by name",
    )
    assert settings["resultRows"] == [["false"], ["true"]]


def test_imports_cannot_be_turned_into_a_way_out(
    server: ThreadedServer, duck_only: Warehouse, attacker: SqlUser
) -> None:
    """Table names in imports are identifiers, never SQL; a typed CSV import still takes
    the native path (DuckDB's reader, limited to the import's own file) and works."""
    home = _home(server)
    before = _checksums(home)
    api: Api = attacker.api
    file_id = upload(api, b"id,name\n1,ann\n2,\n")
    hostile = f"x'); copy (select 1) to '{home}/x.csv'; --"
    table = unique_table("typed")
    for schema, name in (("imports", hostile), ("imports", table)):
        body = {
            "source": {"file_ids": [file_id]},
            "destination": {
                "schema": schema,
                "table": name,
                "remote_host_id": duck_only.remote_host_id,
                "credential_id": attacker.credential_id,
            },
            "first_row_is_header": True,
            "table_columns": [
                {"name": "id", "sql_type": "integer"},
                {"name": "name", "sql_type": "varchar"},
            ],
        }
        created = api.post("imports/files/csv", json=body)
        assert created.status_code == 201, created.text
        import_id = created.json()["id"]
        started = api.post(f"imports/files/csv/{import_id}/runs")
        assert started.status_code == 202, started.text
        run = wait(api, f"imports/files/csv/{import_id}/runs/{started.json()['id']}")
        assert run["state"] == "succeeded", run
    database = database_id(api)
    assert rows(server, database, f'select * from imports."{table}" order by id') == [
        ["1", "ann"],
        ["2", None],
    ]
    literal = hostile.replace('"', '""')
    assert rows(server, database, f'select count(*) from imports."{literal}"') == [["2"]]
    _untouched(before, _checksums(home), new_blobs=True)
    assert not (home / "x.csv").exists()


def test_the_duckdb_remote_host_says_its_tables_are_shared(
    duck_only: Warehouse, attacker: SqlUser
) -> None:
    host = attacker.api.get(f"remote_hosts/{duck_only.remote_host_id}")
    assert host.status_code == 200, host.text
    description = host.json()["description"]
    assert "shares its tables" in description and "PostgreSQL" in description, description
