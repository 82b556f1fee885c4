"""The ``civis`` joblib backend against a real server: every batch a sandboxed job."""

from __future__ import annotations

import time
from typing import Any

import joblib
import pytest

import civis
from civis.parallel import make_backend_factory

SMALL = {"cpu": 250, "memory": 512}


def _children(client: Any) -> list[Any]:
    return [job for job in client.jobs.list(hidden=True) if job.type == "JobTypes::ContainerDocker"]


def _logs(client: Any, job: Any) -> list[str]:
    return [log["message"] for log in civis.utils.job_logs(job.id, client=client)]


@pytest.fixture(autouse=True)
def _pickle_this_module_by_value() -> Any:
    """The jobs cannot import the test suite: its functions travel by value."""
    import sys

    import cloudpickle

    module = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(module)
    yield
    cloudpickle.unregister_pickle_by_value(module)


def square(n: int) -> int:
    return n * n


class Boom(ValueError):
    pass


def explode(n: int) -> int:
    if n == 0:
        raise Boom("task 0 exploded")
    time.sleep(300)
    return n


def test_eight_tasks_return_in_order_without_pip_install(live_user: Any) -> None:
    joblib.register_parallel_backend("civis", make_backend_factory(required_resources=SMALL))
    with joblib.parallel_config("civis"):
        results = joblib.Parallel(n_jobs=8)(joblib.delayed(square)(n) for n in range(8))
    assert results == [n * n for n in range(8)]
    client = civis.APIClient()
    jobs = _children(client)
    assert len(jobs) == 8
    for job in jobs:
        script = client.scripts.get_containers(job.id)
        assert "civis_joblib_worker" in script.docker_command
        assert not any("pip install" in line for line in _logs(client, job))


def test_an_exception_comes_back_and_cancels_the_other_tasks(live_user: Any) -> None:
    joblib.register_parallel_backend("civis", make_backend_factory(required_resources=SMALL))
    with pytest.raises(Boom, match="task 0 exploded"), joblib.parallel_config("civis"):
        joblib.Parallel(n_jobs=3)(joblib.delayed(explode)(n) for n in range(3))
    client = civis.APIClient()
    states = sorted(client.jobs.list_runs(job.id)[0].state for job in _children(client))
    assert states == ["cancelled", "cancelled", "failed"]


def test_bad_settings_are_clear_errors(live_user: Any) -> None:
    joblib.register_parallel_backend("civis", make_backend_factory(required_resources=SMALL))
    with pytest.raises(ValueError, match="n_jobs"), joblib.parallel_config("civis"):
        joblib.Parallel(n_jobs=-3)(joblib.delayed(square)(n) for n in range(2))


PARENT_PROGRAM = """
import time, joblib
from civis.parallel import make_backend_factory
joblib.register_parallel_backend(
    "civis", make_backend_factory(required_resources={"cpu": 250, "memory": 512}))
def nap(n):
    time.sleep(600)
    return n
with joblib.parallel_config("civis"):
    joblib.Parallel(n_jobs=1)(joblib.delayed(nap)(n) for n in range(1))
"""


@pytest.mark.timeout(150)
@pytest.mark.xfail(
    reason="known gap (issue 9): a joblib parent running inside a sandboxed job never "
    "starts its child, so parent-cancel is not shown end to end; strict, so that the "
    "day it works this marker must go",
    strict=True,
)
def test_cancelling_the_parent_cancels_its_children(live_user: Any) -> None:
    import shlex

    client = civis.APIClient()
    parent = client.scripts.post_containers(
        required_resources=SMALL,
        docker_command=f"python -c {shlex.quote(PARENT_PROGRAM)}",
        docker_image_name="civisanalytics/datascience-python",
        name="parent",
    )
    parent_run = client.jobs.post_runs(parent.id)
    deadline = time.monotonic() + 90
    while True:  # until the child runs (the test server has two run slots)
        children = [j for j in _children(client) if j.id != parent.id]
        runs = [client.jobs.list_runs(j.id) for j in children]
        if len(children) == 1 and all(r and r[0].state == "running" for r in runs):
            break
        assert time.monotonic() < deadline, (
            "the child never started",
            [(j.id, j.type, j.name) for j in client.jobs.list(hidden=True)],
            [r.json() for r in runs],
            # (the logs so far: job_logs would follow the still-running parent forever)
            [log.message for log in client.jobs.list_runs_logs(parent.id, parent_run.id)][:5],
        )
        time.sleep(0.5)
    for child in children:  # each child knows its parent
        params = {p["name"]: p for p in client.scripts.get_containers(child.id).params}
        assert params["CIVIS_PARENT_JOB_ID"]["value"] == parent.id
    client.scripts.post_cancel(parent.id)
    assert client.jobs.get_runs(parent.id, parent_run.id).state == "cancelled"
    deadline = time.monotonic() + 120
    while True:
        states = {client.jobs.list_runs(j.id)[0].state for j in children}
        if states == {"cancelled"}:
            break
        assert time.monotonic() < deadline, f"children still {states}"
        time.sleep(0.5)
