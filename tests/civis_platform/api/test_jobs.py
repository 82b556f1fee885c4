"""``/jobs`` over loopback: running, polling, cancelling, logs, outputs, ownership,
and the official client's ``run_job`` / ``job_logs`` against us."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.append(str(Path(__file__).parents[1] / "runner"))

from platform_helpers import Api, assert_civis_error
from run_helpers import GATES, make_job, store

import support
from civis_platform.store.db import Store
from civis_platform.testing import ThreadedServer

__all__ = ["store"]  # fixtures used by name


@pytest.fixture
def user(new_user: Any) -> tuple[Any, Api]:
    created, api = new_user()
    return created, api


def _wait(api: Api, job: int, run: int, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(f"jobs/{job}/runs/{run}").json()
        if body["state"] not in ("queued", "running"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.01)


def _start(api: Api, job: int) -> dict[str, Any]:
    response = api.post(f"jobs/{job}/runs")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_run_a_job_to_success(store: Store, user: tuple[Any, Api]) -> None:
    created, api = user
    job = make_job(store, created.id, "test.echo", lines=3)
    run = _start(api, job)
    assert list(run) == ["id", "state", "createdAt", "startedAt", "finishedAt", "error"]
    assert run["state"] == "queued"
    done = _wait(api, job, run["id"])
    assert done["state"] == "succeeded" and done["error"] is None
    assert done["startedAt"] and done["finishedAt"]
    shown = api.get(f"jobs/{job}").json()
    assert shown["state"] == "succeeded" and shown["lastRun"]["id"] == run["id"]
    assert shown["type"] == "Test::test.echo" and shown["myPermissionLevel"] == "manage"
    listed = api.get("jobs/").json()
    assert [j["id"] for j in listed] == [job]
    assert [j["id"] for j in api.get("jobs/", params={"state": "succeeded,failed"}).json()] == [job]
    assert api.get("jobs/", params={"state": "running"}).json() == []


def test_failure_carries_the_error_and_logs_it(store: Store, user: tuple[Any, Api]) -> None:
    created, api = user
    job = make_job(store, created.id, "test.fail", message="the table is missing")
    run = _start(api, job)
    done = _wait(api, job, run["id"])
    assert (done["state"], done["error"]) == ("failed", "the table is missing")
    logs = api.get(f"jobs/{job}/runs/{run['id']}/logs").json()
    assert logs[0]["level"] == "error" and logs[0]["message"] == "the table is missing"


def test_a_second_run_while_one_is_active_is_a_conflict(
    store: Store, user: tuple[Any, Api]
) -> None:
    created, api = user
    GATES["conflict"] = threading.Event()
    job = make_job(store, created.id, "test.gate", gate="conflict")
    run = _start(api, job)
    assert_civis_error(api.post(f"jobs/{job}/runs"), 409)
    GATES["conflict"].set()
    assert _wait(api, job, run["id"])["state"] == "succeeded"
    second = _start(api, job)
    assert _wait(api, job, second["id"])["state"] == "succeeded"
    runs = api.get(f"jobs/{job}/runs", params={"order": "id", "order_dir": "desc"}).json()
    assert [r["id"] for r in runs] == [second["id"], run["id"]]
    page = api.get(f"jobs/{job}/runs", params={"limit": 1, "page_num": 2}).json()
    assert [r["id"] for r in page] == [run["id"]]
    assert_civis_error(api.get(f"jobs/{job}/runs", params={"limit": 101}), 400)


def test_logs_paging_and_headers(store: Store, user: tuple[Any, Api]) -> None:
    created, api = user
    job = make_job(store, created.id, "test.echo", lines=12)
    run = _start(api, job)
    _wait(api, job, run["id"])
    url = f"jobs/{job}/runs/{run['id']}/logs"
    newest_first = api.get(url)
    entries = newest_first.json()
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True) and len(ids) == 12
    assert list(entries[0]) == ["id", "createdAt", "message", "level"]
    assert newest_first.headers["civis-max-id"] == str(max(ids))
    assert newest_first.headers["civis-cache-control"] != "no-store"
    after = api.get(url, params={"last_id": ids[-1] + 2, "limit": 4}).json()
    assert [e["id"] for e in after] == sorted(ids)[3:7]
    assert [e["message"] for e in after] == ["line 3", "line 4", "line 5", "line 6"]
    assert api.get(url, params={"last_id": max(ids)}).json() == []


def test_logs_of_an_active_run_are_not_final(store: Store, user: tuple[Any, Api]) -> None:
    created, api = user
    GATES["logs"] = threading.Event()
    job = make_job(store, created.id, "test.gate", gate="logs")
    run = _start(api, job)
    url = f"jobs/{job}/runs/{run['id']}/logs"
    deadline = time.monotonic() + 10
    while not (response := api.get(url)).json():
        assert response.headers["civis-cache-control"] == "no-store"
        assert "civis-max-id" not in response.headers
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert response.headers["civis-cache-control"] == "no-store"
    GATES["logs"].set()
    _wait(api, job, run["id"])
    assert api.get(url).headers["civis-cache-control"] != "no-store"


def test_outputs(store: Store, user: tuple[Any, Api]) -> None:
    created, api = user
    outputs = [
        {"object_type": "File", "object_id": 7, "name": "result.csv"},
        {"object_type": "JSONValue", "name": "answer", "value": {"CamelKey": [1, 2.5, None]}},
    ]
    job = make_job(store, created.id, "test.echo", outputs=outputs)
    run = _start(api, job)
    _wait(api, job, run["id"])
    got = api.get(f"jobs/{job}/runs/{run['id']}/outputs", params={"order": "id"}).json()
    assert [list(o) for o in got] == [["objectType", "objectId", "name", "link", "value"]] * 2
    file, value = sorted(got, key=lambda o: o["objectType"])
    assert (file["objectId"], file["name"], file["value"]) == (7, "result.csv", None)
    assert file["link"].endswith("/files/7")
    assert value["value"] == {"CamelKey": [1, 2.5, None]}


def test_cancel(store: Store, user: tuple[Any, Api]) -> None:
    created, api = user
    GATES["api-cancel"] = threading.Event()
    job = make_job(store, created.id, "test.gate", gate="api-cancel")
    run = _start(api, job)
    response = api.delete(f"jobs/{job}/runs/{run['id']}")
    assert response.status_code == 202
    assert response.json() == {"id": run["id"], "state": "cancelled", "isCancelRequested": True}
    done = api.get(f"jobs/{job}/runs/{run['id']}").json()
    assert done["state"] == "cancelled" and done["finishedAt"]
    assert_civis_error(api.delete(f"jobs/{job}/runs/{run['id']}"), 404)
    assert_civis_error(api.delete(f"jobs/{job}/runs/999999"), 404)
    assert_civis_error(api.get(f"jobs/{job}/runs/999999"), 404)
    # The job can run again at once.
    GATES["api-cancel"].set()
    assert _wait(api, job, _start(api, job)["id"])["state"] == "succeeded"


def test_other_users_see_nothing_unless_shared(
    store: Store, user: tuple[Any, Api], new_user: Any
) -> None:
    created, api = user
    other, other_api = new_user()
    job = make_job(store, created.id, "test.echo")
    run = _start(api, job)
    _wait(api, job, run["id"])
    for path in (
        f"jobs/{job}",
        f"jobs/{job}/runs",
        f"jobs/{job}/runs/{run['id']}",
        f"jobs/{job}/runs/{run['id']}/logs",
        f"jobs/{job}/runs/{run['id']}/outputs",
    ):
        assert_civis_error(other_api.get(path), 404)
    assert_civis_error(other_api.post(f"jobs/{job}/runs"), 404)
    assert other_api.get("jobs/").json() == []
    shared = api.put(
        f"jobs/{job}/shares/users", json={"user_ids": [other.id], "permission_level": "read"}
    )
    assert shared.status_code == 200, shared.text
    assert other_api.get(f"jobs/{job}/runs/{run['id']}").json()["state"] == "succeeded"
    assert other_api.get(f"jobs/{job}").json()["myPermissionLevel"] == "read"
    assert_civis_error(other_api.post(f"jobs/{job}/runs"), 403)


def _official(server: ThreadedServer, api_key: str, code: str) -> Any:
    env = {"CIVIS_API_KEY": api_key, "CIVIS_API_ENDPOINT": server.base_url, "PATH": "/usr/bin"}
    done = subprocess.run(
        [str(support.official_python()), "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_official_client_run_job_and_job_logs(
    server: ThreadedServer, store: Store, user: tuple[Any, Api]
) -> None:
    created, _api = user
    ok = make_job(store, created.id, "test.echo", lines=3)
    bad = make_job(store, created.id, "test.fail", message="no such table")
    result = _official(
        server,
        created.api_key,
        f"""
        import json, civis
        client = civis.APIClient()
        future = civis.utils.run_job({ok}, client=client, polling_interval=0.05)
        state = future.result().state
        logs = [log["message"] for log in civis.utils.job_logs({ok}, client=client)]
        try:
            civis.utils.run_job({bad}, client=client, polling_interval=0.05).result()
            error = None
        except civis.base.CivisJobFailure as exc:
            error = str(exc)
        print(json.dumps({{"state": state, "logs": logs, "error": error}}))
        """,
    )
    assert result["state"] == "succeeded"
    assert result["logs"] == ["line 0", "line 1", "line 2"]
    assert "no such table" in result["error"]


def test_our_client_run_job(
    server: ThreadedServer, store: Store, user: tuple[Any, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    import civis

    created, _api = user
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.base_url)
    job = make_job(store, created.id, "test.echo", lines=2)
    client = civis.APIClient(api_key=created.api_key)
    future = civis.utils.run_job(job, client=client, polling_interval=0.05)
    assert future.result().state == "succeeded"
    logs = list(civis.utils.job_logs(job, client=client))
    assert [log["message"] for log in logs] == ["line 0", "line 1"]


def test_our_client_cancels_a_running_job(
    server: ThreadedServer, store: Store, user: tuple[Any, Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    import civis

    created, api = user
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.base_url)
    GATES["our-cancel"] = threading.Event()
    job = make_job(store, created.id, "test.gate", gate="our-cancel")
    client = civis.APIClient(api_key=created.api_key)
    future = civis.utils.run_job(job, client=client, polling_interval=0.05)
    assert future.cancel() and future.cancelled()
    assert api.get(f"jobs/{job}/runs/{future.run_id}").json()["state"] == "cancelled"


def test_simultaneous_starts_give_one_run_and_clean_conflicts(
    store: Store, user: tuple[Any, Api]
) -> None:
    """Racing starts of one job: exactly one is queued, the others get 409 (never a
    "database is locked" 500 on SQLite, never two active runs)."""
    created, api = user
    GATES["race"] = threading.Event()
    job = make_job(store, created.id, "test.gate", gate="race")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def start() -> None:
        barrier.wait()
        statuses.append(api.post(f"jobs/{job}/runs").status_code)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    GATES["race"].set()
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
    assert len(api.get(f"jobs/{job}/runs").json()) == 1
