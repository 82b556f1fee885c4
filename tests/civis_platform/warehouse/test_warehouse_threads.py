"""One warehouse shared by threads: concurrent loads, queries and exports."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from civis_platform.warehouse import CsvFormat, Warehouse, open_warehouse


def test_concurrent_operations(warehouse: Warehouse, schema: str) -> None:
    def work(n: int) -> tuple[int, int, list[list[str | None]]]:
        data = "k,v\n" + "".join(f"{i},{n}-{i}\n" for i in range(2000))
        loaded = warehouse.import_csv(schema, f"t{n}", [io.BytesIO(data.encode())])
        sink = io.BytesIO()
        exported = warehouse.export_csv(
            f"select * from {schema}.t{n}", sink, CsvFormat(compression="none")
        )
        rows = sum(b.num_rows for b in warehouse.read_arrow(f"select * from {schema}.t{n}"))
        assert rows == 2000
        preview = warehouse.execute(f"select count(*) from {schema}.t{n}").rows
        return loaded.rows_inserted, exported.row_count, preview

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    assert results == [(2000, 2000, [["2000"]])] * 8
    assert len(warehouse.list_tables(schema)) == 8


def test_open_warehouse(tmp_path) -> None:  # type: ignore[no-untyped-def]
    wh = open_warehouse(f"duckdb://{tmp_path}/x.duckdb")
    assert wh.execute("select 1").rows == [["1"]]
    wh.close()


def test_duckdb_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from civis_platform.warehouse import DuckDBWarehouse

    wh = DuckDBWarehouse(tmp_path / "c.duckdb", config={"threads": "1"})
    assert wh.execute("select current_setting('threads')").rows == [["1"]]
    wh.close()
