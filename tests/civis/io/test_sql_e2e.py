"""End to end: our client's SQL and table functions against a real platform server
(`civis_platform.testing.ThreadedServer`) on its default DuckDB warehouse.

The centre is type fidelity: a frame written with `dataframe_to_civis` and read back
with `read_civis(return_as="pandas")` keeps its names, values and dtypes.
"""

from __future__ import annotations

import datetime
import gzip
import itertools
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import civis
from civis.base import CivisJobFailure

pytest.importorskip("civis_platform")

DATABASE = "Civis Database"
_USERS = itertools.count()

FRAME = pd.DataFrame(
    {
        "zip": ["007", "", None, 'a,"b"', "l1\nl2"],
        "n": [1, 2, 3, 4, -(2**62)],
        "maybe": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "x": [1.5, float("nan"), 3.0, -0.25, 1e20],
        "flag": [True, False, True, True, False],
        "day": [datetime.date(2024, 1, d) for d in range(1, 6)],
        "at": pd.to_datetime(
            ["2024-01-01 10:00:00"] * 4 + ["2024-02-29 23:59:59.5"], format="ISO8601"
        ),
        "uni": ["ü", "日本", "", "x", "tab\there"],
    }
)


@pytest.fixture(scope="module")
def platform(real_server: Any) -> Any:
    """The session's real server (conftest.py), started once for all civis.io tests."""
    return real_server


@pytest.fixture(scope="module")
def postgres_database(platform: Any) -> Iterator[str]:
    """The local PostgreSQL server as a second warehouse (skipped when it is absent)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import support

    try:
        context = support.temporary_pg_database("civis_io_e2e")
        url = context.__enter__()
    except Exception as exc:  # no server, no psycopg: the DuckDB cases still run
        pytest.skip(f"PostgreSQL is not available: {exc}")
    try:
        platform.register_postgres("Postgres Warehouse", url)
        yield "Postgres Warehouse"
        platform.close_warehouses()
    finally:
        context.__exit__(None, None, None)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> str:
    """Each warehouse engine's Civis database name."""
    if request.param == "duckdb":
        return DATABASE
    name: str = request.getfixturevalue("postgres_database")
    return name


@pytest.fixture(params=["auto", "csv"])
def client(platform: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    """A new user's client, moving tables as Parquet (the default against our server) or,
    with ``CIVIS_TABLE_FORMAT=csv``, as CSV the way the official client does."""
    user = platform.create_user(f"io{next(_USERS)}")
    monkeypatch.setenv("CIVIS_API_ENDPOINT", platform.base_url)
    monkeypatch.setenv("CIVIS_TABLE_FORMAT", request.param)
    return civis.APIClient(api_key=user.api_key)


def test_tables_move_as_parquet_and_arrow_unless_csv_is_asked_for(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civis.io import _import, _sql

    calls: list[str] = []
    for module, name in ((_import, "write_parquet"), (_sql, "read_arrow_export")):
        real = getattr(module, name)
        monkeypatch.setattr(
            module,
            name,
            lambda *a, _real=real, _name=name, **k: (calls.append(_name), _real(*a, **k))[1],
        )
    _load(FRAME, client, "e2e.format", existing_table_rows="drop")
    back = civis.io.read_civis("e2e.format", DATABASE, return_as="pandas", client=client)
    pd.testing.assert_frame_equal(back, FRAME)
    civis.io.read_civis("e2e.format", DATABASE, client=client)  # rows: always CSV
    typed = os.environ["CIVIS_TABLE_FORMAT"] != "csv"
    assert calls == (["write_parquet", "read_arrow_export"] if typed else [])


def _load(df: Any, client: Any, table: str, database: str = DATABASE, **kwargs: Any) -> None:
    civis.io.dataframe_to_civis(df, database, table, client=client, **kwargs).result()


def test_read_civis_sql_rows(client: Any) -> None:
    rows = civis.io.read_civis_sql(
        "select '007' as zip, 1 as n, null as e, '' as s", DATABASE, client=client
    )
    assert rows == [["zip", "n", "e", "s"], ["007", "1", "", ""]]


def test_uncompressed_export_whose_header_looks_like_zlib(client: Any) -> None:
    # Over loopback the export is uncompressed; "x y" also starts a zlib header.
    sql = 'select 1 as "x y", 2 as b'
    assert civis.io.read_civis_sql(sql, DATABASE, client=client) == [["x y", "b"], ["1", "2"]]
    frame = civis.io.read_civis_sql(sql, DATABASE, client=client, return_as="pandas")
    assert frame.to_dict("list") == {"x y": [1], "b": [2]}


def test_pandas_round_trip_keeps_types(client: Any, database: str) -> None:
    # Each case is a new user, and on PostgreSQL a table is its creator's: a name per case.
    table = f"e2e.frame{next(_USERS)}"
    _load(FRAME, client, table, database, existing_table_rows="drop")
    back = civis.io.read_civis(table, database, return_as="pandas", client=client)
    assert back.dtypes.to_dict() == FRAME.dtypes.to_dict()
    pd.testing.assert_frame_equal(back, FRAME)
    listed = civis.io.read_civis(table, database, columns=["zip", "n"], client=client)
    assert [row[0] for row in listed] == ["zip", "007", "", "", 'a,"b"', "l1\nl2"]


def test_polars_round_trip_keeps_types(client: Any, database: str) -> None:
    frame = pl.from_pandas(FRAME)
    table = f"e2e.polars{next(_USERS)}"  # a name per case (see above)
    _load(frame, client, table, database, existing_table_rows="drop")
    back = civis.io.read_civis_sql(
        f"select * from {table}", database, return_as="polars", client=client
    )
    assert back.schema == frame.schema
    assert back.equals(frame)


def test_append_and_sql_types_from_the_query(client: Any) -> None:
    small = pd.DataFrame({"id": [1, 2], "name": ["a", "b"]})
    _load(small, client, "e2e.appended", existing_table_rows="drop")
    _load(small, client, "e2e.appended", existing_table_rows="append")
    df = civis.io.read_civis_sql(
        "select id, count(*) as n, max(name) as top, id > 1 as big, "
        "cast(null as integer) as nothing from e2e.appended group by id order by id",
        DATABASE,
        return_as="pandas",
        client=client,
    )
    assert df["id"].tolist() == [1, 2] and df["n"].tolist() == [2, 2]
    assert df["big"].dtype == bool and df["top"].tolist() == ["a", "b"]
    assert df["nothing"].dtype == pd.Int64Dtype() and df["nothing"].isna().all()


def test_csv_to_civis_through_preprocess(client: Any, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text('name,age\nada,36\n"lin, k",\n')
    civis.io.csv_to_civis(
        str(path), DATABASE, "e2e.people", client=client, existing_table_rows="drop"
    ).result()
    rows = civis.io.read_civis("e2e.people", DATABASE, client=client)
    assert rows == [["name", "age"], ["ada", "36"], ["lin, k", ""]]


def test_file_ids_to_table(client: Any) -> None:
    ids = [
        civis.io.file_to_civis(path_bytes, f"part{i}.csv", client=client)
        for i, path_bytes in enumerate(_buffers([b"a,b\n1,x\n", b"a,b\n2,y\n"]))
    ]
    civis.io.civis_file_to_table(
        ids, DATABASE, "e2e.parts", client=client, existing_table_rows="drop"
    ).result()
    df = civis.io.read_civis_sql(
        "select * from e2e.parts order by a", DATABASE, return_as="pandas", client=client
    )
    assert df["a"].tolist() == [1, 2] and df["b"].tolist() == ["x", "y"]


def _buffers(chunks: list[bytes]) -> list[Any]:
    import io

    return [io.BytesIO(chunk) for chunk in chunks]


def test_exports(client: Any, tmp_path: Path) -> None:
    sql = "select 1 as a, 'x|y' as b union all select 2, 'z' order by a"
    out = tmp_path / "out.csv"
    civis.io.civis_to_csv(str(out), sql, DATABASE, client=client).result()
    assert out.read_text().splitlines() == ["a,b", "1,x|y", "2,z"]
    gz = tmp_path / "out.csv.gz"
    civis.io.civis_to_csv(
        str(gz),
        sql,
        DATABASE,
        client=client,
        compression="gzip",
        include_header=False,
        delimiter="\t",
    ).result()
    assert gzip.decompress(gz.read_bytes()).decode().splitlines() == ["1\tx|y", "2\tz"]
    output = civis.io.export_to_civis_file(sql, DATABASE, client=client).result()["output"]
    assert output[0]["file_id"] and output[0]["path"]
    manifest = civis.io.civis_to_multifile_csv(sql, DATABASE, client=client)
    assert manifest["header"] == ["a", "b"] and manifest["entries"]
    assert json.dumps(manifest)


def test_query_civis_and_failures(client: Any) -> None:
    result = civis.io.query_civis("select 42 as answer", DATABASE, client=client).result()
    assert result["result_rows"][0][0] == "42"
    with pytest.raises(CivisJobFailure, match="no_such_table"):
        civis.io.read_civis_sql("select * from no_such_table", DATABASE, client=client)


def test_transfer_table(client: Any) -> None:
    _load(pd.DataFrame({"a": [1]}), client, "e2e.src", existing_table_rows="drop")
    civis.io.transfer_table(DATABASE, DATABASE, "e2e.src", "e2e.dst", client=client).result()
    assert civis.io.read_civis("e2e.dst", DATABASE, client=client) == [["a"], ["1"]]


def test_query_results_can_show_progress(
    client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CIVIS_PROGRESS", "1")
    frame = civis.io.read_civis_sql(
        "select range as i from range(1000)", DATABASE, return_as="pandas", client=client
    )
    assert frame["i"].tolist() == list(range(1000))
    line = capsys.readouterr().err.rstrip("\n").rsplit("\r", 1)[-1]
    assert line.startswith("Downloading the query result 100% "), line
