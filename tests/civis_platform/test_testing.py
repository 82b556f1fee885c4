"""``ThreadedServer``: the API the contract tests rely on, and restart durability."""

from __future__ import annotations

from pathlib import Path

import requests
from conftest import make_settings
from platform_helpers import Api

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
