"""Long polling: ``Prefer: wait=N`` holds a GET of an unfinished run until it changes."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.append(str(Path(__file__).parents[1] / "runner"))

from platform_helpers import Api
from run_helpers import GATES, make_job, store

from civis_platform.store.db import Store

__all__ = ["store"]  # fixtures used by name


def _gated_run(store: Store, new_user: Any, name: str) -> tuple[Api, int, int]:
    created, api = new_user()
    GATES[name] = threading.Event()
    job = make_job(store, created.id, "test.gate", gate=name)
    run = api.post(f"jobs/{job}/runs").json()["id"]
    deadline = time.monotonic() + 10
    while api.get(f"jobs/{job}/runs/{run}").json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return api, job, run


def test_a_held_read_answers_as_soon_as_the_run_ends(store: Store, new_user: Any) -> None:
    api, job, run = _gated_run(store, new_user, "held")
    threading.Timer(0.5, GATES["held"].set).start()
    started = time.monotonic()
    response = api.get(f"jobs/{job}/runs/{run}", headers={"Prefer": "wait=10"})
    elapsed = time.monotonic() - started
    assert response.json()["state"] == "succeeded"
    assert response.headers["Preference-Applied"] == "wait=10"
    assert 0.45 < elapsed < 1.5, elapsed  # held until the end, noticed within ~0.3 s


def test_the_wait_runs_out_with_the_state_unchanged(store: Store, new_user: Any) -> None:
    api, job, run = _gated_run(store, new_user, "timeout")
    try:
        started = time.monotonic()
        response = api.get(f"jobs/{job}/runs/{run}", headers={"Prefer": "wait=1"})
        assert response.json()["state"] == "running"
        assert 0.9 < time.monotonic() - started < 2.0
        # Every run read holds the same way (here the job's own view).
        shown = api.get(f"jobs/{job}", headers={"Prefer": "wait=0.3"})
        assert shown.status_code == 200 and shown.json()["state"] == "running"
    finally:
        GATES["timeout"].set()


@pytest.mark.parametrize("prefer", [None, "respond-async", "wait=abc", "wait=0"])
def test_without_a_usable_wait_the_answer_is_immediate(
    store: Store, new_user: Any, prefer: str | None
) -> None:
    api, job, run = _gated_run(store, new_user, f"now-{prefer}")
    try:
        headers = {"Prefer": prefer} if prefer else {}
        started = time.monotonic()
        response = api.get(f"jobs/{job}/runs/{run}", headers=headers)
        assert response.json()["state"] == "running"
        assert time.monotonic() - started < 0.5
        assert "Preference-Applied" not in response.headers
    finally:
        GATES[f"now-{prefer}"].set()


def test_finished_runs_and_lists_are_not_held(store: Store, new_user: Any) -> None:
    api, job, run = _gated_run(store, new_user, "done")
    GATES["done"].set()
    api.get(f"jobs/{job}/runs/{run}", headers={"Prefer": "wait=5"})
    started = time.monotonic()
    assert api.get(f"jobs/{job}/runs/{run}", headers={"Prefer": "wait=5"}).ok
    assert api.get(f"jobs/{job}/runs", headers={"Prefer": "wait=5"}).ok
    assert time.monotonic() - started < 0.5
