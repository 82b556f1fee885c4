"""The CivisML scenario (the tour's section 3) under the official client and ours, on the
server's CivisML templates and the Brandable demo tables."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from contract_support import assert_all_ok, run_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "civis_platform"))

_runs = itertools.count(1)


@pytest.fixture(scope="module")
def brandable(platform: Any) -> str:
    """The demo's Brandable tables in the platform's DuckDB warehouse; its name."""
    from ml_helpers import write_table

    from civis_platform.demo_data import BRANDABLE_SCHEMA, brandable_customers

    for name, table in brandable_customers().items():
        write_table(platform, BRANDABLE_SCHEMA, name, pa.Table.from_batches(table.to_batches()))
    return "Civis Database"


@pytest.mark.timeout(1800)
def test_ml_scenario(platform: Any, client_python: str, brandable: str) -> None:
    run = next(_runs)
    user = platform.create_user(f"ml-{run}-{abs(hash(client_python)) % 10_000}")
    report = run_scenario(
        client_python,
        "ml",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={"ML_DATABASE": brandable, "ML_SCHEMA": f"brandable_upgrades_{run}"},
        timeout=1500,
    )
    assert_all_ok(report)
    assert len(report) >= 10
