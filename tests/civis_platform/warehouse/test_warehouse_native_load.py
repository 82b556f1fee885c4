"""Typed loads of local files: the engine's own CSV reader gives what the staging path gives.

`SqlWarehouse.import_csv` lets the engine read a local file itself when the columns are
typed (DuckDB's ``read_csv``); any problem with the data falls back to the staging path,
which names the bad line and column. Each case loads the same text from memory (staging
path) and from a file, and compares tables, results and errors.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from civis_platform.warehouse import Column, CsvImportError, Warehouse
from civis_platform.warehouse._csvload import CsvLoad

TYPED = [Column("n", "integer"), Column("t", "varchar"), Column("d", "date")]

CASES = {
    "plain": "n,t,d\n1,a,2024-01-02\n2,b,2024-02-03\n",
    "null vs empty text": 'n,t,d\n1,,2024-01-02\n2,"",\n,x,\n',
    "quoted specials": 'n,t,d\n1,"a,b",2024-01-02\n2,"say ""hi""",\n3,"two\nlines",\n',
    "crlf": 'n,t,d\r\n1,a,2024-01-02\r\n2,"b\r\nc",\r\n',
    "blank line": "n,t,d\n1,a,\n\n2,b,\n",
    "spaces kept": "n,t,d\n1, padded ,\n",
    "quoted number": 'n,t,d\n"7",a,""\n',
    "header only": "n,t,d\n",
}


def _file(tmp_path: Path, text: str, name: str = "data.csv") -> io.BufferedReader:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return open(path, "rb")  # closed by the tests


def _rows(warehouse: Warehouse, schema: str, table: str) -> list[list[str | None]]:
    return warehouse.execute(f"select * from {schema}.{table} order by 1, 2").rows


@pytest.fixture
def staging_spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts loads that went through the staging path."""
    calls: list[int] = []
    stage = CsvLoad.stage

    def spy(self: CsvLoad, *args: Any, **kwargs: Any) -> list[str]:
        calls.append(1)
        return stage(self, *args, **kwargs)

    monkeypatch.setattr(CsvLoad, "stage", spy)
    return calls


def _outcome(warehouse: Warehouse, schema: str, table: str, source: Any) -> Any:
    """What a load gives: its result and rows, or its error's message."""
    try:
        result = warehouse.import_csv(schema, table, [source], columns=TYPED)
    except CsvImportError as exc:
        return str(exc)
    return result, _rows(warehouse, schema, table)


@pytest.mark.parametrize("case", CASES)
def test_file_load_equals_stream_load(
    warehouse: Warehouse, schema: str, tmp_path: Path, case: str
) -> None:
    text = CASES[case]
    from_stream = _outcome(warehouse, schema, "t", io.BytesIO(text.encode()))
    with _file(tmp_path, text) as source:
        from_file = (
            _outcome(warehouse, schema, "t", source)
            if isinstance(from_stream, str)
            else _outcome(warehouse, schema, "f", source)
        )
    assert from_file == from_stream


def test_duckdb_reads_the_file_itself(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    with _file(tmp_path, CASES["null vs empty text"]) as source:
        result = duck.import_csv(schema, "t", [source], columns=TYPED)
    assert staging_spy == []
    assert result.rows_inserted == 3
    rows = duck.execute(f"select t, t is null from {schema}.t order by n nulls last").rows
    assert rows == [[None, "t"], ["", "f"], ["x", "f"]]


def test_several_files_without_header(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    with _file(tmp_path, "1,a,\n", "a.csv") as a, _file(tmp_path, "2,b,\n", "b.csv") as b:
        result = duck.import_csv(schema, "t", [a, b], columns=TYPED, header=False)
    assert (result.rows_inserted, staging_spy) == (2, [])
    assert _rows(duck, schema, "t") == [["1", "a", None], ["2", "b", None]]


@pytest.mark.parametrize(
    "text, message",
    [
        ("n,t,d\n1,a,\nx,b,\n", "line 3, column 'n'"),
        ("n,t,d\n1,a,\n2,b\n", "2,b"),
    ],
)
def test_bad_data_falls_back_and_names_the_line(
    warehouse: Warehouse, schema: str, tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CsvImportError) as from_stream:
        warehouse.import_csv(schema, "t", [io.BytesIO(text.encode())], columns=TYPED)
    with _file(tmp_path, text) as source, pytest.raises(CsvImportError) as from_file:
        warehouse.import_csv(schema, "t", [source], columns=TYPED)
    assert str(from_file.value) == str(from_stream.value)
    assert from_file.match(message)
    assert warehouse.execute(
        "select count(*) from information_schema.tables"
        f" where table_schema = '{schema}' and table_name = 't'"
    ).rows == [["0"]]


def test_max_errors_falls_back(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    with _file(tmp_path, "n,t,d\n1,a,\nx,b,\n3,c,\n") as source:
        result = duck.import_csv(schema, "t", [source], columns=TYPED, max_errors=1)
    assert (result.rows_inserted, result.rows_rejected, staging_spy) == (2, 1, [1])


def test_byte_order_mark_goes_the_staging_way(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    with _file(tmp_path, "\ufeff1,a,\n") as source:
        duck.import_csv(schema, "t", [source], columns=TYPED, header=False)
    assert staging_spy == [1]
    assert _rows(duck, schema, "t") == [["1", "a", None]]


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("append", [["1", "a", None], ["1", "z", None], ["2", "b", None]]),
        ("truncate", [["1", "z", None]]),
        ("drop", [["1", "z", None]]),
        ("upsert", [["1", "z", None], ["2", "b", None]]),
    ],
)
def test_existing_table_rows_from_a_file(
    warehouse: Warehouse, schema: str, tmp_path: Path, mode: str, expected: list[Any]
) -> None:
    warehouse.import_csv(schema, "t", [io.BytesIO(b"n,t,d\n1,a,\n2,b,\n")], columns=TYPED)
    with _file(tmp_path, "n,t,d\n1,z,\n") as source:
        warehouse.import_csv(
            schema,
            "t",
            [source],
            columns=TYPED,
            existing_table_rows=mode,
            primary_keys=["n"] if mode == "upsert" else None,
        )
    assert _rows(warehouse, schema, "t") == expected


def test_a_stream_already_read_from_is_not_reread(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    with _file(tmp_path, "n,t,d\n1,a,\n2,b,\n") as source:
        source.readline()  # the header is consumed: the load starts at the data
        duck.import_csv(schema, "t", [source], columns=TYPED, header=False)
    assert staging_spy == [1]
    assert _rows(duck, schema, "t") == [["1", "a", None], ["2", "b", None]]


def test_a_path_that_looks_like_a_glob_goes_the_staging_way(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    folder = tmp_path / "odd[1]"
    folder.mkdir()
    with _file(folder, "n,t,d\n1,a,\n") as source:
        duck.import_csv(schema, "t", [source], columns=TYPED)
    assert staging_spy == [1]
    assert _rows(duck, schema, "t") == [["1", "a", None]]


@pytest.mark.parametrize(
    "texts",
    [
        ["n,t,d,extra\n1,a,\n"],  # a header wider than the columns: the data fits anyway
        ["n,t\n1,a,\n"],
        ["n,t,d\n1,a,\n", "n,t\n2,b,\n"],
        ["", ""],  # all empty
    ],
)
def test_layout_errors_are_the_staging_paths(
    warehouse: Warehouse, schema: str, tmp_path: Path, texts: list[str]
) -> None:
    with pytest.raises(CsvImportError) as from_stream:
        warehouse.import_csv(schema, "t", [io.BytesIO(t.encode()) for t in texts], columns=TYPED)
    sources = [_file(tmp_path, t, f"{i}.csv") for i, t in enumerate(texts)]
    try:
        with pytest.raises(CsvImportError) as from_file:
            warehouse.import_csv(schema, "t", sources, columns=TYPED)
    finally:
        for source in sources:
            source.close()
    assert str(from_file.value) == str(from_stream.value)


def test_an_empty_file_among_others(
    duck: Warehouse, schema: str, tmp_path: Path, staging_spy: list[int]
) -> None:
    with _file(tmp_path, "", "a.csv") as a, _file(tmp_path, "n,t,d\n1,a,\n", "b.csv") as b:
        result = duck.import_csv(schema, "t", [a, b], columns=TYPED)
    assert (result.rows_inserted, staging_spy) == (1, [])


def test_a_stray_quote_in_an_unquoted_field_is_literal(
    duck: Warehouse, schema: str, tmp_path: Path
) -> None:
    # The one known difference from the staging path, which refuses such a file (its
    # quote-parity check cannot tell a stray quote from an unterminated quoted field).
    with _file(tmp_path, 'n,t,d\n1,a"b,\n') as source:
        duck.import_csv(schema, "t", [source], columns=TYPED)
    assert _rows(duck, schema, "t") == [["1", 'a"b', None]]
    with pytest.raises(CsvImportError, match="unterminated quoted field"):
        duck.import_csv(schema, "u", [io.BytesIO(b'n,t,d\n1,a"b,\n')], columns=TYPED)
