"""`detect_csv`: compression, delimiter, header and types, table-driven."""

from __future__ import annotations

import gzip
import io

import pytest

from civis_platform.warehouse import Column, Warehouse, detect_csv


def _detect(text: str, *, compress: bool = False, sample_bytes: int = 1 << 20):
    data = text.encode()
    return detect_csv(
        io.BytesIO(gzip.compress(data) if compress else data), sample_bytes=sample_bytes
    )


@pytest.mark.parametrize(
    "text, header, delimiter",
    [
        ("id,name\n1,ann\n2,bob\n", True, "comma"),
        ("id\tname\n1\tann\n", True, "tab"),
        ("id|name\n1|ann\n", True, "pipe"),
        ("1,ann\n2,bob\n", False, "comma"),  # typed first row: data
        ("first_name,city\nann,boston\n", True, "comma"),  # unique identifiers: header
        ("ann smith!,boston?\nbob,nyc\n", False, "comma"),  # text that is no identifier
        ('"a,b"|c\n"x,y"|z\n', False, "pipe"),  # quoted commas do not fool the sniffer
        ("a,a\n1,2\n", True, "comma"),  # duplicate names, but over typed values
    ],
)
def test_header_and_delimiter(text: str, header: bool, delimiter: str) -> None:
    info = _detect(text)
    assert (info.include_header, info.column_delimiter) == (header, delimiter)


@pytest.mark.parametrize(
    "values, sql_type",
    [
        (["1", "-2", "+3", "0"], "integer"),
        (["1", "9999999999"], "bigint"),
        (["1", "99999999999999999999"], "double precision"),
        (["1.5", "2", "-3e10", ".5"], "double precision"),
        (["007", "123"], "character varying(16)"),  # leading zeros stay text
        (["2024-01-02", "1999-12-31"], "date"),
        (
            ["2024-01-02 03:04:05", "2024-01-02T03:04:05.123", "2024-01-03"],
            "timestamp without time zone",
        ),
        (["true", "False", "t", "F"], "boolean"),
        (["1", "true"], "character varying(16)"),
        (["", ""], "character varying(16)"),  # all empty: text
        (["1", "", "2"], "integer"),  # empties are NULLs
        (["x" * 300], "character varying(512)"),
        (["ü" * 10], "character varying(32)"),  # bytes, not characters
    ],
)
def test_column_types(values: list[str], sql_type: str) -> None:
    text = "col,other\n" + "".join(f'"{v}",x\n' for v in values)
    info = _detect(text)
    assert info.include_header
    assert info.table_columns[0] == Column("col", sql_type)


def test_gzip_is_sniffed_by_magic_bytes() -> None:
    info = _detect("a,b\n1,2\n", compress=True)
    assert (info.compression, info.include_header) == ("gzip", True)
    assert info.to_json() == {
        "includeHeader": True,
        "columnDelimiter": "comma",
        "compression": "gzip",
        "tableColumns": [{"name": "a", "sqlType": "integer"}, {"name": "b", "sqlType": "integer"}],
    }


def test_only_a_sample_is_read() -> None:
    # The sample stops mid-file: the last partial line is dropped, types still found.
    text = "n,s\n" + "".join(f"{i},row {i}\n" for i in range(200_000))
    info = _detect(text, sample_bytes=10_000)
    assert [c.sql_type for c in info.table_columns] == ["integer", "character varying(16)"]
    big = gzip.compress(text.encode())
    stream = io.BytesIO(big)
    detect_csv(stream, sample_bytes=10_000)
    assert stream.tell() < len(big)


def test_headerless_names() -> None:
    info = _detect("1,x\n2,y\n")
    assert [c.name for c in info.table_columns] == ["column_1", "column_2"]
    assert info.delimiter == ","


def test_empty_file() -> None:
    info = _detect("")
    assert info.table_columns == [] and info.compression == "none"


def test_detection_agrees_with_import(warehouse: Warehouse, schema: str) -> None:
    text = "id,zip,amount,day,flag,note\n1,02134,1.5,2024-01-02,t,hello\n2,90210,2,2024-01-03,f,\n"
    detected = _detect(text).table_columns
    result = warehouse.import_csv(schema, "t", [io.BytesIO(text.encode())])
    assert result.columns == detected
