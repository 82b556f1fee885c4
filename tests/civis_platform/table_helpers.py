"""A warehouse under test for the ``/tables`` and ``/databases/{id}/schemas`` tests.

``warehouse`` is parametrized over both warehouse engines: the server's seeded DuckDB
database, and a throwaway PostgreSQL database registered on the same server. Tables are
made directly in the warehouse (never through other endpoints), each test in a schema
of its own, so tests do not see each other's tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from platform_helpers import Api, unique

import support
from civis_platform.testing import ThreadedServer
from civis_platform.warehouse import Warehouse

# The type-name spellings both engines accept, and what each reports back.
TYPED_COLUMNS = [
    ("i", "integer", "integer"),
    ("sm", "smallint", "smallint"),
    ("b", "bigint", "bigint"),
    ("x", "text", "character varying"),
    ("d", "date", "date"),
    ("ts", "timestamp", "timestamp without time zone"),
    ("tz", "timestamptz", "timestamp with time zone"),
    ("ok", "boolean", "boolean"),
    ("f", "double precision", "double precision"),
    ("r", "real", "real"),
    ("n", "numeric(10,2)", "numeric(10,2)"),
]


@dataclass
class WarehouseUnderTest:
    """One registered database and a direct handle on its warehouse."""

    engine: str
    database_id: int
    server: ThreadedServer

    @property
    def handle(self) -> Warehouse:
        # Looked up each time: the pool may have been closed and reopened meanwhile.
        warehouse: Warehouse = self.server.app.state.platform.warehouses.get(self.database_id)
        return warehouse

    def run(self, *statements: str) -> None:
        """Run DDL/DML statements one by one."""
        for sql in statements:
            self.handle.execute(sql)

    def group_role(self) -> str:
        """The PostgreSQL group role every user of this database is a member of."""
        from sqlalchemy import select

        from civis_platform.store import tables as t

        platform = self.server.app.state.platform
        with platform.store.transaction() as conn:
            row = conn.execute(
                select(t.databases).where(t.databases.c.id == self.database_id)
            ).one()
        return str(platform.warehouses.roles.group_role(row))

    def grant_to_everyone(self, schema: str, *tables: str) -> None:
        """On PostgreSQL, let every user read ``schema``'s ``tables`` (GRANT to the
        database's group role); on DuckDB everyone reads every table already."""
        if self.engine != "postgres":
            return
        group = self.group_role()
        self.run(f'GRANT USAGE ON SCHEMA "{schema}" TO "{group}"')
        for name in tables:
            self.run(f'GRANT SELECT ON "{schema}"."{name}" TO "{group}"')

    def new_schema(self, *tables: str) -> str:
        """A fresh schema holding tables ``name(a integer, b text)`` for each name."""
        schema = unique("sch")
        self.run(f'CREATE SCHEMA "{schema}"')
        for name in tables:
            self.run(f'CREATE TABLE "{schema}"."{name}" (a integer, b text)')
        return schema


def seeded_database_id(server: ThreadedServer) -> int:
    import requests

    response = requests.get(
        server.base_url + "databases", auth=(server.admin_api_key, ""), timeout=30
    )
    [database] = [d for d in response.json() if d["adapter"] == "duckdb"]
    return int(database["id"])


WAREHOUSE_ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=WAREHOUSE_ENGINES)
def warehouse(
    request: pytest.FixtureRequest, server: ThreadedServer
) -> Iterator[WarehouseUnderTest]:
    """The warehouse under test (import the fixture by name): the DuckDB default
    database, or a throwaway PostgreSQL database registered on ``server``."""
    if request.param == "duckdb":
        yield WarehouseUnderTest("duckdb", seeded_database_id(server), server)
        return
    with support.temporary_pg_database("civis_tables_wh") as url:
        database_id = server.register_postgres(unique("Postgres Warehouse "), url)
        yield WarehouseUnderTest("postgres", database_id, server)
        # The server holds connections to it; release them before the database goes.
        server.close_warehouses()


@pytest.fixture(scope="module")
def api(admin: Api) -> Api:
    """The tables tests act as the admin."""
    return admin
