"""Both clients survive our server's rate limiting by honouring Retry-After."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contract_support import assert_all_ok, run_scenario

from civis_platform.config import Settings
from civis_platform.testing import ThreadedServer

LIMIT, WINDOW = 4, 2


@pytest.fixture(scope="module")
def strict_platform() -> Iterator[Any]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), rate_limit=LIMIT, rate_limit_window_seconds=WINDOW)
        with ThreadedServer(settings) as server:
            yield server


def test_clients_retry_through_rate_limits(strict_platform: Any, client_python: str) -> None:
    user = strict_platform.create_user(f"limited-{abs(hash(client_python)) % 10_000}")
    report = run_scenario(
        client_python,
        "rate_limited",
        endpoint=strict_platform.base_url,
        api_key=user.api_key,
        extra_env={"SCENARIO_LIMIT": str(LIMIT), "SCENARIO_WINDOW": str(WINDOW)},
    )
    assert_all_ok(report)
