"""Fixtures for run-engine tests: a migrated store (both engines) with one user."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).parent))

from run_helpers import new_owner, open_store

from civis_platform.store.db import Store


@pytest.fixture
def store(engine_url: str | None, tmp_path: Path) -> Iterator[Store]:
    """A migrated metadata store: a SQLite file, or the module's PostgreSQL database."""
    with open_store(engine_url, tmp_path) as opened:
        yield opened


@pytest.fixture
def owner_id(store: Store) -> int:
    """A user who owns the test jobs."""
    from platform_helpers import unique

    return new_owner(store, unique("owner"))
