"""Concurrent PUT/PATCH of one object over loopback: no edit is lost.

Each PATCH is a read-modify-write of the object's stored configuration; several
clients changing different fields of one object at once must all see their change
kept (and none answered with a 5xx because another writer held the lock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from import_helpers import DEFAULT_DATABASE, default_credential, remote_host_id
from platform_helpers import Api

from civis_platform.testing import ThreadedServer

ROUNDS = 4


def _concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _patch_all(api: Api, path: str, patches: list[dict[str, Any]]) -> dict[str, Any]:
    """PATCH ``path`` with every body at once; all must answer 200. The object after."""
    clients = [Api(api.base_url, "") for _ in patches]
    for client in clients:
        client.session.auth = api.session.auth  # one connection per thread
    answers = _concurrently(
        [lambda c=c, p=p: c.patch(path, json=p) for c, p in zip(clients, patches, strict=True)]
    )
    for answer in answers:
        assert answer.status_code == 200, answer.text
    after = api.get(path)
    assert after.status_code == 200, after.text
    shown: dict[str, Any] = after.json()
    return shown


def _user(server: ThreadedServer, new_user: Any) -> Api:
    _created, api = new_user()
    return api


def _own_file(api: Api) -> int:
    """A file record of ``api``'s user (references must name objects they can see)."""
    created = api.post("files", json={"name": "in.csv"})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_concurrent_patches_of_a_preprocess_all_survive(
    server: ThreadedServer, new_user: Any
) -> None:
    api = _user(server, new_user)
    patches = [
        {"inPlace": False},
        {"detectTableColumns": True},
        {"forceCharacterSetConversion": True},
        {"columnDelimiter": "tab"},
        {"includeHeader": True},
    ]
    file_id = _own_file(api)
    for _ in range(ROUNDS):
        created = api.post("files/preprocess/csv", json={"fileId": file_id})
        assert created.status_code == 201, created.text
        shown = _patch_all(api, f"files/preprocess/csv/{created.json()['id']}", patches)
        for patch in patches:
            assert {k: shown[k] for k in patch} == patch


def test_concurrent_patches_of_a_csv_import_all_survive(
    server: ThreadedServer, new_user: Any
) -> None:
    api = _user(server, new_user)
    body = {
        "source": {"fileIds": [_own_file(api)]},
        "destination": {
            "schema": "s",
            "table": "t",
            "remoteHostId": remote_host_id(api, DEFAULT_DATABASE),
            "credentialId": default_credential(api),
        },
        "firstRowIsHeader": True,
    }
    patches = [
        {"name": "renamed"},
        {"maxErrors": 3},
        {"compression": "gzip"},
        {"escaped": True},
        {"loosenTypes": True},
    ]
    for _ in range(ROUNDS):
        created = api.post("imports/files/csv", json=body)
        assert created.status_code == 201, created.text
        shown = _patch_all(api, f"imports/files/csv/{created.json()['id']}", patches)
        for patch in patches:
            assert {k: shown[k] for k in patch} == patch


def test_concurrent_patches_of_a_sql_script_all_survive(
    server: ThreadedServer, new_user: Any
) -> None:
    api = _user(server, new_user)
    body = {
        "name": "script",
        "sql": "select 1",
        "remoteHostId": remote_host_id(api, DEFAULT_DATABASE),
        "credentialId": default_credential(api),
    }
    parent = api.post("scripts/sql", json={**body, "name": "parent"})
    assert parent.status_code == 201, parent.text
    patches = [
        {"name": "renamed"},
        {"sql": "select 2"},
        {"timeZone": "UTC"},
        {"parentId": parent.json()["id"]},
        {"notifications": {"successOn": True}},
    ]
    for _ in range(ROUNDS):
        created = api.post("scripts/sql", json=body)
        assert created.status_code == 201, created.text
        shown = _patch_all(api, f"scripts/sql/{created.json()['id']}", patches)
        for patch in patches:
            assert {k: shown[k] for k in patch} == patch


@pytest.mark.parametrize("count", [5])
def test_concurrent_syncs_of_an_import_all_survive(
    server: ThreadedServer, new_user: Any, count: int
) -> None:
    api = _user(server, new_user)
    host, credential = remote_host_id(api, DEFAULT_DATABASE), default_credential(api)
    endpoint = {"remoteHostId": host, "credentialId": credential}
    created = api.post(
        "imports",
        json={
            "name": "i",
            "syncType": "Dbsync",
            "isOutbound": True,
            "source": endpoint,
            "destination": endpoint,
        },
    )
    assert created.status_code == 201, created.text
    path = f"imports/{created.json()['id']}"
    clients = [Api(api.base_url, "") for _ in range(count)]
    for client in clients:
        client.session.auth = api.session.auth
    bodies = [
        {"source": {"path": f"a.t{i}"}, "destination": {"path": f"b.t{i}"}} for i in range(count)
    ]
    answers = _concurrently(
        [
            lambda c=c, b=b: c.post(f"{path}/syncs", json=b)
            for c, b in zip(clients, bodies, strict=True)
        ]
    )
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    syncs = api.get(path).json()["syncs"]
    assert sorted(s["source"]["path"] for s in syncs) == sorted(b["source"]["path"] for b in bodies)
    assert len({s["id"] for s in syncs}) == count
