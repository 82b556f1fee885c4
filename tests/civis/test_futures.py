"""CivisFuture and ContainerFuture against a real loopback server whose runs the tests
steer: latency, failures, callbacks, cancel, reruns, and one shared poller."""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "io"))
from files_server import FilesServer, make_client

from civis.base import CivisAPIError, CivisJobFailure
from civis.futures import CivisFuture, ContainerFuture
from civis.polling import _SCHEDULER


@pytest.fixture
def srv() -> Iterator[FilesServer]:
    with FilesServer() as server:
        yield server


@pytest.fixture
def client(srv: FilesServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_client(srv, monkeypatch)


def _future(srv: FilesServer, client: Any, job_id: int = 10, **kwargs: Any) -> CivisFuture:
    run = srv.new_run(job_id)
    return CivisFuture(client.jobs.get_runs, (job_id, run.id), client=client, **kwargs)


def _container(*args: Any, **kwargs: Any) -> ContainerFuture:
    with pytest.warns(FutureWarning, match="deprecated"):
        return ContainerFuture(*args, **kwargs)


def _finish_later(
    srv: FilesServer, run_id: int, delay: float, state: str = "succeeded", error: str | None = None
) -> list[float]:
    finished: list[float] = []

    def finish() -> None:
        time.sleep(delay)
        finished.append(time.monotonic())
        srv.set_state(run_id, state, error)

    threading.Thread(target=finish, daemon=True).start()
    return finished


@pytest.mark.parametrize("run_seconds", [0.02, 0.3, 1.0])
def test_result_arrives_soon_after_the_run_finishes(
    srv: FilesServer, client: Any, run_seconds: float
) -> None:
    fut = _future(srv, client)
    finished = _finish_later(srv, fut.run_id, run_seconds)
    assert fut.result(timeout=10).state == "succeeded"
    latency = time.monotonic() - finished[0]
    print(f"run of {run_seconds}s seen {latency * 1000:.0f} ms after it finished")
    # The goal is ~100 ms (see bench/); this bound only catches a 1-s-floor regression.
    assert latency < 1.0
    assert fut.succeeded() and not fut.failed() and fut.done()


def test_failure_carries_error_and_ids(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client)
    srv.set_state(fut.run_id, "failed", "Query failed: syntax error")
    with pytest.raises(CivisJobFailure) as info:
        fut.result(timeout=5)
    assert info.value.job_id == 10 and info.value.run_id == fut.run_id
    assert str(info.value) == f"(From job 10 / run {fut.run_id}) Query failed: syntax error"
    assert fut.failed() and not fut.succeeded()
    assert isinstance(fut.exception(), CivisJobFailure)


def test_failure_without_error_reads_the_logs_at_once(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client, polling_interval=0.02)
    srv.add_log(fut.run_id, "starting")
    srv.add_log(fut.run_id, "Traceback: ZeroDivisionError", "error")
    started = time.monotonic()
    srv.set_state(fut.run_id, "failed", None)
    with pytest.raises(CivisJobFailure) as info:
        fut.result(timeout=5)
    assert time.monotonic() - started < 2  # no fixed 15 s sleep
    assert str(info.value) == (
        f"(From job 10 / run {fut.run_id}) starting\nTraceback: ZeroDivisionError\n"
    )


def test_out_of_memory_log_becomes_memory_error(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client, polling_interval=0.02)
    srv.add_log(fut.run_id, "Process ran out of its allowed 1000 MiB of memory", "error")
    srv.add_log(fut.run_id, "container exited")
    srv.set_state(fut.run_id, "failed", "")
    with pytest.raises(MemoryError, match=r"^\(From job 10 / run \d+\) Process ran out"):
        fut.result(timeout=5)


def test_poller_error_becomes_the_exception(srv: FilesServer, client: Any) -> None:
    fut = CivisFuture(client.jobs.get_runs, (10, 999), client=client)
    assert isinstance(fut.exception(timeout=5), CivisAPIError)
    assert fut.exception().status_code == 404  # type: ignore[union-attr]


def test_unknown_state_is_an_error(srv: FilesServer, client: Any) -> None:
    fut = CivisFuture(lambda: {"state": "pending"}, (), client=client)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="pending"):
        fut.result(timeout=5)


def test_callback_exceptions_surface_in_result(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client)
    calls: list[Any] = []

    def broken(f: Any) -> None:
        calls.append(f)
        raise RuntimeError("callback failed")

    fut.add_done_callback(broken)
    srv.set_state(fut.run_id, "succeeded")
    with pytest.raises(RuntimeError, match="callback failed"):
        fut.result(timeout=5)
    assert calls == [fut]
    # Added after completion: runs at once, captured the same way.
    late = _future(srv, client)
    srv.set_state(late.run_id, "succeeded")
    late.result(timeout=5)
    late.add_done_callback(broken)
    with pytest.raises(RuntimeError):
        late.result()


def test_callback_may_read_its_own_result(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client)
    seen: list[str] = []
    fut.add_done_callback(lambda f: seen.append(f.result().state))
    srv.set_state(fut.run_id, "succeeded")
    fut.result(timeout=5)
    assert seen == ["succeeded"]


def test_running_state_and_wait(srv: FilesServer, client: Any) -> None:
    futs = [_future(srv, client) for _ in range(3)]
    srv.set_state(futs[0].run_id, "running")
    deadline = time.monotonic() + 5
    while not futs[0].running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert futs[0].running() and not futs[0].done()
    srv.set_state(futs[1].run_id, "succeeded")
    done, pending = concurrent.futures.wait(
        futs, timeout=5, return_when=concurrent.futures.FIRST_COMPLETED
    )
    assert futs[1] in done and futs[0] in pending
    for f in futs:
        srv.set_state(f.run_id, "succeeded")
    assert len(list(concurrent.futures.as_completed(futs, timeout=5))) == 3


def test_cancel_cancels_the_run_and_is_idempotent(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client)
    assert fut.cancel() is True
    assert fut.cancelled() and fut.done()
    assert srv.runs[fut.run_id].state == "cancelled"
    assert srv.requests_to("DELETE", rf"/jobs/10/runs/{fut.run_id}")
    with pytest.raises(concurrent.futures.CancelledError):
        fut.result(timeout=1)
    finished = _future(srv, client)
    srv.set_state(finished.run_id, "succeeded")
    finished.result(timeout=5)
    assert finished.cancel() is False and not finished.cancelled()
    # Finished on the server but not yet seen by a poll: the result wins, not "cancelled".
    raced = _future(srv, client, polling_interval=60)
    srv.set_state(raced.run_id, "succeeded")
    assert raced.cancel() is False
    assert raced.result(timeout=1).state == "succeeded"


def test_run_cancelled_on_the_server(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client)
    srv.set_state(fut.run_id, "running")
    srv.set_state(fut.run_id, "cancelled")
    with pytest.raises(concurrent.futures.CancelledError):
        fut.result(timeout=5)
    assert fut.cancelled()


def test_outputs_and_urls(srv: FilesServer, client: Any) -> None:
    fut = _future(srv, client, job_id=12)
    srv.runs[fut.run_id].outputs.append(
        {"objectType": "File", "objectId": 5, "name": "out.csv", "link": "x", "value": None}
    )
    srv.set_state(fut.run_id, "succeeded")
    outputs = fut.outputs()
    assert [(o.name, o.object_id) for o in outputs] == [("out.csv", 5)]
    assert fut.job_url == "https://platform.civisanalytics.com/spa/#/jobs/12"
    assert fut.job_run_url.endswith(f"/jobs/12?runId={fut.run_id}")


def test_fixed_polling_interval(srv: FilesServer, client: Any) -> None:
    with pytest.raises(ValueError):
        _future(srv, client, polling_interval=0)
    fut = _future(srv, client, polling_interval=0.2)
    time.sleep(0.5)
    polls = len(srv.requests_to("GET", rf"/jobs/10/runs/{fut.run_id}"))
    assert 2 <= polls <= 4  # creation + about one per 0.2 s
    fut.cancel()


def test_many_futures_share_one_poller(srv: FilesServer, client: Any) -> None:
    futs = [_future(srv, client, poll_on_creation=False) for _ in range(300)]
    time.sleep(0.3)
    # The scheduler and at most 8 workers, whatever the number of futures (the loopback
    # server's own threads are not counted).
    pollers = [t for t in threading.enumerate() if t.name.startswith("civis-poll")]
    assert 1 < len(pollers) <= 9
    assert _SCHEDULER.thread_count() <= 9
    for f in futs:
        srv.set_state(f.run_id, "succeeded")
    _, not_done = concurrent.futures.wait(futs, timeout=20)
    assert not not_done
    assert all(f.succeeded() for f in futs)


def test_civis_future_max_retries(srv: FilesServer, client: Any) -> None:
    first = srv.new_run(24)
    srv.on_new_run = lambda run: setattr(run, "state", "succeeded")
    fut = CivisFuture(client.jobs.get_runs, (24, first.id), client=client, max_retries=1)
    srv.set_state(first.id, "failed", "flaky")
    assert fut.result(timeout=5).state == "succeeded"
    assert fut.run_id != first.id
    # A poll that errors (here a 404) also counts as a failed attempt.
    lost = CivisFuture(client.jobs.get_runs, (24, 99999), client=client, max_retries=1)
    assert lost.result(timeout=5).state == "succeeded"
    with pytest.raises(ValueError):
        CivisFuture(client.jobs.get_runs, (24,), client=client, max_retries=1)
    with pytest.raises(ValueError):
        CivisFuture(client.jobs.get_runs, (24, first.id), client=client, max_retries=-1)


def test_container_future_reruns_failed_runs(srv: FilesServer, client: Any) -> None:
    first = srv.new_run(20)
    srv.set_state(first.id, "failed", "flaky")
    reruns: list[int] = []

    def fail_first_rerun(run: Any) -> None:
        reruns.append(run.id)
        if len(reruns) == 1:
            run.state, run.error = "failed", "flaky again"
        else:
            run.state = "succeeded"

    srv.on_new_run = fail_first_rerun
    fut = _container(20, first.id, max_n_retries=2, client=client)
    assert fut.result(timeout=5).state == "succeeded"
    assert len(reruns) == 2 and fut.run_id == reruns[-1]


def test_container_future_gives_up_after_retries(srv: FilesServer, client: Any) -> None:
    first = srv.new_run(21)
    srv.set_state(first.id, "failed", "broken")
    srv.on_new_run = lambda run: setattr(run, "state", "failed") or setattr(run, "error", "x")
    fut = _container(21, first.id, max_n_retries=1, client=client)
    with pytest.raises(CivisJobFailure):
        fut.result(timeout=5)
    assert len(srv.requests_to("POST", r"/jobs/21/runs")) == 1


def test_container_future_cancel(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(22)
    fut = _container(22, run.id, client=client)
    assert fut.cancel() is True and fut.cancelled()
    assert srv.runs[run.id].state == "cancelled"
    other = srv.new_run(23)
    done = _container(23, other.id, client=client, polling_interval=60)
    srv.set_state(other.id, "succeeded")
    assert done.cancel() is False  # 404 from the server: already finished
