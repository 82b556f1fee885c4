"""The permission matrix: user A (not an admin) owns one of every kind of object, user
B (not an admin) tries every action on each; nothing of A's reaches B until A shares
it, and a read share lets B read but not change it. On SQLite and PostgreSQL metadata.

Table access on the warehouses (DuckDB, PostgreSQL roles) is covered by the warehouse
permission tests of the same issue; here a database is reached through its remote host.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from import_helpers import default_credential, remote_host_id, upload
from platform_helpers import Api, assert_civis_error, unique

from civis_platform.testing import CreatedUser, ThreadedServer

CSV = b"id,name\n1,ann\n2,bob\n"
RESOURCES = {"cpu": 256, "memory": 512}
# Shareable kinds: where their share routes hang.
SHARE_PATHS = {
    "file": "files/{file}",
    "project": "projects/{project}",
    "credential": "credentials/{credential}",
    "remote_host": "remote_hosts/{remote_host}",
    "sql": "scripts/sql/{sql}",
    "container": "jobs/{container}",
    "csv_import": "jobs/{csv_import}",
    "dbsync": "imports/{dbsync}",
    "preprocess": "jobs/{preprocess}",
    "alias": "aliases/{alias}",
    "query": "jobs/{query}",
}


@dataclass
class World:
    """A's objects (ids by kind, runs by kind), and the two users."""

    a_user: CreatedUser
    a: Api
    b_user: CreatedUser
    b: Api
    ids: dict[str, int] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def fill(self, template: str) -> str:
        values = {**self.ids, **{f"{k}_run": v for k, v in self.runs.items()}}
        values.update(b_id=self.b_user.id, a_id=self.a_user.id, **self.names)
        return template.format(**values)


def _ok(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in (statuses or (200, 201)), response.text
    body: dict[str, Any] = response.json()
    return body


def _finish(api: Api, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while api.get(path).json().get("state") in ("queued", "running"):
        assert time.monotonic() < deadline, path
        time.sleep(0.05)


def build_world(server: ThreadedServer) -> World:
    """User A makes one object of every kind, and runs what runs."""
    a_user, b_user = server.create_user(unique("a")), server.create_user(unique("b"))
    w = World(a_user, Api(server.base_url, a_user.api_key), b_user, None)  # type: ignore[arg-type]
    w.b = Api(server.base_url, b_user.api_key)
    a, ids = w.a, w.ids
    host = remote_host_id(a)
    cred = default_credential(a)
    ids["file"] = upload(a, CSV, name="a-private.csv")
    ids["project"] = _ok(a.post("projects", json={"name": "a-proj", "description": "d"}))["id"]
    ids["credential"] = _ok(
        a.post("credentials", json={"type": "Custom", "username": "au", "password": "pw"})
    )["id"]
    ids["db_credential"] = cred
    ids["remote_host"] = _ok(
        a.post(
            "remote_hosts",
            json={"name": "a-host", "type": "RemoteHostTypes::Postgres", "url": "postgres://x"},
        )
    )["id"]
    ids["host"] = host
    sql = {"name": "a-sql", "sql": "select 1 as x", "remoteHostId": host, "credentialId": cred}
    ids["sql"] = _ok(a.post("scripts/sql", json=sql))["id"]
    container = {"name": "a-c", "dockerCommand": "echo hi", "requiredResources": RESOURCES}
    ids["container"] = _ok(a.post("scripts/containers", json=container))["id"]
    csv_import = {
        "source": {"fileIds": [ids["file"]]},
        "destination": {
            "schema": "perm",
            "table": unique("t"),
            "remoteHostId": host,
            "credentialId": cred,
        },
        "firstRowIsHeader": True,
    }
    ids["csv_import"] = _ok(a.post("imports/files/csv", json=csv_import))["id"]
    dbsync = {
        "name": "a-sync",
        "syncType": "Dbsync",
        "isOutbound": True,
        "source": {"remoteHostId": host, "credentialId": cred},
        "destination": {"remoteHostId": host, "credentialId": cred},
    }
    ids["dbsync"] = _ok(a.post("imports", json=dbsync))["id"]
    sync = {"source": {"path": "perm.src"}, "destination": {"path": "perm.dst"}}
    ids["sync"] = _ok(a.post(f"imports/{ids['dbsync']}/syncs", json=sync))["id"]
    ids["preprocess"] = _ok(a.post("files/preprocess/csv", json={"fileId": ids["file"]}))["id"]
    w.names["alias_name"] = unique("a-alias")
    alias = {"objectId": ids["project"], "objectType": "project", "alias": w.names["alias_name"]}
    ids["alias"] = _ok(a.post("aliases", json=alias))["id"]
    query = {"database": host, "sql": "select 1", "previewRows": 10, "credential": cred}
    ids["query"] = _ok(a.post("queries", json=query))["id"]
    admin = Api(server.base_url, server.admin_api_key)
    ids["group"] = _ok(admin.post("groups", json={"name": unique("a-group")}))["id"]
    _ok(admin.put(f"groups/{ids['group']}/members/{a_user.id}"))
    ids["b_project"] = _ok(w.b.post("projects", json={"name": "b-proj", "description": "d"}))["id"]
    # Runs, so that runs, logs and outputs have something to hide.
    w.runs["sql"] = _ok(a.post(f"scripts/sql/{ids['sql']}/runs"), 202)["id"]
    w.runs["container"] = _ok(a.post(f"scripts/containers/{ids['container']}/runs"), 202)["id"]
    w.runs["csv_import"] = _ok(a.post(f"imports/files/csv/{ids['csv_import']}/runs"), 202)["id"]
    w.runs["preprocess"] = _ok(a.post(f"jobs/{ids['preprocess']}/runs"))["id"]
    w.runs["dbsync"] = _ok(a.post(f"imports/{ids['dbsync']}/runs"), 202)["runId"]
    w.runs["query"] = a.get(f"queries/{ids['query']}").json()["lastRunId"]
    for kind in ("sql", "container", "csv_import", "preprocess", "dbsync", "query"):
        _finish(a, f"jobs/{ids[kind]}/runs/{w.runs[kind]}")
    return w


@pytest.fixture(scope="module")
def world(server: ThreadedServer) -> World:
    return build_world(server)


@pytest.fixture(scope="module")
def shared_world(server: ThreadedServer) -> Iterator[World]:
    """Another set of A's objects, each shared read-only with B (the group: B joins)."""
    w = build_world(server)
    grant = {"userIds": [w.b_user.id], "permissionLevel": "read"}
    for path in SHARE_PATHS.values():
        _ok(w.a.put(w.fill(path) + "/shares/users", json=grant))
    admin = Api(server.base_url, server.admin_api_key)
    _ok(admin.put(f"groups/{w.ids['group']}/members/{w.b_user.id}"))
    yield w


# Every action of B on A's objects; each must answer 404 (never 403: that would tell B
# the object exists). (name, verb, path, body)
HIDDEN: list[tuple[str, str, str, Any]] = []


def _hide(name: str, verb: str, path: str, body: Any = None) -> None:
    HIDDEN.append((name, verb, path, body))


def _shares(kind: str) -> None:
    base = SHARE_PATHS[kind]
    _hide(f"{kind} shares", "GET", f"{base}/shares")
    grant = {"userIds": ["{b_id}"], "permissionLevel": "manage"}
    _hide(f"{kind} share to self", "PUT", f"{base}/shares/users", grant)
    _hide(f"{kind} unshare owner", "DELETE", f"{base}/shares/users/{{a_id}}")
    transfer = {"userId": "{b_id}", "includeDependencies": False}
    if kind != "remote_host":
        _hide(f"{kind} transfer", "PUT", f"{base}/transfer", transfer)


for _kind in SHARE_PATHS:
    _shares(_kind)

_hide("file get", "GET", "files/{file}")
_hide("file patch", "PATCH", "files/{file}", {"name": "stolen"})
_hide("file put", "PUT", "files/{file}", {"name": "stolen", "expiresAt": None})
_hide("file dependencies", "GET", "files/{file}/dependencies")
_hide("file projects", "GET", "files/{file}/projects")
_hide("file into B's project", "PUT", "files/{file}/projects/{b_project}")
_hide("project get", "GET", "projects/{project}")
_hide("project put", "PUT", "projects/{project}", {"name": "stolen"})
_hide("project archive", "PUT", "projects/{project}/archive", {"status": True})
_hide("B's file into A's project", "PUT", "files/{b_file}/projects/{project}")
_hide("credential get", "GET", "credentials/{credential}")
_hide("credential patch", "PATCH", "credentials/{credential}", {"name": "stolen"})
_hide(
    "credential put",
    "PUT",
    "credentials/{credential}",
    {"type": "Custom", "username": "x", "password": "y"},
)
_hide("credential delete", "DELETE", "credentials/{credential}")
_hide("remote host get", "GET", "remote_hosts/{remote_host}")
_hide("remote host patch", "PATCH", "remote_hosts/{remote_host}", {"name": "stolen"})
for _verb, _path, _body in [
    ("GET", "scripts/sql/{sql}", None),
    ("PATCH", "scripts/sql/{sql}", {"name": "stolen"}),
    (
        "PUT",
        "scripts/sql/{sql}",
        {"name": "x", "sql": "select 2", "remoteHostId": "{host}", "credentialId": "{b_cred}"},
    ),
    ("DELETE", "scripts/sql/{sql}", None),
    ("PUT", "scripts/sql/{sql}/archive", {"status": True}),
    ("POST", "scripts/sql/{sql}/clone", {}),
    ("POST", "scripts/sql/{sql}/runs", None),
    ("GET", "scripts/sql/{sql}/runs", None),
    ("GET", "scripts/sql/{sql}/runs/{sql_run}", None),
    ("DELETE", "scripts/sql/{sql}/runs/{sql_run}", None),
    ("GET", "scripts/sql/{sql}/runs/{sql_run}/logs", None),
    ("GET", "scripts/sql/{sql}/runs/{sql_run}/outputs", None),
    ("GET", "scripts/sql/{sql}/projects", None),
    ("PUT", "scripts/sql/{sql}/projects/{b_project}", None),
    ("GET", "scripts/containers/{container}", None),
    ("POST", "scripts/containers/{container}/runs", None),
    ("GET", "scripts/containers/{container}/runs", None),
    ("GET", "scripts/containers/{container}/runs/{container_run}", None),
    ("GET", "scripts/containers/{container}/runs/{container_run}/logs", None),
    ("GET", "scripts/containers/{container}/runs/{container_run}/outputs", None),
    (
        "POST",
        "scripts/containers/{container}/runs/{container_run}/outputs",
        {"objectType": "File", "objectId": "{b_file}"},
    ),
    ("POST", "scripts/containers/{container}/runs/{container_run}/logs", {"message": "x"}),
    ("POST", "scripts/{container}/cancel", None),
    ("GET", "imports/files/csv/{csv_import}", None),
    ("PATCH", "imports/files/csv/{csv_import}", {"name": "stolen"}),
    ("PUT", "imports/files/csv/{csv_import}/archive", {"status": True}),
    ("DELETE", "imports/files/csv/{csv_import}", None),
    ("POST", "imports/files/csv/{csv_import}/runs", None),
    ("GET", "imports/files/csv/{csv_import}/runs", None),
    ("GET", "imports/files/csv/{csv_import}/runs/{csv_import_run}", None),
    ("GET", "imports/files/csv/{csv_import}/runs/{csv_import_run}/logs", None),
    ("GET", "imports/{dbsync}", None),
    (
        "PUT",
        "imports/{dbsync}",
        {"name": "x", "syncType": "Dbsync", "isOutbound": True},
    ),
    ("POST", "imports/{dbsync}/syncs", {"source": {"path": "a.b"}, "destination": {"path": "c.d"}}),
    ("DELETE", "imports/{dbsync}/syncs/{sync}", None),
    ("POST", "imports/{dbsync}/runs", None),
    ("GET", "imports/{dbsync}/runs", None),
    ("POST", "imports/{dbsync}/cancel", None),
    ("GET", "imports/{dbsync}/runs/{dbsync_run}/logs", None),
    ("GET", "imports/files/{dbsync}/runs/{dbsync_run}", None),
    ("PUT", "imports/{dbsync}/archive", {"status": True}),
    ("GET", "files/preprocess/csv/{preprocess}", None),
    ("PATCH", "files/preprocess/csv/{preprocess}", {"fileId": "{b_file}"}),
    ("DELETE", "files/preprocess/csv/{preprocess}", None),
    ("GET", "aliases/{alias}", None),
    ("GET", "aliases/project/{alias_name}", None),
    ("PATCH", "aliases/{alias}", {"displayName": "stolen"}),
    ("DELETE", "aliases/{alias}", None),
    ("GET", "queries/{query}", None),
    ("DELETE", "queries/{query}", None),
    ("POST", "queries/{query}/runs", None),
    ("GET", "queries/{query}/runs", None),
    ("GET", "queries/{query}/runs/{query_run}", None),
    ("GET", "queries/{query}/runs/{query_run}/logs", None),
    ("GET", "groups/{group}", None),
    ("GET", "users/{a_id}/api_keys", None),
    ("POST", "users/{a_id}/api_keys", {"name": "mine now", "expiresIn": 3600}),
    ("PUT", "groups/{group}/members/{b_id}", None),
]:
    _hide(f"{_verb} {_path}", _verb, _path, _body)
for _job in ("sql", "container", "csv_import", "preprocess", "dbsync", "query"):
    for _verb, _suffix in [
        ("GET", ""),
        ("GET", "/runs"),
        ("POST", "/runs"),
        ("GET", f"/runs/{{{_job}_run}}"),
        ("DELETE", f"/runs/{{{_job}_run}}"),
        ("GET", f"/runs/{{{_job}_run}}/logs"),
        ("GET", f"/runs/{{{_job}_run}}/outputs"),
        ("GET", "/projects"),
        ("PUT", "/archive"),
    ]:
        _body = {"status": True} if _suffix == "/archive" else None
        _hide(f"jobs {_job} {_verb} {_suffix}", _verb, f"jobs/{{{_job}}}{_suffix}", _body)


def _fill_body(world: World, body: Any, extra: dict[str, Any]) -> Any:
    if isinstance(body, dict):
        return {k: _fill_body(world, v, extra) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_body(world, v, extra) for v in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        key = body[1:-1]
        merged = {**world.ids, **extra, "b_id": world.b_user.id, "a_id": world.a_user.id}
        return merged[key]
    return body


@pytest.fixture(scope="module")
def b_objects(world: World) -> dict[str, Any]:
    """B's own objects that some of B's attempts name."""
    return {
        "b_file": upload(world.b, CSV, name="b.csv"),
        "b_cred": default_credential(world.b),
        "b_project": world.ids["b_project"],
    }


@pytest.mark.parametrize(
    ("verb", "path", "body"), [h[1:] for h in HIDDEN], ids=[h[0] for h in HIDDEN]
)
def test_nothing_of_as_reaches_b(
    world: World, b_objects: dict[str, Any], verb: str, path: str, body: Any
) -> None:
    filled = path
    for key, value in b_objects.items():
        filled = filled.replace("{" + key + "}", str(value))
    url = world.fill(filled)
    kwargs = {"json": _fill_body(world, body, b_objects)} if body is not None else {}
    response = world.b.request(verb, url, **kwargs)
    assert_civis_error(response, 404)


def test_as_objects_are_unchanged_by_all_that(world: World) -> None:
    a, ids = world.a, world.ids
    assert a.get(f"files/{ids['file']}").json()["name"] == "a-private.csv"
    assert a.get(f"projects/{ids['project']}").json()["name"] == "a-proj"
    assert a.get(f"scripts/sql/{ids['sql']}").json()["name"] == "a-sql"
    assert a.get(f"credentials/{ids['credential']}").json()["name"] != "stolen"
    assert a.get(f"remote_hosts/{ids['remote_host']}").json()["name"] == "a-host"
    assert a.get(f"aliases/{ids['alias']}").json()["displayName"] != "stolen"
    assert a.get(f"imports/{ids['dbsync']}").json()["name"] == "a-sync"
    assert len(a.get(f"imports/{ids['dbsync']}").json()["syncs"]) == 1
    assert a.get(f"queries/{ids['query']}").status_code == 200
    for kind in ("sql", "container", "csv_import", "preprocess", "dbsync", "query"):
        job = a.get(f"jobs/{ids[kind]}").json()
        assert job["archived"] in (False, "false"), kind
    shares = a.get(f"files/{ids['file']}/shares").json()[0]
    assert shares["readers"]["users"] == [] and shares["owners"]["users"][0]["id"] == (
        world.a_user.id
    )


# Lists B reads: none holds an object of A's. (name, path, params, kind)
LISTS = [
    ("projects", "projects", {}, "project"),
    ("credentials", "credentials", {}, "credential"),
    ("credentials of A", "credentials", {"users": "{a_id}"}, "credential"),
    ("remote hosts", "remote_hosts", {}, "remote_host"),
    ("scripts", "scripts", {}, "sql"),
    ("scripts (containers)", "scripts", {}, "container"),
    ("jobs", "jobs", {}, "sql"),
    ("jobs by A", "jobs", {"author": "{a_id}"}, "container"),
    ("jobs (imports)", "jobs", {}, "csv_import"),
    ("imports", "imports", {}, "dbsync"),
    ("aliases", "aliases", {}, "alias"),
    ("queries", "queries", {}, "query"),
    ("groups", "groups", {}, "group"),
    ("groups of A", "groups", {"user_ids[]": "{a_id}"}, "group"),
    ("projects by A", "projects", {"author": "{a_id}"}, "project"),
]


@pytest.mark.parametrize(
    ("path", "params", "kind"), [x[1:] for x in LISTS], ids=[x[0] for x in LISTS]
)
def test_no_list_shows_as_objects(world: World, path: str, params: dict, kind: str) -> None:
    filled = {k: world.fill(v) for k, v in params.items()}
    listed = world.b.get(path, params={**filled, "limit": 50})
    assert listed.status_code == 200, listed.text
    assert world.ids[kind] not in [item["id"] for item in listed.json()]
    mine = world.a.get(path, params={**filled, "limit": 50})
    assert world.ids[kind] in [item["id"] for item in mine.json()], "the list test proves nothing"


# B names A's objects in its own requests: 400 naming the field. (name, path, body, field)
REFERENCES = [
    (
        "run output",
        "scripts/containers/{b_container}/runs/{b_container_run}/outputs",
        {"objectType": "File", "objectId": "{file}"},
        "objectId",
    ),
    ("preprocess file", "files/preprocess/csv", {"fileId": "{file}"}, "fileId"),
    (
        "csv import file",
        "imports/files/csv",
        {
            "source": {"fileIds": ["{file}"]},
            "destination": {
                "schema": "s",
                "table": "t",
                "remoteHostId": "{host}",
                "credentialId": "{b_cred}",
            },
            "firstRowIsHeader": True,
        },
        "source.fileIds[0]",
    ),
    (
        "csv import credential",
        "imports/files/csv",
        {
            "source": {"fileIds": ["{b_file}"]},
            "destination": {
                "schema": "s",
                "table": "t",
                "remoteHostId": "{host}",
                "credentialId": "{db_credential}",
            },
            "firstRowIsHeader": True,
        },
        "destination.credentialId",
    ),
    (
        "sql parent",
        "scripts/sql",
        {
            "name": "x",
            "sql": "select 1",
            "remoteHostId": "{host}",
            "credentialId": "{b_cred}",
            "parentId": "{sql}",
        },
        "parentId",
    ),
    (
        "sql credential",
        "scripts/sql",
        {
            "name": "x",
            "sql": "select 1",
            "remoteHostId": "{host}",
            "credentialId": "{db_credential}",
        },
        "credentialId",
    ),
    (
        "sql remote host",
        "scripts/sql",
        {
            "name": "x",
            "sql": "select 1",
            "remoteHostId": "{remote_host}",
            "credentialId": "{b_cred}",
        },
        "remoteHostId",
    ),
    (
        "sql target project",
        "scripts/sql",
        {
            "name": "x",
            "sql": "select 1",
            "remoteHostId": "{host}",
            "credentialId": "{b_cred}",
            "targetProjectId": "{project}",
        },
        "targetProjectId",
    ),
    (
        "alias of a project",
        "aliases",
        {"objectId": "{project}", "objectType": "project", "alias": "steal"},
        "objectId",
    ),
    (
        "alias of a script",
        "aliases",
        {"objectId": "{sql}", "objectType": "sql_script", "alias": "steal2"},
        "objectId",
    ),
    (
        "credential host",
        "credentials",
        {"type": "Custom", "username": "u", "password": "p", "remoteHostId": "{remote_host}"},
        "remoteHostId",
    ),
    (
        "container git credential",
        "scripts/containers",
        {
            "name": "x",
            "dockerCommand": "true",
            "requiredResources": RESOURCES,
            "gitCredentialId": "{credential}",
        },
        "gitCredentialId",
    ),
    (
        "container parent",
        "scripts/containers",
        {
            "name": "x",
            "dockerCommand": "true",
            "requiredResources": RESOURCES,
            "parentId": "{container}",
        },
        "parentId",
    ),
    (
        "query credential",
        "queries",
        {
            "database": "{host}",
            "sql": "select 1",
            "previewRows": 1,
            "credential": "{db_credential}",
        },
        "credential",
    ),
    (
        "dbsync credential",
        "imports",
        {
            "name": "x",
            "syncType": "Dbsync",
            "isOutbound": True,
            "source": {"remoteHostId": "{host}", "credentialId": "{db_credential}"},
            "destination": {"remoteHostId": "{host}", "credentialId": "{b_cred}"},
        },
        "source.credentialId",
    ),
]


@pytest.fixture(scope="module")
def b_runner(world: World, b_objects: dict[str, Any]) -> dict[str, Any]:
    """A container script of B's with a run, for B to attach outputs to."""
    body = {"name": "b-c", "dockerCommand": "true", "requiredResources": RESOURCES}
    script = _ok(world.b.post("scripts/containers", json=body))["id"]
    run = _ok(world.b.post(f"scripts/containers/{script}/runs"), 202)["id"]
    return {**b_objects, "b_container": script, "b_container_run": run}


@pytest.mark.parametrize(
    ("path", "body", "field_name"), [r[1:] for r in REFERENCES], ids=[r[0] for r in REFERENCES]
)
def test_b_cannot_name_as_objects(
    world: World, b_runner: dict[str, Any], path: str, body: Any, field_name: str
) -> None:
    url = path
    for key, value in b_runner.items():
        url = url.replace("{" + key + "}", str(value))
    response = world.b.post(url, json=_fill_body(world, body, b_runner))
    refused = assert_civis_error(response, 400)
    assert field_name in refused["errorDescription"], refused


# After A shares (read): B reads each object, finds it in lists, and still may not change it.
READABLE = [
    ("file", "files/{file}", "PATCH", {"name": "changed"}),
    ("project", "projects/{project}", "PUT", {"name": "changed"}),
    ("credential", "credentials/{credential}", "PATCH", {"name": "changed"}),
    ("remote_host", "remote_hosts/{remote_host}", "PATCH", {"name": "changed"}),
    ("sql", "scripts/sql/{sql}", "PATCH", {"name": "changed"}),
    ("container", "scripts/containers/{container}", None, None),
    ("csv_import", "imports/files/csv/{csv_import}", "PATCH", {"name": "changed"}),
    ("dbsync", "imports/{dbsync}", None, None),
    ("preprocess", "files/preprocess/csv/{preprocess}", "PATCH", {"inPlace": False}),
    ("alias", "aliases/{alias}", "PATCH", {"displayName": "changed"}),
    ("query", "queries/{query}", None, None),
    ("group", "groups/{group}", "PATCH", {"description": "changed"}),
]


@pytest.mark.parametrize(
    ("kind", "path", "verb", "body"), [r for r in READABLE], ids=[r[0] for r in READABLE]
)
def test_a_read_share_lets_b_read_but_not_write(
    shared_world: World, kind: str, path: str, verb: str | None, body: Any
) -> None:
    w = shared_world
    url = w.fill(path)
    got = w.b.get(url)
    assert got.status_code == 200, got.text
    assert got.json()["id"] == w.ids[kind]
    if verb is not None:
        assert_civis_error(w.b.request(verb, url, json=body), 403)
        assert w.a.get(url).json() == w.a.get(url).json()


def test_shared_runs_logs_and_outputs_are_readable(shared_world: World) -> None:
    w = shared_world
    for kind in ("sql", "container", "csv_import", "preprocess", "query"):
        base = w.fill(f"jobs/{{{kind}}}/runs/{{{kind}_run}}")
        assert w.b.get(base).status_code == 200, kind
        assert w.b.get(base + "/logs").status_code == 200, kind
        assert w.b.get(base + "/outputs").status_code == 200, kind
    # Read is not write: B may not run A's script or post outputs to its runs.
    assert_civis_error(w.b.post(w.fill("scripts/sql/{sql}/runs")), 403)
    output = {"objectType": "File", "objectId": w.ids["file"]}
    posted = w.b.post(
        w.fill("scripts/containers/{container}/runs/{container_run}/outputs"), json=output
    )
    assert_civis_error(posted, 403)


def test_shared_objects_appear_in_bs_lists(shared_world: World) -> None:
    w = shared_world
    for path, kind in [
        ("projects", "project"),
        ("credentials", "credential"),
        ("remote_hosts", "remote_host"),
        ("jobs", "sql"),
        ("imports", "dbsync"),
        ("aliases", "alias"),
        ("queries", "query"),
        ("groups", "group"),
    ]:
        listed = w.b.get(path, params={"limit": 50}).json()
        assert w.ids[kind] in [item["id"] for item in listed], path
    # A shared file may be named by reference now.
    made = w.b.post("files/preprocess/csv", json={"fileId": w.ids["file"]})
    assert made.status_code == 201, made.text
