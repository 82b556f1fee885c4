"""Table transfer between engines with `read_arrow` / `write_arrow`."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest

from civis_platform.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse

TABLE = pa.table(
    {
        "small": pa.array([1, None, -3], pa.int16()),
        "i": pa.array([1, 2_000_000_000, None], pa.int32()),
        "big": pa.array([2**40, None, -(2**62)], pa.int64()),
        "f": pa.array([0.1, None, -1e300], pa.float64()),
        "zip": ["02134", None, ""],
        "d": pa.array([dt.date(2024, 2, 29), None, dt.date(1970, 1, 1)], pa.date32()),
        "ts": pa.array(
            [dt.datetime(2024, 1, 2, 3, 4, 5, 678901), None, dt.datetime(1999, 12, 31)],
            pa.timestamp("us"),
        ),
        "b": pa.array([True, False, None]),
        "u": ["日本語 ✓", 'quote " and, comma\nnewline', None],
        "money": pa.array(
            [decimal.Decimal("12.34"), None, decimal.Decimal("-0.01")], pa.decimal128(10, 2)
        ),
    }
)


def _reader(table: pa.Table) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=2))


def _copy(src: Warehouse, dst: Warehouse, schema: str, src_table: str, dst_table: str) -> int:
    return dst.write_arrow(schema, dst_table, src.read_arrow(f"select * from {schema}.{src_table}"))


def test_arrow_round_trip_on_each_engine(warehouse: Warehouse, schema: str) -> None:
    assert warehouse.write_arrow(schema, "t", _reader(TABLE)) == 3
    got = warehouse.read_arrow(f"select * from {schema}.t", batch_size=2).read_all()
    assert got.schema == TABLE.schema
    assert got.to_pylist() == TABLE.to_pylist()


def test_duckdb_to_postgres_to_duckdb(
    duck: DuckDBWarehouse, pg: PostgresWarehouse, schema: str
) -> None:
    duck.write_arrow(schema, "origin", _reader(TABLE))
    assert _copy(duck, pg, schema, "origin", "copy") == 3
    pg_types = [c.sql_type for c in pg.describe_table(schema, "copy").columns]
    assert pg_types == [
        "smallint",
        "integer",
        "bigint",
        "double precision",
        "character varying",
        "date",
        "timestamp without time zone",
        "boolean",
        "character varying",
        "numeric(10,2)",
    ]
    assert _copy(pg, duck, schema, "copy", "back") == 3
    back = duck.read_arrow(f"select * from {schema}.back").read_all()
    assert back.schema == TABLE.schema
    assert back.to_pylist() == TABLE.to_pylist()
    assert (
        duck.describe_table(schema, "back").columns == duck.describe_table(schema, "origin").columns
    )


def test_transfer_into_existing_table_appends(
    duck: DuckDBWarehouse, pg: PostgresWarehouse, schema: str
) -> None:
    duck.write_arrow(schema, "t", _reader(TABLE))
    pg.write_arrow(schema, "t", _reader(TABLE))
    pg.write_arrow(
        schema, "t", duck.read_arrow(f"select * from {schema}.t"), existing_table_rows="append"
    )
    assert pg.describe_table(schema, "t").row_count == 6


def test_read_arrow_streams_in_batches(warehouse: Warehouse) -> None:
    reader = warehouse.read_arrow(
        "select i from generate_series(1, 25000) as g(i)", batch_size=10_000
    )
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == 25000 and max(sizes) <= 10_000 and len(sizes) >= 3


@pytest.mark.parametrize("mode", ["fail", "append"])
def test_failed_write_arrow_leaves_no_table(warehouse: Warehouse, schema: str, mode: str) -> None:
    def batches():
        yield from TABLE.to_batches(max_chunksize=1)[:2]
        raise RuntimeError("source connection lost")

    if mode == "append":
        warehouse.write_arrow(schema, "t", _reader(TABLE))
    with pytest.raises(Exception, match="source connection lost"):
        warehouse.write_arrow(
            schema,
            "t",
            pa.RecordBatchReader.from_batches(TABLE.schema, batches()),
            existing_table_rows=mode,
        )  # type: ignore[arg-type]
    if mode == "fail":
        assert all(t.name != "t" for t in warehouse.list_tables(schema))
    else:
        assert warehouse.describe_table(schema, "t").row_count == 3
