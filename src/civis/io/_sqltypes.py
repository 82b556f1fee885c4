"""SQL column types <-> Arrow types, so that data keeps its types through a warehouse.

Writing: `sql_columns` names a SQL type for every column of an Arrow table built from a
data frame, sent as ``table_columns`` so the server never has to guess ("007" stays a
VARCHAR).  Reading: `arrow_type` turns the ``sqlType`` a server attaches to an export
(``detectedInfo.tableColumns``) into the Arrow type to parse that CSV column as.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["INTEGER_TYPES", "arrow_type", "base_sql_type", "sql_columns", "sql_type_of"]

INTEGER_TYPES = frozenset(
    {
        "BIGINT",
        "INT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "INT2",
        "INT4",
        "INT8",
        "SERIAL",
        "BIGSERIAL",
        "SMALLSERIAL",
        "UBIGINT",
        "UINTEGER",
        "USMALLINT",
        "UTINYINT",
        "HUGEINT",
    }
)
_FLOAT_TYPES = frozenset(
    {"DOUBLE PRECISION", "DOUBLE", "FLOAT", "FLOAT4", "FLOAT8", "REAL", "NUMERIC", "DECIMAL"}
)
_BOOL_TYPES = frozenset({"BOOLEAN", "BOOL"})
_STRING_TYPES = frozenset(
    {
        "VARCHAR",
        "CHARACTER VARYING",
        "CHAR",
        "CHARACTER",
        "TEXT",
        "STRING",
        "NVARCHAR",
        "BPCHAR",
        "NCHAR",
        "UUID",
    }
)
_TIMESTAMP_TYPES = frozenset({"TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "DATETIME"})
_TIMESTAMPTZ_TYPES = frozenset({"TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"})


def base_sql_type(sql_type: str) -> str:
    """Upper-case ``sql_type`` without its size or precision.

    Examples
    --------
    >>> base_sql_type("varchar(256)"), base_sql_type("Numeric(10, 2)")
    ('VARCHAR', 'NUMERIC')
    >>> base_sql_type("timestamp(6) with time zone")
    'TIMESTAMP WITH TIME ZONE'
    """
    text = re.sub(r"\([^)]*\)", "", sql_type or "")
    return " ".join(text.upper().split())


def arrow_type(sql_type: str) -> pa.DataType | None:
    """The Arrow type to parse a CSV column of ``sql_type`` as; None to let Arrow infer.

    Examples
    --------
    >>> str(arrow_type("BIGINT")), str(arrow_type("varchar(3)")), arrow_type("GEOMETRY")
    ('int64', 'string', None)
    """
    import pyarrow as pa

    base = base_sql_type(sql_type)
    if base in INTEGER_TYPES:
        return pa.int64()
    if base in _FLOAT_TYPES:
        return pa.float64()
    if base in _BOOL_TYPES:
        return pa.bool_()
    if base in _STRING_TYPES:
        return pa.string()
    if base == "DATE":
        return pa.date32()
    if base in _TIMESTAMP_TYPES:
        return pa.timestamp("us")
    if base in _TIMESTAMPTZ_TYPES:
        return pa.timestamp("us", tz="UTC")
    return None


def sql_type_of(dtype: pa.DataType) -> str:
    """The SQL type that holds values of Arrow type ``dtype`` (after `writable`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> sql_type_of(pa.int32()), sql_type_of(pa.large_string()), sql_type_of(pa.date32())
    ('BIGINT', 'VARCHAR', 'DATE')
    >>> sql_type_of(pa.timestamp("ns", tz="Europe/Paris"))
    'TIMESTAMP WITH TIME ZONE'
    """
    import pyarrow as pa
    import pyarrow.types as t

    if t.is_boolean(dtype):
        return "BOOLEAN"
    if t.is_integer(dtype):
        return "BIGINT"
    if t.is_floating(dtype) or t.is_decimal(dtype):
        return "DOUBLE PRECISION"
    if t.is_date(dtype):
        return "DATE"
    if t.is_timestamp(dtype):
        assert isinstance(dtype, pa.TimestampType)
        return "TIMESTAMP WITH TIME ZONE" if dtype.tz else "TIMESTAMP"
    return "VARCHAR"


def writable(column: Any) -> Any:
    """``column`` (an Arrow array) in a type the CSV writer and a warehouse both take.

    Examples
    --------
    >>> import pyarrow as pa
    >>> writable(pa.array(["a", None]).dictionary_encode()).type
    DataType(string)
    >>> writable(pa.array([1.5], pa.float16())).type
    DataType(double)
    """
    import pyarrow as pa
    import pyarrow.types as t

    dtype = column.type
    if t.is_dictionary(dtype):
        return writable(column.cast(dtype.value_type))
    if t.is_floating(dtype) and dtype != pa.float64():
        return column.cast(pa.float64())
    if t.is_decimal(dtype):
        return column.cast(pa.float64())
    if t.is_timestamp(dtype) and dtype.tz:
        return column.cast(pa.timestamp(dtype.unit, tz="UTC"))
    if (
        t.is_boolean(dtype)
        or t.is_integer(dtype)
        or t.is_floating(dtype)
        or t.is_date(dtype)
        or t.is_timestamp(dtype)
        or t.is_string(dtype)
        or t.is_large_string(dtype)
        or t.is_null(dtype)
    ):
        return column
    return _as_text(column)


def _as_text(column: Any) -> Any:
    """Values as their Python ``str`` (times, durations, lists ...); nulls stay null."""
    import pyarrow as pa

    return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())


def sql_columns(table: Any) -> list[dict[str, str]]:
    """``table_columns`` for an Arrow table: ``[{"name", "sql_type"}]`` in column order.

    Examples
    --------
    >>> import pyarrow as pa
    >>> sql_columns(pa.table({"zip": ["007"], "n": [1]}))
    [{'name': 'zip', 'sql_type': 'VARCHAR'}, {'name': 'n', 'sql_type': 'BIGINT'}]
    """
    return [
        {"name": str(field.name), "sql_type": sql_type_of(field.type)} for field in table.schema
    ]
