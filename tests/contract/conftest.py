"""Fixtures for black-box contract tests: a real server on loopback, driven by the official
client (its own venv) and by ours, running the very same scenario scripts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(TESTS.parent / "scripts"))

from support import official_python  # noqa: E402

# Each scenario runs under both clients: the official one (civis==2.10.1 in .venv-official)
# and ours (this venv). Both import the name `civis`; the interpreter decides which.
CLIENTS = {
    "official": lambda: str(official_python()),
    "ours": lambda: sys.executable,
}


@pytest.fixture(scope="session")
def platform() -> Iterator[Any]:
    """One platform server for the contract tests (SQLite metadata, throwaway home)."""
    from civis_platform.testing import ThreadedServer

    with ThreadedServer() as server:
        yield server


@pytest.fixture(params=sorted(CLIENTS))
def client_python(request: pytest.FixtureRequest) -> str:
    """The interpreter whose `import civis` is the client under test."""
    return CLIENTS[request.param]()


POSTGRES_DATABASE = "Postgres Warehouse"


@pytest.fixture(scope="session")
def postgres_database(platform: Any) -> Iterator[str]:
    """A PostgreSQL warehouse (a throwaway database on the local server) registered on
    the contract platform; yields its Civis database name."""
    from support import temporary_pg_database

    with temporary_pg_database("civis_contract_wh") as url:
        platform.register_postgres(POSTGRES_DATABASE, url)
        yield POSTGRES_DATABASE
        # The server holds connections to it; release them before the database goes.
        platform.close_warehouses()


@pytest.fixture(params=["duckdb", "postgres"])
def database_name(request: pytest.FixtureRequest) -> str:
    """The Civis database name of each warehouse engine (DuckDB default, PostgreSQL)."""
    if request.param == "duckdb":
        return "Civis Database"
    name: str = request.getfixturevalue("postgres_database")
    return name
