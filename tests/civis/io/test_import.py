"""civis_file_to_table, csv_to_civis and dataframe_to_civis.

Tests taking `real_client` check outcomes on the real server's DuckDB warehouse: the rows a
table ends up with (appends with given columns, drops, index and header options, mixed
columns), type conflicts found by the real preprocess job, and a failed import.
Tests taking `sql_srv`/`sql_client` are differential tests on the scripted Civis fake: they
assert on the exact requests (call sequences, preprocess and import bodies, the bytes
uploaded, no request before an argument error) or need a Civis condition our server does
not produce (a detected header or delimiter contradicting the one given, which our
preprocess takes as a fact; a preprocess run without output; a refused table check).
test_sql_e2e.py has more round trips.
"""

from __future__ import annotations

import datetime
import io
import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow.csv as pacsv
import pytest
from sql_server import CRED_ID, DB_ID, SqlServer

from civis.base import CivisImportError, CivisJobFailure
from civis.io import (
    civis_file_to_table,
    csv_to_civis,
    dataframe_to_civis,
    file_to_civis,
    read_civis,
)

DATABASE = "Civis Database"  # the real server's default warehouse
_TABLES = itertools.count()


def _table() -> str:
    """A table name no other test of the session's real server uses."""
    return f"imports.t{next(_TABLES)}"


def _upload(client: Any, *contents: bytes) -> list[int]:
    return [
        file_to_civis(io.BytesIO(c), f"f{i}.csv", client=client) for i, c in enumerate(contents)
    ]


IMPORT_SEQUENCE = [
    ("GET", "/databases"),
    ("GET", "/credentials"),
    ("GET", "/databases/N/schemas/sch/tables/t"),
    ("POST", "/files/preprocess/csv"),
    ("POST", "/jobs/N/runs"),
    ("GET", "/files/N"),
    ("GET", "/jobs/N/runs/N"),
    ("GET", "/jobs/N/runs/N/outputs"),
    ("GET", "/files/N"),
    ("POST", "/imports/files/csv"),
    ("POST", "/jobs/N/runs"),
    ("GET", "/jobs/N/runs/N"),
]


def _upload_sequence(srv: SqlServer) -> list[tuple[str, str]]:
    return [s for s in srv.sequence() if s != ("POST", "/files")]


def test_csv_to_civis_official_calls(sql_srv: SqlServer, sql_client: Any, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"a\n1\n")
    fut = csv_to_civis(str(path), "db", "sch.t", client=sql_client)
    assert fut.result().state == "succeeded"
    assert sql_srv.sequence()[0] == ("POST", "/files")
    assert _upload_sequence(sql_srv) == IMPORT_SEQUENCE
    uploaded = min(sql_srv.files)
    assert sql_srv.files[uploaded].name == "in.csv"
    (pre,) = sql_srv.bodies("POST", "/files/preprocess/csv")
    assert pre == {
        "file_id": uploaded,
        "in_place": False,
        "detect_table_columns": True,
        "force_character_set_conversion": True,
        "include_header": None,
        "column_delimiter": "comma",
        "hidden": True,
    }
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    cleaned = body["source"]["file_ids"][0]
    assert cleaned != uploaded and sql_srv.files[cleaned].name == "cleaned-in.csv"
    assert body == {
        "source": {"file_ids": [cleaned]},
        "destination": {
            "schema": "sch",
            "table": "t",
            "remote_host_id": DB_ID,
            "credential_id": CRED_ID,
            "primary_keys": None,
            "last_modified_keys": None,
        },
        "first_row_is_header": True,
        "name": "CSV import to sch.t",
        "max_errors": None,
        "existing_table_rows": "fail",
        "column_delimiter": "comma",
        "compression": "none",
        "escaped": False,
        "execution": "immediate",
        "loosen_types": True,
        "table_columns": [{"name": "a", "sql_type": "INTEGER"}],
        "redshift_destination_options": {
            "distkey": None,
            "sortkeys": [None, None],
            "diststyle": None,
        },
        "hidden": True,
    }


def test_existing_table_append_keeps_given_columns(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.existing_tables.add(("sch", "t"))
    first = sql_srv.store("a.csv", b"a\n1\n")
    second = sql_srv.store("b.csv", b"a\n2\n")
    columns = [{"name": "a", "sql_type": "INT"}]
    civis_file_to_table(
        [first, second],
        "db",
        "sch.t",
        client=sql_client,
        existing_table_rows="append",
        delimiter=",",
        headers=True,
        table_columns=columns,
        primary_keys=["a"],
        sortkey1="a",
        max_errors=3,
        escaped=True,
        execution="delayed",
        diststyle="even",
        distkey="a",
        sortkey2="b",
        hidden=False,
    ).result()
    pres = sql_srv.bodies("POST", "/files/preprocess/csv")
    assert [p["file_id"] for p in pres] == [first, second]
    assert all(
        p["detect_table_columns"] is False
        and p["include_header"] is True
        and p["column_delimiter"] == "comma"
        and p["hidden"] is False
        for p in pres
    )
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert len(body["source"]["file_ids"]) == 2
    assert body["table_columns"] == columns and body["loosen_types"] is False
    assert body["destination"]["primary_keys"] == ["a"]
    assert body["redshift_destination_options"] == {
        "distkey": "a",
        "sortkeys": ["a", "b"],
        "diststyle": "even",
    }
    assert (body["max_errors"], body["escaped"], body["execution"], body["hidden"]) == (
        3,
        True,
        "delayed",
        False,
    )


def test_detected_columns_replace_untyped_names(sql_srv: SqlServer, sql_client: Any) -> None:
    fid = sql_srv.store("a.csv", b"a\n1\n")
    civis_file_to_table(
        fid, "db", "sch.new", client=sql_client, table_columns=[{"name": "zz"}]
    ).result()
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert body["table_columns"] == [{"name": "a", "sql_type": "INTEGER"}]
    assert body["loosen_types"] is True
    sql_srv.existing_tables.add(("sch", "old"))
    civis_file_to_table(
        fid, "db", "sch.old", client=sql_client, existing_table_rows="append"
    ).result()
    assert sql_srv.bodies("POST", "/imports/files/csv")[-1]["table_columns"] is None
    civis_file_to_table(
        fid, "db", "sch.old", client=sql_client, existing_table_rows="drop"
    ).result()
    dropped = sql_srv.bodies("POST", "/imports/files/csv")[-1]
    assert dropped["table_columns"] == [{"name": "a", "sql_type": "INTEGER"}]
    assert sql_srv.bodies("POST", "/files/preprocess/csv")[-1]["detect_table_columns"]


def test_argument_errors_before_any_call(
    sql_srv: SqlServer, sql_client: Any, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match="str"):
        civis_file_to_table("1", "db", "sch.t", client=sql_client)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="schema"):
        civis_file_to_table(1, "db", "t", client=sql_client)
    with pytest.raises(ValueError, match="sql_type"):
        civis_file_to_table(
            1, "db", "s.t", client=sql_client, table_columns=[{"name": "a", "sqltype": "INT"}]
        )
    with pytest.raises(ValueError, match="others do not"):
        civis_file_to_table(
            1,
            "db",
            "s.t",
            client=sql_client,
            table_columns=[{"name": "a", "sql_type": "INT"}, {"name": "b"}],
        )
    with pytest.raises(ValueError, match="delimiter"):
        civis_file_to_table(1, "db", "s.t", client=sql_client, delimiter=";")
    with pytest.raises(ValueError, match="delimiter"):
        csv_to_civis(str(tmp_path / "x.csv"), "db", "s.t", client=sql_client, delimiter=";")
    with pytest.raises(ValueError, match="schema"):
        dataframe_to_civis(pd.DataFrame({"a": [1]}), "db", "t", client=sql_client)
    assert sql_srv.calls == []


def test_detected_layout_must_match(sql_srv: SqlServer, sql_client: Any) -> None:
    fid = sql_srv.store("a.csv", b"a\n1\n")
    with pytest.raises(CivisImportError, match=r"includeHeader.*True.*False"):
        civis_file_to_table(fid, "db", "sch.t", client=sql_client, headers=False)
    with pytest.raises(CivisImportError, match=r"columnDelimiter.*comma.*tab"):
        civis_file_to_table(fid, "db", "sch.t", client=sql_client, delimiter="\t")
    assert sql_srv.bodies("POST", "/imports/files/csv") == []
    sql_srv.preprocess_outputs = False
    with pytest.raises(CivisImportError, match="no output"):
        civis_file_to_table(fid, "db", "sch.t", client=sql_client)


def test_type_conflicts_between_files(sql_srv: SqlServer, sql_client: Any) -> None:
    ids = [sql_srv.store("a.csv", b"a\n1\n"), sql_srv.store("b.csv", b"a\nx\n")]
    kinds = iter(["INTEGER", "VARCHAR(3)"])
    original = sql_srv._finish_preprocess

    def detect(run: Any, body: dict[str, Any]) -> None:
        sql_srv.preprocess_detected = {
            **sql_srv.preprocess_detected,
            "tableColumns": [{"name": "a", "sqlType": next(kinds)}],
        }
        original(run, body)

    sql_srv._finish_preprocess = detect  # type: ignore[method-assign]
    with pytest.warns(UserWarning, match="VARCHAR"):
        civis_file_to_table(ids, "db", "sch.t", client=sql_client).result()
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert body["table_columns"] == [{"name": "a", "sql_type": "VARCHAR"}]
    kinds = iter(["INTEGER", "DATE"])
    with pytest.raises(CivisImportError, match="incompatible"):
        civis_file_to_table(ids, "db", "sch.t", client=sql_client)


def test_failed_import_raises_server_error(real_client: Any) -> None:
    table = _table()
    (fid,) = _upload(real_client, b"a\n1\n")
    civis_file_to_table(fid, DATABASE, table, client=real_client).result()
    with pytest.raises(CivisJobFailure, match="exists"):
        civis_file_to_table(fid, DATABASE, table, client=real_client).result()
    assert read_civis(table, DATABASE, client=real_client) == [["a"], ["1"]]


def test_files_append_to_an_existing_table(real_client: Any) -> None:
    table = _table()
    first, second, third = _upload(real_client, b"a,b\n1,x\n", b"a,b\n2,y\n", b"a,b\n3,\n")
    columns = [{"name": "a", "sql_type": "INTEGER"}, {"name": "b", "sql_type": "VARCHAR"}]
    civis_file_to_table(first, DATABASE, table, client=real_client, table_columns=columns).result()
    civis_file_to_table(
        [second, third],
        DATABASE,
        table,
        client=real_client,
        existing_table_rows="append",
        headers=True,
        table_columns=columns,
    ).result()
    rows = read_civis(table, DATABASE, client=real_client)
    assert sorted(rows[1:]) == [["1", "x"], ["2", "y"], ["3", ""]] and rows[0] == ["a", "b"]
    civis_file_to_table(
        first, DATABASE, table, client=real_client, existing_table_rows="drop"
    ).result()
    assert read_civis(table, DATABASE, client=real_client) == [["a", "b"], ["1", "x"]]


def test_type_conflicts_between_files_on_the_real_server(real_client: Any) -> None:
    table = _table()
    ids = _upload(real_client, b"a\n1\n", b"a\nx\n")
    with pytest.warns(UserWarning, match="VARCHAR"):
        civis_file_to_table(ids, DATABASE, table, client=real_client).result()
    assert sorted(read_civis(table, DATABASE, client=real_client)[1:]) == [["1"], ["x"]]
    dated = _upload(real_client, b"a\n1\n", b"a\n2024-01-01\n")
    with pytest.raises(CivisImportError, match="incompatible"):
        civis_file_to_table(dated, DATABASE, _table(), client=real_client)


def test_dataframe_to_civis_index_and_header_options(real_client: Any) -> None:
    table = _table()
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=pd.Index([7, 8], name="idx"))
    dataframe_to_civis(
        frame, DATABASE, table, client=real_client, index=True, header=False
    ).result()
    rows = read_civis(table, DATABASE, client=real_client)
    assert rows[0] == ["idx", "a", "b"] and sorted(rows[1:]) == [["7", "1", "x"], ["8", "2", "y"]]


def test_mixed_object_column_becomes_text_on_the_real_server(real_client: Any) -> None:
    table = _table()
    frame = pd.DataFrame({"m": [1, "a", None, 2.5], "e": [None] * 4})
    dataframe_to_civis(frame, DATABASE, table, client=real_client).result()
    back = read_civis(table, DATABASE, return_as="pandas", client=real_client)
    assert sorted(back["m"].dropna().tolist()) == ["1", "2.5", "a"]
    assert back["m"].isna().sum() == 1 and back["e"].isna().all()


def test_table_check_error_warns(sql_srv: SqlServer, sql_client: Any) -> None:
    sql_srv.table_check_status = 403
    fid = sql_srv.store("a.csv", b"a\n1\n")
    with pytest.warns(UserWarning, match="exists"):
        civis_file_to_table(fid, "db", "sch.t", client=sql_client).result()


FRAME = pd.DataFrame(
    {
        "zip": ["007", "", None, 'a,"b"', "l1\nl2"],
        "n": [1, 2, 3, 4, 5],
        "maybe": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "x": [1.5, float("nan"), 3.0, -0.25, 1e20],
        "flag": [True, False, True, True, False],
        "day": [datetime.date(2024, 1, d) for d in range(1, 6)],
        "at": pd.to_datetime(
            ["2024-01-01 10:00:00"] * 4 + ["2024-02-29 23:59:59.5"], format="ISO8601"
        ),
        "uni": ["ü", "日本", "", "x", "y"],
    }
)
FRAME_TYPES = [
    ("zip", "VARCHAR"),
    ("n", "BIGINT"),
    ("maybe", "BIGINT"),
    ("x", "DOUBLE PRECISION"),
    ("flag", "BOOLEAN"),
    ("day", "DATE"),
    ("at", "TIMESTAMP"),
    ("uni", "VARCHAR"),
]


def test_dataframe_to_civis_sends_types_and_skips_preprocess(
    sql_srv: SqlServer, sql_client: Any
) -> None:
    fut = dataframe_to_civis(FRAME, "db", "sch.t", client=sql_client, existing_table_rows="drop")
    assert fut.result().state == "succeeded"
    assert sql_srv.sequence() == [
        ("POST", "/files"),
        ("GET", "/databases"),
        ("GET", "/credentials"),
        ("POST", "/imports/files/csv"),
        ("POST", "/jobs/N/runs"),
        ("GET", "/jobs/N/runs/N"),
    ]
    (file_id,) = sql_srv.files
    assert sql_srv.files[file_id].name == "t"
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert body["source"] == {"file_ids": [file_id]}
    assert [(c["name"], c["sql_type"]) for c in body["table_columns"]] == FRAME_TYPES
    assert (
        body["first_row_is_header"],
        body["column_delimiter"],
        body["compression"],
        body["loosen_types"],
        body["escaped"],
        body["existing_table_rows"],
    ) == (True, "comma", "none", False, False, "drop")
    data = sql_srv.file_bytes(file_id)
    # NULL is an empty unquoted field, the empty string a quoted one.
    assert b'\n"",2,,' in data and b"\n,3,3," in data
    back = pacsv.read_csv(
        io.BytesIO(data),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            column_types={"zip": "string"},
        ),
    ).to_pandas()
    assert back["zip"].tolist()[:2] == ["007", ""] and pd.isna(back["zip"][2])
    assert back["zip"][3:].tolist() == ['a,"b"', "l1\nl2"]
    assert back["x"][4] == 1e20 and back["uni"].tolist()[:2] == ["ü", "日本"]


def test_dataframe_to_civis_polars(sql_srv: SqlServer, sql_client: Any) -> None:
    frame = pl.from_pandas(FRAME)
    dataframe_to_civis(frame, "db", "sch.t", client=sql_client).result()
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert [(c["name"], c["sql_type"]) for c in body["table_columns"]] == FRAME_TYPES
    dataframe_to_civis(frame, "db", "sch.t", client=sql_client, include_header=False).result()
    last = sql_srv.bodies("POST", "/imports/files/csv")[-1]
    assert last["first_row_is_header"] is False
    assert sql_srv.file_bytes(max(sql_srv.files)).startswith(b"007,1,1,")  # write_csv


def test_dataframe_to_civis_csv_options(sql_srv: SqlServer, sql_client: Any) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=pd.Index([7, 8], name="idx"))
    dataframe_to_civis(frame, "db", "sch.t", client=sql_client, index=True, header=False).result()
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert [c["name"] for c in body["table_columns"]] == ["idx", "a", "b"]
    assert body["first_row_is_header"] is False
    (file_id,) = sql_srv.files
    assert sql_srv.file_bytes(file_id) == b'7,1,"x"\n8,2,"y"\n'
    with pytest.raises(TypeError, match="to_csv"):
        dataframe_to_civis(frame, "db", "sch.t", client=sql_client, float_format="%.2f")


def test_dataframe_to_civis_given_types_and_names(sql_srv: SqlServer, sql_client: Any) -> None:
    frame = pd.DataFrame({"a": [1]})
    typed = [{"name": "a", "sql_type": "INTEGER"}]
    dataframe_to_civis(
        frame, "db", "sch.t", client=sql_client, table_columns=typed, credential_id=9
    ).result()
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert body["table_columns"] == typed and body["destination"]["credential_id"] == 9
    assert ("GET", "/credentials") not in sql_srv.sequence()
    # Names without types: the official path, with a preprocess job to detect types.
    dataframe_to_civis(
        frame, "db", "sch.t", client=sql_client, table_columns=[{"name": "a"}]
    ).result()
    (pre,) = sql_srv.bodies("POST", "/files/preprocess/csv")
    assert pre["include_header"] is True and pre["column_delimiter"] == "comma"


def test_mixed_object_column_becomes_text(sql_srv: SqlServer, sql_client: Any) -> None:
    frame = pd.DataFrame({"m": [1, "a", None, 2.5], "e": [None] * 4})
    dataframe_to_civis(frame, "db", "sch.t", client=sql_client).result()
    (body,) = sql_srv.bodies("POST", "/imports/files/csv")
    assert [c["sql_type"] for c in body["table_columns"]] == ["VARCHAR", "VARCHAR"]
    (file_id,) = sql_srv.files
    assert sql_srv.file_bytes(file_id).splitlines()[1:] == [b'"1",', b'"a",', b",", b'"2.5",']


def test_never_to_csv(sql_srv: SqlServer, sql_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("DataFrame.to_csv must not be used")

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    dataframe_to_civis(FRAME, "db", "sch.t", client=sql_client).result()
    dataframe_to_civis(FRAME, "db", "sch.t", client=sql_client, index=True).result()
    assert len(sql_srv.bodies("POST", "/imports/files/csv")) == 2
