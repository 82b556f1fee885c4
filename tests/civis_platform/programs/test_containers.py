"""Container scripts run as local processes, driven over ``/jobs`` on a real server."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.append(str(Path(__file__).parents[1] / "runner"))

from platform_helpers import Api, assert_civis_error
from run_helpers import make_job, store

from civis_platform.programs.containers import KEY
from civis_platform.store.db import Store
from civis_platform.testing import ThreadedServer

__all__ = ["store"]  # fixtures used by name


def _run(api: Api, job: int, timeout: float = 20.0) -> dict[str, Any]:
    response = api.post(f"jobs/{job}/runs")
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    deadline = time.monotonic() + timeout
    while (body := api.get(f"jobs/{job}/runs/{run_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    result: dict[str, Any] = body
    return result


def _messages(api: Api, job: int, run_id: int) -> list[str]:
    logs = api.get(f"jobs/{job}/runs/{run_id}/logs", params={"last_id": 0}).json()
    return [entry["message"] for entry in logs]


def test_a_command_runs_with_its_environment_and_a_working_key(
    server: ThreadedServer, store: Store, new_user: Any
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
    job = make_job(
        store,
        created.id,
        KEY,
        docker_command=command,
        docker_image_name="civisanalytics/datascience-python",
        arguments={"GREETING": "hello world"},
        params=[{"name": "N", "type": "integer", "default": 7}],
    )
    run = _run(api, job)
    assert run["state"] == "succeeded", run
    lines = _messages(api, job, run["id"])
    assert lines[0] == f"job={job} run={run['id']}"
    assert lines[1] == "greeting=hello world n=7"
    assert "civis-run-" in lines[2]
    assert f"me={created.username}" in lines
    key = next(line for line in lines if line.startswith("key="))[4:]
    assert not Path(lines[2]).exists()  # the working directory is gone
    assert Api(server.base_url, key).get("users/me").status_code == 401  # key revoked


def test_a_failing_command_fails_with_status_and_last_stderr_line(
    store: Store, new_user: Any
) -> None:
    created, api = new_user()
    job = make_job(
        store, created.id, KEY, docker_command="echo starting; echo 'bad input' >&2; exit 3"
    )
    run = _run(api, job)
    assert (run["state"], run["error"]) == ("failed", "Process exited with status 3: bad input")
    assert _messages(api, job, run["id"])[:2] == ["starting", "bad input"] or set(
        _messages(api, job, run["id"])[:2]
    ) == {"starting", "bad input"}


def test_no_command_fails_clearly(store: Store, new_user: Any) -> None:
    created, api = new_user()
    run = _run(api, make_job(store, created.id, KEY))
    assert run["state"] == "failed" and "docker_command" in run["error"]


def test_cancel_kills_the_process_group(store: Store, new_user: Any) -> None:
    created, api = new_user()
    job = make_job(store, created.id, KEY, docker_command="echo $$; sleep 60 & wait")
    run_id = api.post(f"jobs/{job}/runs").json()["id"]
    deadline = time.monotonic() + 10
    while not (lines := _messages(api, job, run_id)):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    pgid = int(lines[0])
    assert api.delete(f"jobs/{job}/runs/{run_id}").status_code == 202
    assert api.get(f"jobs/{job}/runs/{run_id}").json()["state"] == "cancelled"
    deadline = time.monotonic() + 10
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the process group outlived the cancel"
        time.sleep(0.02)
    assert_civis_error(api.delete(f"jobs/{job}/runs/{run_id}"), 404)


def test_python_in_a_command_is_the_platform_interpreter_with_civis(
    store: Store, new_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The local stand-in for a datascience image: even when the server's PATH lacks its
    # own environment (started without activating the venv), `python` has civis.
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    created, api = new_user()
    command = (
        'python -c "import sys, civis; print(sys.executable); '
        "print(civis.APIClient().users.get_me().username)\""
    )
    job = make_job(store, created.id, KEY, docker_command=command)
    run = _run(api, job)
    assert run["state"] == "succeeded", run
    executable, username = _messages(api, job, run["id"])[:2]
    assert Path(executable).parent == Path(sys.executable).parent
    assert username == created.username
