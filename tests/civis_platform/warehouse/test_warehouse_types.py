"""Type names: canonical spelling, Arrow mapping, value patterns (table-driven)."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from civis_platform.warehouse._types import (
    VALUE_PATTERNS,
    arrow_type,
    canonical_type,
    is_text_type,
    sql_type_of_arrow,
    varchar_type,
)


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("INT", "integer"),
        ("int4", "integer"),
        ("INTEGER", "integer"),
        ("BIGINT", "bigint"),
        ("int8", "bigint"),
        ("smallint", "smallint"),
        ("FLOAT", "double precision"),  # Redshift's FLOAT, not DuckDB's
        ("DOUBLE PRECISION", "double precision"),
        ("double", "double precision"),
        ("REAL", "real"),
        ("VARCHAR(256)", "character varying(256)"),
        ("varchar", "character varying"),
        ("TEXT", "character varying"),
        ("character varying ( 12 )", "character varying(12)"),
        ("CHAR(3)", "character(3)"),
        ("DECIMAL(10, 2)", "numeric(10,2)"),
        ("numeric", "numeric"),
        ("BOOL", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP", "timestamp without time zone"),
        ("timestamptz", "timestamp with time zone"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("geometry", "geometry"),
    ],
)
def test_canonical_type(written: str, canonical: str) -> None:
    assert canonical_type(written) == canonical


@pytest.mark.parametrize(
    "dtype, sql_type",
    [
        (pa.int8(), "smallint"),
        (pa.int16(), "smallint"),
        (pa.int32(), "integer"),
        (pa.int64(), "bigint"),
        (pa.float32(), "real"),
        (pa.float64(), "double precision"),
        (pa.bool_(), "boolean"),
        (pa.string(), "character varying"),
        (pa.large_string(), "character varying"),
        (pa.date32(), "date"),
        (pa.timestamp("ns"), "timestamp without time zone"),
        (pa.timestamp("us", tz="UTC"), "timestamp with time zone"),
        (pa.decimal128(12, 3), "numeric(12,3)"),
        (pa.dictionary(pa.int32(), pa.string()), "character varying"),
    ],
)
def test_sql_type_of_arrow(dtype: pa.DataType, sql_type: str) -> None:
    assert sql_type_of_arrow(dtype) == sql_type


@pytest.mark.parametrize(
    "sql_type",
    [
        "smallint",
        "integer",
        "bigint",
        "real",
        "double precision",
        "boolean",
        "date",
        "timestamp without time zone",
        "numeric(12,3)",
    ],
)
def test_arrow_round_trip(sql_type: str) -> None:
    assert sql_type_of_arrow(arrow_type(sql_type)) == sql_type


@pytest.mark.parametrize(
    "sql_type, yes, no",
    [
        ("boolean", ["t", "TRUE", "false"], ["yes", "1", ""]),
        ("integer", ["0", "-12", "+999999999"], ["007", "1.0", "1234567890", " 1"]),
        ("bigint", ["123456789012345678"], ["1234567890123456789", "01"]),
        ("double precision", ["1.", ".5", "1e-3", "-2.5E+10", "0.25"], ["e3", ".", "1e", "00.5"]),
        ("date", ["2024-01-02"], ["2024-1-2", "01/02/2024"]),
        (
            "timestamp without time zone",
            ["2024-01-02 03:04", "2024-01-02T03:04:05.123456"],
            ["2024-01-02 3:04", "2024-01-02 03:04:05.1234567"],
        ),
    ],
)
def test_value_patterns(sql_type: str, yes: list[str], no: list[str]) -> None:
    pattern = re.compile(VALUE_PATTERNS[sql_type])
    assert all(pattern.fullmatch(v) for v in yes)
    assert not any(pattern.fullmatch(v) for v in no)


def test_text_and_varchar_helpers() -> None:
    assert is_text_type("VARCHAR(3)") and is_text_type("text") and not is_text_type("date")
    assert varchar_type(70_000) == "character varying(65535)"


SAMPLES = [
    "0",
    "1",
    "-5",
    "+7",
    "123456789",
    "1234567890",
    "123456789012345678",
    "1.5",
    ".5",
    "1e5",
    "-2.5E-3",
    "2024-01-02",
    "2024-01-02 03:04",
    "2024-01-02T03:04:05.1",
    "t",
    "F",
    "true",
    "FALSE",
    "007",
    "abc",
    "1,5",
    "",
    " 1",
    "1.",
    "99999999999999999999",
    "1.5e-3",
    "1.5e-33",
    "2024-13-99",
    "12345-7-9",
    "tru",
    "f1",
    "2024-01-02x",
    "+.5e+10",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_implied_types_hold(value: str) -> None:
    # TypeStats skips testing the types implied by one a batch fits: that is only sound
    # if every value matching a type matches its implied types too.
    from civis_platform.warehouse._types import IMPLIED_TYPES

    for name, implied in IMPLIED_TYPES.items():
        if re.fullmatch(VALUE_PATTERNS[name], value):
            assert all(re.fullmatch(VALUE_PATTERNS[t], value) for t in implied)


@pytest.mark.parametrize("value", SAMPLES)
def test_arrow_inference_agrees_with_python_patterns(value: str) -> None:
    # Arrow's RE2 and Python's re must read the patterns alike (detect_csv uses re).
    from civis_platform.warehouse._inference import TypeStats
    from civis_platform.warehouse._types import INFERENCE_ORDER, varchar_type

    stats = TypeStats(1)
    stats.update(pa.record_batch([pa.array([value, None, ""])], names=["c0"]))
    python = next(
        (t for t in INFERENCE_ORDER if re.fullmatch(VALUE_PATTERNS[t], value)),
        varchar_type(len(value.encode())),
    )
    assert stats.columns(["c"])[0].sql_type == python


def test_type_stats_across_batches() -> None:
    from civis_platform.warehouse._inference import TypeStats

    stats = TypeStats(3)
    stats.update(
        pa.record_batch(
            [
                pa.array(["t", "1", "1"]),
                pa.array(["1", "2", "3"]),
                pa.array(["2024-01-01", None, "x"]),
            ],
            names=["a", "b", "c"],
        )
    )
    stats.update(
        pa.record_batch(
            [pa.array(["f", "2", "1.5"]), pa.array(["4", "", "9" * 12]), pa.array(["", "", ""])],
            names=["a", "b", "c"],
        )
    )
    assert [c.sql_type for c in stats.columns(["a", "b", "c"])] == [
        "character varying(16)",
        "bigint",
        "character varying(16)",
    ]
