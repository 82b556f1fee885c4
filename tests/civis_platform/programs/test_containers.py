"""Container scripts through a real server: environment, key, outcome, cancellation, and
the image's Python with the platform's client (the sandbox's promises are in
``tests/civis_platform/runner/test_sandbox.py``)."""

from __future__ import annotations

import os
import signal
import time
import uuid
from typing import Any

import pytest
from platform_helpers import Api, assert_civis_error
from sandbox_helpers import (
    create_container,
    messages,
    processes_with,
    run,
    start,
    wait,
    wait_running,
)

from civis_platform.programs.containers import ContainerConfig, argument_env, image_of
from civis_platform.testing import ThreadedServer


@pytest.fixture(scope="module")
def server(executor_server: ThreadedServer) -> ThreadedServer:
    """Every test here runs on the local sandbox and on the Dask executor."""
    return executor_server


def test_a_command_runs_with_its_environment_and_a_working_key(
    server: ThreadedServer, new_user: Any
) -> None:
    created, api = new_user()
    command = (
        'echo "job=$CIVIS_JOB_ID run=$CIVIS_RUN_ID"; echo "greeting=$GREETING n=$N"; pwd; '
        'python3 -c "import os, urllib.request, base64, json; '
        "r = urllib.request.Request(os.environ['CIVIS_API_ENDPOINT'] + 'users/me', "
        "headers={'Authorization': 'Basic ' + base64.b64encode("
        "(os.environ['CIVIS_API_KEY'] + ':').encode()).decode()}); "
        "print('me=' + json.load(urllib.request.urlopen(r))['username'])\"; "
        'echo "key=$CIVIS_API_KEY"'
    )
    job, final = run(
        api,
        command,
        arguments={"GREETING": "hello world"},
        params=[{"name": "N", "type": "integer", "default": 7}],
    )
    assert final["state"] == "succeeded", final
    lines = messages(api, job, final["id"])
    assert lines[0] == f"job={job} run={final['id']}"
    assert lines[1] == "greeting=hello world n=7"
    assert lines[2] == "/work"
    assert f"me={created.username}" in lines
    key = next(line for line in lines if line.startswith("key="))[4:]
    assert Api(server.base_url, key).get("users/me").status_code == 401  # revoked at the end


def test_a_failing_command_fails_with_status_and_last_stderr_line(new_user: Any) -> None:
    _, api = new_user()
    job, final = run(api, "echo starting; echo 'bad input' >&2; exit 3")
    assert (final["state"], final["error"]) == ("failed", "Process exited with status 3: bad input")
    assert set(messages(api, job, final["id"])[:2]) == {"starting", "bad input"}


def test_no_command_fails_clearly(new_user: Any) -> None:
    _, api = new_user()
    _, final = run(api, "  ")
    assert final["state"] == "failed" and "docker_command" in final["error"]


def test_cancel_kills_the_whole_tree(new_user: Any) -> None:
    _, api = new_user()
    token = f"civis-cancel-{uuid.uuid4().hex}"
    job = create_container(
        api, f"echo started; (sleep 600; echo {token}) & bash -c 'sleep 600 # {token}' & wait"
    )
    run_id = start(api, job)
    wait_running(api, job, run_id)
    assert processes_with(token)  # the tree is there...
    assert api.delete(f"scripts/containers/{job}/runs/{run_id}").status_code == 202
    assert wait(api, job, run_id)["state"] == "cancelled"
    deadline = time.monotonic() + 10
    while processes_with(token):  # ...and gone with the cancel
        assert time.monotonic() < deadline, "processes outlived the cancel"
        time.sleep(0.02)
    assert_civis_error(api.delete(f"scripts/containers/{job}/runs/{run_id}"), 404)


def test_python_is_the_image_with_the_platform_client(new_user: Any) -> None:
    created, api = new_user()
    command = (
        'python -c "import sys, civis, sklearn, pandas; print(sys.prefix); print(civis.__file__); '
        'print(civis.APIClient().users.get_me().username)"; civis users list-me | grep username'
    )
    job, final = run(api, command)
    assert final["state"] == "succeeded", (final, messages(api, job, final["id"]))
    prefix, client, username, cli = messages(api, job, final["id"])[:4]
    assert prefix == "/opt/civis/env"  # the run's own layer over the image
    assert client.startswith("/opt/civis/platform/civis/")  # the platform's own client
    assert username == created.username
    assert cli.split(":", 1)[1].strip() == created.username


def test_an_unknown_image_runs_on_the_default_and_says_so(new_user: Any) -> None:
    _, api = new_user()
    job, final = run(api, "echo ok", dockerImageName="ubuntu", dockerImageTag="22.04")
    assert final["state"] == "succeeded"
    first = messages(api, job, final["id"])[0]
    assert first.startswith("Image ubuntu:22.04 is not in this platform's catalog")


def test_a_lost_dask_worker_fails_the_run_clearly(server: ThreadedServer, new_user: Any) -> None:
    if not server.settings.dask_scheduler:
        pytest.skip("a Dask worker is lost only on the Dask executor")
    _, api = new_user()
    token = f"lost-{uuid.uuid4().hex}"
    job = create_container(api, f"echo started; sleep 600 # {token}")
    run_id = start(api, job)
    wait_running(api, job, run_id)
    worker = _parent_of_sandbox(processes_with(token))
    os.kill(worker, signal.SIGKILL)
    final = wait(api, job, run_id)
    assert final["state"] == "failed"
    assert final["error"].startswith("The Dask worker running this run was lost"), final
    deadline = time.monotonic() + 10
    while processes_with(token):
        assert time.monotonic() < deadline, "the sandbox outlived its Dask worker"
        time.sleep(0.05)


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def _parent_of_sandbox(pids: list[int]) -> int:
    """The process that started the sandbox holding ``pids`` (here: a Dask worker)."""
    outer = [pid for pid in pids if _parent(pid) not in pids]
    assert len(outer) == 1, pids
    return _parent(outer[0])


def test_config_rules() -> None:
    assert argument_env({"N": 3, "L": [1], "S": "x", "NONE": None}) == {
        "N": "3",
        "L": "[1]",
        "S": "x",
    }
    assert image_of(ContainerConfig(docker_image_name="a/b", docker_image_tag="1")) == "a/b:1"
    assert image_of(ContainerConfig()) == "civisanalytics/datascience-python"
