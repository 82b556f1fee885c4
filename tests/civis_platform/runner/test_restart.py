"""Durable runs across a server restart on the same home and metadata store."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import requests
from run_helpers import TEST_JOB_TYPES, make_job
from sqlalchemy import update

from civis_platform.config import Settings
from civis_platform.runner import runs
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.testing import ThreadedServer


def _get(server: ThreadedServer, path: str) -> Any:
    response = requests.get(server.base_url + path, auth=(server.admin_api_key, ""), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_restart_keeps_finished_runs_fails_running_ones_and_runs_queued_ones(
    engine_url: str | None, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", metadata_url=engine_url, testing=True)
    with ThreadedServer(settings, job_types=TEST_JOB_TYPES) as first:
        store = Store.from_url(first.settings.resolved_metadata_url())
        try:
            job = make_job(store, 1, "test.echo", lines=1)
            done = requests.post(
                first.base_url + f"jobs/{job}/runs", auth=(first.admin_api_key, ""), timeout=30
            ).json()["id"]
            deadline = time.monotonic() + 10
            while _get(first, f"jobs/{job}/runs/{done}")["state"] != "succeeded":
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            store.dispose()
    # While the server is down: a run left running by a process that died, and a queued one.
    store = Store.from_url(settings.resolved_metadata_url())
    try:
        crashed_job = make_job(store, 1, "test.echo")
        queued_job = make_job(store, 1, "test.echo", lines=2)
        with store.transaction() as conn:
            crashed = runs.enqueue(conn, crashed_job)
            queued = runs.enqueue(conn, queued_job)
            assert runs.transition(conn, crashed, expected="queued", to="running")
            conn.execute(
                update(t.runs)
                .where(t.runs.c.id == crashed)
                .values(worker_id=f"{socket.gethostname()}:999999999:gone")
            )
    finally:
        store.dispose()
    with ThreadedServer(settings, job_types=TEST_JOB_TYPES) as second:
        assert _get(second, f"jobs/{job}/runs/{done}")["state"] == "succeeded"
        failed = _get(second, f"jobs/{crashed_job}/runs/{crashed}")
        assert (failed["state"], failed["error"]) == ("failed", runs.RESTART_ERROR)
        logs = _get(second, f"jobs/{crashed_job}/runs/{crashed}/logs")
        assert [(e["level"], e["message"]) for e in logs] == [("error", runs.RESTART_ERROR)]
        deadline = time.monotonic() + 10
        while (state := _get(second, f"jobs/{queued_job}/runs/{queued}"))["state"] != "succeeded":
            assert state["state"] in ("queued", "running") and time.monotonic() < deadline
            time.sleep(0.01)
        second.reset()  # testing reset takes every job, with its runs, along
        assert _get(second, "jobs/") == []
