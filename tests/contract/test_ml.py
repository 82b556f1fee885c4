"""The CivisML scenario (the tour's section 3) under the official client and ours, on the
server's CivisML templates and the Brandable demo tables."""

from __future__ import annotations

from typing import Any

import pytest
from contract_support import assert_all_ok, run_scenario

DATABASE = "Civis Database"


@pytest.fixture(scope="module")
def brandable(platform: Any) -> str:
    """The Brandable demo tables in the platform's DuckDB warehouse; its database name."""
    import pyarrow as pa
    from sqlalchemy import select

    from civis_platform.demo_data import BRANDABLE_SCHEMA, brandable_customers
    from civis_platform.store import tables as t
    from civis_platform.store.db import Store

    store = Store.from_url(platform.settings.resolved_metadata_url())
    try:
        with store.transaction() as conn:
            db_id = conn.execute(
                select(t.databases.c.id).where(t.databases.c.name == DATABASE)
            ).scalar_one()
    finally:
        store.dispose()
    handle = platform.app.state.platform.warehouses.get(db_id)
    handle.execute(f'CREATE SCHEMA IF NOT EXISTS "{BRANDABLE_SCHEMA}"')
    for name, table in brandable_customers().items():
        reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
        handle.write_arrow(BRANDABLE_SCHEMA, name, reader, existing_table_rows="drop")
    return DATABASE


@pytest.mark.timeout(1800)
def test_ml_scenario(platform: Any, client_python: str, brandable: str) -> None:
    user = platform.create_user(f"ml-{abs(hash(client_python)) % 100_000}")
    report = run_scenario(
        client_python,
        "ml",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={"CIVIS_TEST_DATABASE": brandable},
        timeout=1500,
    )
    assert_all_ok(report)
    assert len(report) >= 10
