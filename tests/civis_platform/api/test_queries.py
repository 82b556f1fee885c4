"""``/queries`` over loopback on both warehouse engines: previews, DDL, errors, listing."""

from __future__ import annotations

from typing import Any

import pytest
from platform_helpers import assert_civis_error
from sql_helpers import SqlUser, Warehouse, make_user, pg_wh, wait, wh

from civis_platform.testing import ThreadedServer

__all__ = ["pg_wh", "wh"]  # fixtures used by name


def _query(user: SqlUser, wh: Warehouse, sql: str, **extra: Any) -> dict[str, Any]:
    body = {
        "database": wh.database_id,
        "sql": sql,
        "preview_rows": 100,
        "credential": user.credential_id,
        **extra,
    }
    response = user.api.post("queries", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    assert created["state"] in ("queued", "running", "succeeded", "failed")
    return wait(user.api, f"queries/{created['id']}")


def test_a_query_previews_its_rows_as_text(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    sql = (
        "select 1 as n, 2.5 as x, 'a,b' as s, true as ok union all "
        "select 2, null, '', false order by n"
    )
    done = _query(user, wh, sql)
    assert done["state"] == "succeeded" and done["error"] is None, done
    assert done["resultColumns"] == ["n", "x", "s", "ok"]
    assert done["resultRows"] == [["1", "2.5", "a,b", "t"], ["2", None, "", "f"]]
    assert done["lastRunId"] and done["startedAt"] and done["finishedAt"]
    assert done["database"] == wh.database_id and done["credential"] == user.credential_id
    run = user.api.get(f"queries/{done['id']}/runs/{done['lastRunId']}").json()
    assert (run["queryId"], run["state"]) == (done["id"], "succeeded")
    assert user.api.get(f"jobs/{done['id']}").json()["type"] == "JobTypes::Query"


def test_preview_rows_caps_the_preview(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    sql = "select 1 as n union all select 2 union all select 3 order by n"
    assert _query(user, wh, sql, preview_rows=2)["resultRows"] == [["1"], ["2"]]
    assert _query(user, wh, sql, preview_rows=0)["resultRows"] == []
    for bad in (1001, -1, "ten"):
        response = user.api.post(
            "queries", json={"database": wh.database_id, "sql": sql, "preview_rows": bad}
        )
        assert "preview" in assert_civis_error(response, 400)["errorDescription"].lower()


def test_ddl_and_dml_run_without_rows(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    table = f"q_ddl_{user.id}"
    created = _query(user, wh, f"create table {table} as select 1 as a, 'x' as b")
    assert created["state"] == "succeeded" and created["resultRows"] == [], created
    inserted = _query(
        user, wh, f"insert into {table} values (2, 'y'); select count(*) from {table}"
    )
    assert inserted["resultRows"] == [["2"]], inserted
    assert _query(user, wh, f"drop table {table}")["state"] == "succeeded"


@pytest.mark.parametrize(
    "sql, needle", [("select * from q_missing_table", "q_missing_table"), ("selec 1", "selec")]
)
def test_bad_sql_fails_with_the_engine_message(
    server: ThreadedServer, wh: Warehouse, sql: str, needle: str
) -> None:
    user = make_user(server, wh)
    done = _query(user, wh, sql)
    assert done["state"] == "failed" and needle in done["error"], done
    logs = user.api.get(f"queries/{done['id']}/runs/{done['lastRunId']}/logs").json()
    assert any(e["level"] == "error" for e in logs)


def test_bad_bodies_are_400s(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    other = make_user(server, wh)
    good = {"database": wh.database_id, "sql": "select 1", "preview_rows": 5}
    cases: list[tuple[dict[str, Any], str]] = [
        ({k: v for k, v in good.items() if k != "database"}, "database"),
        ({k: v for k, v in good.items() if k != "preview_rows"}, "preview"),
        ({**good, "database": 999_999}, "database"),
        ({**good, "database": "db"}, "database"),
        ({**good, "sql": " "}, "sql"),
        ({**good, "credential": other.credential_id}, "credential"),
        ({**good, "column_delimiter": "semicolon"}, "columndelimiter"),
    ]
    for body, needle in cases:
        error = assert_civis_error(user.api.post("queries", json=body), 400)
        assert needle in error["errorDescription"].lower().replace("_", ""), (body, error)


def test_default_credential_is_used_when_none_is_given(server: ThreadedServer) -> None:
    wh = Warehouse("duckdb", 1, 1)
    user = make_user(server, wh)
    response = user.api.post("queries", json={"database": 1, "sql": "select 7", "preview_rows": 1})
    assert response.status_code == 200, response.text
    done = wait(user.api, f"queries/{response.json()['id']}")
    assert done["resultRows"] == [["7"]] and done["credential"] is not None


def test_list_filters_hide_and_visibility(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    stranger = make_user(server, wh)
    first = _query(user, wh, "select 'alpha' as word")
    second = _query(user, wh, "select * from q_nope")
    hidden = _query(user, wh, "select 'hidden' as word", hidden=True)
    listed = user.api.get("queries").json()
    assert [q["id"] for q in listed] == [second["id"], first["id"]]
    assert "hidden" not in listed[0] and listed[1]["resultRows"] == [["alpha"]]

    def ids(**params: Any) -> list[int]:
        response = user.api.get("queries", params=params)
        assert response.status_code == 200, response.text
        return [q["id"] for q in response.json()]

    assert ids(state="failed") == [second["id"]]
    assert ids(**{"state[]": ["succeeded", "failed"]}) == [second["id"], first["id"]]
    assert ids(query="alph*") == [first["id"]]
    assert ids(hidden="True") == [hidden["id"]]
    assert ids(order="created_at", order_dir="asc") == [first["id"], second["id"]]
    assert ids(limit=1, page_num=2) == [first["id"]]
    assert ids(database_id=wh.database_id, credential_id=user.credential_id) == [
        second["id"],
        first["id"],
    ]
    assert ids(created_after="2999-01-01T00:00:00Z") == []
    assert user.api.get("queries", params={"exclude_results": "True"}).json()[1]["resultRows"] == []
    assert_civis_error(user.api.get("queries", params={"state": "pending"}), 400)
    assert_civis_error(user.api.get("queries", params={"limit": 51}), 400)
    assert_civis_error(user.api.get("queries", params={"created_after": "soon"}), 400)
    assert stranger.api.get("queries").json() == []
    assert_civis_error(stranger.api.get(f"queries/{first['id']}"), 404)
    deleted = user.api.delete(f"queries/{first['id']}")
    assert deleted.status_code == 200 and deleted.json()["hidden"] is True
    assert ids() == [second["id"]]


def test_runs_again_and_cancel(server: ThreadedServer, wh: Warehouse) -> None:
    user = make_user(server, wh)
    done = _query(user, wh, "select 1 as a")
    again = user.api.post(f"queries/{done['id']}/runs")
    assert again.status_code == 202, again.text
    finished = wait(user.api, f"queries/{done['id']}/runs/{again.json()['id']}")
    assert finished["state"] == "succeeded"
    runs = user.api.get(f"queries/{done['id']}/runs").json()
    assert [r["id"] for r in runs] == [again.json()["id"], done["lastRunId"]]
    assert user.api.get(f"queries/{done['id']}").json()["lastRunId"] == again.json()["id"]
    assert_civis_error(user.api.delete(f"queries/{done['id']}/runs/{finished['id']}"), 404)
