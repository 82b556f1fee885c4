"""Every reference is checked when it is made (`services.references`), through the real
server: user B names user A's objects in every field that names one, and is refused
with a 400 naming the field; after A shares, the same request is taken."""

from __future__ import annotations

from typing import Any

from import_helpers import default_credential, remote_host_id, upload
from platform_helpers import Api, assert_civis_error

RESOURCES = {"cpu": 256, "memory": 512}


def _refused(response: Any, field: str) -> None:
    body = assert_civis_error(response, 400)
    assert field in body["errorDescription"], body
    assert "was not found" in body["errorDescription"] or "must be" in body["errorDescription"]


def _share(owner: Api, path: str, user_id: int, level: str = "read") -> None:
    grant = {"userIds": [user_id], "permissionLevel": level}
    response = owner.put(f"{path}/shares/users", json=grant)
    assert response.status_code == 200, response.text


def _sql(api: Api, **extra: Any) -> Any:
    body = {
        "name": "s",
        "sql": "select 1",
        "remoteHostId": remote_host_id(api),
        "credentialId": default_credential(api),
        **extra,
    }
    return api.post("scripts/sql", json=body)


def _container(api: Api, **extra: Any) -> Any:
    body = {"name": "c", "dockerCommand": "true", "requiredResources": RESOURCES, **extra}
    return api.post("scripts/containers", json=body)


def test_a_run_output_names_only_what_the_run_can_see(new_user) -> None:
    _a_user, a = new_user()
    b_user, b = new_user()
    secret = upload(a, b"top,secret\n", name="a-secret.csv")
    script = _container(b)
    assert script.status_code == 201, script.text
    job = script.json()["id"]
    run = b.post(f"scripts/containers/{job}/runs").json()["id"]
    outputs = f"scripts/containers/{job}/runs/{run}/outputs"
    _refused(b.post(outputs, json={"objectType": "File", "objectId": secret}), "objectId")
    _refused(b.post(outputs, json={"objectType": "Report", "objectId": secret}), "objectType")
    _refused(b.post(outputs, json={"objectType": "File", "objectId": 2**31 - 1}), "objectId")
    assert b.get(outputs).json() == []
    # Shared, it may be named, and the output then shows its name.
    _share(a, f"files/{secret}", b_user.id)
    taken = b.post(outputs, json={"objectType": "File", "objectId": secret})
    assert taken.status_code == 202, taken.text
    assert [o["name"] for o in b.get(outputs).json()] == ["a-secret.csv"]


def test_sql_scripts_name_only_visible_parents_hosts_credentials_projects(new_user) -> None:
    _a_user, a = new_user()
    b_user, b = new_user()
    parent = _sql(a).json()["id"]
    project = a.post("projects", json={"name": "p", "description": "d"}).json()["id"]
    private_host = a.post(
        "remote_hosts", json={"name": "h", "type": "RemoteHostTypes::Postgres", "url": "x"}
    ).json()["id"]
    a_credential = default_credential(a)
    _refused(_sql(b, parentId=parent), "parentId")
    _refused(_sql(b, targetProjectId=project), "targetProjectId")
    _refused(_sql(b, remoteHostId=private_host), "remoteHostId")
    _refused(_sql(b, credentialId=a_credential), "credentialId")
    assert b.get("jobs").json() == []
    mine = _sql(b).json()["id"]
    _refused(b.patch(f"scripts/sql/{mine}", json={"parentId": parent}), "parentId")
    assert b.get(f"scripts/sql/{mine}").json()["parentId"] is None
    _share(a, f"scripts/sql/{parent}", b_user.id)
    assert _sql(b, parentId=parent).status_code == 201


def test_a_clone_does_not_carry_the_owners_credential(new_user) -> None:
    _a_user, a = new_user()
    b_user, b = new_user()
    original = _sql(a).json()["id"]
    _share(a, f"scripts/sql/{original}", b_user.id)
    clone = b.post(f"scripts/sql/{original}/clone", json={})
    assert clone.status_code in (200, 201), clone.text
    assert clone.json()["credentialId"] != default_credential(a)


def test_container_scripts_name_only_visible_credentials_and_parents(new_user) -> None:
    _a_user, a = new_user()
    _b_user, b = new_user()
    a_credential = default_credential(a)
    parent = _container(a).json()["id"]
    _refused(_container(b, gitCredentialId=a_credential), "gitCredentialId")
    _refused(_container(b, remoteHostCredentialId=a_credential), "remoteHostCredentialId")
    _refused(_container(b, parentId=parent), "parentId")
    assert _container(b, gitCredentialId=default_credential(b)).status_code == 201


def test_credentials_name_only_visible_remote_hosts(new_user) -> None:
    _a_user, a = new_user()
    b_user, b = new_user()
    host = a.post(
        "remote_hosts", json={"name": "h", "type": "RemoteHostTypes::Postgres", "url": "x"}
    ).json()["id"]
    body = {"type": "Custom", "username": "u", "password": "p", "remoteHostId": host}
    _refused(b.post("credentials", json=body), "remoteHostId")
    mine = b.post("credentials", json={**body, "remoteHostId": None}).json()["id"]
    _refused(b.patch(f"credentials/{mine}", json={"remoteHostId": host}), "remoteHostId")
    _share(a, f"remote_hosts/{host}", b_user.id)
    assert b.post("credentials", json=body).status_code in (200, 201)


def test_dbsync_imports_name_only_visible_hosts_and_credentials(new_user) -> None:
    _a_user, a = new_user()
    _b_user, b = new_user()
    host = remote_host_id(b)
    private_host = a.post(
        "remote_hosts", json={"name": "h", "type": "RemoteHostTypes::Postgres", "url": "x"}
    ).json()["id"]
    body = {
        "name": "x",
        "syncType": "Dbsync",
        "isOutbound": True,
        "source": {"remoteHostId": host, "credentialId": default_credential(b)},
        "destination": {"remoteHostId": private_host, "credentialId": default_credential(b)},
    }
    _refused(b.post("imports", json=body), "destination.remoteHostId")
    body["destination"] = {"remoteHostId": host, "credentialId": default_credential(a)}
    _refused(b.post("imports", json=body), "destination.credentialId")
    assert b.get("imports").json() == []


def test_queries_reach_only_databases_whose_host_the_caller_sees(server, new_user) -> None:
    _b_user, b = new_user()
    database = b.get("databases").json()[0]["id"]
    mine = default_credential(b)
    ok = b.post("queries", json={"database": database, "sql": "select 1", "previewRows": 1})
    assert ok.status_code in (200, 201), ok.text
    # Take the database's host away from B (an admin unshares it from the default group).
    admin = Api(server.base_url, server.admin_api_key)
    shares = admin.get(f"remote_hosts/{database}/shares").json()
    group_ids = [g["id"] for share in shares for g in share["readers"]["groups"]]
    assert group_ids
    try:
        for group_id in group_ids:
            admin.delete(f"remote_hosts/{database}/shares/groups/{group_id}")
        refused = b.post(
            "queries", json={"database": database, "sql": "select 1", "previewRows": 1}
        )
        _refused(refused, "database")
        script = {"name": "s", "sql": "select 1", "remoteHostId": database, "credentialId": mine}
        _refused(b.post("scripts/sql", json=script), "remoteHostId")
        assert b.get("remote_hosts").json() == []
    finally:
        for group_id in group_ids:
            grant = {"groupIds": [group_id], "permissionLevel": "read"}
            admin.put(f"remote_hosts/{database}/shares/groups", json=grant)
    again = b.post("queries", json={"database": database, "sql": "select 1", "previewRows": 1})
    assert again.status_code in (200, 201), again.text
