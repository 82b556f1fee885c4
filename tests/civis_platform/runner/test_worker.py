"""The worker: outcomes, errors, cancellation, shutdown, start-up recovery."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from run_helpers import GATES, make_job, make_worker, run_row, wait_final, wait_state
from sqlalchemy import select, update

from civis_platform.clock import utcnow
from civis_platform.config import Settings
from civis_platform.runner import runs
from civis_platform.runner.host import Cancellation
from civis_platform.runner.worker import Worker, _Active, is_dead_local_worker, new_worker_id
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path,
        runner_poll_seconds=0.05,
        runner_heartbeat_seconds=0.05,
        runner_stale_seconds=5.0,
        runner_grace_seconds=0.5,
    )


@pytest.fixture
def worker(store: Store, settings: Settings) -> Iterator[Worker]:
    running = make_worker(store, settings, slots=2).start()
    try:
        yield running
    finally:
        running.stop()


def _queue(store: Store, job_id: int) -> int:
    with store.transaction() as conn:
        return runs.enqueue(conn, job_id)


def _logs(store: Store, run_id: int) -> list[tuple[str, str]]:
    with store.transaction() as conn:
        rows = conn.execute(
            select(t.run_logs).where(t.run_logs.c.run_id == run_id).order_by(t.run_logs.c.id)
        )
        return [(r.level, r.message) for r in rows]


def test_a_returning_program_succeeds(store: Store, owner_id: int, worker: Worker) -> None:
    run_id = _queue(store, make_job(store, owner_id, "test.echo", lines=2))
    worker.notify()
    row = wait_final(store, run_id)
    assert (row.state, row.error) == ("succeeded", None)
    assert row.started_at is not None and row.finished_at is not None
    assert _logs(store, run_id) == [("info", "line 0"), ("info", "line 1")]


@pytest.mark.parametrize("message, error", [("disk on fire", "disk on fire"), ("", "RuntimeError")])
def test_a_raising_program_fails_with_its_message_logged_first(
    store: Store, owner_id: int, worker: Worker, message: str, error: str
) -> None:
    run_id = _queue(store, make_job(store, owner_id, "test.fail", message=message))
    worker.notify()
    row = wait_final(store, run_id)
    assert (row.state, row.error) == ("failed", error)
    assert _logs(store, run_id)[-1][0] == "error"


def test_an_unknown_job_type_fails_with_a_clear_error(
    store: Store, owner_id: int, worker: Worker
) -> None:
    run_id = _queue(store, make_job(store, owner_id, "no.such.program"))
    worker.notify()
    row = wait_final(store, run_id)
    assert row.state == "failed" and "no.such.program" in row.error


def test_cancel_stops_a_running_program(store: Store, owner_id: int, worker: Worker) -> None:
    GATES["cancel"] = threading.Event()
    run_id = _queue(store, make_job(store, owner_id, "test.gate", gate="cancel"))
    worker.notify()
    wait_state(store, run_id, {"running"})
    with store.transaction() as conn:
        assert runs.request_cancel(conn, run_id, "running")
    worker.request_cancel(run_id)
    row = wait_final(store, run_id)
    assert row.state == "cancelled" and row.is_cancel_requested
    deadline = time.monotonic() + 5
    while ("warn", "cancelled") not in _logs(store, run_id):  # the program saw it and stopped
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_cancel_from_another_process_arrives_by_heartbeat(
    store: Store, owner_id: int, worker: Worker
) -> None:
    GATES["remote"] = threading.Event()
    run_id = _queue(store, make_job(store, owner_id, "test.gate", gate="remote"))
    worker.notify()
    wait_state(store, run_id, {"running"})
    with store.transaction() as conn:  # no doorbell: only the row changes
        runs.request_cancel(conn, run_id, "running")
    deadline = time.monotonic() + 5
    while ("warn", "cancelled") not in _logs(store, run_id):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_run_starts_promptly_after_notify(
    store: Store, owner_id: int, settings: Settings
) -> None:
    slow = settings.model_copy(update={"runner_poll_seconds": 30.0})
    worker = make_worker(store, slow, slots=2).start()
    try:
        time.sleep(0.05)  # workers are idle, waiting on the doorbell
        job = make_job(store, owner_id, "test.echo")
        started = time.monotonic()
        run_id = _queue(store, job)
        worker.notify()
        wait_final(store, run_id, timeout=5)
        assert time.monotonic() - started < 5  # far below the 30 s poll
    finally:
        worker.stop()


def test_stop_fails_programs_that_outlive_the_grace(
    store: Store, owner_id: int, settings: Settings
) -> None:
    GATES["stubborn"] = threading.Event()
    # A program that ignores cancellation: the gate program returns on cancel, so
    # simulate a stubborn one by holding the run as active without a thread. The run is
    # claimed before the worker starts: a running worker would race us for it.
    worker = make_worker(store, settings, slots=1)
    claimed_id = _queue(store, make_job(store, owner_id, "test.echo"))
    claimed = runs.claim_next(store, worker.worker_id)
    assert claimed is not None and claimed.run_id == claimed_id
    worker.start()
    try:
        run_id = _queue(store, make_job(store, owner_id, "test.echo"))
        worker.notify()
        wait_final(store, run_id)  # the worker works while holding the stubborn run
        worker._active[claimed_id] = _Active(cancellation=Cancellation())
    finally:
        worker.stop(grace=0.1)
    row = run_row(store, claimed_id)
    assert (row.state, row.error) == ("failed", runs.SHUTDOWN_ERROR)


def test_start_fails_runs_of_dead_workers_and_runs_queued_ones(
    store: Store, owner_id: int, settings: Settings
) -> None:
    job = make_job(store, owner_id, "test.echo")
    dead_local, stale_remote, fresh_remote = (_queue(store, job) for _ in range(3))
    for run_id, worker in (
        (dead_local, f"{socket.gethostname()}:999999999:x"),
        (stale_remote, "elsewhere:1:abc"),
        (fresh_remote, "elsewhere:2:def"),
    ):
        assert runs.claim_next(store, worker) is not None
        with store.transaction() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(worker_id=worker))
    with store.transaction() as conn:
        conn.execute(
            update(t.runs)
            .where(t.runs.c.id == stale_remote)
            .values(heartbeat_at=utcnow() - timedelta(seconds=60))
        )
    queued = _queue(store, make_job(store, owner_id, "test.echo"))
    worker = make_worker(store, settings, slots=1).start()
    try:
        for run_id in (dead_local, stale_remote):
            row = run_row(store, run_id)
            assert (row.state, row.error) == ("failed", runs.RESTART_ERROR)
            assert _logs(store, run_id) == [("error", runs.RESTART_ERROR)]
        assert run_row(store, fresh_remote).state == "running"  # its worker may be alive
        assert wait_final(store, queued).state == "succeeded"
    finally:
        worker.stop()


def test_dead_local_worker_detection() -> None:
    host = new_worker_id().split(":")[0]
    assert is_dead_local_worker(f"{host}:999999999:x")
    assert not is_dead_local_worker("another-host:1:x")
    assert not is_dead_local_worker(new_worker_id())
    assert is_dead_local_worker(None)


def test_a_job_deleted_mid_run_does_not_kill_the_worker(
    store: Store, owner_id: int, settings: Settings
) -> None:
    GATES["deleted"] = threading.Event()
    worker = make_worker(store, settings, slots=1).start()
    try:
        doomed = make_job(store, owner_id, "test.gate", gate="deleted")
        run_id = _queue(store, doomed)
        worker.notify()
        wait_state(store, run_id, {"running"})
        with store.transaction() as conn:
            conn.execute(t.jobs.delete().where(t.jobs.c.id == doomed))
        GATES["deleted"].set()
        later = _queue(store, make_job(store, owner_id, "test.echo"))
        worker.notify()
        assert wait_final(store, later).state == "succeeded"
    finally:
        worker.stop()


def test_a_lost_run_is_retried_where_its_job_type_says_so(
    store: Store, owner_id: int, settings: Settings
) -> None:
    # test.gate declares one retry; test.echo none.
    GATES["retry"] = threading.Event()
    GATES["retry"].set()
    retried = _queue(store, make_job(store, owner_id, "test.gate", gate="retry"))
    failed = _queue(store, make_job(store, owner_id, "test.echo"))
    for run_id in (retried, failed):
        claimed = runs.claim_next(store, f"{socket.gethostname()}:999999999:x")
        assert claimed is not None and claimed.run_id == run_id
    worker = make_worker(store, settings, slots=1).start()
    try:
        row = wait_final(store, retried)
        assert (row.state, row.attempts) == ("succeeded", 2)
        assert ("warn", f"{runs.RESTART_ERROR} Retrying (attempt 2).") in _logs(store, retried)
        assert run_row(store, failed).state == "failed"
    finally:
        worker.stop()


def test_a_retried_run_that_is_lost_again_fails(store: Store, owner_id: int) -> None:
    run_id = _queue(store, make_job(store, owner_id, "test.gate", gate="x"))
    for expected in ("queued", "failed"):
        assert runs.claim_next(store, "w") is not None
        assert runs.requeue_or_fail(store, run_id, "lost", retries=1) == expected


def test_a_worker_takes_only_its_job_types(store: Store, owner_id: int, settings: Settings) -> None:
    echo = _queue(store, make_job(store, owner_id, "test.echo"))
    record = _queue(store, make_job(store, owner_id, "test.record"))
    worker = make_worker(store, settings, slots=1, takes={"test.record"}).start()
    try:
        assert wait_final(store, record).state == "succeeded"
        time.sleep(0.3)
        assert run_row(store, echo).state == "queued"
    finally:
        worker.stop()


def test_user_code_without_a_sandbox_executor_fails_clearly(
    store: Store, owner_id: int, settings: Settings
) -> None:
    run_id = _queue(store, make_job(store, owner_id, "container", docker_command="true"))
    worker = make_worker(store, settings, slots=1).start()
    try:
        row = wait_final(store, run_id)
        assert (row.state, row.error) == (
            "failed",
            "This worker cannot run users' code (no sandbox executor).",
        )
    finally:
        worker.stop()


def test_a_worker_of_both_kinds_keeps_a_slot_for_platform_programs(
    store: Store, settings: Settings
) -> None:
    # Users' code that waits on a platform run of its own (CivisML's SQL export of its
    # table) must never find every slot taken by runs like itself.
    both = make_worker(store, settings, slots=1)
    reserved = both.reserved_platform_types()
    assert "test.echo" in reserved and "sql" in reserved
    assert not reserved & {"container", "custom", "python3"}
    assert make_worker(store, settings, slots=1, takes={"container"}).reserved_platform_types() == (
        frozenset()
    )
    assert make_worker(store, settings, slots=1, takes={"test.echo"}).reserved_platform_types() == (
        frozenset()
    )


def test_the_reserved_slot_runs_platform_programs_when_the_slots_are_busy(
    store: Store, owner_id: int, settings: Settings
) -> None:
    worker = make_worker(store, settings, slots=1).start()
    try:
        assert sum(t.name == "civis-runner-platform" for t in worker._threads) == 1
        first = _queue(store, make_job(store, owner_id, "test.echo"))
        second = _queue(store, make_job(store, owner_id, "test.echo"))
        worker.notify()
        assert wait_final(store, first).state == wait_final(store, second).state == "succeeded"
    finally:
        worker.stop()
