"""``GET /scripts`` over loopback: SQL and container scripts in one list, with filters,
paging and ordering, and only the scripts the caller can see."""

from __future__ import annotations

import json
import subprocess
import textwrap
from typing import Any

import pytest
from import_helpers import DEFAULT_DATABASE, default_credential, remote_host_id, wait
from platform_helpers import Api, assert_civis_error, unique

import support

SCRIPT_SUMMARY = [
    "id",
    "name",
    "type",
    "createdAt",
    "updatedAt",
    "author",
    "state",
    "finishedAt",
    "projects",
    "parentId",
    "isTemplate",
    "fromTemplateId",
    "links",
    "timeZone",
    "lastRun",
    "archived",
    "templateScriptId",
]


def _sql(api: Api, name: str, **extra: Any) -> int:
    body = {
        "name": name,
        "sql": "select 1 as x",
        "remoteHostId": remote_host_id(api, DEFAULT_DATABASE),
        "credentialId": default_credential(api),
        **extra,
    }
    response = api.post("scripts/sql", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _container(api: Api, name: str, **extra: Any) -> int:
    body = {
        "name": name,
        "requiredResources": {"cpu": 256, "memory": 512},
        "dockerImageName": "civisanalytics/datascience-python",
        "dockerCommand": "true",
        **extra,
    }
    response = api.post("scripts/containers", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _ids(api: Api, **params: Any) -> list[int]:
    response = api.get("scripts", params=params)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


@pytest.fixture
def caller(new_user: Any) -> tuple[Any, Api]:
    created: tuple[Any, Api] = new_user()
    return created


def test_lists_scripts_of_every_type_newest_first(caller: tuple[Any, Api]) -> None:
    user, api = caller
    sql_id = _sql(api, "first")
    container_id = _container(api, "second")
    response = api.get("scripts")
    assert response.status_code == 200, response.text
    listed = response.json()
    assert [s["id"] for s in listed] == [container_id, sql_id]
    assert all(list(s) == SCRIPT_SUMMARY for s in listed)
    container, sql = listed
    assert (sql["name"], sql["type"], sql["state"], sql["archived"]) == (
        "first",
        "JobTypes::SqlRunner",
        "idle",
        "false",
    )
    assert sql["links"] == {
        "details": f"scripts/sql/{sql_id}",
        "runs": f"scripts/sql/{sql_id}/runs",
    }
    assert container["type"] == "JobTypes::ContainerDocker"
    assert container["links"]["details"] == f"scripts/containers/{container_id}"
    assert sql["author"]["id"] == user.id and sql["lastRun"] is None
    # Each row agrees with the script's own view.
    own = api.get(f"scripts/sql/{sql_id}").json()
    assert {k: own[k] for k in SCRIPT_SUMMARY if k in own} == {
        k: sql[k] for k in SCRIPT_SUMMARY if k in own
    }


def test_only_visible_scripts_are_listed(new_user: Any) -> None:
    _owner, owner = new_user()
    reader_user, reader = new_user()
    script = _sql(owner, "private")
    assert _ids(reader) == []
    shared = owner.put(
        f"scripts/sql/{script}/shares/users",
        json={"userIds": [reader_user.id], "permissionLevel": "read"},
    )
    assert shared.status_code == 200, shared.text
    assert _ids(reader) == [script]


def test_type_category_and_author_filters(caller: tuple[Any, Api], new_user: Any) -> None:
    user, api = caller
    sql_id, container_id = _sql(api, "s"), _container(api, "c")
    assert _ids(api, type="sql") == [sql_id]
    assert _ids(api, type="containers") == [container_id]
    assert _ids(api, type="SQL,containers") == [container_id, sql_id]
    assert _ids(api, type="python3") == []
    assert _ids(api, category="script") == [container_id, sql_id]
    assert _ids(api, category="import") == []
    assert _ids(api, author=str(user.id)) == [container_id, sql_id]
    other, _api = new_user()
    assert _ids(api, author=str(other.id)) == []
    assert _ids(api, author=f"{other.id},{user.id}") == [container_id, sql_id]


def test_status_filter_uses_the_last_run(caller: tuple[Any, Api]) -> None:
    _user, api = caller
    ran, idle = _sql(api, "ran"), _container(api, "idle")
    started = api.post(f"scripts/sql/{ran}/runs")
    assert started.status_code == 202, started.text
    assert wait(api, f"scripts/sql/{ran}/runs/{started.json()['id']}")["state"] == "succeeded"
    assert _ids(api, status="succeeded") == [ran]
    assert _ids(api, status="idle") == [idle]
    assert _ids(api, status="failed,running,scheduled") == []
    assert sorted(_ids(api, status="idle,succeeded")) == sorted([ran, idle])
    [row] = [s for s in api.get("scripts").json() if s["id"] == ran]
    assert row["state"] == "succeeded" and row["lastRun"]["state"] == "succeeded"
    assert row["finishedAt"] is not None
    # last_run.updated_at: scripts that ran come first when descending.
    assert _ids(api, order="last_run.updated_at") == [ran, idle]
    assert _ids(api, order="last_run.updated_at", order_dir="asc") == [idle, ran]


def test_hidden_and_archived(caller: tuple[Any, Api]) -> None:
    _user, api = caller
    shown, hidden = _sql(api, "shown"), _sql(api, "hidden", hidden=True)
    archived = _sql(api, "archived")
    response = api.put(f"scripts/sql/{archived}/archive", json={"status": True})
    assert response.status_code == 200, response.text
    assert _ids(api) == [shown]
    assert _ids(api, hidden="true") == [hidden]
    assert _ids(api, archived="true") == [archived]
    assert _ids(api, archived="all") == [archived, shown]


def test_paging_and_order(caller: tuple[Any, Api]) -> None:
    _user, api = caller
    made = [_sql(api, name) for name in ("b", "c", "a")]
    first = api.get("scripts", params={"limit": 2})
    assert [s["id"] for s in first.json()] == [made[2], made[1]]
    assert first.headers["X-Pagination-Total-Entries"] == "3"
    assert first.headers["X-Pagination-Total-Pages"] == "2"
    assert first.headers["X-Pagination-Per-Page"] == "2"
    assert _ids(api, limit=2, page_num=2) == [made[0]]
    assert _ids(api, limit=2, page_num=3) == []
    assert _ids(api, order="name", order_dir="asc") == [made[2], made[0], made[1]]
    assert _ids(api, order="created_at", order_dir="asc") == made
    assert api.get("scripts").headers["X-Pagination-Per-Page"] == "20"


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=51", "limit"),
        ("limit=abc", "limit"),
        ("page_num=-1", "page_num"),
        ("order=rowCount", "order"),
        ("order_dir=sideways", "order_dir"),
        ("type=sql,fortran", "type"),
        ("category=widgets", "category"),
        ("status=sleeping", "status"),
        ("author=me", "author"),
        ("hidden=perhaps", "hidden"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(
    caller: tuple[Any, Api], query: str, field: str
) -> None:
    _user, api = caller
    error = assert_civis_error(api.get(f"scripts?{query}"), 400)
    assert field in error["errorDescription"]


def test_the_official_client_lists_scripts(server: Any, caller: tuple[Any, Api]) -> None:
    user, api = caller
    script, other = _sql(api, unique("listed")), _container(api, "other")
    code = textwrap.dedent(
        """
        import json, civis
        client = civis.APIClient()
        listed = client.scripts.list(type="sql")
        every = list(client.scripts.list(iterator=True))
        print(json.dumps({"sql": [s.id for s in listed], "all": [s["id"] for s in every],
                          "links": listed[0].links.details}))
        """
    )
    env = {"CIVIS_API_KEY": user.api_key, "CIVIS_API_ENDPOINT": server.base_url, "PATH": "/usr/bin"}
    done = subprocess.run(
        [str(support.official_python()), "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"sql": [script], "all": [other, script], "links": f"scripts/sql/{script}"}
