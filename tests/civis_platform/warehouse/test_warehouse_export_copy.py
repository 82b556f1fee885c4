"""DuckDB's ``COPY`` export writes the very bytes of the line-by-line export.

`DuckDBWarehouse.export_csv` lets DuckDB's own CSV writer quote the rendered values;
`SqlWarehouse.export_csv` (the engine-neutral path, still used for parts and unquoted
CSV) renders each line in SQL. Both must give the same file for any value.
"""

from __future__ import annotations

import gzip
import io
import random

import pytest

from civis_platform.warehouse import CsvFormat, DuckDBWarehouse
from civis_platform.warehouse._sql import SqlWarehouse

_PIECES = ["a", " ", ",", "|", "\t", '"', "\n", "\r", "\\", "'", "é", "#", "NULL", "="]


def _texts() -> list[str | None]:
    rng = random.Random(7)
    fixed: list[str | None] = [None, "", " ", "#x", "a#", '""', "NULL", "\ufeffx", "\\N"]
    return fixed + [
        "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 5))) for _ in range(500)
    ]


@pytest.fixture
def loaded(duck: DuckDBWarehouse, schema: str) -> DuckDBWarehouse:
    duck.execute(f"create schema {schema}")
    duck.execute(
        f"create table {schema}.t (i integer, s varchar, b boolean, f double, "
        "d date, ts timestamp, n decimal(10, 2))"
    )
    rows = [
        (
            i,
            text,
            [True, False, None][i % 3],
            [1000.0, 0.5, float("nan"), float("inf"), None][i % 5],
            None if i % 7 == 0 else f"2024-01-{i % 28 + 1:02d}",
            None if i % 4 == 0 else f"2024-02-03 04:05:{i % 60:02d}.{i % 10}",
            i / 4,
        )
        for i, text in enumerate(_texts())
    ]
    cur = duck._conn.cursor()
    cur.executemany(f"insert into {schema}.t values (?, ?, ?, ?, ?, ?, ?)", rows)
    cur.close()
    return duck


@pytest.mark.parametrize("delimiter", [",", "|", "\t"])
@pytest.mark.parametrize("compression", ["none", "gzip"])
@pytest.mark.parametrize("header", [True, False])
def test_copy_export_equals_line_export(
    loaded: DuckDBWarehouse, schema: str, delimiter: str, compression: str, header: bool
) -> None:
    fmt = CsvFormat(include_header=header, delimiter=delimiter, compression=compression)  # type: ignore[arg-type]
    sql = f"select * from {schema}.t order by i"
    copy, line = io.BytesIO(), io.BytesIO()
    by_copy = loaded.export_csv(sql, copy, fmt)
    by_line = SqlWarehouse.export_csv(loaded, sql, line, fmt)
    assert by_copy == by_line
    data = [copy.getvalue(), line.getvalue()]
    if compression == "gzip":
        data = [gzip.decompress(d) for d in data]
    assert data[0] == data[1]
    assert by_copy.row_count == len(_texts())


def test_copy_export_of_no_rows(loaded: DuckDBWarehouse, schema: str) -> None:
    sink = io.BytesIO()
    result = loaded.export_csv(
        f"select i, s from {schema}.t where false", sink, CsvFormat(compression="none")
    )
    assert (result.row_count, sink.getvalue()) == (0, b"i,s\n")
