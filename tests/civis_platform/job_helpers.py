"""Throwaway job types for run-engine tests: the job-type table plus ``test.*`` entries
whose programs are below (platform programs: they run in the worker's thread).

Every test server (`conftest.server`) and worker in the suite takes `TEST_JOB_TYPES`.
"""

from __future__ import annotations

import threading

from civis_platform.runner.host import Host
from civis_platform.runner.jobtypes import JOB_TYPES, JobType

# Gates that "test.gate" runs wait on, keyed by the job's config["gate"].
GATES: dict[str, threading.Event] = {}
EXECUTED: list[int] = []
_lock = threading.Lock()


def echo(run: Host) -> None:
    """Log config["lines"] lines; add config["outputs"] as outputs."""
    for n in range(int(run.config.get("lines", 0))):
        run.log(f"line {n}", "info")
    for output in run.config.get("outputs", []):
        run.add_output(**output)


def fail(run: Host) -> None:
    """Log a line then raise config["message"]."""
    run.log("about to fail")
    raise RuntimeError(run.config.get("message", ""))


def gate(run: Host) -> None:
    """Wait for the gate named in config (or cancellation); log on the way."""
    run.log("waiting")
    event = GATES[run.config["gate"]]
    while not event.wait(0.01):
        if run.is_cancel_requested():
            run.log("cancelled", "warn")
            return


def record(run: Host) -> None:
    """Record the run id (claim exclusivity tests)."""
    with _lock:
        EXECUTED.append(run.run_id)


TEST_PROGRAMS = {
    "test.echo": "echo",
    "test.fail": "fail",
    "test.gate": "gate",
    "test.record": "record",
}
TEST_JOB_TYPES = JOB_TYPES.with_types(
    *(
        JobType(
            key=key,
            civis_type=f"Test::{key}",
            label=f"Test job {key}",
            program=f"job_helpers:{function}",
            retries=1 if key == "test.gate" else 0,
        )
        for key, function in TEST_PROGRAMS.items()
    )
)
