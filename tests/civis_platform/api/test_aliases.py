"""``/aliases`` over loopback."""

from __future__ import annotations

import pytest
from platform_helpers import Api, assert_civis_error, unique


def _project(api: Api) -> int:
    made = api.post("projects", json={"name": unique("p"), "description": "d"})
    assert made.status_code == 200, made.text
    return int(made.json()["id"])


def _container(api: Api) -> int:
    body = {"name": "c", "dockerCommand": "true", "requiredResources": {"cpu": 100}}
    made = api.post("scripts/containers", json=body)
    assert made.status_code in (200, 201), made.text
    return int(made.json()["id"])


def test_alias_lifecycle_and_lookup_by_name(new_user) -> None:
    _user, api = new_user()
    name = unique("alias")
    script = _container(api)
    created = api.post(
        "aliases", json={"object_id": script, "object_type": "container_script", "alias": name}
    )
    assert created.status_code == 201, created.text
    alias = created.json()
    assert list(alias) == ["id", "objectId", "objectType", "alias", "userId", "displayName"]
    found = api.get(f"aliases/container_script/{name}")
    assert found.status_code == 200
    assert found.json()["id"] == alias["id"]
    assert_civis_error(api.get(f"aliases/container_script/{name}-missing"), 404)
    # The shares route wins over /aliases/{object_type}/{alias}.
    assert api.get(f"aliases/{alias['id']}/shares").status_code == 200
    listed = api.get("aliases", params={"object_type": "container_script,project"}).json()
    assert alias["id"] in [a["id"] for a in listed]
    assert (
        api.patch(f"aliases/{alias['id']}", json={"displayName": "D"}).json()["displayName"] == "D"
    )
    assert api.delete(f"aliases/{alias['id']}").status_code == 204
    assert_civis_error(api.get(f"aliases/{alias['id']}"), 404)


def test_duplicate_alias_is_409(new_user) -> None:
    _user, api = new_user()
    body = {"objectId": _project(api), "objectType": "project", "alias": unique("dup")}
    assert api.post("aliases", json=body).status_code == 201
    assert_civis_error(api.post("aliases", json=body), 409)


def test_other_users_alias_is_404(new_user, admin: Api) -> None:
    _user, api = new_user()
    alias = api.post(
        "aliases",
        json={"objectId": _project(api), "objectType": "project", "alias": unique("private")},
    ).json()
    _other, other_api = new_user()
    assert_civis_error(other_api.get(f"aliases/{alias['id']}"), 404)
    assert_civis_error(other_api.get(f"aliases/project/{alias['alias']}"), 404)


@pytest.mark.parametrize("object_type", ["project", "container_script"])
def test_an_alias_names_only_what_its_maker_can_see(new_user, object_type: str) -> None:
    _owner, a = new_user()
    b_user, b = new_user()
    target = _project(a) if object_type == "project" else _container(a)
    body = {"objectId": target, "objectType": object_type, "alias": unique("steal")}
    refused = assert_civis_error(b.post("aliases", json=body), 400)
    assert "objectId" in refused["errorDescription"]
    # (B sees only the template library's aliases, which every user shares)
    assert [x for x in b.get("aliases").json() if x["objectType"] != "template_script"] == []
    # Nor by repointing an alias of B's own.
    own = b.post("aliases", json={**body, "objectId": _project(b), "objectType": "project"})
    assert own.status_code == 201, own.text
    moved = b.patch(
        f"aliases/{own.json()['id']}", json={"objectId": target, "objectType": object_type}
    )
    assert_civis_error(moved, 400)
    assert b.get(f"aliases/{own.json()['id']}").json()["objectType"] == "project"
    # Once A shares the object, B may alias it.
    path = "projects" if object_type == "project" else "jobs"
    shared = a.put(
        f"{path}/{target}/shares/users", json={"userIds": [b_user.id], "permissionLevel": "read"}
    )
    assert shared.status_code == 200, shared.text
    assert b.post("aliases", json={**body, "alias": unique("ok")}).status_code == 201


def test_unknown_types_and_missing_objects_are_refused(new_user) -> None:
    _user, api = new_user()
    for body, field in [
        ({"objectId": 1, "objectType": "template_report", "alias": "a"}, "objectType"),
        ({"objectId": 2**31 - 1, "objectType": "project", "alias": "a"}, "objectId"),
        ({"objectId": _project(api), "objectType": "sql_script", "alias": "a"}, "objectId"),
    ]:
        assert field in assert_civis_error(api.post("aliases", json=body), 400)["errorDescription"]
