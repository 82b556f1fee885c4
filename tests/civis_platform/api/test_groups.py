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


def test_only_members_and_admins_see_a_group(admin: Api, new_user) -> None:
    member, member_api = new_user()
    _outsider, outsider = new_user()
    name = unique("private")
    group = admin.post("groups", json={"name": name}).json()
    path = f"groups/{group['id']}"
    admin.put(f"{path}/members/{member.id}")
    # The member sees it, its members, and finds it in the list; may not manage it.
    assert [m["id"] for m in member_api.get(path).json()["members"]] == [member.id]
    assert group["id"] in [g["id"] for g in member_api.get("groups").json()]
    assert_civis_error(member_api.patch(path, json={"description": "x"}), 403)
    # Anyone else: as if it did not exist, whatever they try.
    assert_civis_error(outsider.get(path), 404)
    listed = outsider.get("groups", params={"query": name, "include_members": "true"})
    assert listed.status_code == 200 and listed.json() == []
    by_member = outsider.get("groups", params={"user_ids[]": [member.id]}).json()
    assert group["id"] not in [g["id"] for g in by_member]
    assert_civis_error(outsider.patch(path, json={"description": "x"}), 404)
    assert_civis_error(outsider.put(path, json={"name": "x"}), 404)
    assert_civis_error(outsider.put(f"{path}/members/{_outsider.id}"), 404)
    assert_civis_error(outsider.delete(f"{path}/members/{member.id}"), 404)
    assert admin.get(path).json()["members"][0]["id"] == member.id
    # Membership is read from the store: removal takes effect on the next request.
    assert admin.delete(f"{path}/members/{member.id}").status_code == 204
    assert_civis_error(member_api.get(path), 404)


def test_objects_are_shared_only_with_groups_the_sharer_sees(admin: Api, new_user) -> None:
    member, member_api = new_user()
    _outsider, outsider = new_user()
    group = admin.post("groups", json={"name": unique("sharing")}).json()
    admin.put(f"groups/{group['id']}/members/{member.id}")
    grant = {"groupIds": [group["id"]], "permissionLevel": "read"}
    project = {"name": "p", "description": "d"}
    theirs = outsider.post("projects", json=project).json()["id"]
    # To an outsider the group is as unknown as an id no group has.
    refused = assert_civis_error(outsider.put(f"projects/{theirs}/shares/groups", json=grant), 400)
    unknown = assert_civis_error(
        outsider.put(f"projects/{theirs}/shares/groups", json={**grant, "groupIds": [2**31 - 1]}),
        400,
    )
    assert refused["errorDescription"].split(":")[0] == unknown["errorDescription"].split(":")[0]
    mine = member_api.post("projects", json=project).json()["id"]
    assert member_api.put(f"projects/{mine}/shares/groups", json=grant).status_code == 200
