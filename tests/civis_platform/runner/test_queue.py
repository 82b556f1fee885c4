"""The durable queue: one-statement claims are exclusive; stalled runs are found."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from run_helpers import EXECUTED, make_job, make_worker, run_row, wait_final

from civis_platform.config import Settings
from civis_platform.runner import queue, runs
from civis_platform.store.db import Store


def _enqueue(store: Store, job_id: int, n: int) -> list[int]:
    with store.transaction() as conn:
        return [runs.enqueue(conn, job_id) for _ in range(n)]


def test_claim_takes_the_oldest_queued_run_once(store: Store, owner_id: int) -> None:
    job = make_job(store, owner_id, "test.echo")
    first, second = _enqueue(store, job, 2)
    claimed = runs.claim_next(store, "w1")
    assert claimed == queue.ClaimedRun(run_id=first, job_id=job, attempt=1)
    row = run_row(store, first)
    assert (row.state, row.worker_id) == ("running", "w1")
    assert row.started_at is not None and row.heartbeat_at is not None
    assert runs.claim_next(store, "w2") == queue.ClaimedRun(run_id=second, job_id=job, attempt=1)
    assert runs.claim_next(store, "w3") is None


def test_threads_racing_to_claim_get_distinct_runs(store: Store, owner_id: int) -> None:
    job = make_job(store, owner_id, "test.echo")
    queued = _enqueue(store, job, 40)
    got: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (claimed := runs.claim_next(store, name)) is not None:
            with lock:
                got.append(claimed.run_id)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == queued


def test_two_workers_execute_each_run_exactly_once(
    store: Store, owner_id: int, tmp_path: Path
) -> None:
    EXECUTED.clear()
    settings = Settings(home=tmp_path, runner_poll_seconds=0.05)
    job = make_job(store, owner_id, "test.record")
    workers = [make_worker(store, settings, slots=3).start() for _ in range(2)]
    try:
        queued = _enqueue(store, job, 30)
        for d in workers:
            d.notify()
        for run_id in queued:
            assert wait_final(store, run_id).state == "succeeded"
    finally:
        for d in workers:
            d.stop()
    assert sorted(EXECUTED) == queued


def test_stalled_runs_are_found_by_heartbeat_age(store: Store, owner_id: int) -> None:
    job = make_job(store, owner_id, "test.echo")
    _enqueue(store, job, 1)
    claimed = runs.claim_next(store, "w1")
    assert claimed is not None
    fresh = queue.running_runs(store, older_than=timedelta(seconds=60))
    stale = queue.running_runs(store, older_than=timedelta(seconds=-1))
    assert claimed.run_id not in [r.id for r in fresh]
    assert (claimed.run_id, "test.echo") in [(r.id, r.type) for r in stale]
    assert queue.heartbeat(store, "w1", [claimed.run_id]) == set()
