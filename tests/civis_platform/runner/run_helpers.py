"""Helpers shared by the run-engine tests (imported by name); the test programs and
their job types are in `job_helpers`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from job_helpers import EXECUTED, GATES, TEST_JOB_TYPES
from sqlalchemy import select

from civis_platform.config import Settings
from civis_platform.runner import runs
from civis_platform.runner.worker import Worker
from civis_platform.services import jobs
from civis_platform.services.platform import Platform
from civis_platform.services.run_host import host_factory
from civis_platform.services.users import insert_user
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head
from civis_platform.testing import ThreadedServer

__all__ = ["EXECUTED", "GATES", "TEST_JOB_TYPES"]


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


def make_worker(store: Store, settings: Settings, **options: Any) -> Worker:
    """A worker (not started) over ``store`` with the test job types, whose runs get
    in-process hosts of a platform on ``settings``."""
    platform = Platform.open(settings, store, job_types=TEST_JOB_TYPES)
    return Worker(
        store,
        settings,
        host_factory=host_factory(platform),
        job_types=TEST_JOB_TYPES,
        **options,
    )


# Fixtures for the loopback tests of runs (import them by name into a test module).


@pytest.fixture(scope="module")
def store(server: ThreadedServer) -> Iterator[Store]:
    """The module server's metadata store, for making jobs directly."""
    opened = Store.from_url(server.settings.resolved_metadata_url())
    yield opened
    opened.dispose()
