"""``ThreadedServer``: the API the contract tests rely on, and restart durability."""

from __future__ import annotations

from pathlib import Path

import requests
from platform_helpers import Api, make_settings

from civis_platform.testing import ThreadedServer


def test_defaults_use_a_temporary_home_and_a_free_port() -> None:
    with ThreadedServer() as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/")
        assert server.settings.port != 0
        home = Path(server.settings.home)
        assert home.exists()
        user = server.create_user("erin")
        me = requests.get(server.base_url + "users/me", auth=(user.api_key, "")).json()
        assert (me["id"], me["username"]) == (user.id, "erin")
        admin = requests.get(server.base_url + "users/me", auth=(server.admin_api_key, ""))
        assert admin.json()["roles"] == ["admin"]
    assert not home.exists()
    try:
        requests.get(server.base_url + "users/me", timeout=1)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("server still answering after stop")


def test_state_survives_a_restart(engine_url: str | None, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, engine_url)
    with ThreadedServer(settings) as first:
        user = first.create_user("frank")
        api = Api(first.base_url, user.api_key)
        created = api.post(
            "credentials",
            json={"type": "Custom", "username": "u", "password": "p", "name": "durable"},
        )
        assert created.status_code == 201
    with ThreadedServer(settings) as second:
        api = Api(second.base_url, user.api_key)
        assert api.get("users/me").json()["username"] == "frank"
        assert api.get(f"credentials/{created.json()['id']}").json()["name"] == "durable"
        # A restart mints a new admin key; the old one still works too.
        assert Api(second.base_url, second.admin_api_key).get("users/me").status_code == 200


def test_reset_keeps_only_the_seed(server: ThreadedServer) -> None:
    user = server.create_user("gina")
    api = Api(server.base_url, user.api_key)
    assert api.post("projects", json={"name": "p", "description": "d"}).status_code == 200
    admin = Api(server.base_url, server.admin_api_key)
    created = admin.post("credentials", json={"type": "Custom", "username": "u", "password": "p"})
    assert created.status_code == 201
    assert api.post("testing/reset").status_code == 403  # admins only
    server.reset()
    assert api.get("users/me").status_code == 401
    assert [u["user"] for u in admin.get("users").json()] == ["admin"]
    assert [c["type"] for c in admin.get("credentials").json()] == ["Database"]
    assert [d["name"] for d in admin.get("databases").json()] == ["Civis Database"]
    assert admin.get("projects").json() == []
    assert [g["slug"] for g in admin.get("groups").json()] == ["default"]
    # The seed still works for new users.
    fresh = server.create_user("gina")
    mine = Api(server.base_url, fresh.api_key).get("credentials", params={"default": True})
    assert mine.json()[0]["remoteHostName"] == "Civis Database"


def test_reset_route_is_absent_outside_testing_mode(engine_url: str | None, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, engine_url).model_copy(update={"testing": False})
    with ThreadedServer(settings) as plain:
        response = Api(plain.base_url, plain.admin_api_key).post("testing/reset")
        assert response.status_code == 404
    assert "/testing/reset" not in str(build_spec_paths_for(settings))


def build_spec_paths_for(settings) -> list[str]:
    from civis_platform.app import create_app
    from civis_platform.spec import build_spec

    return list(build_spec(create_app(settings.model_copy(update={"testing": True})))["paths"])
