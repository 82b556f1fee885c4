"""The tables scenario, run by the official client and by ours, on DuckDB and PostgreSQL."""

from __future__ import annotations

import itertools
from typing import Any

from contract_support import assert_all_ok, run_scenario

EXTRA_TABLES = 55  # with `people`, more than one 50-row page of GET /tables
_schemas = itertools.count(1)


def make_tables(platform: Any, database_name: str) -> str:
    """Create a fresh schema of tables directly in the warehouse; its name."""
    [database_id] = [row.id for row in _databases(platform) if row.name == database_name]
    warehouse = platform.app.state.platform.warehouses.get(database_id)
    schema = f"contract_tables_{next(_schemas)}"
    statements = [
        f"CREATE SCHEMA {schema}",
        f"CREATE TABLE {schema}.people (id integer, name text, born date,"
        " seen_at timestamp, ok boolean, score double precision)",
        f"INSERT INTO {schema}.people VALUES"
        " (1, 'ada', DATE '1815-12-10', TIMESTAMP '2024-01-02 03:04:05', true, 1.5),"
        " (2, 'alan', DATE '1912-06-23', NULL, false, NULL),"
        " (3, NULL, NULL, NULL, NULL, 3.25)",
    ]
    statements += [f"CREATE TABLE {schema}.extra_{i:02d} (x integer)" for i in range(EXTRA_TABLES)]
    for sql in statements:
        warehouse.execute(sql)
    _grant_to_everyone(platform, database_id, schema)
    return schema


def _grant_to_everyone(platform: Any, database_id: int, schema: str) -> None:
    """On PostgreSQL, let every user read the schema's tables (a GRANT to the database's
    group role, which the users' own roles belong to); DuckDB shares every table."""
    from sqlalchemy import select

    from civis_platform.store import tables as t

    state = platform.app.state.platform
    with state.store.transaction() as conn:
        row = conn.execute(select(t.databases).where(t.databases.c.id == database_id)).one()
    if row.adapter != "postgresql":
        return
    group = state.warehouses.roles.group_role(row)
    warehouse = state.warehouses.get(database_id)
    warehouse.execute(f'GRANT USAGE ON SCHEMA {schema} TO "{group}"')
    warehouse.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO "{group}"')


def _databases(platform: Any) -> list[Any]:
    from sqlalchemy import select

    from civis_platform.store import tables as t

    with platform.app.state.platform.store.transaction() as conn:
        return list(conn.execute(select(t.databases.c.id, t.databases.c.name)))


def test_tables_scenario(platform: Any, client_python: str, database_name: str) -> None:
    schema = make_tables(platform, database_name)
    user = platform.create_user(f"tables-{abs(hash((client_python, schema))) % 100_000}")
    report = run_scenario(
        client_python,
        "tables",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={
            "TABLES_DATABASE": database_name,
            "TABLES_SCHEMA": schema,
            "TABLES_EXTRA": str(EXTRA_TABLES),
        },
        timeout=180,
    )
    assert_all_ok(report)
    assert len(report) == 8
