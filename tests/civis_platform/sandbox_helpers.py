"""Running users' code through a real server in tests: container scripts made over the
API, run, awaited, and their logs read."""

from __future__ import annotations

import time
from typing import Any

from platform_helpers import Api

DEFAULT_IMAGE = "civisanalytics/datascience-python"


def create_container(api: Api, command: str, **fields: Any) -> int:
    """A container script of ``api``'s user running ``command``; its id."""
    body = {
        "name": "test script",
        "requiredResources": {"cpu": 250, "memory": 1024},
        "dockerCommand": command,
        "dockerImageName": DEFAULT_IMAGE,
        **fields,
    }
    response = api.post("scripts/containers", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def start(api: Api, job: int) -> int:
    """Queue a run of a container script; its id."""
    response = api.post(f"scripts/containers/{job}/runs")
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def wait(api: Api, job: int, run_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """The run once it is final."""
    deadline = time.monotonic() + timeout
    while True:
        # Long polling (``Prefer: wait``): one request per state change, not a busy loop
        # that a slow machine turns into thousands of requests (and the rate limit).
        response = api.get(
            f"scripts/containers/{job}/runs/{run_id}", headers={"Prefer": "wait=5"}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] not in ("queued", "running"):
            return body
        assert time.monotonic() < deadline, f"run {run_id} is still {body['state']}"


def wait_running(api: Api, job: int, run_id: int, timeout: float = 60.0) -> None:
    """Until the run is running and has logged at least one line."""
    deadline = time.monotonic() + timeout
    while not messages(api, job, run_id):
        assert time.monotonic() < deadline, f"run {run_id} never logged"
        time.sleep(0.1)


def run(api: Api, command: str, timeout: float = 60.0, **fields: Any) -> tuple[int, dict[str, Any]]:
    """Create, run and await a container script; (job id, final run)."""
    job = create_container(api, command, **fields)
    return job, wait(api, job, start(api, job), timeout)


def messages(api: Api, job: int, run_id: int) -> list[str]:
    """The run's log lines, oldest first."""
    logs = api.get(f"scripts/containers/{job}/runs/{run_id}/logs", params={"last_id": 0}).json()
    return [entry["message"] for entry in logs]


def processes_with(token: str) -> list[int]:
    """Pids of this machine's processes whose command line holds ``token``."""
    import os

    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                if token.encode() in fh.read():
                    found.append(int(name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]
