"""Tables as Parquet and Arrow over loopback, on both warehouse engines: the spec's
``x-civis-platform`` extension, ``csvSettings.fileFormat`` ``parquet`` and ``arrow``
exports, Parquet source files in ``/imports/files/csv`` and in ``/files/preprocess/csv``."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from import_helpers import rows, unique_table, upload
from platform_helpers import assert_civis_error
from sql_helpers import SqlUser, Warehouse, make_user, pg_wh, wait, wh

from civis_platform.testing import ThreadedServer

__all__ = ["pg_wh", "wh"]  # fixtures used by name

FRAME = pa.table(
    {
        "id": pa.array([1, 2, 3], pa.int64()),
        "zip": ["007", "", None],
        "score": [1.5, None, 2.0],
    }
)


def _parquet(table: pa.Table = FRAME) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _export(user: SqlUser, wh: Warehouse, sql: str, settings: dict[str, Any]) -> dict[str, Any]:
    body = {
        "name": "export",
        "sql": sql,
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
        "csv_settings": settings,
    }
    script = user.api.post("scripts/sql", json=body)
    assert script.status_code == 201, script.text
    assert script.json()["csvSettings"]["fileFormat"] == settings.get("file_format", "csv")
    started = user.api.post(f"scripts/sql/{script.json()['id']}/runs")
    assert started.status_code == 202, started.text
    return wait(user.api, f"scripts/sql/{script.json()['id']}/runs/{started.json()['id']}")


def _import(
    user: SqlUser, wh: Warehouse, file_ids: list[int], table: str, **options: Any
) -> dict[str, Any]:
    body = {
        "source": {"file_ids": file_ids},
        "destination": {
            "schema": "imports",
            "table": table,
            "remote_host_id": wh.remote_host_id,
            "credential_id": user.credential_id,
        },
        "first_row_is_header": True,
        **options,
    }
    created = user.api.post("imports/files/csv", json=body)
    assert created.status_code == 201, created.text
    started = user.api.post(f"imports/files/csv/{created.json()['id']}/runs")
    assert started.status_code == 202, started.text
    return wait(user.api, f"imports/files/csv/{created.json()['id']}/runs/{started.json()['id']}")


def test_the_spec_says_what_the_server_offers(server: ThreadedServer, wh: Warehouse) -> None:
    spec = make_user(server, wh).api.get("endpoints").json()
    assert spec["x-civis-platform"] == {
        "tableFormats": ["csv", "parquet", "arrow"],
        "longPolling": True,
    }


@pytest.mark.parametrize("file_format, suffix", [("parquet", ".parquet"), ("arrow", ".arrows")])
def test_a_typed_export_keeps_types_and_carries_table_columns(
    server: ThreadedServer, wh: Warehouse, file_format: str, suffix: str
) -> None:
    user = make_user(server, wh)
    run = _export(
        user,
        wh,
        "select 1 as id, '007' as zip, cast(null as integer) as n, 1.5 as x, 'a,b\n\"c\"' as s",
        {"file_format": file_format, "filename_prefix": "result"},
    )
    assert run["state"] == "succeeded", run["error"]
    [output] = run["output"]
    assert output["outputName"] == f"result{suffix}"
    raw = requests.get(output["path"], timeout=30).content
    if file_format == "parquet":
        back = pq.read_table(io.BytesIO(raw))
    else:
        back = pa.ipc.open_stream(io.BytesIO(raw)).read_all()
    assert back.column_names == ["id", "zip", "n", "x", "s"]
    assert back.to_pylist()[0]["zip"] == "007" and back.to_pylist()[0]["s"] == 'a,b\n"c"'
    assert pa.types.is_integer(back.schema.field("id").type)
    info = user.api.get(f"files/{output['fileId']}").json()["detectedInfo"]
    assert [c["name"] for c in info["tableColumns"]] == ["id", "zip", "n", "x", "s"]


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"file_format": "feather"}, "fileFormat must be one of csv, parquet, arrow"),
        ({"file_format": "parquet", "force_multifile": True}, "forceMultifile is not available"),
        ({"file_format": "arrow", "force_multifile": True}, "forceMultifile is not available"),
    ],
)
def test_bad_file_formats_are_400s(
    server: ThreadedServer, wh: Warehouse, settings: dict[str, Any], message: str
) -> None:
    user = make_user(server, wh)
    body = {
        "name": "x",
        "sql": "select 1",
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
        "csv_settings": settings,
    }
    error = assert_civis_error(user.api.post("scripts/sql", json=body), 400)
    assert message in error["errorDescription"], error


def test_parquet_files_import_by_their_own_schema(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    table = unique_table("pq")
    file_id = upload(user.api, _parquet(), "frame.parquet")
    # The CSV options do not apply to Parquet: a tab delimiter and no header change nothing.
    run = _import(
        user, wh, [file_id, file_id], table, column_delimiter="tab", first_row_is_header=False
    )
    assert run["state"] == "succeeded", run["error"]
    assert rows(server, wh.database_id, f"select * from imports.{table} order by id, zip") == [
        ["1", "007", "1.5"],
        ["1", "007", "1.5"],
        ["2", "", None],
        ["2", "", None],
        ["3", None, "2"],
        ["3", None, "2"],
    ]
    typed = [
        {"name": "n", "sql_type": "BIGINT"},
        {"name": "code", "sql_type": "VARCHAR(8)"},
        {"name": "s", "sql_type": "DOUBLE PRECISION"},
    ]
    run = _import(user, wh, [file_id], table, existing_table_rows="drop", table_columns=typed)
    assert run["state"] == "succeeded", run["error"]
    assert rows(server, wh.database_id, f"select code from imports.{table} order by n") == [
        ["007"],
        [""],
        [None],
    ]


def test_a_bad_parquet_import_fails_clearly_and_leaves_nothing(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    table = unique_table("pqbad")
    parquet = upload(user.api, _parquet(), "frame.parquet")
    csv = upload(user.api, b"id,zip,score\n4,x,1\n")
    run = _import(user, wh, [parquet, csv], table)
    assert run["state"] == "failed"
    assert "mix Parquet and CSV" in run["error"] and f"imports.{table}" in run["error"]
    cut = upload(user.api, _parquet()[:-30], "cut.parquet")
    run = _import(user, wh, [cut], table)
    assert run["state"] == "failed" and "not a valid Parquet file" in run["error"], run
    wrong = [
        {"name": "id", "sql_type": "DATE"},
        {"name": "zip", "sql_type": "VARCHAR"},
        {"name": "score", "sql_type": "DOUBLE PRECISION"},
    ]
    run = _import(user, wh, [parquet], table, table_columns=wrong)
    assert run["state"] == "failed" and run["error"], run
    assert rows(server, wh.database_id, f"select * from imports.{table}") is None


def test_preprocess_reads_a_parquet_schema(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    file_id = upload(user.api, _parquet(), "frame.parquet")
    job = user.api.post(
        "files/preprocess/csv",
        json={"file_id": file_id, "in_place": False, "detect_table_columns": True},
    )
    assert job.status_code == 201, job.text
    started = user.api.post(f"jobs/{job.json()['id']}/runs")
    run = wait(user.api, f"jobs/{job.json()['id']}/runs/{started.json()['id']}")
    assert run["state"] == "succeeded", run["error"]
    [output] = user.api.get(f"jobs/{job.json()['id']}/runs/{run['id']}/outputs").json()
    assert output["objectId"] != file_id  # a copy, as asked
    info = user.api.get(f"files/{output['objectId']}").json()["detectedInfo"]
    assert info["tableColumns"] == [
        {"name": "id", "sqlType": "bigint"},
        {"name": "zip", "sqlType": "character varying"},
        {"name": "score", "sqlType": "double precision"},
    ]
    copied = requests.get(
        user.api.get(f"files/{output['objectId']}").json()["fileUrl"], timeout=30
    ).content
    assert pq.read_table(io.BytesIO(copied)).equals(FRAME)
