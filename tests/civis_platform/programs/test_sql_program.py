"""The SQL programs: templating, statement splitting and export settings (pure, by table),
and runs that meet problems only a run can see (the owner lost their credential)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from sql_helpers import Warehouse, make_user, pg_wh, wait, wh

from civis_platform.programs.sql_export import ExportSettings, parse_csv_settings
from civis_platform.programs.sql_text import (
    TemplateError,
    render_sql,
    returns_rows,
    split_statements,
)
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.testing import ThreadedServer

__all__ = ["pg_wh", "wh"]  # fixtures used by name


def test_programs_are_declared_with_their_civis_types() -> None:
    from civis_platform.programs.sql import run_query, run_sql_script

    assert JOB_TYPES.civis_type("sql") == "JobTypes::SqlRunner"
    assert JOB_TYPES.civis_type("query") == "JobTypes::Query"
    assert JOB_TYPES.program("sql") is run_sql_script
    assert JOB_TYPES.program("query") is run_query


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("select 1", ["select 1"]),
        ("select 1;", ["select 1"]),
        ("a; b ;; c", ["a", "b", "c"]),
        ("select ';' as x; select 2", ["select ';' as x", "select 2"]),
        ("select 'it''s;' ; x", ["select 'it''s;'", "x"]),
        ('select 1 as "a;b"; x', ['select 1 as "a;b"', "x"]),
        ("select 1 -- c; d\n; x", ["select 1 -- c; d", "x"]),
        ("select /* ; */ 1; x", ["select /* ; */ 1", "x"]),
        ("do $$ begin; end $$; x", ["do $$ begin; end $$", "x"]),
        ("select $t$a;b$t$; x", ["select $t$a;b$t$", "x"]),
        ("select 1; -- only a comment", ["select 1"]),
        ("  ;  ", []),
        ("select 'unterminated; x", ["select 'unterminated; x"]),
    ],
)
def test_split_statements(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected


@pytest.mark.parametrize(
    "statement, rows",
    [
        ("select 1", True),
        ("  (select 1) union (select 2)", True),
        ("-- note\nWITH x AS (select 1) select * from x", True),
        ("/* a */ values (1)", True),
        ("show tables", True),
        ("insert into t values (1)", False),
        ("create table t as select 1", False),
        ("drop table t", False),
        ("update t set a = 1", False),
        ("", False),
    ],
)
def test_returns_rows(statement: str, rows: bool) -> None:
    assert returns_rows(statement) is rows


@pytest.mark.parametrize(
    "sql, params, arguments, expected",
    [
        ("select {{n}}", [{"name": "n", "type": "integer"}], {"n": 5}, "select 5"),
        ("select {{n}}", [{"name": "n", "type": "integer"}], {"n": " 7 "}, "select 7"),
        ("select {{x}}", [{"name": "x", "type": "float"}], {"x": "1.5"}, "select 1.5"),
        ("select {{x}}", [{"name": "x", "type": "float"}], {"x": 2}, "select 2"),
        ("select {{b}}", [{"name": "b", "type": "bool"}], {"b": False}, "select false"),
        ("select {{b}}", [{"name": "b", "type": "bool", "default": "t"}], {}, "select true"),
        ("'{{s}}'", [{"name": "s", "type": "string", "default": "d"}], {"s": "v"}, "'v'"),
        ("'{{s}}'", [{"name": "s", "type": "string", "value": "fixed"}], {"s": "v"}, "'fixed'"),
        ("'{{s}}'", [{"name": "s", "type": "string"}], {}, "''"),
        ("{{ spaced }}", [], {"spaced": "ok"}, "ok"),
        ("no placeholders", [], {"unused": 1}, "no placeholders"),
    ],
)
def test_render_sql(
    sql: str, params: list[dict[str, Any]], arguments: dict[str, Any], expected: str
) -> None:
    assert render_sql(sql, params, arguments) == expected


@pytest.mark.parametrize(
    "params, arguments, message",
    [
        ([{"name": "n", "type": "integer", "required": True}], {}, "required argument n"),
        ([{"name": "n", "type": "integer"}], {"n": "1.5"}, "must be an integer"),
        ([{"name": "n", "type": "integer"}], {"n": True}, "must be an integer"),
        ([{"name": "n", "type": "float"}], {"n": "many"}, "must be a number"),
        ([{"name": "n", "type": "bool"}], {"n": "perhaps"}, "must be a boolean"),
        ([{"name": "n", "type": "string"}], {"n": [1]}, "single value"),
        ([{"type": "string"}], {}, "needs a name"),
        ([], {}, "{{n}} has no value"),
    ],
)
def test_render_sql_errors(
    params: list[dict[str, Any]], arguments: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateError, match=message.replace("{", r"\{").replace("}", r"\}")):
        render_sql("select {{n}}", params, arguments)


def test_csv_settings_defaults_and_errors() -> None:
    assert parse_csv_settings(None) == ExportSettings()
    assert parse_csv_settings({"include_header": None}).include_header is True
    parsed = parse_csv_settings({"column_delimiter": "tab", "max_file_size": 3, "unquoted": True})
    assert (parsed.delimiter, parsed.max_file_size, parsed.unquoted) == ("\t", 3, True)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"compression": "bz2"}, "compression"),
        ({"column_delimiter": ";"}, "columnDelimiter"),
        ({"max_file_size": 0}, "maxFileSize"),
        ({"max_file_size": True}, "maxFileSize"),
        ({"filename_prefix": "a/b"}, "filenamePrefix"),
        ({"force_multifile": "yes"}, "forceMultifile"),
    ]
    for bad, field in cases:
        with pytest.raises(ValueError, match=field):
            parse_csv_settings(bad)


def test_a_run_fails_when_its_owner_lost_the_credential(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    body = {
        "name": "lost",
        "sql": "select 1",
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
    }
    script = user.api.post("scripts/sql", json=body).json()
    assert user.api.delete(f"credentials/{user.credential_id}").status_code == 204
    run = user.api.post(f"scripts/sql/{script['id']}/runs").json()
    done = wait(user.api, f"scripts/sql/{script['id']}/runs/{run['id']}")
    assert done["state"] == "failed" and f"Credential {user.credential_id}" in done["error"]


@pytest.mark.postgres
def test_a_dollar_quoted_body_is_one_statement_on_postgres(
    server: ThreadedServer, pg_wh: Warehouse
) -> None:
    user = make_user(server, pg_wh)
    name = f"f_{user.id}"
    sql = (
        f"create function {name}() returns int language plpgsql as $$ "
        "begin return 41; end; $$;\n"
        f"select {name}() + 1 as answer;"
    )
    body = {
        "name": "fn",
        "sql": sql,
        "remote_host_id": pg_wh.remote_host_id,
        "credential_id": user.credential_id,
        "csv_settings": {"compression": "none"},
    }
    script = user.api.post("scripts/sql", json=body).json()
    run = user.api.post(f"scripts/sql/{script['id']}/runs").json()
    done = wait(user.api, f"scripts/sql/{script['id']}/runs/{run['id']}")
    assert done["state"] == "succeeded", done
    assert requests.get(done["output"][0]["path"], timeout=30).content == b"answer\n42\n"


@pytest.mark.postgres
def _start(user: Any, wh: Warehouse, sql: str) -> tuple[str, int]:
    """Create a SQL script, start it, and wait until it runs; its run's path and id."""
    body = {
        "name": "slow",
        "sql": sql,
        "remote_host_id": wh.remote_host_id,
        "credential_id": user.credential_id,
    }
    script = user.api.post("scripts/sql", json=body).json()
    run = user.api.post(f"scripts/sql/{script['id']}/runs").json()
    path = f"scripts/sql/{script['id']}/runs/{run['id']}"
    while user.api.get(path).json()["state"] == "queued":
        time.sleep(0.01)
    return path, int(run["id"])


def test_a_cancelled_run_records_no_output(server: ThreadedServer, pg_wh: Warehouse) -> None:
    user = make_user(server, pg_wh)
    path, _run_id = _start(user, pg_wh, "select pg_sleep(1.5) as slept, 1 as a")
    cancelled = user.api.delete(path)
    assert cancelled.status_code == 202 and cancelled.json()["state"] == "cancelled"
    time.sleep(2.5)  # the statement under way is interrupted; nothing after it runs
    done = user.api.get(path).json()
    assert (done["state"], done["isCancelRequested"], done["output"]) == ("cancelled", True, [])
    logs = user.api.get(f"{path}/logs").json()
    assert not any("Exported" in entry["message"] for entry in logs)


# A statement that runs for minutes unless interrupted.
ENDLESS = {
    "duckdb": "select sum(a.range * b.range) as n from range(1000000) a, range(1000000) b",
    "postgres": "select pg_sleep(300) as slept",
}


def _running_here(server: ThreadedServer, run_id: int) -> bool:
    assert server.app is not None
    worker = server.app.state.worker
    with worker._lock:
        return run_id in worker._active


def test_cancelling_interrupts_the_statement_under_way(
    server: ThreadedServer, wh: Warehouse
) -> None:
    user = make_user(server, wh)
    sql = f"create temporary table t as select 1 as a; {ENDLESS[wh.engine]}"
    path, run_id = _start(user, wh, sql)
    time.sleep(0.5)  # well into the endless statement
    assert user.api.delete(path).status_code == 202
    # The program returns within seconds (the statement was interrupted), not minutes.
    deadline = time.monotonic() + 15
    while _running_here(server, run_id):
        assert time.monotonic() < deadline, "the statement was not interrupted"
        time.sleep(0.05)
    done = user.api.get(path).json()
    assert (done["state"], done["output"]) == ("cancelled", [])
