"""Typed files in and out of both warehouses: `import_parquet`, `export_parquet` and
`export_arrow` (the Arrow IPC stream)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civis_platform.warehouse import (
    Column,
    CsvImportError,
    DuckDBWarehouse,
    SqlError,
    TableExistsError,
    TableNotFoundError,
    Warehouse,
)

TYPED = pa.table(
    {
        "id": pa.array([1, 2, None], pa.int64()),
        "zip": ["007", "", None],
        "price": [1.5, None, -2.25],
        "ok": [True, False, None],
        "day": pa.array([dt.date(2020, 1, 31), None, dt.date(1999, 12, 1)], pa.date32()),
        "at": pa.array([dt.datetime(2020, 1, 31, 12, 30, 1, 500), None, None], pa.timestamp("us")),
        "note": ['say "hi", then\nleave', "ünïcödé", None],
    }
)


def _parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


def _load(
    warehouse: Warehouse, schema: str, table: str, paths: list[Path], **options: object
) -> int:
    with_files: list[BinaryIO] = [open(p, "rb") for p in paths]  # noqa: SIM115
    try:
        return warehouse.import_parquet(schema, table, with_files, **options).rows_inserted  # type: ignore[arg-type]
    finally:
        for f in with_files:
            f.close()


def _rows(warehouse: Warehouse, sql: str) -> list[list[str | None]]:
    return warehouse.execute(sql, preview_rows=1000).rows


def test_import_keeps_names_types_and_values(
    warehouse: Warehouse, schema: str, tmp_path: Path
) -> None:
    assert _load(warehouse, schema, "t", [_parquet(TYPED, tmp_path / "a.parquet")]) == 3
    info = warehouse.describe_table(schema, "t")
    assert [(c.name, c.sql_type) for c in info.columns] == [
        ("id", "bigint"),
        ("zip", "character varying"),
        ("price", "double precision"),
        ("ok", "boolean"),
        ("day", "date"),
        ("at", "timestamp without time zone"),
        ("note", "character varying"),
    ]
    back = pa.Table.from_batches(
        list(warehouse.read_arrow(f'SELECT * FROM "{schema}"."t" ORDER BY id NULLS LAST'))
    )
    assert back.column("zip").to_pylist() == ["007", "", None]
    assert back.column("note").to_pylist() == ['say "hi", then\nleave', "ünïcödé", None]
    assert back.column("day").to_pylist() == [dt.date(2020, 1, 31), None, dt.date(1999, 12, 1)]
    assert back.column("at").to_pylist()[0] == dt.datetime(2020, 1, 31, 12, 30, 1, 500)


def test_given_columns_name_and_type_by_position(
    warehouse: Warehouse, schema: str, tmp_path: Path
) -> None:
    path = _parquet(pa.table({"a": [1, 2], "b": ["3", "4"]}), tmp_path / "a.parquet")
    columns = [Column("n", "varchar(10)"), Column("m", "bigint")]
    assert _load(warehouse, schema, "t", [path], columns=columns) == 2
    assert [c.name for c in warehouse.describe_table(schema, "t").columns] == ["n", "m"]
    assert _rows(warehouse, f'SELECT m + 1 FROM "{schema}"."t" ORDER BY m') == [["4"], ["5"]]


def test_modes_and_several_files_in_one_load(
    warehouse: Warehouse, schema: str, tmp_path: Path
) -> None:
    first = _parquet(pa.table({"k": [1, 2], "v": ["a", "b"]}), tmp_path / "1.parquet")
    second = _parquet(pa.table({"k": [2, 3], "v": ["B", "c"]}), tmp_path / "2.parquet")
    assert _load(warehouse, schema, "t", [first, second]) == 4
    with pytest.raises(TableExistsError):
        _load(warehouse, schema, "t", [first])
    _load(warehouse, schema, "t", [first], existing_table_rows="truncate")
    assert _rows(warehouse, f'SELECT count(*) FROM "{schema}"."t"') == [["2"]]
    _load(warehouse, schema, "t", [second], existing_table_rows="upsert", primary_keys=["k"])
    assert _rows(warehouse, f'SELECT k, v FROM "{schema}"."t" ORDER BY k') == [
        ["1", "a"],
        ["2", "B"],
        ["3", "c"],
    ]
    _load(warehouse, schema, "t", [first], existing_table_rows="append")
    assert _rows(warehouse, f'SELECT count(*) FROM "{schema}"."t"') == [["5"]]
    _load(warehouse, schema, "t", [second], existing_table_rows="drop")
    assert _rows(warehouse, f'SELECT count(*) FROM "{schema}"."t"') == [["2"]]


def test_bad_files_fail_clearly_and_leave_the_table(
    warehouse: Warehouse, schema: str, tmp_path: Path
) -> None:
    good = _parquet(pa.table({"k": [1], "v": ["a"]}), tmp_path / "good.parquet")
    _load(warehouse, schema, "t", [good])
    other = _parquet(pa.table({"k": [1], "w": [2.5]}), tmp_path / "other.parquet")
    with pytest.raises(CsvImportError, match="source file 2 has the columns k int64, w double"):
        _load(warehouse, schema, "t", [good, other], existing_table_rows="append")
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(CsvImportError, match="source file 1 is not a valid Parquet file"):
        _load(warehouse, schema, "t", [truncated], existing_table_rows="drop")
    text = _parquet(pa.table({"k": ["x"], "v": ["a"]}), tmp_path / "text.parquet")
    with pytest.raises(CsvImportError):  # "x" is no bigint: the whole load fails
        _load(
            warehouse,
            schema,
            "t",
            [text],
            existing_table_rows="drop",
            columns=[Column("k", "bigint"), Column("v", "varchar")],
        )
    with pytest.raises(CsvImportError, match="2 columns were given but the data has 3"):
        wide = _parquet(pa.table({"a": [1], "b": [2], "c": [3]}), tmp_path / "wide.parquet")
        _load(
            warehouse,
            schema,
            "t",
            [wide],
            existing_table_rows="drop",
            columns=[Column("k", "bigint"), Column("v", "varchar")],
        )
    repeated = tmp_path / "repeated.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], ["a", "a"]), repeated)
    with pytest.raises(CsvImportError, match=r"repeated in the Parquet file: \['a'\]"):
        _load(warehouse, schema, "t", [repeated], existing_table_rows="drop")
    # Every failure above was all or nothing: the first load is still there, intact.
    assert _rows(warehouse, f'SELECT k, v FROM "{schema}"."t"') == [["1", "a"]]


def test_streams_that_are_not_local_files_load_too(warehouse: Warehouse, schema: str) -> None:
    sink = io.BytesIO()
    pq.write_table(TYPED, sink)
    sink.seek(0)
    assert warehouse.import_parquet(schema, "t", [sink]).rows_inserted == 3


def test_export_round_trips_types_and_repeated_names(
    warehouse: Warehouse, schema: str, tmp_path: Path
) -> None:
    _load(warehouse, schema, "t", [_parquet(TYPED, tmp_path / "a.parquet")])
    sink = io.BytesIO()
    result = warehouse.export_parquet(
        f'SELECT id, zip, price, ok, day, "at", note, id AS zip FROM "{schema}"."t" ORDER BY id',
        sink,
    )
    assert result.row_count == 3
    assert result.columns == ["id", "zip", "price", "ok", "day", "at", "note", "zip"]
    sink.seek(0)
    back = pq.read_table(sink)
    assert back.column_names == ["id", "zip", "price", "ok", "day", "at", "note", "zip_2"]
    assert back.schema.field("day").type == pa.date32()
    assert back.schema.field("at").type == pa.timestamp("us")
    assert back.schema.field("ok").type == pa.bool_()
    assert back.column("zip").to_pylist() == ["007", "", None]
    assert back.column("note").to_pylist() == ['say "hi", then\nleave', "ünïcödé", None]


def test_export_of_bad_sql_names_the_problem(warehouse: Warehouse) -> None:
    with pytest.raises(TableNotFoundError, match="no_table"):
        warehouse.export_parquet("SELECT * FROM no_such_schema.no_table", io.BytesIO())
    with pytest.raises(SqlError, match="syntax"):
        warehouse.export_parquet("SELEC 1", io.BytesIO())


def test_export_of_an_empty_result_is_a_valid_file(warehouse: Warehouse, schema: str) -> None:
    warehouse.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    warehouse.execute(f'CREATE TABLE "{schema}"."e" (a integer, b varchar)')
    sink = io.BytesIO()
    assert warehouse.export_parquet(f'SELECT * FROM "{schema}"."e"', sink).row_count == 0
    sink.seek(0)
    assert pq.read_table(sink).column_names == ["a", "b"]


def test_duckdb_writes_types_parquet_lacks_as_their_text(duck: DuckDBWarehouse) -> None:
    sink = io.BytesIO()
    duck.export_parquet(
        "SELECT 12345678901234567890123::HUGEINT AS big, INTERVAL 1 DAY AS span, "
        "[1, 2] AS list, '6b1c1b2e-1f3a-4e2a-9c1d-0a1b2c3d4e5f'::UUID AS id, "
        "1.50::DECIMAL(10, 2) AS money",
        sink,
    )
    sink.seek(0)
    back = pq.read_table(sink)
    assert back.schema.field("money").type == pa.decimal128(10, 2)
    assert back.to_pylist() == [
        {
            "big": "12345678901234567890123",
            "span": "1 day",
            "list": "[1, 2]",
            "id": "6b1c1b2e-1f3a-4e2a-9c1d-0a1b2c3d4e5f",
            "money": back.column("money")[0].as_py(),
        }
    ]


def test_postgres_numeric_without_scale_reads_as_double(warehouse: Warehouse) -> None:
    # PostgreSQL hands such values over as Decimal; Arrow carries them as float64.
    sink = io.BytesIO()
    warehouse.export_parquet("SELECT CAST(1.25 AS numeric) AS n", sink)
    sink.seek(0)
    assert pq.read_table(sink).column("n").to_pylist()[0] == pytest.approx(1.25)


def test_arrow_export_matches_the_parquet_export(
    warehouse: Warehouse, schema: str, tmp_path: Path
) -> None:
    _load(warehouse, schema, "t", [_parquet(TYPED, tmp_path / "a.parquet")])
    sql = f'SELECT *, id AS zip FROM "{schema}"."t" ORDER BY id'
    as_parquet, as_arrow = io.BytesIO(), io.BytesIO()
    assert warehouse.export_parquet(sql, as_parquet).row_count == 3
    result = warehouse.export_arrow(sql, as_arrow)
    assert result.row_count == 3 and result.columns[-1] == "zip"
    as_parquet.seek(0)
    as_arrow.seek(0)
    streamed = pa.ipc.open_stream(as_arrow).read_all()
    assert streamed.column_names[-1] == "zip_2"
    assert streamed.equals(pq.read_table(as_parquet).cast(streamed.schema))


def test_duckdb_arrow_export_writes_odd_types_as_text(duck: DuckDBWarehouse) -> None:
    sink = io.BytesIO()
    duck.export_arrow("SELECT INTERVAL 1 DAY AS span, [1, 2] AS list, 7::HUGEINT AS big", sink)
    sink.seek(0)
    assert pa.ipc.open_stream(sink).read_all().to_pylist() == [
        {"span": "1 day", "list": "[1, 2]", "big": "7"}
    ]
