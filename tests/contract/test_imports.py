"""The imports scenario (civis.io table loaders and transfer_table) under the official
client and ours, on the DuckDB and PostgreSQL warehouses; tables are then read straight
from the warehouses."""

from __future__ import annotations

import itertools
from typing import Any

import requests
from contract_support import assert_all_ok, run_scenario, upload_as

_runs = itertools.count(1)
SCHEMA = "contract_imports"


def _foreign_file(platform: Any, name: str) -> int:
    """A file owned by another user (the scenario's user must not be able to load it)."""
    return upload_as(platform, platform.create_user(name).api_key, "secret.csv", b"a,b\n1,2\n")


def _rows(platform: Any, database: str, sql: str) -> list[list[str | None]] | None:
    from civis_platform.warehouse import SqlError, TableNotFoundError

    databases = requests.get(
        platform.base_url + "databases", auth=(platform.admin_api_key, ""), timeout=30
    ).json()
    db_id = next(d["id"] for d in databases if d["name"] == database)
    try:
        warehouse = platform.app.state.platform.warehouses.get(db_id)
        return list(warehouse.execute(sql, preview_rows=1000).rows)
    except (SqlError, TableNotFoundError):
        return None


def test_imports_scenario(
    platform: Any, client_python: str, database_name: str, postgres_database: str
) -> None:
    run = next(_runs)
    user = platform.create_user(f"imports-{run}-{abs(hash(client_python)) % 10_000}")
    prefix = f"r{run}"
    transfer = postgres_database if database_name == "Civis Database" else "Civis Database"
    report = run_scenario(
        client_python,
        "imports",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={
            "IMPORT_DATABASE": database_name,
            "IMPORT_SCHEMA": SCHEMA,
            "IMPORT_PREFIX": prefix,
            "TRANSFER_DATABASE": transfer,
            "FOREIGN_FILE_ID": str(_foreign_file(platform, f"foreign-{run}")),
        },
        timeout=300,
    )
    assert_all_ok(report)

    def rows(name: str, order: str = "1", database: str = database_name) -> Any:
        return _rows(
            platform, database, f'SELECT * FROM {SCHEMA}."{prefix}_{name}" ORDER BY {order}'
        )

    assert rows("frame") == [["1", "ann", "1.5"], ["2", None, "2.25"], ["3", "zoë", None]]
    assert rows("piped") == [["02134", "Boston"], ["90210", "Beverly Hills"]]
    assert rows("multi") == [["1", "a"], ["2", "b"], ["3", "c"]]
    assert rows("modes") == [["6", "f"]]
    assert rows("dropped") == [["x", "y", "z"]]
    assert rows("upsert") == [["1", "a"], ["2", "B"], ["3", "c"]]
    assert rows("parquet", order="n") == [["007", "1"], [None, "2"]]
    for bad in ("malformed", "mismatched", "foreign"):
        assert rows(bad) is None, bad
    assert rows("moved", database=transfer) == [["1", "a"], ["2", "b"], ["3", "c"]]
    assert rows("returned") == [["1", "a"], ["2", "b"], ["3", "c"]]
    assert rows("nowhere", database=transfer) is None
