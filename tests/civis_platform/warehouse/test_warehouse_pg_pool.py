"""PostgreSQL connection reuse: faster operations, and no session state between them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from civis_platform.warehouse import PostgresWarehouse, TableNotFoundError

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(pg_url: str) -> Iterator[PostgresWarehouse]:
    wh = PostgresWarehouse(pg_url)
    yield wh
    wh.close()


def _backend_pid(wh: PostgresWarehouse) -> str:
    pid = wh.execute("select pg_backend_pid()").rows[0][0]
    assert pid is not None
    return pid


def test_operations_reuse_a_connection(pg: PostgresWarehouse) -> None:
    assert _backend_pid(pg) == _backend_pid(pg)
    started = time.perf_counter()
    for _ in range(20):
        pg.execute("select 1")
    # Opening a connection costs several ms; twenty reused ones take far less than that.
    assert (time.perf_counter() - started) / 20 < 0.02


def test_statements_repeated_on_a_reused_connection_keep_working(
    pg: PostgresWarehouse, schema: str
) -> None:
    # psycopg prepares a statement after five runs; DISCARD ALL must not break that.
    pg.execute(f"create schema {schema}")
    pg.execute(f"create table {schema}.t (a int)")
    for _ in range(12):
        assert [c.name for c in pg.describe_table(schema, "t").columns] == ["a"]


def test_session_state_never_reaches_the_next_operation(pg: PostgresWarehouse) -> None:
    pg.execute("create temp table scratch_pad (x int)")
    pg.execute("set search_path to nowhere")
    with pytest.raises(TableNotFoundError):
        pg.execute("select * from scratch_pad")
    assert pg.execute("show search_path").rows == [['"$user", public']]
    assert pg.execute("show timezone").rows == [["UTC"]]


def test_a_failed_operation_does_not_poison_the_pool(pg: PostgresWarehouse) -> None:
    first = _backend_pid(pg)
    with pytest.raises(TableNotFoundError):
        pg.execute("select * from no_such_table_anywhere")
    assert pg.execute("select 2").rows == [["2"]]
    assert _backend_pid(pg) != first  # the connection that failed was not reused


def test_close_releases_idle_connections_and_stays_usable(pg: PostgresWarehouse) -> None:
    pg.execute("select 1")
    pg.close()
    assert pg.execute("select 3").rows == [["3"]]
