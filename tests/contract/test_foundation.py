"""The foundation scenarios, run by the official client and by ours against our server."""

from __future__ import annotations

from typing import Any

from contract_support import assert_all_ok, run_scenario


def test_foundation_scenario(platform: Any, client_python: str) -> None:
    user = platform.create_user(f"scenario-{abs(hash(client_python)) % 10_000}")
    report = run_scenario(
        client_python,
        "foundation",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={"SCENARIO_USERNAME": user.username},
    )
    assert_all_ok(report)
    assert len(report) >= 10
