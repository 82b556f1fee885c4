"""Fixtures for civis.io tests: a files server on loopback and a client pointed at it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from files_server import FilesServer, make_client


@pytest.fixture
def srv() -> Iterator[FilesServer]:
    with FilesServer() as server:
        yield server


@pytest.fixture
def client(srv: FilesServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_client(srv, monkeypatch)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multipart above 64 KiB, in parts of at least 16 KiB: the protocol, fast."""
    import civis.io._files as files

    monkeypatch.setattr(files, "MULTIPART_THRESHOLD", 64 * 1024)
    monkeypatch.setattr(files, "MIN_PART_SIZE", 16 * 1024)


@pytest.fixture
def sql_srv() -> Iterator[Any]:
    """A `SqlServer`: files and runs plus the SQL, query and import routes."""
    from sql_server import SqlServer

    with SqlServer() as server:
        yield server


@pytest.fixture
def sql_client(sql_srv: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_client(sql_srv, monkeypatch)
