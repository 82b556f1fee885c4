"""``/remote_hosts`` over loopback."""

from __future__ import annotations

from platform_helpers import assert_civis_error


def test_default_warehouse_host_is_visible_to_everyone(new_user) -> None:
    _user, api = new_user()
    hosts = api.get("remote_hosts").json()
    assert "Civis Database" in [h["name"] for h in hosts]
    assert list(hosts[0]) == ["id", "name", "type", "url"]
    one = api.get(f"remote_hosts/{hosts[0]['id']}").json()
    assert one["myPermissionLevel"] == "read"


def test_crud_and_ownership(new_user) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    body = {"name": "pg", "url": "postgres://db:5432/x", "type": "RemoteHostTypes::Postgres"}
    created = api.post("remote_hosts", json=body)
    assert created.status_code == 201
    path = f"remote_hosts/{created.json()['id']}"
    assert created.json()["myPermissionLevel"] == "manage"
    assert api.patch(path, json={"description": "d"}).json()["description"] == "d"
    replaced = api.put(path, json={**body, "name": "pg2", "description": "e"})
    assert replaced.json()["name"] == "pg2"
    assert_civis_error(api.put(path, json=body), 400)  # PUT requires description
    assert_civis_error(other_api.get(path), 404)
    assert_civis_error(api.post("remote_hosts", json={**body, "type": "Nope"}), 400)
