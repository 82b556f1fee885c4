"""Column types shared by both engines: canonical names, Arrow mapping, value patterns.

`canonical_type` turns what a user writes (``INT``, ``VARCHAR(256)``, ``TIMESTAMP``) into
the Redshift-style name of the table in `base`; both engines accept the canonical names
in DDL, so DDL is written once. `VALUE_PATTERNS` are the regular expressions that decide
which type a CSV text value belongs to; `csv_detect` applies them in Python and the
warehouses to Arrow batches (`_inference`), so a file's ``detectedInfo`` and the table
an import creates agree.
"""

from __future__ import annotations

import re

import pyarrow as pa

__all__ = [
    "INFERENCE_ORDER",
    "VALUE_PATTERNS",
    "arrow_type",
    "canonical_type",
    "is_text_type",
    "sql_type_of_arrow",
    "varchar_type",
]

_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "integer": "integer",
    "int2": "smallint",
    "smallint": "smallint",
    "int8": "bigint",
    "bigint": "bigint",
    # Redshift's FLOAT is double precision (DuckDB's FLOAT is real: never pass it through).
    "float": "double precision",
    "float8": "double precision",
    "double": "double precision",
    "double precision": "double precision",
    "float4": "real",
    "real": "real",
    "numeric": "numeric",
    "decimal": "numeric",
    "bool": "boolean",
    "boolean": "boolean",
    "varchar": "character varying",
    "character varying": "character varying",
    "nvarchar": "character varying",
    "text": "character varying",
    "string": "character varying",
    "char": "character",
    "character": "character",
    "nchar": "character",
    "bpchar": "character",
    "date": "date",
    "timestamp": "timestamp without time zone",
    "datetime": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "timestamp with time zone": "timestamp with time zone",
    "time": "time without time zone",
    "time without time zone": "time without time zone",
}

_TYPE_RE = re.compile(r"^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")

MAX_VARCHAR = 65535  # Redshift's limit, and a sane ceiling for inferred text columns
MIN_VARCHAR = 16


def canonical_type(sql_type: str) -> str:
    """The canonical (Redshift-style) name of a type as a user or an engine wrote it.

    Unknown names come back lower-cased and otherwise untouched, so the engine decides.

    Examples:
        >>> canonical_type("VARCHAR(256)")
        'character varying(256)'
        >>> canonical_type("INT"), canonical_type("Timestamp"), canonical_type("decimal(10, 2)")
        ('integer', 'timestamp without time zone', 'numeric(10,2)')
        >>> canonical_type("geometry")
        'geometry'
    """
    lowered = sql_type.strip().lower()
    match = _TYPE_RE.match(lowered)
    if not match or match.group(1) not in _ALIASES:
        return lowered
    base = _ALIASES[match.group(1)]
    length, scale = match.group(2), match.group(3)
    if base in ("character varying", "character") and length:
        return f"{base}({int(length)})"
    if base == "numeric" and length:
        return f"numeric({int(length)},{int(scale or 0)})"
    return base


def is_text_type(sql_type: str) -> bool:
    """Whether values of this (canonical) type are text: there '' is a value, not NULL.

    Examples:
        >>> is_text_type("character varying(3)"), is_text_type("integer")
        (True, False)
    """
    return canonical_type(sql_type).startswith(("character", "text"))


def varchar_type(max_bytes: int) -> str:
    """A ``character varying(n)`` wide enough for ``max_bytes``: n is the next power of two.

    Rounding up leaves room for later appends of slightly longer values.

    Examples:
        >>> varchar_type(5), varchar_type(300), varchar_type(0)
        ('character varying(16)', 'character varying(512)', 'character varying(16)')
    """
    size = MIN_VARCHAR
    while size < max_bytes:
        size *= 2
    return f"character varying({min(size, MAX_VARCHAR)})"


_NUMERIC_RE = re.compile(r"^numeric\((\d+),(\d+)\)$")


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type that carries values of a canonical SQL type (string if unknown).

    Examples:
        >>> arrow_type("bigint"), arrow_type("character varying(8)")
        (DataType(int64), DataType(string))
    """
    canonical = canonical_type(sql_type)
    simple = {
        "smallint": pa.int16(),
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "real": pa.float32(),
        "double precision": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp without time zone": pa.timestamp("us"),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
        "time without time zone": pa.time64("us"),
    }
    if canonical in simple:
        return simple[canonical]
    match = _NUMERIC_RE.match(canonical)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    if canonical == "numeric":
        return pa.decimal128(38, 9)
    return pa.string()


def sql_type_of_arrow(dtype: pa.DataType) -> str:
    """The canonical SQL type a table column gets for an Arrow type.

    Examples:
        >>> sql_type_of_arrow(pa.int32()), sql_type_of_arrow(pa.timestamp("ns"))
        ('integer', 'timestamp without time zone')
    """
    if pa.types.is_dictionary(dtype):
        return sql_type_of_arrow(dtype.value_type)
    checks: list[tuple[bool, str]] = [
        (pa.types.is_boolean(dtype), "boolean"),
        (
            pa.types.is_int8(dtype) or pa.types.is_int16(dtype) or pa.types.is_uint8(dtype),
            "smallint",
        ),
        (pa.types.is_int32(dtype) or pa.types.is_uint16(dtype), "integer"),
        (pa.types.is_int64(dtype) or pa.types.is_uint32(dtype), "bigint"),
        (pa.types.is_float16(dtype) or pa.types.is_float32(dtype), "real"),
        (pa.types.is_float64(dtype), "double precision"),
        (pa.types.is_date(dtype), "date"),
        (pa.types.is_time(dtype), "time without time zone"),
    ]
    for matched, name in checks:
        if matched:
            return name
    if pa.types.is_timestamp(dtype):
        return "timestamp with time zone" if dtype.tz else "timestamp without time zone"
    if pa.types.is_decimal(dtype):
        return f"numeric({dtype.precision},{dtype.scale})"
    return "character varying"


# Full-match patterns (Python `re`, RE2 and PostgreSQL ARE all read them the same way).
# Integers with a leading zero ("007", zip codes) deliberately match nothing but text.
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
VALUE_PATTERNS: dict[str, str] = {
    "boolean": r"(?i)(true|false|t|f)",
    "integer": r"[-+]?(0|[1-9][0-9]{0,8})",
    "bigint": r"[-+]?(0|[1-9][0-9]{0,17})",
    "double precision": r"[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?",
    "date": _DATE,
    "timestamp without time zone": (_DATE + r"([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"),
}
"""Which text values infer as which type; each pattern must match the whole value."""

INFERENCE_ORDER = list(VALUE_PATTERNS)
"""Candidate types, narrowest first: a column gets the first type all its values match,
else ``character varying(n)``."""

# Every value that matches the key's pattern also matches these (a test checks): once a
# batch fits the key, the implied types need no test of their own.
IMPLIED_TYPES: dict[str, tuple[str, ...]] = {
    "integer": ("bigint", "double precision"),
    "bigint": ("double precision",),
    "double precision": (),
    "date": ("timestamp without time zone",),
    "timestamp without time zone": (),
    "boolean": (),
}
