"""Fixtures for warehouse tests: every test runs on DuckDB and on PostgreSQL.

One PostgreSQL database serves the whole session (creating one per test costs more
than the tests); each test gets its own schema, so tests never see each other's tables.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2]))

from civis_platform.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from support import temporary_pg_database


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the session (skips if there is no server)."""
    if not _pg_available():
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    with temporary_pg_database("civis_wh") as url:
        yield url


def make_warehouse(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Warehouse:
    if kind == "duckdb":
        return DuckDBWarehouse(tmp_path / f"wh-{uuid.uuid4().hex[:6]}.duckdb")
    return PostgresWarehouse(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    """A warehouse of each kind: a fresh DuckDB file, or the session's PostgreSQL."""
    wh = make_warehouse(request.param, tmp_path, request)
    yield wh
    wh.close()


@pytest.fixture
def schema() -> str:
    """A schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(tmp_path / "duck.duckdb")
    yield wh
    wh.close()


@pytest.fixture
def pg(pg_url: str) -> PostgresWarehouse:
    return PostgresWarehouse(pg_url)
