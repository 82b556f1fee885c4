"""``/credentials`` over loopback: defaults, CRUD, ownership, shares, paging, errors."""

from __future__ import annotations

from typing import Any

import pytest
from platform_helpers import Api, assert_civis_error

BODY = {"type": "Custom", "username": "svc", "password": "s3cret", "name": "mine"}


def create(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("credentials", json={**BODY, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def test_each_user_has_a_default_database_credential(new_user) -> None:
    user, api = new_user()
    response = api.get("credentials", params={"default": "True", "type": "Database"})
    assert response.status_code == 200
    [credential] = response.json()
    assert credential["default"] is True
    assert credential["type"] == "Database"
    assert credential["owner"] == user.username
    assert credential["remoteHostName"] == "Civis Database"
    assert credential["remoteHostId"] is not None


def test_response_is_camel_case_in_reference_order_without_password(new_user) -> None:
    _user, api = new_user()
    credential = create(api)
    assert list(credential) == [
        "id",
        "name",
        "type",
        "username",
        "description",
        "owner",
        "user",
        "remoteHostId",
        "remoteHostName",
        "state",
        "createdAt",
        "updatedAt",
        "default",
        "oauth",
        "provider",
        "providerMetadata",
    ]
    assert "s3cret" not in api.get(f"credentials/{credential['id']}").text


def test_crud_round_trip(new_user) -> None:
    _user, api = new_user()
    credential = create(api, description="first")
    path = f"credentials/{credential['id']}"
    assert api.get(path).json()["description"] == "first"
    patched = api.patch(path, json={"description": "second", "name": None})
    assert patched.status_code == 200
    assert patched.json()["description"] == "second"
    assert patched.json()["name"] == "mine"  # null means "not given"
    replaced = api.put(path, json={"type": "Custom", "username": "u2", "password": "p2"})
    assert replaced.status_code == 200
    assert replaced.json()["username"] == "u2"
    assert api.delete(path, json={}).status_code == 204
    assert_civis_error(api.get(path), 404)


def test_camel_and_snake_bodies_are_equivalent(new_user, admin: Api) -> None:
    host = admin.get("remote_hosts").json()[0]["id"]
    _user, api = new_user()
    snake = create(api, remote_host_id=host)
    camel = create(api, remoteHostId=host)
    assert snake["remoteHostId"] == camel["remoteHostId"] == host


def test_type_filter_takes_a_comma_separated_list(new_user) -> None:
    _user, api = new_user()
    create(api, type="Custom")
    create(api, type="Certificate")
    types = {c["type"] for c in api.get("credentials", params={"type": "Custom,Database"}).json()}
    assert types == {"Custom", "Database"}
    assert {c["type"] for c in api.get("credentials", params={"type": "Certificate"}).json()} == {
        "Certificate"
    }


def test_name_filter(new_user) -> None:
    _user, api = new_user()
    create(api, name="needle in haystack")
    found = api.get("credentials", params={"name": "needle"}).json()
    assert [c["name"] for c in found] == ["needle in haystack"]


def test_pagination_headers_and_empty_page_past_the_end(new_user) -> None:
    _user, api = new_user()
    for i in range(4):
        create(api, name=f"c{i}")
    page = api.get(
        "credentials", params={"limit": 2, "page_num": 2, "order": "name", "order_dir": "asc"}
    )
    assert page.status_code == 200
    assert page.headers["X-Pagination-Per-Page"] == "2"
    assert page.headers["X-Pagination-Current-Page"] == "2"
    assert page.headers["X-Pagination-Total-Pages"] == "3"  # 4 + the default credential
    assert page.headers["X-Pagination-Total-Entries"] == "5"
    assert [c["name"] for c in page.json()] == ["c2", "c3"]
    past = api.get("credentials", params={"limit": 2, "page_num": 9})
    assert past.status_code == 200
    assert past.json() == []


def test_another_users_credential_is_404(new_user) -> None:
    _owner, owner_api = new_user()
    _other, other_api = new_user()
    credential = create(owner_api)
    path = f"credentials/{credential['id']}"
    assert_civis_error(other_api.get(path), 404)
    assert_civis_error(other_api.patch(path, json={"name": "x"}), 404)
    assert_civis_error(other_api.delete(path), 404)
    assert credential["id"] not in [c["id"] for c in other_api.get("credentials").json()]


def test_read_share_makes_visible_but_not_writable(new_user) -> None:
    _owner, owner_api = new_user()
    reader, reader_api = new_user()
    credential = create(owner_api)
    path = f"credentials/{credential['id']}"
    shared = owner_api.put(
        f"{path}/shares/users", json={"user_ids": [reader.id], "permission_level": "read"}
    )
    assert shared.status_code == 200, shared.text
    assert [u["id"] for u in shared.json()["readers"]["users"]] == [reader.id]
    assert shared.json()["totalUserShares"] == 1
    assert reader_api.get(path).status_code == 200
    assert credential["id"] in [c["id"] for c in reader_api.get("credentials").json()]
    assert_civis_error(reader_api.put(path, json=BODY), 403)
    assert_civis_error(reader_api.patch(path, json={"name": "x"}), 403)
    # Upgrading to write allows edits; deleting still needs manage.
    owner_api.put(f"{path}/shares/users", json={"userIds": [reader.id], "permissionLevel": "write"})
    assert reader_api.patch(path, json={"name": "edited"}).status_code == 200
    assert_civis_error(reader_api.delete(path), 403)
    listing = owner_api.get(f"{path}/shares").json()
    assert [u["id"] for u in listing[0]["writers"]["users"]] == [reader.id]
    # Revoking hides it again.
    assert owner_api.delete(f"{path}/shares/users/{reader.id}").status_code == 204
    assert_civis_error(reader_api.get(path), 404)


def test_group_share_reaches_group_members(new_user, admin: Api) -> None:
    owner, owner_api = new_user()
    member, member_api = new_user()
    group = admin.post("groups", json={"name": f"g-{member.username}"}).json()
    admin.put(f"groups/{group['id']}/members/{owner.id}")  # one shares with groups one is in
    assert member_api.get("users/me").status_code == 200  # key verified (and cached) first
    # Joining the group must take effect at once, not when the key cache expires.
    admin.put(f"groups/{group['id']}/members/{member.id}")
    credential = create(owner_api)
    path = f"credentials/{credential['id']}"
    shared = owner_api.put(
        f"{path}/shares/groups", json={"group_ids": [group["id"]], "permission_level": "read"}
    )
    assert shared.status_code == 200, shared.text
    assert member_api.get(path).status_code == 200
    assert owner_api.delete(f"{path}/shares/groups/{group['id']}").status_code == 204
    assert_civis_error(member_api.get(path), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"username": "u", "password": "p"}, "type"),
        ({"type": "Custom", "password": "p"}, "username"),
        ({"type": "Custom", "username": "u", "password": None}, "password"),
        ({**BODY, "remoteHostId": "not-a-number"}, "remoteHostId"),
        ({**BODY, "type": "Nonsense"}, "type"),
        ({**BODY, "remote_host_id": 999999}, "remoteHostId"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(admin: Api, body: dict[str, Any], field: str) -> None:
    response = admin.post("credentials", json=body)
    assert_civis_error(response, 400)
    assert field in response.json()["errorDescription"]


def test_bad_query_is_400_naming_the_parameter(admin: Api) -> None:
    response = admin.get("credentials", params={"limit": "lots"})
    assert_civis_error(response, 400)
    assert "limit" in response.json()["errorDescription"]
    response = admin.get("credentials", params={"order": "colour"})
    assert_civis_error(response, 400)
    assert "order" in response.json()["errorDescription"]


def test_non_json_body_is_400(admin: Api) -> None:
    response = admin.post(
        "credentials", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert_civis_error(response, 400)


def test_unknown_ids_are_404(admin: Api) -> None:
    assert_civis_error(admin.get("credentials/987654"), 404)
    assert_civis_error(admin.get("credentials/abc"), 404)
    assert_civis_error(admin.get("credentials/987654/shares"), 404)


def test_types(admin: Api) -> None:
    types = admin.get("credentials/types").json()["types"]
    assert "Database" in types and "Custom" in types


def test_transfer_hands_over_ownership(new_user) -> None:
    _owner, owner_api = new_user()
    heir, heir_api = new_user()
    credential = create(owner_api)
    path = f"credentials/{credential['id']}"
    assert_civis_error(
        heir_api.put(f"{path}/transfer", json={"user_id": heir.id, "include_dependencies": False}),
        404,
    )
    assert_civis_error(
        owner_api.put(f"{path}/transfer", json={"userId": 99999, "includeDependencies": False}),
        400,
    )
    moved = owner_api.put(f"{path}/transfer", json={"userId": heir.id, "includeDependencies": True})
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"dependencies": []}
    assert heir_api.get(path).json()["owner"] == heir.username
    # The previous owner keeps manage through a share.
    owners = heir_api.get(f"{path}/shares").json()[0]["owners"]["users"]
    assert {u["id"] for u in owners} == {heir.id, credential["user"]["id"]}
