"""run_job, run_template and job_logs against a loopback server whose runs tests steer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "io"))
from files_server import FilesServer, env_for_official, make_client

import support
from civis.futures import CivisFuture
from civis.utils import job_logs, run_job, run_template


@pytest.fixture
def srv() -> Iterator[FilesServer]:
    with FilesServer() as server:
        yield server


@pytest.fixture
def client(srv: FilesServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_client(srv, monkeypatch)


def test_run_job_starts_a_run_and_polls_it(srv: FilesServer, client: Any) -> None:
    fut = run_job(7, client=client)
    assert isinstance(fut, CivisFuture)
    assert srv.requests_to("POST", r"/jobs/7/runs")
    assert fut.job_id == 7 and srv.runs[fut.run_id].job_id == 7
    srv.set_state(fut.run_id, "succeeded")
    assert fut.result(timeout=5).state == "succeeded"


def _template_run(srv: FilesServer, outputs: list[dict[str, Any]]) -> None:
    def finish(run: Any) -> None:
        run.outputs.extend(outputs)
        run.state = "succeeded"

    srv.on_new_run = finish


def test_run_template_returns_files(srv: FilesServer, client: Any) -> None:
    _template_run(
        srv,
        [
            {"objectType": "File", "objectId": 11, "name": "a.csv"},
            {"objectType": "JSONValue", "objectId": 12, "name": "meta", "value": {"K": 1}},
        ],
    )
    assert run_template(3, {"X": 1}, client=client) == {"a.csv": 11, "meta": 12}
    post = srv.requests_to("POST", r"/scripts/custom")
    assert post


def test_run_template_json_value_and_future(srv: FilesServer, client: Any) -> None:
    _template_run(
        srv,
        [{"objectType": "JSONValue", "objectId": 12, "name": "m", "value": {"KeepCase": [1, 2]}}],
    )
    assert run_template(3, {}, client=client, return_as="JSONValue") == {"KeepCase": [1, 2]}
    with pytest.warns(FutureWarning):
        assert run_template(3, {}, True, client=client, return_as="JSONValue") == {
            "KeepCase": [1, 2]
        }
    with pytest.raises(ValueError):
        run_template(3, {}, True, client=client)
    with pytest.raises(ValueError):
        run_template(3, {}, client=client, return_as="nope")
    assert isinstance(run_template(3, {}, client=client, return_as="future"), CivisFuture)


def test_job_logs_follow_a_running_job(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(9, "running")
    total = 600  # more than two pages of 250

    def produce() -> None:
        for i in range(total):
            srv.add_log(run.id, f"line {i}")
            if i % 50 == 0:
                time.sleep(0.02)
        srv.set_state(run.id, "succeeded")

    threading.Thread(target=produce, daemon=True).start()
    started = time.monotonic()
    logs = list(job_logs(9, client=client))  # latest run of job 9
    elapsed = time.monotonic() - started
    ids = [log["id"] for log in logs]
    assert len(ids) == len(set(ids)) == total  # no duplicates, no gaps
    assert [log["message"] for log in logs] == [f"line {i}" for i in range(total)]
    assert set(logs[0]) == {"id", "created_at", "message", "level"}
    assert elapsed < 5


def test_job_logs_catch_late_committed_ids(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(9, "running")
    srv.add_log(run.id, "first", log_id=1)
    srv.add_log(run.id, "third", log_id=3)
    got: list[str] = []

    def late() -> None:
        while len(got) < 2:
            time.sleep(0.01)
        srv.add_log(run.id, "second", log_id=2)  # committed after a larger id
        time.sleep(0.3)
        srv.set_state(run.id, "succeeded")

    threading.Thread(target=late, daemon=True).start()
    for log in job_logs(9, run.id, client=client):
        got.append(log["message"])
    assert sorted(got) == ["first", "second", "third"]


def test_job_logs_of_a_finished_run_stop_at_once(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(9, "succeeded")
    srv.add_log(run.id, "done")
    assert [log["message"] for log in job_logs(9, run.id, client=client)] == ["done"]
    empty = srv.new_run(9, "failed")
    assert list(job_logs(9, empty.id, client=client)) == []


def test_job_logs_finished_timeout(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(9, "running")
    srv.set_state(run.id, "succeeded")
    srv.runs[run.id].state = "running"  # logs never marked final, but finished_at is set
    started = time.monotonic()
    assert list(job_logs(9, run.id, finished_timeout=0.1, client=client)) == []
    assert time.monotonic() - started < 3


def test_job_logs_match_the_official_client(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(9, "running")
    for i in range(260):
        srv.add_log(run.id, f"line {i}", "info" if i % 7 else "error")
    srv.set_state(run.id, "failed", "boom")
    try:
        python = support.official_python()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    code = (
        "import json, sys, civis\n"
        "client = civis.APIClient(local_api_spec=sys.argv[1])\n"
        "print(json.dumps(list(civis.utils.job_logs(9, client=client))))\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, str(support.reference_spec_path())],
        env=env_for_official(srv),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert list(job_logs(9, client=client)) == json.loads(out.stdout)


def test_run_job_against_the_official_future(srv: FilesServer, client: Any) -> None:
    """The official run_job on our server sees the same states our future does."""
    try:
        python = support.official_python()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    srv.on_new_run = lambda run: setattr(run, "state", "succeeded")
    code = (
        "import sys, civis\n"
        "client = civis.APIClient(local_api_spec=sys.argv[1])\n"
        "print(civis.utils.run_job(5, client=client).result().state)\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, str(support.reference_spec_path())],
        env={**env_for_official(srv), "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == run_job(5, client=client).result(timeout=5).state
    assert os.environ.get("CIVIS_API_KEY") is None  # the official run had its own env
