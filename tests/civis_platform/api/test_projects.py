"""``/projects`` over loopback, exercising the generic archive and shares routes."""

from __future__ import annotations

from platform_helpers import assert_civis_error


def test_project_lifecycle(new_user) -> None:
    _user, api = new_user()
    created = api.post("projects", json={"name": "P", "description": "d", "auto_share": False})
    assert created.status_code == 200, created.text
    project = created.json()
    assert project["myPermissionLevel"] == "manage"
    assert project["archived"] is False and project["allObjects"] == []
    path = f"projects/{project['id']}"
    assert api.get(path).json()["name"] == "P"
    assert api.put(path, json={"note": "n"}).json()["note"] == "n"
    assert [p["id"] for p in api.get("projects").json()] == [project["id"]]

    archived = api.put(f"{path}/archive", json={"status": True})
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert api.get("projects").json() == []
    assert [p["id"] for p in api.get("projects", params={"archived": "true"}).json()] == [
        project["id"]
    ]
    assert api.put(f"{path}/archive", json={"status": False}).json()["archived"] is False
    assert_civis_error(api.put(f"{path}/archive", json={}), 400)


def test_projects_are_private_until_shared(new_user) -> None:
    _owner, owner_api = new_user()
    reader, reader_api = new_user()
    project = owner_api.post("projects", json={"name": "P", "description": "d"}).json()
    path = f"projects/{project['id']}"
    assert_civis_error(reader_api.get(path), 404)
    owner_api.put(
        f"{path}/shares/users", json={"user_ids": [reader.id], "permission_level": "read"}
    )
    assert reader_api.get(path).json()["myPermissionLevel"] == "read"
    assert [u["id"] for u in owner_api.get("projects").json()[0]["users"]] == [reader.id]
    assert_civis_error(reader_api.put(f"{path}/archive", json={"status": True}), 403)
    assert_civis_error(reader_api.put(path, json={"name": "x"}), 403)
