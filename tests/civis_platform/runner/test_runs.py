"""Run state: the transition table, guarded updates, failure errors."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from itertools import product
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).parents[1] / "runner"))

from run_helpers import make_job, new_owner, open_store, run_row

from civis_platform.runner import runs
from civis_platform.store.db import Store

ALLOWED = {
    ("queued", "running"),
    ("queued", "cancelled"),
    ("queued", "failed"),
    ("running", "succeeded"),
    ("running", "failed"),
    ("running", "cancelled"),
    ("running", "queued"),  # a retry after a lost worker
}


@pytest.fixture
def store(engine_url: str | None, tmp_path: Path) -> Iterator[Store]:
    with open_store(engine_url, tmp_path) as opened:
        yield opened


@pytest.fixture
def job_id(store: Store) -> int:
    from platform_helpers import unique

    return make_job(store, new_owner(store, unique("runs")), "test.echo")


def test_states_are_exactly_the_civis_five() -> None:
    assert runs.STATES == ("queued", "running", "succeeded", "failed", "cancelled")
    assert set(runs.TRANSITIONS) == set(runs.STATES)


@pytest.mark.parametrize("current, to", list(product(runs.STATES, runs.STATES)))
def test_transition_table(current: str, to: str) -> None:
    if (current, to) in ALLOWED:
        runs.check_transition(current, to)
    else:
        with pytest.raises(runs.InvalidTransitionError):
            runs.check_transition(current, to)


def test_unknown_states_are_refused() -> None:
    with pytest.raises(runs.InvalidTransitionError):
        runs.check_transition("queued", "pending")
    with pytest.raises(runs.InvalidTransitionError):
        runs.check_transition("idle", "running")


def _walk_to(store: Store, job_id: int, state: str) -> int:
    """A run in ``state``, reached through allowed transitions."""
    with store.transaction() as conn:
        run_id = runs.enqueue(conn, job_id)
        path = {
            "queued": [],
            "running": ["running"],
            "succeeded": ["running", "succeeded"],
            "failed": ["running", "failed"],
            "cancelled": ["cancelled"],
        }[state]
        current = "queued"
        for step in path:
            assert runs.transition(conn, run_id, expected=current, to=step, error="x")
            current = step
    return run_id


@pytest.mark.parametrize("current, to", sorted(ALLOWED))
def test_allowed_transitions_write_state_and_timestamps(
    store: Store, job_id: int, current: str, to: str
) -> None:
    run_id = _walk_to(store, job_id, current)
    with store.transaction() as conn:
        assert runs.transition(conn, run_id, expected=current, to=to, error="went wrong")
    row = run_row(store, run_id)
    assert row.state == to
    # A requeued run starts over: its start (and worker) are cleared.
    assert (row.started_at is not None) == ("running" in (current, to) and to != "queued")
    assert (row.finished_at is not None) == (to in runs.FINAL)
    assert row.error == ("went wrong" if to == "failed" else None)


def test_a_stale_expectation_changes_nothing(store: Store, job_id: int) -> None:
    run_id = _walk_to(store, job_id, "succeeded")
    with store.transaction() as conn:
        assert not runs.transition(conn, run_id, expected="running", to="failed", error="late")
    row = run_row(store, run_id)
    assert (row.state, row.error) == ("succeeded", None)


@pytest.mark.parametrize("error", [None, "", "   "])
def test_a_failed_run_always_has_an_error(store: Store, job_id: int, error: str | None) -> None:
    run_id = _walk_to(store, job_id, "running")
    with store.transaction() as conn:
        assert runs.transition(conn, run_id, expected="running", to="failed", error=error)
    assert run_row(store, run_id).error == runs.DEFAULT_FAILURE


def test_racing_transitions_have_exactly_one_winner(store: Store, job_id: int) -> None:
    for _ in range(10):
        run_id = _walk_to(store, job_id, "running")
        barrier = threading.Barrier(2)
        outcomes: dict[str, bool] = {}

        def attempt(
            to: str,
            run_id: int = run_id,
            barrier: threading.Barrier = barrier,
            outcomes: dict[str, bool] = outcomes,
        ) -> None:
            barrier.wait()
            outcomes[to] = runs.transition_in(
                store, run_id, expected="running", to=to, error="lost?"
            )

        threads = [
            threading.Thread(target=attempt, args=(to,)) for to in ("succeeded", "cancelled")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes.values()) == [False, True]
        winner = next(to for to, won in outcomes.items() if won)
        assert run_row(store, run_id).state == winner


def test_cancel_of_a_finished_run_is_refused(store: Store, job_id: int) -> None:
    run_id = _walk_to(store, job_id, "failed")
    with store.transaction() as conn:
        assert not runs.request_cancel(conn, run_id, "failed")


def test_cancel_of_a_queued_run_that_was_just_claimed(store: Store, job_id: int) -> None:
    run_id = _walk_to(store, job_id, "running")
    with store.transaction() as conn:  # the caller saw "queued"; a worker claimed it since
        assert runs.request_cancel(conn, run_id, "queued")
    row = run_row(store, run_id)
    assert (row.state, row.is_cancel_requested) == ("cancelled", True)


def test_fail_running_logs_once_however_many_callers(store: Store, job_id: int) -> None:
    from sqlalchemy import func, select

    from civis_platform.store import tables as t

    run_id = _walk_to(store, job_id, "running")
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def fail() -> None:
        barrier.wait()
        results.append(runs.fail_running(store, run_id, runs.RESTART_ERROR))

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    with store.transaction() as conn:
        lines = conn.execute(select(func.count()).where(t.run_logs.c.run_id == run_id)).scalar_one()
    assert lines == 1
    assert run_row(store, run_id).error == runs.RESTART_ERROR
