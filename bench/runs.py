"""Run engine timings: enqueue -> start latency and trivial runs per second.

Usage: ``.venv/bin/python bench/runs.py``. Measures both metadata engines, prints the
medians and writes them to docs/PERFORMANCE.md; asserts nothing. An in-process
dispatcher (2 workers, 1 s slow poll) on a fresh SQLite file or PostgreSQL database;
runs are queued the way ``POST /jobs/{id}/runs`` queues them (commit, then the doorbell).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _harness import machine_note, update_performance_doc

import support
from civis_platform.config import Settings
from civis_platform.runner.base import register, unregister
from civis_platform.runner.dispatcher import Dispatcher
from civis_platform.services import jobs, runs
from civis_platform.services.users import insert_user
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head

LATENCY_SAMPLES = 50
THROUGHPUT_RUNS = 300
started: dict[int, float] = {}


def _noop(run: object) -> None:
    started[run.run_id] = time.perf_counter()  # type: ignore[attr-defined]


def measure(postgres: bool) -> tuple[list[float], float]:
    """Enqueue->start latencies (seconds) and trivial runs per second on one engine."""
    started.clear()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = (
            stack.enter_context(support.temporary_pg_database("bench_runs"))
            if postgres
            else f"sqlite:///{folder / 'meta.sqlite'}"
        )
        store = Store.from_url(url)
        upgrade_to_head(store.engine)
        register("bench.noop")(_noop)
        with store.transaction() as conn:
            owner = insert_user(conn, username="bench")
            job = jobs.insert_job(conn, owner_id=owner, name="noop", type="bench.noop")
        dispatcher = Dispatcher(store, Settings(home=folder), workers=2).start()
        try:
            latencies = []
            for _ in range(LATENCY_SAMPLES):
                time.sleep(0.02)  # workers idle on the doorbell
                queued_at = time.perf_counter()
                with store.transaction() as conn:
                    run_id = runs.enqueue(conn, job)
                dispatcher.notify()
                while run_id not in started:
                    time.sleep(0.0005)
                latencies.append(started[run_id] - queued_at)
            t0 = time.perf_counter()
            ids = []
            for _ in range(THROUGHPUT_RUNS):
                with store.transaction() as conn:
                    ids.append(runs.enqueue(conn, job))
                dispatcher.notify()
            for run_id in ids:
                while runs.current_state(store, run_id) not in runs.FINAL:
                    time.sleep(0.001)
            elapsed = time.perf_counter() - t0
        finally:
            dispatcher.stop()
            unregister("bench.noop")
            store.dispose()
    return latencies, THROUGHPUT_RUNS / elapsed


def main() -> None:
    rows = []
    for engine, postgres in (("SQLite", False), ("PostgreSQL", True)):
        latencies, per_second = measure(postgres)
        p90 = sorted(latencies)[int(0.9 * len(latencies))]
        rows.append(f"| {engine} | {statistics.median(latencies) * 1000:.1f} ms | "
                    f"{p90 * 1000:.1f} ms | {per_second:.0f}/s |")
    text = "\n".join([
        "## Run engine: queue to start (`bench/runs.py`)",
        "",
        f"{machine_note()} An in-process dispatcher with 2 workers; {LATENCY_SAMPLES} "
        f"latency samples and {THROUGHPUT_RUNS} trivial runs per metadata engine.",
        "",
        "| metadata store | enqueue to start, median | p90 | trivial runs per second |",
        "|---|---:|---:|---:|",
        *rows,
    ])
    print(text)
    update_performance_doc("runs", text)


if __name__ == "__main__":
    main()
