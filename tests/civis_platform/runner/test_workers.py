"""Workers as separate processes: several API processes and several workers on one
PostgreSQL metadata store, as `civis-platform serve --no-worker` and
`civis-platform worker` run them.

- 200 runs queued through two API processes run exactly once each on two workers;
- a run queued through one API process starts at once on a worker of another process
  (the workers poll only every 30 s here: only PostgreSQL's notifications wake them);
- a worker killed with ``kill -9`` mid-run leaves no process of its sandbox behind, and
  its run fails with a clear error once its heartbeat is stale; queued runs still run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from platform_helpers import Api
from sandbox_helpers import create_container, messages, processes_with, start, wait, wait_running
from sqlalchemy import select

import support
from civis_platform.runner.states import STALLED_ERROR
from civis_platform.store import tables as t
from civis_platform.store.db import Store

pytestmark = pytest.mark.postgres
CLI = str(Path(sys.executable).with_name("civis-platform"))
STALE_SECONDS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """Two API processes and two workers over one PostgreSQL metadata store."""

    urls: list[str]
    apis: list[subprocess.Popen[bytes]]
    workers: list[subprocess.Popen[bytes]]
    metadata_url: str
    env: dict[str, str]
    admin_key: str

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [CLI, "worker", "--slots", "3"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.workers.append(worker)
        return worker

    def user_api(self, index: int) -> Api:
        """A fresh user's Api on API process ``index``."""
        name = f"u{uuid.uuid4().hex[:8]}"
        out = subprocess.run(
            [CLI, "users", "create", name], env=self.env, capture_output=True, text=True, check=True
        )
        return Api(self.urls[index], out.stdout.strip().splitlines()[-1])


def _wait_up(url: str, deadline: float) -> None:
    while True:
        try:
            requests.get(url + "endpoints", timeout=1)
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, f"{url} did not start"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("shared-home")
    with support.temporary_pg_database("civis_workers") as metadata_url:
        ports = [_free_port(), _free_port()]
        env = {
            **os.environ,
            "CIVIS_PLATFORM_HOME": str(home),
            "CIVIS_PLATFORM_METADATA_URL": metadata_url,
            "CIVIS_PLATFORM_EXTERNAL_URL": f"http://127.0.0.1:{ports[0]}/",
            "CIVIS_PLATFORM_RUNNER_POLL_SECONDS": "30",
            "CIVIS_PLATFORM_RUNNER_HEARTBEAT_SECONDS": "0.5",
            "CIVIS_PLATFORM_RUNNER_STALE_SECONDS": str(STALE_SECONDS),
            # The test's own polling of 200 runs would exceed the Civis rate limit.
            "CIVIS_PLATFORM_RATE_LIMIT": "1000000",
        }
        init = subprocess.run([CLI, "init"], env=env, capture_output=True, text=True, check=True)
        admin_key = init.stdout.strip().splitlines()[-1]
        apis = [
            subprocess.Popen(
                [CLI, "serve", "--no-worker", "--port", str(port)],
                env={**env, "CIVIS_PLATFORM_EXTERNAL_URL": f"http://127.0.0.1:{port}/"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for port in ports
        ]
        running = Cluster(
            urls=[f"http://127.0.0.1:{port}/" for port in ports],
            apis=apis,
            workers=[],
            metadata_url=metadata_url,
            env=env,
            admin_key=admin_key,
        )
        try:
            deadline = time.monotonic() + 60
            for url in running.urls:
                _wait_up(url, deadline)
            running.start_worker()
            running.start_worker()
            yield running
        finally:
            for process in running.workers + running.apis:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in running.workers + running.apis:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_200_runs_through_two_api_processes_run_exactly_once(cluster: Cluster) -> None:
    apis = [cluster.user_api(0), cluster.user_api(1)]

    def submit(n: int) -> tuple[Api, int, int]:
        api = apis[n % 2]
        job = create_container(
            api, 'echo "ran $CIVIS_RUN_ID"', requiredResources={"cpu": 100, "memory": 256}
        )
        return api, job, start(api, job)

    with ThreadPoolExecutor(8) as pool:
        started = list(pool.map(submit, range(200)))
        finals = list(pool.map(lambda s: (s, wait(s[0], s[1], s[2], timeout=300)), started))
    assert [f["state"] for _, f in finals] == ["succeeded"] * 200
    for (api, job, run_id), _ in finals:
        assert messages(api, job, run_id).count(f"ran {run_id}") == 1
    store = Store.from_url(cluster.metadata_url)
    try:
        with store.transaction() as conn:
            rows = conn.execute(
                select(t.runs.c.id, t.runs.c.attempts, t.runs.c.worker_id).where(
                    t.runs.c.id.in_([s[2] for s in started])
                )
            ).all()
    finally:
        store.dispose()
    assert len(rows) == 200 and {r.attempts for r in rows} == {1}
    pids = {r.worker_id.split(":")[1] for r in rows}
    assert pids == {str(w.pid) for w in cluster.workers}  # both workers took runs


def test_a_run_queued_in_one_process_starts_at_once_on_a_worker_of_another(
    cluster: Cluster,
) -> None:
    api = cluster.user_api(1)
    job = create_container(api, "echo hello")
    begun = time.monotonic()
    final = wait(api, job, start(api, job), timeout=25)
    assert final["state"] == "succeeded"
    assert time.monotonic() - begun < 25  # the workers poll only every 30 s


def test_kill_9_of_a_worker_leaves_nothing_and_fails_its_run(cluster: Cluster) -> None:
    api = cluster.user_api(0)
    token = f"orphan-{uuid.uuid4().hex}"
    job = create_container(api, f"echo started; sleep 600 # {token}")
    run_id = start(api, job)
    wait_running(api, job, run_id)
    store = Store.from_url(cluster.metadata_url)
    try:
        with store.transaction() as conn:
            holder = conn.execute(select(t.runs.c.worker_id).where(t.runs.c.id == run_id)).scalar()
    finally:
        store.dispose()
    pid = int(holder.split(":")[1])
    assert processes_with(token)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes_with(token):
        assert time.monotonic() < deadline, "the sandbox outlived its worker"
        time.sleep(0.05)
    final = wait(api, job, run_id, timeout=STALE_SECONDS + 30)
    assert (final["state"], final["error"]) == ("failed", STALLED_ERROR)
    cluster.workers = [w for w in cluster.workers if w.pid != pid]
    cluster.start_worker()
    # Work queued afterwards still runs.
    again = create_container(api, "echo after")
    assert wait(api, again, start(api, again), timeout=60)["state"] == "succeeded"
