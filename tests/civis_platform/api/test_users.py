"""``/users`` over loopback: me, admin-only management, API keys."""

from __future__ import annotations

from platform_helpers import Api, assert_civis_error, unique


def test_me(new_user) -> None:
    user, api = new_user()
    me = api.get("users/me", json={}).json()
    assert me["id"] == user.id
    assert me["username"] == user.username
    assert me["roles"] == []
    assert [g["name"] for g in me["groups"]] == ["Default"]
    assert list(me)[:5] == ["id", "name", "email", "username", "initials"]


def test_patch_me_preferences_accepts_snake_and_camel_keys(new_user) -> None:
    _user, api = new_user()
    response = api.patch(
        "users/me",
        json={"preferences": {"app_index_order_field": "name", "dataPaneWidth": "300"}},
    )
    assert response.status_code == 200, response.text
    prefs = api.get("users/me").json()["preferences"]
    assert prefs == {"appIndexOrderField": "name", "dataPaneWidth": "300"}


def test_only_admins_create_users(new_user, admin: Api) -> None:
    _user, api = new_user()
    body = {
        "name": "New Person",
        "email": "n@example.com",
        "primary_group_id": 1,
        "user": unique("made"),
    }
    assert_civis_error(api.post("users", json=body), 403)
    created = admin.post("users", json=body)
    assert created.status_code == 200, created.text
    person = created.json()
    assert person["user"] == body["user"]
    assert person["primaryGroupId"] == 1
    assert "organizationSSODisableCapable" in person
    assert admin.get(f"users/{person['id']}").json()["email"] == "n@example.com"


def test_create_user_missing_field_is_400(admin: Api) -> None:
    response = admin.post("users", json={"name": "x", "email": "e", "primaryGroupId": 1})
    assert_civis_error(response, 400)
    assert "user" in response.json()["errorDescription"]


def test_only_admins_patch_users(new_user, admin: Api) -> None:
    user, api = new_user()
    assert_civis_error(api.patch(f"users/{user.id}", json={"name": "Me"}), 403)
    patched = admin.patch(f"users/{user.id}", json={"name": "Renamed", "city": "Chicago"})
    assert patched.status_code == 200
    assert (patched.json()["name"], patched.json()["city"]) == ("Renamed", "Chicago")


def test_list_users_with_query_filter(new_user, admin: Api) -> None:
    user, _api = new_user()
    found = admin.get("users", params={"query": user.username}).json()
    assert [u["user"] for u in found] == [user.username]
    assert set(found[0]) >= {"currentSignInAt", "lastSeenAt", "groups"}


def test_unknown_user_is_404(admin: Api) -> None:
    assert_civis_error(admin.get("users/424242"), 404)


def test_api_keys_are_listed_without_tokens(new_user, server) -> None:
    user, api = new_user()
    created = api.post(f"users/{user.id}/api_keys", json={"name": "ci", "expiresIn": 3600})
    assert created.status_code == 200
    token = created.json()["token"]
    assert Api(server.base_url, token).get("users/me").json()["id"] == user.id
    listing = api.get(f"users/{user.id}/api_keys")
    assert "ci" in [k["name"] for k in listing.json()]
    assert token not in listing.text
    assert listing.headers["X-Pagination-Total-Entries"] == "2"


def test_other_users_keys_are_hidden(new_user) -> None:
    user, _api = new_user()
    _other, other_api = new_user()
    assert_civis_error(other_api.get(f"users/{user.id}/api_keys"), 404)


def test_patch_me_last_checked_announcements(new_user) -> None:
    _user, api = new_user()
    ok = api.patch("users/me", json={"lastCheckedAnnouncements": "2024-05-06T07:08:09Z"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["lastCheckedAnnouncements"] == "2024-05-06T07:08:09.000Z"
    bad = api.patch("users/me", json={"last_checked_announcements": "not a time"})
    assert_civis_error(bad, 400)
    assert "last_checked_announcements" in bad.json()["errorDescription"]


def test_deactivated_users_lose_access_at_once(new_user, admin: Api) -> None:
    user, api = new_user()
    assert api.get("users/me").status_code == 200
    assert_civis_error(admin.patch(f"users/{user.id}", json={"accountStatus": "gone"}), 400)
    patched = admin.patch(f"users/{user.id}", json={"accountStatus": "inactive"})
    assert patched.json()["accountStatus"] == "inactive"
    assert_civis_error(api.get("users/me"), 401)
    assert user.username not in [u["user"] for u in admin.get("users").json()]
    listed = admin.get("users", params={"account_status": "inactive"}).json()
    assert user.username in [u["user"] for u in listed]
