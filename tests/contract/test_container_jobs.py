"""The container jobs scenario (the tour's cloudpickled function, run_job, civis.parallel,
failures, cancellation, the CLI following a log) under the official client and ours, on
the local sandbox and on the Dask executor."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contract_support import assert_all_ok, run_scenario

_users = itertools.count(1)


@pytest.fixture(scope="module")
def dask_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A platform whose users' code runs on a dask.distributed LocalCluster."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "civis_platform"))
    import dask
    from distributed import LocalCluster
    from platform_helpers import make_settings

    from civis_platform.testing import ThreadedServer

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=1,
            threads_per_worker=4,
            processes=True,
            resources={"memory_mb": 8192, "cpu_shares": 4000},
            dashboard_address=None,
        ) as cluster,
        ThreadedServer(
            make_settings(
                tmp_path_factory.mktemp("home"), None, dask_scheduler=cluster.scheduler_address
            )
        ) as server,
    ):
        yield server


def _run(platform: Any, client_python: str) -> dict[str, Any]:
    user = platform.create_user(f"jobs-{next(_users)}-{abs(hash(client_python)) % 10_000}")
    return run_scenario(
        client_python,
        "container_jobs",
        endpoint=platform.base_url,
        api_key=user.api_key,
        timeout=600,
    )


@pytest.mark.timeout(900)
def test_container_jobs_scenario(platform: Any, client_python: str) -> None:
    report = _run(platform, client_python)
    assert_all_ok(report)
    assert len(report) == 6


@pytest.mark.dask
@pytest.mark.timeout(900)
def test_container_jobs_scenario_on_dask(dask_platform: Any, client_python: str) -> None:
    report = _run(dask_platform, client_python)
    assert_all_ok(report)
    assert len(report) == 6
