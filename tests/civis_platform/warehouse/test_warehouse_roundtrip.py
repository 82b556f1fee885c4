"""CSV in, CSV out: types, quoting, NULLs and unicode survive a round trip on both
engines."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from civis_platform.warehouse import Column, CsvFormat, Warehouse

SOURCE = (
    "id,price,zip,day,at,flag,maybe,note\n"
    '1,1.5,02134,2024-01-02,2024-01-02 03:04:05,true,,"plain"\n'
    '2,-0.25,00501,2023-12-31,2023-12-31 23:59:59.5,false,7,"has, comma"\n'
    '3,1e3,90210,2000-02-29,2000-02-29T00:00:00,t,,"say ""hi"""\n'
    '4,,10001,,,f,-3,"multi\nline"\n'
    "5,3,,2024-06-30,2024-06-30 12:00:00,,0,ünïcødé ✓ 日本\n"
    '6,7.125,12345,2024-01-01,2024-01-01 00:00:00,true,1,""\n'
)

EXPECTED_TYPES = [
    ("id", "integer"),
    ("price", "double precision"),
    ("zip", "character varying"),
    ("day", "date"),
    ("at", "timestamp without time zone"),
    ("flag", "boolean"),
    ("maybe", "integer"),
    ("note", "character varying"),
]

EXPECTED_ROWS = [
    ["1", "1.5", "02134", "2024-01-02", "2024-01-02 03:04:05", "t", "", "plain"],
    ["2", "-0.25", "00501", "2023-12-31", "2023-12-31 23:59:59.5", "f", "7", "has, comma"],
    ["3", "1000", "90210", "2000-02-29", "2000-02-29 00:00:00", "t", "", 'say "hi"'],
    ["4", "", "10001", "", "", "f", "-3", "multi\nline"],
    ["5", "3", "", "2024-06-30", "2024-06-30 12:00:00", "", "0", "ünïcødé ✓ 日本"],
    ["6", "7.125", "12345", "2024-01-01", "2024-01-01 00:00:00", "t", "1", ""],
]


def _load(warehouse: Warehouse, schema: str) -> None:
    result = warehouse.import_csv(schema, "things", [io.BytesIO(SOURCE.encode())])
    assert result.rows_inserted == 6


def _parse(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline=""), delimiter=delimiter))


def test_import_infers_types(warehouse: Warehouse, schema: str) -> None:
    _load(warehouse, schema)
    info = warehouse.describe_table(schema, "things")
    assert info.row_count == 6
    got = [(c.name, c.sql_type.split("(")[0]) for c in info.columns]
    assert got == EXPECTED_TYPES


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_export_round_trip(warehouse: Warehouse, schema: str, compression: str) -> None:
    _load(warehouse, schema)
    sink = io.BytesIO()
    fmt = CsvFormat(compression=compression)  # type: ignore[arg-type]
    result = warehouse.export_csv(f"select * from {schema}.things order by id", sink, fmt)
    data = sink.getvalue()
    if compression == "gzip":
        assert data[:2] == b"\x1f\x8b"
        data = gzip.decompress(data)
    rows = _parse(data)
    assert result.row_count == 6
    assert result.columns == [name for name, _ in EXPECTED_TYPES]
    assert rows[0] == result.columns
    assert rows[1:] == EXPECTED_ROWS


def test_null_and_empty_string_are_distinct(warehouse: Warehouse, schema: str) -> None:
    _load(warehouse, schema)
    preview = warehouse.execute(
        f"select note is null, note = '', price is null from {schema}.things where id in (4, 6)"
        " order by id"
    )
    assert preview.rows == [["f", "f", "t"], ["f", "t", "f"]]
    sink = io.BytesIO()
    warehouse.export_csv(
        f"select zip, note from {schema}.things where id in (5, 6) order by id",
        sink,
        CsvFormat(compression="none", include_header=False),
    )
    assert sink.getvalue().decode() == ',ünïcødé ✓ 日本\n12345,""\n'


def test_export_is_byte_identical_on_both_engines(
    duck: Warehouse, pg: Warehouse, schema: str
) -> None:
    outputs = []
    for wh in (duck, pg):
        _load(wh, schema)
        sink = io.BytesIO()
        wh.export_csv(
            f"select * from {schema}.things order by id", sink, CsvFormat(compression="none")
        )
        outputs.append(sink.getvalue())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("delimiter", ["|", "\t"])
def test_other_delimiters(warehouse: Warehouse, schema: str, delimiter: str) -> None:
    source = SOURCE.replace(",", delimiter).replace(f"has{delimiter} comma", "has, comma")
    warehouse.import_csv(schema, "things", [io.BytesIO(source.encode())], delimiter=delimiter)
    sink = io.BytesIO()
    warehouse.export_csv(
        f"select * from {schema}.things order by id",
        sink,
        CsvFormat(delimiter=delimiter, compression="none"),
    )
    assert _parse(sink.getvalue(), delimiter)[1:] == EXPECTED_ROWS


def test_unquoted_export_escapes(warehouse: Warehouse, schema: str) -> None:
    _load(warehouse, schema)
    sink = io.BytesIO()
    warehouse.export_csv(
        f"select id, note from {schema}.things where id in (2, 3, 4, 6) order by id",
        sink,
        CsvFormat(compression="none", unquoted=True, include_header=False),
    )
    assert sink.getvalue().decode() == '2|has\\, comma\n3|say "hi"\n4|multi\\nline\n6|\n'.replace(
        "|", ","
    )


def test_gzip_import_with_declared_columns(warehouse: Warehouse, schema: str) -> None:
    columns = [
        Column("id", "INT"),
        Column("price", "DOUBLE PRECISION"),
        Column("zip", "VARCHAR(5)"),
        Column("day", "DATE"),
        Column("at", "TIMESTAMP"),
        Column("flag", "BOOLEAN"),
        Column("maybe", "BIGINT"),
        Column("note", "VARCHAR(256)"),
    ]
    body = SOURCE.split("\n", 1)[1]  # no header: names come from `columns`
    result = warehouse.import_csv(
        schema,
        "things",
        [io.BytesIO(gzip.compress(body.encode()))],
        columns=columns,
        header=False,
        compression="gzip",
    )
    assert result.rows_inserted == 6
    info = warehouse.describe_table(schema, "things")
    assert [c.name for c in info.columns] == [c.name for c in columns]
    assert info.columns[6].sql_type == "bigint"
    sink = io.BytesIO()
    warehouse.export_csv(
        f"select * from {schema}.things order by id",
        sink,
        CsvFormat(compression="none", include_header=False),
    )
    assert _parse(sink.getvalue()) == EXPECTED_ROWS


def test_several_sources_and_headerless(warehouse: Warehouse, schema: str) -> None:
    first = io.BytesIO(b"a,b\n1,x\n2,y\n")
    second = io.BytesIO(b"a,b\n3,z\n")
    assert warehouse.import_csv(schema, "t", [first, second]).rows_inserted == 3
    warehouse.import_csv(schema, "u", [io.BytesIO(b"1,x\n")], header=False)
    cols = [c.name for c in warehouse.describe_table(schema, "u").columns]
    assert cols == ["column_1", "column_2"]
    assert warehouse.execute(f"select sum(a) from {schema}.t").rows == [["6"]]
