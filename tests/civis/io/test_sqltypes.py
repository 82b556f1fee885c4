"""SQL type rules, table by table, and the docstring examples of the SQL modules."""

from __future__ import annotations

import doctest
import importlib

import pyarrow as pa
import pytest

from civis.io._sqltypes import arrow_type, base_sql_type, sql_type_of


@pytest.mark.parametrize(
    "sql_type, expected",
    [
        ("BIGINT", pa.int64()),
        ("integer", pa.int64()),
        ("int4", pa.int64()),
        ("SMALLINT", pa.int64()),
        ("DOUBLE PRECISION", pa.float64()),
        ("real", pa.float64()),
        ("numeric(12,2)", pa.float64()),
        ("BOOLEAN", pa.bool_()),
        ("bool", pa.bool_()),
        ("VARCHAR(65535)", pa.string()),
        ("character varying(3)", pa.string()),
        ("TEXT", pa.string()),
        ("DATE", pa.date32()),
        ("TIMESTAMP", pa.timestamp("us")),
        ("timestamp without time zone", pa.timestamp("us")),
        ("TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
        ("timestamp(6) with time zone", pa.timestamp("us", tz="UTC")),
        ("GEOMETRY", None),
        ("", None),
    ],
)
def test_arrow_type(sql_type: str, expected: pa.DataType | None) -> None:
    assert arrow_type(sql_type) == expected


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (pa.int8(), "BIGINT"),
        (pa.uint64(), "BIGINT"),
        (pa.float32(), "DOUBLE PRECISION"),
        (pa.decimal128(10, 2), "DOUBLE PRECISION"),
        (pa.bool_(), "BOOLEAN"),
        (pa.date32(), "DATE"),
        (pa.timestamp("ns"), "TIMESTAMP"),
        (pa.timestamp("us", tz="UTC"), "TIMESTAMP WITH TIME ZONE"),
        (pa.string(), "VARCHAR"),
        (pa.large_string(), "VARCHAR"),
        (pa.null(), "VARCHAR"),
        (pa.duration("s"), "VARCHAR"),
    ],
)
def test_sql_type_of(dtype: pa.DataType, expected: str) -> None:
    assert sql_type_of(dtype) == expected


def test_base_sql_type() -> None:
    assert base_sql_type("  varchar ( 10 ) ") == "VARCHAR"


@pytest.mark.parametrize(
    "name", ["civis.io._sqltypes", "civis.io._results", "civis.io._sql", "civis.io._import"]
)
def test_module_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
