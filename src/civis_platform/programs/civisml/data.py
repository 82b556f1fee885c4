"""Rows in and out through the API, with the run's own key: tables of a database (an
SQL export), Civis files (CSV, gzip CSV, feather or parquet), and output tables.

Examples:
    >>> select_sql(Source(table="s.t", database=1, where="a > 1", limit="10"))
    'SELECT * FROM "s"."t" WHERE a > 1 LIMIT 10'
    >>> quote_table("bad; drop")
    Traceback (most recent call last):
    ...
    civis_platform.programs.civisml.errors.ModelError: 'bad; drop' is not a table name ...
"""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd

from civis_platform.programs.civisml.arguments import Source, TableTarget
from civis_platform.programs.civisml.errors import ModelError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def quote_table(table: str) -> str:
    """``schema.table`` (or ``table``) as quoted SQL identifiers."""
    parts = table.split(".")
    if not 1 <= len(parts) <= 3 or not all(_NAME.fullmatch(part) for part in parts):
        raise ModelError(f"{table!r} is not a table name (give schema.table).")
    return ".".join(f'"{part}"' for part in parts)


def select_sql(source: Source) -> str:
    """The query that reads a source table, with its WHERESQL and LIMITSQL."""
    assert source.table is not None
    sql = f"SELECT * FROM {quote_table(source.table)}"
    if source.where:
        sql += f" WHERE {source.where}"
    if source.limit:
        if not source.limit.isdigit():
            raise ModelError(f"LIMITSQL must be a number of rows, not {source.limit!r}.")
        sql += f" LIMIT {source.limit}"
    return sql


def download(client: Any, file_id: int, what: str = "file") -> bytes:
    """The contents of a Civis file, or a clear error naming ``what`` it is."""
    import civis

    buf = io.BytesIO()
    try:
        civis.io.civis_to_file(file_id, buf, client=client)
    except Exception as exc:
        raise ModelError(f"Could not read {what} {file_id}: {_reason(exc)}") from exc
    return buf.getvalue()


def frame_of(raw: bytes, what: str) -> pd.DataFrame:
    """A data frame from a file's bytes: feather, parquet, or (gzip) CSV."""
    buf = io.BytesIO(raw)
    try:
        if raw[:6] == b"ARROW1":
            return pd.read_feather(buf)
        if raw[:4] == b"PAR1":
            return pd.read_parquet(buf)
        compression = "gzip" if raw[:2] == b"\x1f\x8b" else None
        return pd.read_csv(buf, compression=compression)
    except Exception as exc:
        raise ModelError(f"Could not parse {what} as CSV or feather: {_reason(exc)}") from exc


def read_source(client: Any, source: Source) -> pd.DataFrame:
    """Every row of a program's source (contract 6.2: TABLE_NAME + DB, or CIVIS_FILE_ID)."""
    import civis

    if source.file_id is not None:
        return frame_of(download(client, source.file_id), f"file {source.file_id}")
    sql = select_sql(source)
    try:
        frame = civis.io.read_civis_sql(sql, source.database, return_as="pandas", client=client)
    except Exception as exc:
        raise ModelError(
            f"Could not read table {source.table} of database {source.database}: {_reason(exc)}"
        ) from exc
    return frame


def write_table(client: Any, frame: pd.DataFrame, target: TableTarget) -> None:
    """Write ``frame`` to an output table (OOSTABLE or OUTPUT_TABLE), as IF_EXISTS says."""
    import civis

    if target.table is None:
        return
    if target.database is None:
        raise ModelError(f"The output table {target.table} needs its database (OOSDB/OUTPUT_DB).")
    quote_table(target.table)
    try:
        civis.io.dataframe_to_civis(
            frame,
            target.database,
            target.table,
            client=client,
            existing_table_rows=target.if_exists,
        ).result()
    except Exception as exc:
        raise ModelError(f"Could not write table {target.table}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if len(text) > 400 else text
