"""The SQL functions of civis.io: results and errors on the real server, exact calls on a fake.

Tests taking `real_client` check outcomes against the real server's DuckDB warehouse
(declared types, empty and large results, CSV exports and their compression, failures).
Tests taking `sql_srv`/`sql_client` are differential tests on the scripted Civis fake: they
assert on the requests the client sends (sequences, bodies, no request before an argument
error), or need a Civis condition our server does not produce (a result without declared
types, a run without output, a file lookup refused, a latin-1 export), or measure memory,
which must not count an in-process server's buffers. test_sql_e2e.py has more outcomes.
"""

from __future__ import annotations

import datetime
import gzip
import io
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from sql_server import CRED_ID, DB_ID, SqlResult, SqlServer

from civis.base import CivisJobFailure, EmptyResultError
from civis.io import (
    civis_to_csv,
    civis_to_multifile_csv,
    export_to_civis_file,
    query_civis,
    read_civis,
    read_civis_sql,
    transfer_table,
)
from civis.io._results import GzipReader, read_rows
from civis.io._sql import export_compression

DATABASE = "Civis Database"  # the real server's default warehouse
TYPED_SQL = """
select * from (values
  ('007'::varchar, 1::bigint, null::integer, true, date '2024-01-02',
   timestamp '2024-01-01 10:00:00', 'a,b'),
  ('', 2, 3, null, date '2024-01-03', null, 'say "hi"' || chr(10) || 'bye'),
  (null, 3, 4, false, null, timestamp '2024-02-29 23:59:59.5', 'ü')
) t(zip, n, maybe, flag, day, "at", note) order by n
"""

TYPED_CSV = (
    "zip,n,maybe,flag,day,at,note\n"
    '"007",1,,true,2024-01-02,2024-01-01 10:00:00,"a,b"\n'
    '"",2,3,,2024-01-03,,"say ""hi""\nbye"\n'
    ",3,4,false,,2024-02-29 23:59:59.5,ü\n"
)
TYPED_COLUMNS = [
    {"name": "zip", "sqlType": "VARCHAR(10)"},
    {"name": "n", "sqlType": "BIGINT"},
    {"name": "maybe", "sqlType": "INTEGER"},
    {"name": "flag", "sqlType": "BOOLEAN"},
    {"name": "day", "sqlType": "DATE"},
    {"name": "at", "sqlType": "TIMESTAMP"},
    {"name": "note", "sqlType": "VARCHAR"},
]
SQL_SEQUENCE = [
    ("GET", "/databases"),
    ("GET", "/credentials"),
    ("POST", "/scripts/sql"),
    ("POST", "/scripts/sql/N/runs"),
    ("GET", "/scripts/sql/N/runs/N"),
]


def test_read_civis_sql_list_calls_and_rows(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.sql_result = SqlResult(csv=TYPED_CSV)
    rows = read_civis_sql("select 1", "db", client=sql_client, job_name="j", hidden=False)
    assert rows[0] == ["zip", "n", "maybe", "flag", "day", "at", "note"]
    assert rows[1] == ["007", "1", "", "true", "2024-01-02", "2024-01-01 10:00:00", "a,b"]
    assert rows[2][6] == 'say "hi"\nbye'
    assert len(rows) == 4
    # As officially: the run is read once more after polling; no file lookup for lists.
    assert sql_srv.sequence() == SQL_SEQUENCE
    assert len(sql_srv.bodies("GET", r"/scripts/sql/\d+/runs/\d+")) >= 2
    (body,) = sql_srv.bodies("POST", "/scripts/sql")
    assert body == {
        "name": "j",
        "sql": "select 1",
        "remote_host_id": DB_ID,
        "credential_id": CRED_ID,
        "hidden": False,
        "csv_settings": {"compression": "none"},
    }  # loopback: see docs/client.md
    assert dict(sql_srv.calls[1].query) == {"type": "Database", "default": "True"}


@pytest.mark.parametrize(
    "endpoint, compression",
    [
        ("http://127.0.0.1:8000/", "none"),
        ("http://127.9.9.9/", "none"),
        ("http://localhost:3000/", "none"),
        ("http://[::1]:8000/", "none"),
        ("https://api.civisanalytics.com/", "gzip"),
        ("http://10.0.0.5:8000/", "gzip"),
        ("http://[2001:db8::1]/", "gzip"),
        ("", "gzip"),
    ],
)
def test_export_compression_policy(endpoint: str, compression: str) -> None:
    client = type("Client", (), {"_http": type("Http", (), {"base_url": endpoint})()})()
    assert export_compression(client) == compression


def test_read_civis_builds_select(sql_srv: SqlServer, sql_client: Any) -> None:
    read_civis("s.t", DB_ID, columns=["a", "b"], client=sql_client, credential_id=5)
    read_civis("s.t", "db", client=sql_client, credential_id=5)
    bodies = sql_srv.bodies("POST", "/scripts/sql")
    assert [b["sql"] for b in bodies] == ["select a, b from s.t", "select * from s.t"]
    assert bodies[0]["credential_id"] == 5
    assert ("GET", "/credentials") not in sql_srv.sequence()
    assert [c.path for c in sql_srv.calls if c.path == "/databases"] == ["/databases"]


def test_frames_look_up_the_result_file_for_types(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.sql_result = SqlResult(csv=TYPED_CSV, table_columns=TYPED_COLUMNS)
    df = read_civis_sql("select 1", "db", return_as="pandas", client=sql_client)
    assert df["maybe"].dtype == pd.Int64Dtype()
    assert sql_srv.sequence() == [*SQL_SEQUENCE, ("GET", "/files/N")]


def test_pandas_keeps_declared_types(real_client: Any) -> None:
    df = read_civis_sql(TYPED_SQL, DATABASE, return_as="pandas", client=real_client)
    assert list(df.columns) == ["zip", "n", "maybe", "flag", "day", "at", "note"]
    assert df["zip"].tolist()[:2] == ["007", ""] and pd.isna(df["zip"][2])
    assert df["n"].dtype == "int64" and df["n"].tolist() == [1, 2, 3]
    assert df["maybe"].dtype == pd.Int64Dtype() and df["maybe"].isna().tolist() == [
        True,
        False,
        False,
    ]
    assert df["flag"].dtype == pd.BooleanDtype()
    assert df["day"].tolist()[:2] == [datetime.date(2024, 1, 2), datetime.date(2024, 1, 3)]
    assert df["at"].dtype == "datetime64[us]"
    assert df["at"][2] == pd.Timestamp("2024-02-29 23:59:59.5")
    assert df["note"].tolist() == ["a,b", 'say "hi"\nbye', "ü"]


def test_polars_keeps_declared_types(real_client: Any) -> None:
    df = read_civis_sql(TYPED_SQL, DATABASE, return_as="polars", client=real_client)
    assert df.schema == {
        "zip": pl.String,
        "n": pl.Int64,
        "maybe": pl.Int64,
        "flag": pl.Boolean,
        "day": pl.Date,
        "at": pl.Datetime("us"),
        "note": pl.String,
    }
    assert df["zip"].to_list() == ["007", "", None]


def test_pandas_without_types_is_like_read_csv(sql_srv: SqlServer, sql_client: Any) -> None:
    csv = "a,b,c,d\n1,1.5,x,true\n2,,,false\n"
    sql_srv.sql_result = SqlResult(csv=csv)
    df = read_civis_sql("select 1", "db", return_as="pandas", client=sql_client)
    expected = pd.read_csv(io.StringIO(csv))
    assert df.dtypes.tolist() == expected.dtypes.tolist()
    pd.testing.assert_frame_equal(df, expected)


def test_read_kwargs_go_to_the_library(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.sql_result = SqlResult(
        csv="a,b\n007,1\n",
        table_columns=[{"name": "a", "sqlType": "INTEGER"}, {"name": "b", "sqlType": "INTEGER"}],
    )
    df = read_civis_sql("select 1", "db", return_as="pandas", client=sql_client, dtype={"a": str})
    assert df["a"].tolist() == ["007"]
    pdf = read_civis_sql(
        "select 1", "db", return_as="polars", client=sql_client, schema_overrides={"a": pl.String}
    )
    assert pdf["a"].to_list() == ["007"]
    assert ("GET", "/files/N") not in sql_srv.sequence()


def test_empty_result_with_header_only(real_client: Any) -> None:
    sql = "select 1::bigint as a, 'x' as b where false"
    df = read_civis_sql(sql, DATABASE, return_as="pandas", client=real_client)
    assert list(df.columns) == ["a", "b"] and len(df) == 0
    assert read_civis_sql(sql, DATABASE, client=real_client) == [["a", "b"]]


def test_use_pandas_deprecation(sql_srv: SqlServer, sql_client: Any) -> None:
    with pytest.warns(FutureWarning, match="use_pandas"):
        df = read_civis_sql("select 1", "db", use_pandas=True, client=sql_client)
    assert isinstance(df, pd.DataFrame)
    with pytest.warns(FutureWarning):
        assert isinstance(read_civis("s.t", "db", use_pandas=False, client=sql_client), list)
    calls = len(sql_srv.calls)
    with pytest.raises(ValueError, match="Conflicting"):
        read_civis_sql("select 1", "db", use_pandas=False, return_as="pandas", client=sql_client)
    with pytest.raises(ValueError, match="Conflicting"):
        read_civis_sql("select 1", "db", use_pandas=True, return_as="polars", client=sql_client)
    with pytest.raises(ValueError, match="return_as"):
        read_civis_sql("select 1", "db", return_as="arrow", client=sql_client)
    assert len(sql_srv.calls) == calls  # errors before any request
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_civis_sql("select 1", "db", client=sql_client)  # no warning by default


def test_sql_params_arguments(sql_srv: SqlServer, sql_client: Any) -> None:
    with pytest.raises(ValueError, match="sql_params_arguments"):
        read_civis_sql("select 1", "db", sql_params_arguments={"x": 1}, client=sql_client)
    with pytest.raises(ValueError, match="sql_params_arguments"):
        export_to_civis_file(
            "select 1", "db", sql_params_arguments={"param": []}, client=sql_client
        )
    assert sql_srv.calls == []
    spa = {"params": [{"name": "a", "type": "string"}], "arguments": {"a": "1"}}
    read_civis_sql("select {{a}}", "db", sql_params_arguments=spa, client=sql_client)
    (body,) = sql_srv.bodies("POST", "/scripts/sql")
    assert body["params"] == spa["params"] and body["arguments"] == spa["arguments"]


def test_failed_run_raises_with_server_error(real_client: Any) -> None:
    with pytest.raises(CivisJobFailure, match="nope_missing"):
        read_civis_sql("select * from nope_missing", DATABASE, client=real_client)
    with pytest.raises(CivisJobFailure, match="nope_missing"):
        read_civis_sql(
            "select * from nope_missing", DATABASE, return_as="pandas", client=real_client
        )


def test_no_output_raises_empty_result(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.sql_result = SqlResult(no_output=True)
    with pytest.raises(EmptyResultError):
        read_civis_sql("select 1", "db", client=sql_client)
    with pytest.raises(EmptyResultError):
        civis_to_multifile_csv("select 1", "db", client=sql_client)


def test_export_to_civis_file(sql_srv: SqlServer, sql_client: Any) -> None:
    fut = export_to_civis_file("select 1", "db", client=sql_client)
    output = fut.result()["output"]
    assert output[0]["file_id"] in sql_srv.files and output[0]["path"].startswith("http")
    fut2 = export_to_civis_file(
        "select 1", "db", client=sql_client, csv_settings={"column_delimiter": "pipe"}
    )
    fut2.result()
    assert [b["csv_settings"] for b in sql_srv.bodies("POST", "/scripts/sql")] == [
        {},
        {"column_delimiter": "pipe"},
    ]


@pytest.mark.parametrize(
    "compression, header, expect",
    [
        ("none", True, "plain"),
        ("gzip", True, "plain"),
        ("gzip", False, "gzip"),
        ("zip", True, "zip"),
    ],
)
def test_civis_to_csv(
    real_client: Any, tmp_path: Path, compression: str, header: bool, expect: str
) -> None:
    target = tmp_path / "out.data"
    fut = civis_to_csv(
        str(target),
        "select 1 as a, 'x' as b union all select 2, 'y,z' order by a",
        DATABASE,
        client=real_client,
        delimiter="|",
        compression=compression,
        include_header=header,
    )
    fut.result()  # waits for the download too
    csv = ("a|b\n" if header else "") + "1|x\n2|y,z\n"
    data = target.read_bytes()
    if expect == "plain":
        assert data == csv.encode()
    elif expect == "gzip":
        assert gzip.decompress(data) == csv.encode()
    else:
        with zipfile.ZipFile(target) as archive:
            assert archive.namelist() == ["out.csv"]
            assert archive.read("out.csv") == csv.encode()


@pytest.mark.parametrize("header", [True, False])
def test_civis_to_csv_settings_sent(
    sql_srv: SqlServer, sql_client: Any, tmp_path: Path, header: bool
) -> None:
    sql_srv.sql_result = SqlResult(csv="a|b\n1|x\n")
    target = tmp_path / "out.data"
    civis_to_csv(
        str(target),
        "select 1",
        "db",
        client=sql_client,
        delimiter="|",
        compression="zip",
        include_header=header,
    ).result()
    (body,) = sql_srv.bodies("POST", "/scripts/sql")
    assert body["csv_settings"] == {
        "include_header": header,
        "compression": "gzip",
        "column_delimiter": "pipe",
        "unquoted": False,
        "filename_prefix": None,
        "force_multifile": False,
    }


def test_civis_to_csv_errors(sql_srv: SqlServer, sql_client: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="delimiter"):
        civis_to_csv(str(tmp_path / "x"), "select 1", "db", delimiter=";", client=sql_client)
    with pytest.raises(ValueError, match="compression"):
        civis_to_csv(str(tmp_path / "x"), "select 1", "db", compression="bz2", client=sql_client)
    assert sql_srv.calls == []
    sql_srv.sql_result = SqlResult(no_output=True)
    # The callback runs on a polling thread, maybe before result() is called.
    with pytest.warns(RuntimeWarning, match="no output"):
        fut = civis_to_csv(str(tmp_path / "none.csv"), "select 1", "db", client=sql_client)
        fut.result()
    assert not (tmp_path / "none.csv").exists()
    sql_srv.sql_result = SqlResult(error="boom")
    fut = civis_to_csv(str(tmp_path / "f.csv"), "select 1", "db", client=sql_client)
    with pytest.raises(CivisJobFailure, match="boom"):
        fut.result()


def test_civis_to_multifile_csv(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.sql_result = SqlResult(multifile=["a|b\n1|x\n", "2|y\n"])
    manifest = civis_to_multifile_csv(
        "select 1", "db", client=sql_client, prefix="p", max_file_size=10
    )
    assert manifest["header"] == ["a", "b"] and len(manifest["entries"]) == 2
    assert {"id", "name", "size", "url", "url_signed"} <= set(manifest["entries"][0])
    (body,) = sql_srv.bodies("POST", "/scripts/sql")
    assert body["csv_settings"] == {
        "include_header": True,
        "compression": "none",
        "column_delimiter": "pipe",
        "unquoted": False,
        "filename_prefix": "p",
        "force_multifile": True,
        "max_file_size": 10,
    }
    assert sql_srv.sequence()[-2:] == [("GET", "/scripts/sql/N/runs/N"), ("GET", "/files/N")]
    with pytest.raises(ValueError, match="delimiter"):
        civis_to_multifile_csv("select 1", "db", delimiter=".", client=sql_client)


def test_query_civis(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.query_rows = [["1", "x"]]
    result = query_civis("select 1", "db", client=sql_client, preview_rows=5).result()
    assert result["result_rows"] == [["1", "x"]] and result["result_columns"] == ["a"]
    assert sql_srv.sequence() == [
        ("GET", "/databases"),
        ("GET", "/credentials"),
        ("POST", "/queries"),
        ("GET", "/queries/N"),
    ]
    (body,) = sql_srv.bodies("POST", "/queries")
    assert body == {
        "database": DB_ID,
        "sql": "select 1",
        "preview_rows": 5,
        "credential": CRED_ID,
        "hidden": True,
    }


def test_transfer_table(sql_srv: SqlServer, sql_client: Any) -> None:
    fut = transfer_table("db", 5, "a.b", "c.d", client=sql_client, foo=1)
    assert fut.result().state == "succeeded"
    assert sql_srv.sequence() == [
        ("GET", "/credentials"),
        ("GET", "/databases"),
        ("POST", "/imports"),
        ("POST", "/imports/N/syncs"),
        ("POST", "/imports/N/runs"),
        ("GET", "/imports/files/N/runs/N"),
    ]
    (imp,) = sql_srv.bodies("POST", "/imports")
    assert imp["sync_type"] == "Dbsync" and imp["is_outbound"] is True
    assert imp["source"] == {"remote_host_id": DB_ID, "credential_id": CRED_ID}
    assert imp["destination"] == {"remote_host_id": 5, "credential_id": CRED_ID}
    assert len(imp["name"]) == 32
    (sync,) = sql_srv.bodies("POST", r"/imports/\d+/syncs")
    assert sync == {
        "source": {"path": "a.b"},
        "destination": {"path": "c.d"},
        "advanced_options": {"foo": 1},
    }
    transfer_table(
        "db",
        "db",
        "a.b",
        "c.d",
        job_name="jn",
        client=sql_client,
        source_credential_id=3,
        dest_credential_id=4,
    ).result()
    last = sql_srv.bodies("POST", "/imports")[-1]
    assert last["name"] == "jn" and last["source"]["credential_id"] == 3
    assert sql_srv.bodies("POST", r"/imports/\d+/syncs")[-1]["advanced_options"] == {}


def test_gzip_reader_streams_members_and_plain() -> None:
    members = gzip.compress(b"a,b\n") + gzip.compress(b"1,2\n" * 100_000)
    reader = GzipReader(io.BytesIO(members))
    assert reader.read(4) == b"a,b\n"
    assert len(reader.read()) == 400_000
    assert read_rows(io.BufferedReader(GzipReader(io.BytesIO(b"x\n1\n"))), None) == [["x"], ["1"]]
    latin = gzip.compress("é\n".encode("latin-1"))
    assert read_rows(io.BufferedReader(GzipReader(io.BytesIO(latin))), "latin-1") == [["é"]]


def test_result_larger_than_a_chunk(real_client: Any) -> None:
    sql = "select range as id, 'name ' || range as name from range(200000) order by id"
    df = read_civis_sql(sql, DATABASE, return_as="pandas", client=real_client)
    assert len(df) == 200_000 and df["id"].sum() == sum(range(200_000))
    listed = read_civis_sql(sql, DATABASE, client=real_client)
    assert len(listed) == 200_001 and listed[-1] == ["199999", "name 199999"]


def test_official_list_semantics_match_csv_module(real_client: Any, tmp_path: Path) -> None:
    import csv

    target = tmp_path / "typed.csv"
    civis_to_csv(str(target), TYPED_SQL, DATABASE, client=real_client).result()
    with open(target, newline="", encoding="utf-8") as fh:
        expected = list(csv.reader(fh))
    rows = read_civis_sql(TYPED_SQL, DATABASE, client=real_client)
    assert rows == expected and len(rows) == 4
    assert rows[1][:2] == ["007", "1"] and rows[2][6] == 'say "hi"\nbye'
    assert json.dumps(rows)


def test_types_are_optional(
    sql_srv: SqlServer, sql_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A File lookup that fails (e.g. a 403) only costs the declared types."""
    from files_server import _error, _Reply

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise _Reply(403, _error(403, "You do not have access to this file."))

    monkeypatch.setattr(sql_srv, "get_file", forbidden)
    sql_srv.sql_result = SqlResult(
        csv="a,b\n007,x\n",
        table_columns=[{"name": "a", "sqlType": "VARCHAR"}, {"name": "b", "sqlType": "VARCHAR"}],
    )
    df = read_civis_sql("select 1", "db", return_as="pandas", client=sql_client)
    assert df["a"].tolist() == [7] and df["b"].tolist() == ["x"]


def test_encoding_for_frames(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.sql_result = SqlResult(csv="a\n\xe9t\xe9\n")
    original = sql_srv._finish_sql

    def latin1(run: Any, body: dict[str, Any]) -> None:
        original(run, body)
        fid = run.outputs[0]["fileId"]
        path = sql_srv.files[fid].path
        path.write_bytes(gzip.compress("a\nété\n".encode("latin-1")))

    sql_srv._finish_sql = latin1  # type: ignore[method-assign]
    df = read_civis_sql("select 1", "db", return_as="pandas", encoding="latin-1", client=sql_client)
    assert df["a"].tolist() == ["été"]
    assert read_civis_sql("select 1", "db", encoding="latin-1", client=sql_client) == [
        ["a"],
        ["été"],
    ]


def test_downloads_stream(sql_srv: SqlServer, sql_client: Any, tmp_path: Path) -> None:
    """A 28 MB result (about 15 MB gzipped) goes to disk without being held in memory,
    compressed or not."""
    import os
    import tracemalloc

    rows = "".join(f"{i},{os.urandom(20).hex()}\n" for i in range(600_000))
    sql_srv.sql_result = SqlResult(csv="a,b\n" + rows)
    fut = export_to_civis_file("select 1", "db", client=sql_client)
    fut.result()
    del rows
    target = tmp_path / "big.csv"
    tracemalloc.start()
    try:
        civis_to_csv(str(target), "select 1", "db", client=sql_client).result()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert target.stat().st_size > 28_000_000
    assert peak < 10_000_000
