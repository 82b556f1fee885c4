"""Helpers and fixtures for the SQL tests (``/scripts/sql``, ``/queries``, the programs):
both warehouse engines, a user with a credential for each, and waiting for runs.

Import the fixtures by name into a test module (``from sql_helpers import wh, pg_wh``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from platform_helpers import Api, unique
from sqlalchemy import select

import support
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.testing import ThreadedServer

DUCKDB = "Civis Database"
POSTGRES = "PG Warehouse"
ACTIVE = ("queued", "running")

# Engine-specific SQL the tests need: N rows of (i, a 200-character string).
MANY_ROWS = {
    "duckdb": "select range as i, repeat('x', 200) as s from range({n}) order by i",
    "postgres": "select i, repeat('x', 200) as s from generate_series(0, {n} - 1) as i order by i",
}


@dataclass(frozen=True)
class Warehouse:
    """A registered warehouse as the tests use it."""

    engine: str
    database_id: int
    remote_host_id: int


@dataclass(frozen=True)
class SqlUser:
    """A fresh user, their Api, and a Database credential for the warehouse under test."""

    id: int
    api: Api
    credential_id: int


def _warehouse(server: ThreadedServer, name: str, engine: str) -> Warehouse:
    store = Store.from_url(server.settings.resolved_metadata_url())
    try:
        with store.transaction() as conn:
            row = conn.execute(select(t.databases).where(t.databases.c.name == name)).one()
    finally:
        store.dispose()
    return Warehouse(engine, row.id, row.remote_host_id)


@pytest.fixture(scope="module")
def pg_wh(server: ThreadedServer) -> Iterator[Warehouse]:
    """A PostgreSQL warehouse (a throwaway database) registered on the module's server."""
    with support.temporary_pg_database("civis_sql_wh") as url:
        server.register_postgres(POSTGRES, url)
        yield _warehouse(server, POSTGRES, "postgres")
        server.close_warehouses()  # before the database is dropped


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest, server: ThreadedServer) -> Warehouse:
    """Each warehouse engine: the default DuckDB database, then PostgreSQL."""
    if request.param == "duckdb":
        return _warehouse(server, DUCKDB, "duckdb")
    found: Warehouse = request.getfixturevalue("pg_wh")
    return found


def make_user(server: ThreadedServer, warehouse: Warehouse) -> SqlUser:
    """A new user with a Database credential for ``warehouse``'s remote host."""
    created = server.create_user(unique("sql"))
    api = Api(server.base_url, created.api_key)
    response = post_credential(api, created.username, warehouse)
    assert response.status_code in (200, 201), response.text
    return SqlUser(created.id, api, int(response.json()["id"]))


def post_credential(api: Api, username: str, warehouse: Warehouse) -> Any:
    """``POST /credentials``: a Database credential for ``warehouse``'s remote host."""
    return api.post(
        "credentials",
        json={
            "type": "Database",
            "username": username,
            "password": "unused",
            "remote_host_id": warehouse.remote_host_id,
        },
    )


def wait(api: Api, path: str, timeout: float = 30.0) -> dict[str, Any]:
    """GET ``path`` until its ``state`` is final; return the last body."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(path).json()
        if body["state"] not in ACTIVE:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.02)
