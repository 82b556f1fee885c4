"""Run engine timings: queue to start, and the cost of the sandbox.

Usage: ``.venv/bin/python bench/runs.py``. Prints the medians and writes them to
docs/PERFORMANCE.md; asserts nothing.

1. Queue to start: an in-process worker (2 slots, 1 s slow poll) on a fresh SQLite file
   or PostgreSQL database; runs are queued the way ``POST /jobs/{id}/runs`` queues
   them (commit, then the doorbell), and a trivial platform program stamps its start.
2. The sandbox: submit to finished of a trivial container script (``true``) through the
   same worker, once in a bubblewrap sandbox and once as a plain process (the executor
   with ``sandbox = none``), side by side, plus a bare ``subprocess.run(["bash", "-c",
   "true"])`` for scale; and 100 trivial sandboxed runs queued at once.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from subprocess import run as spawn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _harness import machine_note, update_performance_doc

import support
from civis_platform.config import Settings
from civis_platform.engine import sandbox_settings
from civis_platform.runner import runs
from civis_platform.runner.host import Host
from civis_platform.runner.jobtypes import JOB_TYPES, JobType
from civis_platform.runner.sandbox import LocalSandbox
from civis_platform.runner.worker import Worker
from civis_platform.services import jobs
from civis_platform.services.platform import Platform
from civis_platform.services.run_host import host_factory
from civis_platform.services.users import insert_user
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head

LATENCY_SAMPLES = 50
THROUGHPUT_RUNS = 300
SANDBOX_SAMPLES = 30
SANDBOX_THROUGHPUT = 100
ROUNDS = 3
started: dict[int, float] = {}
BENCH_TYPES = JOB_TYPES.with_types(
    JobType(key="bench.noop", civis_type="Bench", label="Bench", program="__main__:noop")
)


def noop(run: Host) -> None:
    """The trivial platform program: stamp the start."""
    started[run.run_id] = time.perf_counter()


@contextmanager
def _worker(postgres: bool, mode: str = "bwrap") -> Iterator[tuple[Worker, Store, int]]:
    """A started worker over a fresh store, and the id of a job's owner."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = (
            stack.enter_context(support.temporary_pg_database("bench_runs"))
            if postgres
            else f"sqlite:///{folder / 'meta.sqlite'}"
        )
        settings = Settings(home=folder, metadata_url=url, sandbox=mode)
        store = Store.from_url(url)
        upgrade_to_head(store.engine)
        platform = Platform.open(settings, store, job_types=BENCH_TYPES)
        sandbox = LocalSandbox(sandbox_settings(platform, "http://127.0.0.1:9/"))
        with store.transaction() as conn:
            owner = insert_user(conn, username="bench")
        worker = Worker(
            store,
            settings,
            host_factory=host_factory(platform),
            job_types=BENCH_TYPES,
            sandbox=sandbox,
            slots=2,
        ).start()
        try:
            yield worker, store, owner
        finally:
            worker.stop()
            platform.close()


def _job(store: Store, owner: int, type: str, **config: object) -> int:
    with store.transaction() as conn:
        return jobs.insert_job(conn, owner_id=owner, name=type, type=type, config=config)


def _queue(store: Store, worker: Worker, job: int) -> int:
    with store.transaction() as conn:
        run_id = runs.enqueue(conn, job)
    worker.notify()
    return run_id


def _wait_final(store: Store, run_id: int) -> str:
    while (state := runs.current_state(store, run_id)) not in runs.FINAL:
        time.sleep(0.0005)
    return state


def queue_to_start(postgres: bool) -> tuple[list[float], float]:
    """Enqueue->start latencies (seconds) and trivial runs per second on one engine."""
    started.clear()
    with _worker(postgres) as (worker, store, owner):
        job = _job(store, owner, "bench.noop")
        latencies = []
        for _ in range(LATENCY_SAMPLES):
            time.sleep(0.02)  # slots idle on the doorbell
            queued_at = time.perf_counter()
            run_id = _queue(store, worker, job)
            while run_id not in started:
                time.sleep(0.0005)
            latencies.append(started[run_id] - queued_at)
        t0 = time.perf_counter()
        ids = [_queue(store, worker, job) for _ in range(THROUGHPUT_RUNS)]
        for run_id in ids:
            _wait_final(store, run_id)
        elapsed = time.perf_counter() - t0
    return latencies, THROUGHPUT_RUNS / elapsed


def container_runs(mode: str) -> tuple[float, float]:
    """(median submit-to-finished seconds, runs per second for 100 at once) of a trivial
    container script with the executor in ``mode``."""
    with _worker(False, mode) as (worker, store, owner):
        job = _job(store, owner, "container", docker_command="true")
        _wait_final(store, _queue(store, worker, job))  # the image's first use
        samples = []
        for _ in range(SANDBOX_SAMPLES):
            t0 = time.perf_counter()
            assert _wait_final(store, _queue(store, worker, job)) == "succeeded"
            samples.append(time.perf_counter() - t0)
        jobs_ = [_job(store, owner, "container", docker_command="true") for _ in range(100)]
        t0 = time.perf_counter()
        ids = [_queue(store, worker, j) for j in jobs_]
        assert all(_wait_final(store, run_id) == "succeeded" for run_id in ids)
        return statistics.median(samples), SANDBOX_THROUGHPUT / (time.perf_counter() - t0)


def bare_spawn() -> float:
    """Median seconds of ``bash -c true`` started directly."""
    samples = []
    for _ in range(SANDBOX_SAMPLES):
        t0 = time.perf_counter()
        spawn(["bash", "-c", "true"], check=True)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def _row(name: str, seconds: float, per_second: float) -> str:
    return f"| {name} | {seconds * 1000:.1f} ms | {per_second:.1f} runs/s |"


def main() -> None:
    rows = []
    for engine, postgres in (("SQLite", False), ("PostgreSQL", True)):
        latencies, per_second = queue_to_start(postgres)
        p90 = sorted(latencies)[int(0.9 * len(latencies))]
        rows.append(
            f"| {engine} | {statistics.median(latencies) * 1000:.1f} ms | "
            f"{p90 * 1000:.1f} ms | {per_second:.0f}/s |"
        )
    rounds: dict[str, list[tuple[float, float]]] = {"bwrap": [], "none": [], "spawn": []}
    for _ in range(ROUNDS):  # interleaved, so both modes see the same machine load
        rounds["bwrap"].append(container_runs("bwrap"))
        rounds["none"].append(container_runs("none"))
        rounds["spawn"].append((bare_spawn(), 0.0))
    latency = {k: statistics.median(r[0] for r in v) for k, v in rounds.items()}
    rate = {k: statistics.median(r[1] for r in v) for k, v in rounds.items()}
    overhead = (latency["bwrap"] - latency["none"]) * 1000
    text = "\n".join(
        [
            "## Run engine: queue to start, and the sandbox (`bench/runs.py`)",
            "",
            f"{machine_note()} An in-process worker with 2 slots; {LATENCY_SAMPLES} latency "
            f"samples and {THROUGHPUT_RUNS} trivial runs per metadata engine.",
            "",
            "| metadata store | enqueue to start, median | p90 | trivial runs per second |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"A trivial container script (`true`) from queued to succeeded on SQLite, "
            f"{SANDBOX_SAMPLES} runs one after another, then {SANDBOX_THROUGHPUT} queued at "
            f"once; median of {ROUNDS} interleaved rounds. The sandboxed run is a bubblewrap "
            "sandbox with its API forwarder, cgroup and run key; the plain process is the "
            "same executor with `sandbox = none`. Images are built beforehand (never on a "
            "run's path).",
            "",
            "| executor | submit to finished, median | 100 at once |",
            "|---|---:|---:|",
            _row("bubblewrap sandbox", latency["bwrap"], rate["bwrap"]),
            _row("plain process", latency["none"], rate["none"]),
            f"| `bash -c true`, spawned directly | {latency['spawn'] * 1000:.1f} ms | |",
            "",
            f"The sandbox adds **{overhead:.1f} ms** per run (goal: under 30 ms).",
        ]
    )
    print(text)
    update_performance_doc("runs", text)


if __name__ == "__main__":
    main()
