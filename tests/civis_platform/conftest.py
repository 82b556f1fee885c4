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

from job_helpers import TEST_JOB_TYPES
from platform_helpers import Api, make_settings, unique

import support
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


@pytest.fixture(scope="module")
def server(
    engine_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """A running server shared by one test module (per engine)."""
    home = tmp_path_factory.mktemp("home")
    with ThreadedServer(make_settings(home, engine_url), job_types=TEST_JOB_TYPES) as running:
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


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """A real dask.distributed cluster (two worker processes, each declaring the
    resources runs ask for); its scheduler address."""
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            resources={"memory_mb": 8192, "cpu_shares": 4000},
            dashboard_address=None,
        ) as cluster,
    ):
        yield cluster.scheduler_address


@pytest.fixture(scope="module", params=["local", pytest.param("dask", marks=pytest.mark.dask)])
def executor_server(
    request: pytest.FixtureRequest,
    engine_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ThreadedServer]:
    """A server whose users' code runs in local sandboxes, or on a Dask cluster."""
    if request.param == "dask" and engine_url is not None:
        pytest.skip("the Dask executor is tried on one metadata engine")
    overrides: dict[str, Any] = {}
    if request.param == "dask":
        overrides["dask_scheduler"] = request.getfixturevalue("dask_scheduler")
    home = tmp_path_factory.mktemp("home")
    with ThreadedServer(
        make_settings(home, engine_url, **overrides), job_types=TEST_JOB_TYPES
    ) as running:
        yield running
