"""``/scripts/sql`` over loopback on both warehouse engines: exports, settings, errors."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from typing import Any

import pytest
import requests
from platform_helpers import assert_civis_error
from sql_helpers import MANY_ROWS, SqlUser, Warehouse, make_user, pg_wh, wait, wh

import support
from civis_platform.testing import ThreadedServer

__all__ = ["pg_wh", "wh"]  # fixtures used by name

TRICKY = (
    "select 1 as id, 'plain' as s union all "
    "select 2, 'a,b' union all "
    "select 3, 'say \"hi\"' union all "
    "select 4, 'two' || chr(10) || 'lines' union all "
    "select 5, 'ünïcødé ✓' union all "
    "select 6, '' union all "
    "select 7, null "
    "order by id"
)
TRICKY_ROWS = [
    ["id", "s"],
    ["1", "plain"],
    ["2", "a,b"],
    ["3", 'say "hi"'],
    ["4", "two\nlines"],
    ["5", "ünïcødé ✓"],
    ["6", ""],
    ["7", ""],
]


def _create(user: SqlUser, wh: Warehouse, sql: str, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "export",
        "sql": sql,
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
        **extra,
    }
    response = user.api.post("scripts/sql", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _run(user: SqlUser, wh: Warehouse, sql: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    script = _create(user, wh, sql, **extra)
    started = user.api.post(f"scripts/sql/{script['id']}/runs")
    assert started.status_code == 202, started.text
    assert started.json()["sqlId"] == script["id"]  # its state may have moved on already
    return script["id"], wait(user.api, f"scripts/sql/{script['id']}/runs/{started.json()['id']}")


def _download(output: dict[str, Any]) -> bytes:
    response = requests.get(output["path"], timeout=30)  # no auth: a signed URL
    assert response.status_code == 200, response.text
    return response.content


def _rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter))


def test_default_export_is_gzip_csv_with_header_and_typed_detected_info(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    script_id, run = _run(user, wh, TRICKY)
    assert run["state"] == "succeeded", run
    assert run["error"] is None and run["isCancelRequested"] is False
    [output] = run["output"]
    assert output["outputName"].endswith(".csv.gz")
    raw = _download(output)
    assert raw[:2] == b"\x1f\x8b"
    text = gzip.decompress(raw)
    assert _rows(text) == TRICKY_ROWS
    assert b'\n6,""\n7,\n' in text  # empty string quoted, NULL empty
    info = user.api.get(f"files/{output['fileId']}").json()["detectedInfo"]
    assert info["includeHeader"] is True and info["columnDelimiter"] == "comma"
    assert info["compression"] == "gzip"
    assert [c["name"] for c in info["tableColumns"]] == ["id", "s"]
    assert info["tableColumns"][0]["sqlType"] in ("integer", "bigint")
    assert info["tableColumns"][1]["sqlType"].startswith("character varying")
    # The same file is a run output for /jobs and file_id_from_run_output.
    outputs = user.api.get(f"jobs/{script_id}/runs/{run['id']}/outputs").json()
    assert [(o["objectType"], o["objectId"], o["name"]) for o in outputs] == [
        ("File", output["fileId"], output["outputName"])
    ]
    same = user.api.get(f"scripts/sql/{script_id}/runs/{run['id']}/outputs").json()
    assert same == outputs
    assert user.api.get(f"jobs/{script_id}").json()["type"] == "JobTypes::SqlRunner"
    logs = user.api.get(f"scripts/sql/{script_id}/runs/{run['id']}/logs").json()
    assert any("Exported 7 rows" in entry["message"] for entry in logs)


@pytest.mark.parametrize(
    "settings, delimiter, header, opener",
    [
        ({"include_header": False}, ",", False, gzip.decompress),
        ({"column_delimiter": "tab", "compression": "none"}, "\t", True, bytes),
        ({"column_delimiter": "pipe", "compression": "gzip"}, "|", True, gzip.decompress),
        ({"compression": "zip"}, ",", True, "zip"),
    ],
)
def test_csv_settings(
    server: ThreadedServer,
    wh: Warehouse,
    settings: dict[str, Any],
    delimiter: str,
    header: bool,
    opener: Any,
) -> None:
    user = make_user(server, wh)
    _script, run = _run(user, wh, TRICKY, csv_settings={**settings, "filename_prefix": "out"})
    assert run["state"] == "succeeded", run
    [output] = run["output"]
    assert output["outputName"].startswith("out.csv")
    raw = _download(output)
    if opener == "zip":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            [member] = archive.namelist()
            data = archive.read(member)
    else:
        data = opener(raw)
    assert _rows(data, delimiter) == (TRICKY_ROWS if header else TRICKY_ROWS[1:])
    info = user.api.get(f"files/{output['fileId']}").json()["detectedInfo"]
    assert info["includeHeader"] is header
    assert info["compression"] == settings.get("compression", "gzip")


def test_unquoted_escapes_instead_of_quoting(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    sql = "select 'a,b' as s, 'x' as t"
    _script, run = _run(user, wh, sql, csv_settings={"unquoted": True, "compression": "none"})
    assert _download(run["output"][0]) == b"s,t\na\\,b,x\n"


def test_multifile_export_writes_parts_and_a_manifest(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    sql = MANY_ROWS[wh.engine].format(n=12000)  # about 2.5 MB of CSV
    settings = {
        "force_multifile": True,
        "max_file_size": 1,
        "compression": "none",
        "filename_prefix": "big",
    }
    _script, run = _run(user, wh, sql, csv_settings=settings)
    assert run["state"] == "succeeded", run
    manifest_output = run["output"][0]
    manifest = json.loads(_download(manifest_output))
    assert manifest["header"] == ["i", "s"] and manifest["query"] == sql
    assert (manifest["compression"], manifest["delimiter"], manifest["unquoted"]) == (
        "none",
        ",",
        False,
    )
    assert len(manifest["entries"]) >= 2
    rows: list[list[str]] = []
    for entry in manifest["entries"]:
        assert entry["name"].startswith("big_") and entry["url"].endswith(f"files/{entry['id']}")
        data = requests.get(entry["url_signed"], timeout=30).content
        assert len(data) == entry["size"]
        rows.extend(_rows(data))
    assert [int(r[0]) for r in rows] == list(range(12000))  # no header in parts
    assert [o["fileId"] for o in run["output"][1:]] == [e["id"] for e in manifest["entries"]]


def test_forced_multifile_of_a_small_result_is_one_gzip_part(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    _script, run = _run(user, wh, TRICKY, csv_settings={"force_multifile": True})
    manifest = json.loads(_download(run["output"][0]))
    [entry] = manifest["entries"]
    data = gzip.decompress(requests.get(entry["url_signed"], timeout=30).content)
    assert _rows(data) == TRICKY_ROWS[1:] and manifest["compression"] == "gzip"
    info = user.api.get(f"files/{entry['id']}").json()["detectedInfo"]
    assert info["includeHeader"] is False and len(info["tableColumns"]) == 2


def test_statements_run_in_order_and_the_last_query_is_exported(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    table = f"sql_steps_{user.id}"
    sql = (
        f"create table {table} (a text, b integer);\n"
        f"insert into {table} values ('x;y', 1), ('it''s', 2);\n"
        f"select a, b from {table} order by b;"
    )
    _script, run = _run(user, wh, sql)
    assert run["state"] == "succeeded", run
    assert _rows(gzip.decompress(_download(run["output"][0]))) == [
        ["a", "b"],
        ["x;y", "1"],
        ["it's", "2"],
    ]
    # A script whose last statement returns no rows exports nothing.
    _script, run = _run(user, wh, f"drop table {table}")
    assert run["state"] == "succeeded" and run["output"] == []


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_a_temporary_table_lives_from_statement_to_statement(
    server: ThreadedServer, wh: Warehouse, file_format: str
) -> None:
    # As on Civis, a script's statements share one session (each still commits).
    user = make_user(server, wh)
    sql = (
        "create temporary table steps as select 1 as n;\n"
        "insert into steps values (2);\n"
        "select n from steps order by n;"
    )
    settings = {"compression": "none", "file_format": file_format}
    _script, run = _run(user, wh, sql, csv_settings=settings)
    assert run["state"] == "succeeded", run["error"]
    raw = _download(run["output"][0])
    if file_format == "csv":
        assert _rows(raw) == [["n"], ["1"], ["2"]]
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(io.BytesIO(raw)).column("n").to_pylist() == [1, 2]
    # ... and the session ends with the script: the next one starts afresh.
    _script, run = _run(user, wh, "select n from steps")
    assert run["state"] == "failed" and "steps" in run["error"], run


def test_a_script_may_open_and_commit_its_own_transaction(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    table = f"sql_tx_{user.id}"
    sql = (
        "begin;\n"
        f"create table {table} as select 1 as n;\n"
        f"insert into {table} values (2);\n"
        "commit;\n"
        f"select n from {table} order by n;"
    )
    _script, run = _run(user, wh, sql, csv_settings={"compression": "none"})
    assert run["state"] == "succeeded", run["error"]
    assert _rows(_download(run["output"][0])) == [["n"], ["1"], ["2"]]
    _script, run = _run(user, wh, f"drop table {table}")
    assert run["state"] == "succeeded", run["error"]


def test_params_and_arguments_fill_the_template(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    params = [
        {"name": "n", "type": "integer", "required": True},
        {"name": "who", "type": "string", "default": "nobody"},
        {"name": "flag", "type": "bool", "default": "yes"},
    ]
    sql = "select {{n}} + 1 as n, '{{ who }}' as who, {{flag}} as flag"
    script = _create(user, wh, sql, params=params, arguments={"n": 41})
    assert script["codePreview"] == "select 41 + 1 as n, 'nobody' as who, true as flag"
    run = user.api.post(f"scripts/sql/{script['id']}/runs").json()
    done = wait(user.api, f"scripts/sql/{script['id']}/runs/{run['id']}")
    assert _rows(gzip.decompress(_download(done["output"][0]))) == [
        ["n", "who", "flag"],
        ["42", "nobody", "t"],
    ]


@pytest.mark.parametrize(
    "params, arguments, field",
    [
        ([{"name": "n", "type": "integer", "required": True}], {}, "arguments"),
        ([{"name": "n", "type": "integer"}], {"n": "forty"}, "arguments"),
        ([{"name": "n", "type": "float"}], {"n": "x"}, "arguments"),
        ([{"name": "n", "type": "bool"}], {"n": "maybe"}, "arguments"),
        ([{"name": "n", "type": "colour"}], {"n": 1}, "params"),
        ([], {}, "arguments"),  # {{n}} has no value at all
    ],
)
def test_template_problems_are_refused_at_post(
    server: ThreadedServer, params: list[Any], arguments: dict[str, Any], field: str
) -> None:
    wh = Warehouse("duckdb", 1, 1)
    user = make_user(server, wh)
    body = {
        "name": "t",
        "sql": "select {{n}}",
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
        "params": params,
        "arguments": arguments,
    }
    error = assert_civis_error(user.api.post("scripts/sql", json=body), 400)
    assert field in error["errorDescription"] or "argument" in error["errorDescription"].lower()


@pytest.mark.parametrize(
    "sql, needle",
    [
        ("select * from no_such_table_anywhere", "no_such_table_anywhere"),
        ("selec 1", "selec"),
        ("select 1; select * from missing_in_second", "Statement 2 of 2"),
    ],
)
def test_failures_fail_the_run_with_a_clear_error(
    server: ThreadedServer, wh: Warehouse, sql: str, needle: str
) -> None:
    user = make_user(server, wh)
    script_id, run = _run(user, wh, sql)
    assert run["state"] == "failed" and needle in run["error"], run
    assert run["output"] == []
    logs = user.api.get(f"scripts/sql/{script_id}/runs/{run['id']}/logs").json()
    assert any(e["level"] == "error" and needle in e["message"] for e in logs)
    assert user.api.get(f"jobs/{script_id}/runs/{run['id']}").json()["error"] == run["error"]


def test_bad_bodies_are_400s_naming_the_field(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    other = make_user(server, wh)
    good = {
        "name": "x",
        "sql": "select 1",
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({k: v for k, v in good.items() if k != "sql"}, "sql"),
        ({k: v for k, v in good.items() if k != "credential_id"}, "credentialId"),
        ({**good, "remote_host_id": "one"}, "remoteHostId"),
        ({**good, "remote_host_id": 999_999}, "remoteHostId"),
        ({**good, "credential_id": other.credential_id}, "credentialId"),
        ({**good, "credential_id": 999_999}, "credentialId"),
        ({**good, "sql": "  "}, "sql"),
        ({**good, "csv_settings": {"column_delimiter": "semicolon"}}, "columnDelimiter"),
        ({**good, "csv_settings": {"compression": "bz2"}}, "compression"),
        ({**good, "csv_settings": {"max_file_size": 0}}, "maxFileSize"),
        ({**good, "csv_settings": {"include_header": "perhaps"}}, "includeHeader"),
        ({**good, "params": "n"}, "params"),
    ]
    for body, field in cases:
        error = assert_civis_error(user.api.post("scripts/sql", json=body), 400)
        snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), field)
        words = snake.removesuffix("_id").replace("_", " ")
        described = error["errorDescription"].lower()
        assert any(n.lower() in described for n in (field, snake, words)), (body, error)


def test_update_replace_archive_and_visibility(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    stranger = make_user(server, wh)
    script = _create(user, wh, "select 1 as a", csv_settings={"compression": "none"})
    patched = user.api.patch(f"scripts/sql/{script['id']}", json={"sql": "select 2 as b"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["sql"] == "select 2 as b"
    assert patched.json()["csvSettings"]["compression"] == "none"
    assert_civis_error(
        user.api.patch(f"scripts/sql/{script['id']}", json={"credential_id": 999_999}), 400
    )
    replaced = user.api.put(
        f"scripts/sql/{script['id']}",
        json={
            "name": "renamed",
            "sql": "select 3 as c",
            "remote_host_id": wh.remote_host_id,
            "credential_id": user.credential_id,
        },
    ).json()
    assert replaced["name"] == "renamed" and replaced["csvSettings"]["compression"] == "gzip"
    assert_civis_error(stranger.api.get(f"scripts/sql/{script['id']}"), 404)
    assert_civis_error(stranger.api.post(f"scripts/sql/{script['id']}/runs"), 404)
    assert user.api.delete(f"scripts/sql/{script['id']}").status_code == 204
    assert user.api.get(f"scripts/sql/{script['id']}").json()["archived"] == "true"


def test_runs_list_and_cancel_of_a_finished_run(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    script_id, run = _run(user, wh, "select 1 as a")
    listed = user.api.get(f"scripts/sql/{script_id}/runs").json()
    assert [r["id"] for r in listed] == [run["id"]] and listed[0]["output"]
    assert_civis_error(user.api.delete(f"scripts/sql/{script_id}/runs/{run['id']}"), 404)
    again = user.api.post(f"jobs/{script_id}/runs").json()  # one run engine
    done = wait(user.api, f"scripts/sql/{script_id}/runs/{again['id']}")
    assert done["state"] == "succeeded" and len(done["output"]) == 1
    assert_civis_error(user.api.get(f"scripts/containers/{script_id}"), 404)


def test_shares_archive_and_projects_of_a_sql_script(server: ThreadedServer) -> None:
    wh = Warehouse("duckdb", 1, 1)
    user = make_user(server, wh)
    reader = make_user(server, wh)
    script_id, run = _run(user, wh, "select 1 as a")
    assert_civis_error(reader.api.get(f"scripts/sql/{script_id}"), 404)
    shared = user.api.put(
        f"scripts/sql/{script_id}/shares/users",
        json={"user_ids": [reader.id], "permission_level": "read"},
    )
    assert shared.status_code == 200, shared.text
    seen = reader.api.get(f"scripts/sql/{script_id}").json()
    assert seen["myPermissionLevel"] == "read"
    assert reader.api.get(f"scripts/sql/{script_id}/runs/{run['id']}").json()["output"]
    assert_civis_error(reader.api.post(f"scripts/sql/{script_id}/runs"), 403)
    archived = user.api.put(f"scripts/sql/{script_id}/archive", json={"status": True})
    assert archived.status_code == 200 and archived.json()["archived"] == "true"
    assert user.api.get(f"scripts/sql/{script_id}/projects").json() == []


@pytest.mark.postgres
def test_a_database_id_is_its_remote_host_id(server: ThreadedServer, admin: Any) -> None:
    # The official client sends get_database_id(...) as remote_host_id: they must agree
    # even when other remote hosts were made before the database was registered.
    host = admin.post(
        "remote_hosts", json={"name": "other", "type": "RemoteHostTypes::Postgres", "url": "x"}
    )
    assert host.status_code in (200, 201), host.text
    with support.temporary_pg_database("civis_sql_ids") as url:
        database_id = server.register_postgres("Ids Warehouse", url)
        try:
            user = make_user(server, Warehouse("postgres", database_id, database_id))
            _script, run = _run(user, Warehouse("postgres", database_id, database_id), "select 1")
            assert run["state"] == "succeeded", run
        finally:
            server.close_warehouses()


def test_clone_copies_the_script_for_the_caller(server: ThreadedServer) -> None:
    wh = Warehouse("duckdb", 1, 1)
    user = make_user(server, wh)
    script = _create(
        user, wh, "select {{n}} as n", params=[{"name": "n", "type": "integer", "default": 4}]
    )
    cloned = user.api.post(f"scripts/sql/{script['id']}/clone", json={})
    assert cloned.status_code == 201, cloned.text
    copy = cloned.json()
    assert copy["id"] != script["id"] and copy["name"] == "Clone of export"
    assert copy["codePreview"] == "select 4 as n" and copy["state"] == "idle"
    assert user.api.post(f"scripts/sql/{copy['id']}/clone").status_code == 201  # no body


def test_exported_types_and_their_text(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    sql = (
        "select cast('2024-01-02' as date) as d, "
        "cast('2024-01-02 03:04:05' as timestamp) as ts, "
        "cast(1.25 as numeric(10,2)) as n, true as b, cast(3 as bigint) as big, "
        "cast(1.5 as double precision) as f, cast(7 as smallint) as small"
    )
    _script, run = _run(user, wh, sql, csv_settings={"compression": "none"})
    assert run["state"] == "succeeded", run
    output = run["output"][0]
    assert _rows(_download(output)) == [
        ["d", "ts", "n", "b", "big", "f", "small"],
        ["2024-01-02", "2024-01-02 03:04:05", "1.25", "t", "3", "1.5", "7"],
    ]
    info = user.api.get(f"files/{output['fileId']}").json()["detectedInfo"]
    assert [c["sqlType"] for c in info["tableColumns"]] == [
        "date",
        "timestamp without time zone",
        "numeric(10,2)",
        "boolean",
        "bigint",
        "double precision",
        "smallint",
    ]


def test_concurrent_exports_on_one_warehouse(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    scripts = [_create(user, wh, f"select {i} as i") for i in range(4)]
    runs = [user.api.post(f"scripts/sql/{s['id']}/runs").json() for s in scripts]
    for i, (script, run) in enumerate(zip(scripts, runs, strict=True)):
        done = wait(user.api, f"scripts/sql/{script['id']}/runs/{run['id']}")
        assert done["state"] == "succeeded", done
        assert _rows(gzip.decompress(_download(done["output"][0]))) == [["i"], [str(i)]]
