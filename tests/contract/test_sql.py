"""The SQL scenario (civis.io queries, exports and reads), run by the official client and
by ours against our server, on the DuckDB and the PostgreSQL warehouse."""

from __future__ import annotations

from typing import Any

from contract_support import assert_all_ok, run_scenario


def test_sql_scenario(platform: Any, client_python: str, database_name: str) -> None:
    user = platform.create_user(f"sql-{abs(hash((client_python, database_name))) % 100_000}")
    report = run_scenario(
        client_python,
        "sql",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={"CIVIS_TEST_DATABASE": database_name},
        timeout=300,
    )
    assert_all_ok(report)
    assert len(report) >= 12
