"""Fixtures for black-box contract tests: a real server on loopback, driven by the official
client (its own venv) and by ours, running the very same scenario scripts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(TESTS.parent / "scripts"))

from support import official_python  # noqa: E402

# Each scenario runs under both clients: the official one (civis==2.10.1 in .venv-official)
# and ours (this venv). Both import the name `civis`; the interpreter decides which.
CLIENTS = {
    "official": lambda: str(official_python()),
    "ours": lambda: sys.executable,
}


@pytest.fixture(scope="session")
def platform() -> Iterator[Any]:
    """One platform server for the contract tests (SQLite metadata, throwaway home)."""
    from civis_platform.testing import ThreadedServer

    with ThreadedServer() as server:
        yield server


@pytest.fixture(params=sorted(CLIENTS))
def client_python(request: pytest.FixtureRequest) -> str:
    """The interpreter whose `import civis` is the client under test."""
    return CLIENTS[request.param]()


