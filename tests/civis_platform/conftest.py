"""Fixtures for server tests: real servers over loopback, on SQLite and PostgreSQL.

``engine_url`` is parametrized over both metadata engines, so every test that uses
``server`` (or ``settings``) runs twice. Servers are shared per test module and
engine; tests create their own users so they never depend on each other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from platform_helpers import Api, unique

import support
from civis_platform.config import Settings
from civis_platform.testing import CreatedUser, ThreadedServer

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=ENGINES)
def engine_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the default SQLite file under home, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
    else:
        with support.temporary_pg_database("civis_platform_test") as url:
            yield url


def make_settings(home: Path, engine_url: str | None, **overrides: Any) -> Settings:
    """Settings for a test server on ``home`` (testing mode on)."""
    return Settings(home=home, metadata_url=engine_url, testing=True, **overrides)


@pytest.fixture(scope="module")
def server(
    engine_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """A running server shared by one test module (per engine)."""
    home = tmp_path_factory.mktemp("home")
    with ThreadedServer(make_settings(home, engine_url)) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: ThreadedServer) -> Api:
    """The seeded admin."""
    return Api(server.base_url, server.admin_api_key)


@pytest.fixture
def new_user(server: ThreadedServer) -> Any:
    """Factory: a fresh non-admin user and an Api for them."""

    def make(admin: bool = False) -> tuple[CreatedUser, Api]:
        user = server.create_user(unique(), admin=admin)
        return user, Api(server.base_url, user.api_key)

    return make
