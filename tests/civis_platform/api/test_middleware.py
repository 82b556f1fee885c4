"""Authentication, rate limiting and path normalisation over loopback."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
import requests
from platform_helpers import Api, assert_civis_error, make_settings

from civis_platform.api.middleware import token_from_header
from civis_platform.errors import UnauthorizedError
from civis_platform.testing import ThreadedServer


def test_basic_auth_with_key_as_username(server: ThreadedServer) -> None:
    response = requests.get(server.base_url + "users/me", auth=(server.admin_api_key, ""))
    assert response.status_code == 200
    assert response.json()["username"] == "admin"


def test_bearer_auth(server: ThreadedServer) -> None:
    headers = {"Authorization": f"Bearer {server.admin_api_key}"}
    response = requests.get(server.base_url + "users/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["username"] == "admin"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer cvp_nothere_nosecret"},
        {"Authorization": "Bearer not-even-a-key"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Digest abc"},
    ],
)
def test_missing_or_bad_key_is_401_with_www_authenticate(
    server: ThreadedServer, headers: dict[str, str]
) -> None:
    response = requests.get(server.base_url + "users/me", headers=headers)
    assert_civis_error(response, 401)
    assert response.headers["WWW-Authenticate"]


def test_right_prefix_wrong_secret_is_401(server: ThreadedServer) -> None:
    prefix = server.admin_api_key.rsplit("_", 1)[0]
    forged = prefix + "_" + "x" * 43
    response = requests.get(server.base_url + "users/me", auth=(forged, ""))
    assert_civis_error(response, 401)


def test_revoked_key_is_401(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    assert api.get("users/me").status_code == 200  # now cached as verified
    keys = api.get("users/me/api_keys").json()
    revoked = api.delete(f"users/me/api_keys/{keys[0]['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revokedAt"] is not None
    response = api.get("users/me")
    assert_civis_error(response, 401)
    assert "revoked" in response.json()["errorDescription"]
    assert response.headers["WWW-Authenticate"]


def test_expired_key_is_401(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    created = api.post("users/me/api_keys", json={"name": "short", "expires_in": 1})
    assert created.status_code == 200, created.text
    short = Api(server.base_url, created.json()["token"])
    assert short.get("users/me").status_code == 200
    time.sleep(1.2)
    response = short.get("users/me")
    assert_civis_error(response, 401)
    assert response.headers["WWW-Authenticate"]


def test_rate_limit_headers_on_every_authenticated_response(admin: Api) -> None:
    first = admin.get("users/me")
    second = admin.get("credentials/types")
    assert first.headers["X-RateLimit-Limit"] == second.headers["X-RateLimit-Limit"]
    assert int(second.headers["X-RateLimit-Remaining"]) < int(
        first.headers["X-RateLimit-Remaining"]
    )
    missing = admin.get("no/such/route")
    assert "X-RateLimit-Remaining" in missing.headers


def test_rate_limit_429_with_retry_after(engine_url: str | None, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, engine_url, rate_limit=3, rate_limit_window_seconds=60)
    with ThreadedServer(settings) as small:
        api = Api(small.base_url, small.admin_api_key)
        remaining = [int(api.get("users/me").headers["X-RateLimit-Remaining"]) for _ in range(3)]
        assert remaining == [2, 1, 0]
        response = api.get("users/me")
        assert_civis_error(response, 429)
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        # Limits are per user: someone else still gets through.
        other = small.create_user("other")
        assert Api(small.base_url, other.api_key).get("users/me").status_code == 200


def test_trailing_slash_and_json_body_on_get_are_tolerated(admin: Api) -> None:
    assert admin.get("credentials/", json={}).status_code == 200
    assert admin.get("credentials", json={}).status_code == 200


@pytest.mark.parametrize(
    "header, token",
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Basic " + base64.b64encode(b"abc:").decode(), "abc"),
        ("Basic " + base64.b64encode(b"abc").decode(), "abc"),
    ],
)
def test_token_from_header(header: str, token: str) -> None:
    assert token_from_header(header) == token


@pytest.mark.parametrize(
    "header", [None, "", "Bearer ", "Basic " + base64.b64encode(b":x").decode()]
)
def test_token_from_header_rejects(header: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        token_from_header(header)
