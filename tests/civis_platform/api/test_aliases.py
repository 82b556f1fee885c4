"""``/aliases`` over loopback."""

from __future__ import annotations

from platform_helpers import Api, assert_civis_error, unique


def test_alias_lifecycle_and_lookup_by_name(new_user) -> None:
    _user, api = new_user()
    name = unique("alias")
    created = api.post(
        "aliases", json={"object_id": 7, "object_type": "template_script", "alias": name}
    )
    assert created.status_code == 201, created.text
    alias = created.json()
    assert list(alias) == ["id", "objectId", "objectType", "alias", "userId", "displayName"]
    found = api.get(f"aliases/template_script/{name}")
    assert found.status_code == 200
    assert found.json()["id"] == alias["id"]
    assert_civis_error(api.get(f"aliases/template_script/{name}-missing"), 404)
    # The shares route wins over /aliases/{object_type}/{alias}.
    assert api.get(f"aliases/{alias['id']}/shares").status_code == 200
    listed = api.get("aliases", params={"object_type": "template_script,project"}).json()
    assert alias["id"] in [a["id"] for a in listed]
    assert (
        api.patch(f"aliases/{alias['id']}", json={"displayName": "D"}).json()["displayName"] == "D"
    )
    assert api.delete(f"aliases/{alias['id']}").status_code == 204
    assert_civis_error(api.get(f"aliases/{alias['id']}"), 404)


def test_duplicate_alias_is_409(new_user) -> None:
    _user, api = new_user()
    body = {"objectId": 1, "objectType": "project", "alias": unique("dup")}
    assert api.post("aliases", json=body).status_code == 201
    assert_civis_error(api.post("aliases", json=body), 409)


def test_other_users_alias_is_404(new_user, admin: Api) -> None:
    _user, api = new_user()
    alias = api.post(
        "aliases", json={"objectId": 1, "objectType": "project", "alias": unique("private")}
    ).json()
    _other, other_api = new_user()
    assert_civis_error(other_api.get(f"aliases/{alias['id']}"), 404)
    assert_civis_error(other_api.get(f"aliases/project/{alias['alias']}"), 404)
