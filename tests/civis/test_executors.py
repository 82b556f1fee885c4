"""The executors (`civis.futures._ContainerShellExecutor`, `CustomScriptExecutor`) and
`ContainerFuture` against a real server running sandboxed container scripts."""

from __future__ import annotations

import concurrent.futures
import warnings
from typing import Any

import pytest

import civis
from civis.base import CivisJobFailure
from civis.futures import ContainerFuture, CustomScriptExecutor, _ContainerShellExecutor

SMALL = {"cpu": 250, "memory": 512}


def _executor(**kwargs: Any) -> _ContainerShellExecutor:
    return _ContainerShellExecutor(required_resources=SMALL, **kwargs)


def test_commands_run_as_hidden_named_container_scripts(live_user: Any) -> None:
    ex = _executor(inc_script_names=True, name="batch")
    futs = [ex.submit("echo", f"task-{n}", flag=n) for n in range(3)]
    done, _ = concurrent.futures.wait(futs, timeout=120)
    assert len(done) == 3 and all(f.succeeded() for f in futs)
    client = civis.APIClient()
    for n, fut in enumerate(futs):
        script = client.scripts.get_containers(fut.job_id)
        assert script.name == f"batch {n + 1}"
        assert script.docker_command == f"echo task-{n} --flag {n}"
        assert script.hidden is True
        logs = [log["message"] for log in civis.utils.job_logs(fut.job_id, fut.run_id)]
        assert f"task-{n} --flag {n}" in logs
    ex.shutdown()
    with pytest.raises(RuntimeError):
        ex.submit("echo", "late")


def test_a_failing_command_raises_its_error_text(live_user: Any) -> None:
    fut = _executor().submit("echo 'no such table: t' >&2; exit 2")
    with pytest.raises(CivisJobFailure) as err:
        fut.result(timeout=120)
    assert "no such table: t" in str(err.value)
    assert err.value.job_id == fut.job_id and err.value.run_id == fut.run_id


def test_cancel_all_cancels_the_running_runs(live_user: Any) -> None:
    ex = _executor()
    futs = [ex.submit("sleep", 300) for _ in range(2)]
    client = civis.APIClient()
    for fut in futs:  # wait until they really run
        while client.scripts.get_containers_runs(fut.job_id, fut.run_id).state == "queued":
            pass
    ex.cancel_all()
    assert all(f.cancelled() for f in futs)
    for fut in futs:
        assert client.scripts.get_containers_runs(fut.job_id, fut.run_id).state == "cancelled"
    ex.shutdown(wait=True)  # returns: nothing is left running


def test_max_n_retries_reruns_a_failed_run(live_user: Any) -> None:
    # Fails on the job's first run, succeeds on the second (it counts its runs with the
    # platform's own CLI, inside the sandbox).
    command = (
        'n=$(civis jobs list-runs "$CIVIS_JOB_ID" --json-output | '
        "python -c 'import json, sys; print(len(json.load(sys.stdin)))'); "
        'echo "run number $n"; test "$n" -ge 2'
    )
    fut = _executor(max_n_retries=1).submit(command)
    assert fut.result(timeout=180).state == "succeeded"
    runs = civis.APIClient().jobs.list_runs(fut.job_id)
    assert sorted(r.state for r in runs) == ["failed", "succeeded"]
    failing = _executor(max_n_retries=0).submit(command)
    assert isinstance(failing.exception(timeout=120), CivisJobFailure)


def test_children_know_their_parent_job(live_user: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_JOB_ID", "777")
    monkeypatch.setenv("CIVIS_RUN_ID", "888")
    fut = _executor().submit('echo "parent=$CIVIS_PARENT_JOB_ID/$CIVIS_PARENT_RUN_ID"')
    fut.result(timeout=120)
    logs = [log["message"] for log in civis.utils.job_logs(fut.job_id, fut.run_id)]
    assert "parent=777/888" in logs


def test_container_future_is_deprecated_and_cancels(live_platform: Any, live_user: Any) -> None:
    client = civis.APIClient()
    job = client.scripts.post_containers(
        required_resources=SMALL,
        docker_command="sleep 300",
        docker_image_name="civisanalytics/datascience-python",
        name="to cancel",
    )
    run = client.jobs.post_runs(job.id)
    with pytest.warns(FutureWarning):
        fut = ContainerFuture(job.id, run.id, client=client)
    # Another user cannot see it: their future fails with the 404.
    other = live_platform.create_user(f"mallory-{live_user.username}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = ContainerFuture(job.id, run.id, client=civis.APIClient(api_key=other.api_key))
    assert isinstance(theirs.exception(timeout=30), civis.base.CivisAPIError)
    assert fut.cancel() is True and fut.cancelled()
    assert client.jobs.get_runs(job.id, run.id).state == "cancelled"
    assert fut.cancel() is True  # idempotent


def test_custom_script_executor_needs_a_template(live_user: Any) -> None:
    if not hasattr(civis.APIClient().scripts, "post_custom"):
        pytest.skip("this server has no custom scripts yet")
    ex = CustomScriptExecutor(987654, client=civis.APIClient())
    with pytest.raises(civis.base.CivisAPIError) as err:
        ex.submit(X=1)
    assert err.value.status_code in (400, 404)
