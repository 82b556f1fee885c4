"""Fixtures for the client tests: the reference spec, the official client's surface, an
isolated spec cache, and a small scripted HTTP server on loopback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(Path(__file__).parent))

from scripted_server import ScriptedServer  # noqa: E402

import support  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Module- and session-scoped fixtures must not write to the user's real cache either."""
    cache = tmp_path_factory.mktemp("session-spec-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIVIS_SPEC_CACHE_DIR", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> Path:
    """Every test gets its own spec cache and a clean environment."""
    cache = tmp_path_factory.mktemp("spec-cache")
    monkeypatch.setenv("CIVIS_SPEC_CACHE_DIR", str(cache))
    for var in (
        "CIVIS_API_KEY",
        "CIVIS_API_ENDPOINT",
        "CIVIS_JOB_ID",
        "CIVIS_RUN_ID",
        "CIVIS_SPEC_CACHE_TTL",
        "CIVIS_API_SPEC_PATH",
    ):
        monkeypatch.delenv(var, raising=False)
    return cache


@pytest.fixture(scope="session")
def reference_spec_path() -> Path:
    return support.reference_spec_path()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv
