"""``/groups`` over loopback."""

from __future__ import annotations

from platform_helpers import Api, assert_civis_error, unique


def test_admin_creates_and_edits_groups(admin: Api, new_user) -> None:
    user, api = new_user()
    name = unique("team")
    assert_civis_error(api.post("groups", json={"name": name}), 403)
    group = admin.post("groups", json={"name": name, "description": "d"}).json()
    assert group["slug"] == name
    path = f"groups/{group['id']}"
    assert admin.patch(path, json={"description": "changed"}).json()["description"] == "changed"
    assert admin.put(path, json={"name": name + "x"}).json()["name"] == name + "x"
    assert_civis_error(admin.put(path, json={"description": "no name"}), 400)
    members = admin.put(f"{path}/members/{user.id}").json()["members"]
    assert [m["id"] for m in members] == [user.id]
    assert api.get(path).json()["memberCount"] == 1
    listed = api.get("groups", params={"user_ids[]": [user.id], "include_members": "true"}).json()
    assert group["id"] in [g["id"] for g in listed]
    assert admin.delete(f"{path}/members/{user.id}").status_code == 204
    assert admin.get(path).json()["members"] == []
    assert_civis_error(admin.delete(f"{path}/members/{user.id}"), 404)


def test_unknown_group_is_404(admin: Api) -> None:
    assert_civis_error(admin.get("groups/5555"), 404)
