"""Programs and helpers shared by the run-engine tests (imported by name)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from civis_platform.runner.base import RunContext, register, unregister
from civis_platform.services import jobs, runs
from civis_platform.services.users import insert_user
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head
from civis_platform.testing import ThreadedServer

# Gates that "test.gate" runs wait on, keyed by the job's config["gate"].
GATES: dict[str, threading.Event] = {}
EXECUTED: list[int] = []
_lock = threading.Lock()


def echo(run: RunContext) -> None:
    """Log config["lines"] lines; add config["outputs"] as outputs."""
    for n in range(int(run.config.get("lines", 0))):
        run.log(f"line {n}", "info")
    for output in run.config.get("outputs", []):
        run.add_output(**output)


def fail(run: RunContext) -> None:
    """Log a line then raise config["message"]."""
    run.log("about to fail")
    raise RuntimeError(run.config.get("message", ""))


def gate(run: RunContext) -> None:
    """Wait for the gate named in config (or cancellation); log on the way."""
    run.log("waiting")
    event = GATES[run.config["gate"]]
    while not event.wait(0.01):
        if run.is_cancel_requested():
            run.log("cancelled", "warn")
            return


def record(run: RunContext) -> None:
    """Record the run id (claim exclusivity tests)."""
    with _lock:
        EXECUTED.append(run.run_id)


PROGRAMS = {"test.echo": echo, "test.fail": fail, "test.gate": gate, "test.record": record}


@contextmanager
def registered() -> Iterator[None]:
    """Register the test programs for the duration of a block."""
    for key, program in PROGRAMS.items():
        register(key, civis_type=f"Test::{key}")(program)
    try:
        yield
    finally:
        for key in PROGRAMS:
            unregister(key)


def make_job(store: Store, owner_id: int, type: str, **config: Any) -> int:
    """A job row of ``type`` owned by ``owner_id``."""
    with store.transaction() as conn:
        return jobs.insert_job(
            conn, owner_id=owner_id, name=f"job {type}", type=type, config=config
        )


def run_row(store: Store, run_id: int) -> Any:
    """The runs row of ``run_id``."""
    with store.transaction() as conn:
        return conn.execute(select(t.runs).where(t.runs.c.id == run_id)).one()


def wait_state(store: Store, run_id: int, states: set[str], timeout: float = 10.0) -> Any:
    """Poll the store until the run is in one of ``states``; returns the row."""
    deadline = time.monotonic() + timeout
    while True:
        row = run_row(store, run_id)
        if row.state in states:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} stayed {row.state}")
        time.sleep(0.005)


def wait_final(store: Store, run_id: int, timeout: float = 10.0) -> Any:
    """Poll until the run is final."""
    return wait_state(store, run_id, set(runs.FINAL), timeout)


@contextmanager
def open_store(engine_url: str | None, folder: Path) -> Iterator[Store]:
    """A migrated store on SQLite (a file in ``folder``) or the given PostgreSQL URL."""
    store = Store.from_url(engine_url or f"sqlite:///{folder / 'meta.sqlite'}")
    upgrade_to_head(store.engine)
    try:
        yield store
    finally:
        store.dispose()


def new_owner(store: Store, username: str = "runner-owner") -> int:
    """Insert a user; returns the id."""
    with store.transaction() as conn:
        return insert_user(conn, username=username)


# Fixtures for the loopback tests of runs (import them by name into a test module).


@pytest.fixture(scope="module", autouse=True)
def programs() -> Iterator[None]:
    """The test programs above, registered for every test of a module that imports it."""
    with registered():
        yield


@pytest.fixture(scope="module")
def store(server: ThreadedServer) -> Iterator[Store]:
    """The module server's metadata store, for making jobs directly."""
    opened = Store.from_url(server.settings.resolved_metadata_url())
    yield opened
    opened.dispose()
