"""Fixtures for civis.io tests.

Two servers: the real platform (`real_server`, a `civis_platform.testing.ThreadedServer`
shared by the session, and `real_client`, a client of the session's non-admin user per
test) for tests of outcomes; and the hand-written Civis fake (`srv`/`client`,
`sql_srv`/`sql_client`) for differential tests that inspect the exact requests the client
sends or need a Civis quirk (dropped connections, failing parts, scripted results) our
server does not have.
"""

from __future__ import annotations

import itertools
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


_USERS = itertools.count()


@pytest.fixture(scope="session")
def real_server() -> Iterator[Any]:
    """The real platform server on loopback (default DuckDB warehouse), one per session."""
    from civis_platform.testing import ThreadedServer

    with ThreadedServer() as server:
        yield server


@pytest.fixture(scope="session")
def real_user(real_server: Any) -> Any:
    """A non-admin user of `real_server` (one per session: a user's first client fetches
    the spec, later ones reuse it; tests keep apart by their own file and table names)."""
    return real_server.create_user(f"io_user{next(_USERS)}")


@pytest.fixture
def real_client(real_server: Any, real_user: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Our APIClient for `real_user` of `real_server`."""
    import civis

    monkeypatch.setenv("CIVIS_API_ENDPOINT", real_server.base_url)
    return civis.APIClient(api_key=real_user.api_key)


@pytest.fixture(scope="session")
def other_user(real_server: Any) -> Any:
    """A second non-admin user of `real_server`, who shares nothing with `real_user`."""
    return real_server.create_user(f"io_other{next(_USERS)}")
