"""``existing_table_rows`` semantics, ``max_errors`` and atomicity of loads."""

from __future__ import annotations

import io

import pyarrow as pa
import pytest

from civis_platform.warehouse import (
    Column,
    CsvImportError,
    TableExistsError,
    TableNotFoundError,
    Warehouse,
)


def _csv(text: str) -> list[io.BytesIO]:
    return [io.BytesIO(text.encode())]


def _rows(warehouse: Warehouse, schema: str, table: str = "t") -> list[list[str | None]]:
    return warehouse.execute(f"select * from {schema}.{table} order by 1").rows


@pytest.fixture
def loaded(warehouse: Warehouse, schema: str) -> Warehouse:
    warehouse.import_csv(schema, "t", _csv("k,v\n1,a\n2,b\n"))
    return warehouse


def test_fail_refuses_an_existing_table(loaded: Warehouse, schema: str) -> None:
    with pytest.raises(TableExistsError, match="already exists"):
        loaded.import_csv(schema, "t", _csv("k,v\n3,c\n"), existing_table_rows="fail")
    assert _rows(loaded, schema) == [["1", "a"], ["2", "b"]]


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("append", [["1", "a"], ["2", "B"], ["2", "b"], ["3", "c"]]),
        ("truncate", [["2", "B"], ["3", "c"]]),
        ("drop", [["2", "B"], ["3", "c"]]),
        ("upsert", [["1", "a"], ["2", "B"], ["3", "c"]]),
    ],
)
def test_existing_table_rows(loaded: Warehouse, schema: str, mode: str, expected: list) -> None:
    result = loaded.import_csv(
        schema,
        "t",
        _csv("k,v\n2,B\n3,c\n"),
        existing_table_rows=mode,  # type: ignore[arg-type]
        primary_keys=["k"] if mode == "upsert" else None,
    )
    assert result.rows_inserted == 2
    assert sorted(_rows(loaded, schema), key=lambda r: (r[0], r[1] != "B")) == expected


def test_drop_recreates_with_new_columns(loaded: Warehouse, schema: str) -> None:
    loaded.import_csv(schema, "t", _csv("x,y,z\n1,2,3\n"), existing_table_rows="drop")
    assert [c.name for c in loaded.describe_table(schema, "t").columns] == ["x", "y", "z"]


def test_append_casts_to_existing_types(loaded: Warehouse, schema: str) -> None:
    # "007" would infer as text, but the existing column k is an integer.
    loaded.import_csv(schema, "t", _csv("k,v\n007,z\n"), existing_table_rows="append")
    assert ["7", "z"] in _rows(loaded, schema)


def test_upsert_needs_primary_keys(loaded: Warehouse, schema: str) -> None:
    with pytest.raises(ValueError, match="primary_keys"):
        loaded.import_csv(schema, "t", _csv("k,v\n1,a\n"), existing_table_rows="upsert")


BIG_GOOD = "".join(f"{i},name {i}\n" for i in range(5000))


@pytest.mark.parametrize(
    "bad_line, fragment",
    [
        ("oops,too,many\n", "oops,too,many"),  # wrong column count in the middle
        ('5001,"unterminated\n', "unterminated"),  # malformed quoting
    ],
)
@pytest.mark.parametrize("mode", ["fail", "append", "truncate", "drop"])
def test_bad_csv_leaves_nothing_behind(
    warehouse: Warehouse, schema: str, bad_line: str, fragment: str, mode: str
) -> None:
    if mode != "fail":
        warehouse.import_csv(schema, "t", _csv("k,v\n-1,keep\n"))
    source = "k,v\n" + BIG_GOOD[: len(BIG_GOOD) // 2] + bad_line + BIG_GOOD[len(BIG_GOOD) // 2 :]
    with pytest.raises(CsvImportError, match=fragment):
        warehouse.import_csv(schema, "t", _csv(source), existing_table_rows=mode)  # type: ignore[arg-type]
    if mode == "fail":
        with pytest.raises(TableNotFoundError):
            warehouse.describe_table(schema, "t")
    else:
        assert _rows(warehouse, schema) == [["-1", "keep"]]


def test_type_mismatch_names_line_and_column(warehouse: Warehouse, schema: str) -> None:
    columns = [Column("k", "integer"), Column("when", "date")]
    source = "k,when\n1,2024-01-01\n2,soon\n3,2024-01-03\n"
    with pytest.raises(CsvImportError, match=r"line 3, column 'when': 'soon'"):
        warehouse.import_csv(schema, "t", _csv(source), columns=columns)
    with pytest.raises(TableNotFoundError):
        warehouse.describe_table(schema, "t")


def test_max_errors_skips_bad_rows(warehouse: Warehouse, schema: str) -> None:
    columns = [Column("k", "integer"), Column("v", "varchar(3)")]
    source = "k,v\n1,abc\nx,def\n3,toolong\n4,ok\n"
    if warehouse.__class__.__name__ == "DuckDBWarehouse":
        pytest.skip("DuckDB ignores VARCHAR lengths: only one bad row there")
    with pytest.raises(CsvImportError, match="2 bad rows"):
        warehouse.import_csv(schema, "t", _csv(source), columns=columns, max_errors=1)
    result = warehouse.import_csv(schema, "t", _csv(source), columns=columns, max_errors=2)
    assert (result.rows_inserted, result.rows_rejected) == (2, 2)
    assert _rows(warehouse, schema) == [["1", "abc"], ["4", "ok"]]


def test_max_errors_on_both(warehouse: Warehouse, schema: str) -> None:
    columns = [Column("k", "integer"), Column("v", "text")]
    result = warehouse.import_csv(
        schema, "t", _csv("k,v\n1,a\nx,b\n3,c\n"), columns=columns, max_errors=1
    )
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)


def test_column_count_mismatch_with_existing_table(loaded: Warehouse, schema: str) -> None:
    with pytest.raises(CsvImportError, match="2 columns"):
        loaded.import_csv(schema, "t", _csv("a,b,c\n1,2,3\n"), existing_table_rows="append")
    assert len(_rows(loaded, schema)) == 2


def test_sources_with_different_widths(warehouse: Warehouse, schema: str) -> None:
    with pytest.raises(CsvImportError, match="source 2"):
        warehouse.import_csv(schema, "t", [io.BytesIO(b"a,b\n1,2\n"), io.BytesIO(b"a\n1\n")])


def test_empty_sources(warehouse: Warehouse, schema: str) -> None:
    with pytest.raises(CsvImportError, match="empty"):
        warehouse.import_csv(schema, "t", _csv(""))


def test_write_arrow_modes(warehouse: Warehouse, schema: str) -> None:
    def reader(keys: list[int], values: list[str]) -> pa.RecordBatchReader:
        table = pa.table({"k": pa.array(keys, pa.int64()), "v": values})
        return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())

    assert warehouse.write_arrow(schema, "t", reader([1, 2], ["a", "b"])) == 2
    with pytest.raises(TableExistsError):
        warehouse.write_arrow(schema, "t", reader([3], ["c"]))
    warehouse.write_arrow(
        schema, "t", reader([2, 3], ["B", "c"]), existing_table_rows="upsert", primary_keys=["k"]
    )
    assert _rows(warehouse, schema) == [["1", "a"], ["2", "B"], ["3", "c"]]
    warehouse.write_arrow(schema, "t", reader([9], ["z"]), existing_table_rows="truncate")
    assert _rows(warehouse, schema) == [["9", "z"]]


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"a,b\n1,\xff\xfe\n", "UTF8|utf-8|UTF-8"),  # not UTF-8
        (b"a,b\n1,2\n3\n", "columns|missing data"),  # a short row
    ],
)
def test_undecodable_or_short_rows(
    warehouse: Warehouse, schema: str, data: bytes, fragment: str
) -> None:
    with pytest.raises(CsvImportError, match=fragment):
        warehouse.import_csv(schema, "t", [io.BytesIO(data)])


def test_byte_order_mark_is_not_data(warehouse: Warehouse, schema: str) -> None:
    warehouse.import_csv(schema, "t", [io.BytesIO(b"\xef\xbb\xbfid,v\n1,x\n")])
    assert [c.name for c in warehouse.describe_table(schema, "t").columns] == ["id", "v"]
    warehouse.import_csv(schema, "u", [io.BytesIO(b"\xef\xbb\xbf7,x\n")], header=False)
    assert _rows(warehouse, schema, "u") == [["7", "x"]]


def test_header_only_creates_an_empty_table(warehouse: Warehouse, schema: str) -> None:
    result = warehouse.import_csv(schema, "t", [io.BytesIO(b"a,b\n"), io.BytesIO(b"a,b")])
    assert result.rows_inserted == 0
    info = warehouse.describe_table(schema, "t")
    assert ([c.name for c in info.columns], info.row_count) == (["a", "b"], 0)


@pytest.mark.parametrize("mode", ["append", "truncate", "upsert", "drop"])
def test_type_mismatch_leaves_existing_table_unchanged(
    loaded: Warehouse, schema: str, mode: str
) -> None:
    columns = [Column("k", "integer"), Column("v", "text")]
    source = "k,v\n" + "".join(f"{i},x\n" for i in range(10, 3000)) + "oops,y\n"
    with pytest.raises(CsvImportError, match=r"line 2992, column 'k': 'oops'"):
        loaded.import_csv(
            schema,
            "t",
            _csv(source),
            columns=columns,
            existing_table_rows=mode,  # type: ignore[arg-type]
            primary_keys=["k"] if mode == "upsert" else None,
        )
    assert _rows(loaded, schema) == [["1", "a"], ["2", "b"]]


def test_bare_cr_line_endings_are_a_clear_csv_error(warehouse: Warehouse, schema: str) -> None:
    with pytest.raises(CsvImportError, match="lines must end with LF or CRLF"):
        warehouse.import_csv(schema, "t", _csv("k,v\r1,a\r2,b\r"))
    with pytest.raises(TableNotFoundError):
        warehouse.describe_table(schema, "t")
