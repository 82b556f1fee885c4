"""A revoked key is refused by every server process on the metadata store within a
second: two servers on one store, revoked through ``civis-platform keys revoke`` and
through the API of the other server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from platform_helpers import Api, make_settings

from civis_platform.testing import ThreadedServer

CLI = str(Path(sys.executable).parent / "civis-platform")


@pytest.fixture(scope="module")
def servers(
    engine_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ThreadedServer, ThreadedServer]]:
    home = tmp_path_factory.mktemp("home")  # one home: SQLite metadata is a file in it
    settings = make_settings(home, engine_url, embedded_worker=False)
    with ThreadedServer(settings) as first, ThreadedServer(settings) as second:
        yield first, second


def _refused_within(apis: list[Api], seconds: float) -> float:
    """Seconds until every api answers 401 (fails the test past ``seconds``)."""
    start = time.monotonic()
    pending = list(apis)
    while pending:
        pending = [api for api in pending if api.get("users/me").status_code != 401]
        elapsed = time.monotonic() - start
        assert elapsed < seconds, f"key still accepted after {elapsed:.2f}s"
        time.sleep(0.02)
    return time.monotonic() - start


def _warm(apis: list[Api]) -> None:
    for _ in range(3):
        for api in apis:
            assert api.get("users/me").status_code == 200


def test_cli_revocation_reaches_every_process_within_a_second(
    servers: tuple[ThreadedServer, ThreadedServer],
) -> None:
    first, second = servers
    user = first.create_user("revoked-by-cli")
    apis = [Api(first.base_url, user.api_key), Api(second.base_url, user.api_key)]
    _warm(apis)
    keys = apis[0].get("users/me/api_keys").json()
    [key_id] = [k["id"] for k in keys if k["name"] == "testing"]
    env = {
        **os.environ,
        "CIVIS_PLATFORM_HOME": str(first.settings.home),
        "CIVIS_PLATFORM_METADATA_URL": first.settings.resolved_metadata_url(),
    }
    result = subprocess.run(
        [CLI, "keys", "revoke", str(key_id)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    _refused_within(apis, 1.0)
    assert "revoked" in apis[1].get("users/me").json()["errorDescription"]


def test_api_revocation_on_one_server_reaches_the_other(
    servers: tuple[ThreadedServer, ThreadedServer],
) -> None:
    first, second = servers
    user = first.create_user("revoked-by-api")
    holder = Api(first.base_url, user.api_key)
    made = holder.post("users/me/api_keys", json={"name": "laptop", "expiresIn": 3600})
    assert made.status_code in (200, 201), made.text
    token = made.json()["token"]
    apis = [Api(first.base_url, token), Api(second.base_url, token)]
    _warm(apis)
    assert holder.delete(f"users/me/api_keys/{made.json()['id']}").status_code == 200
    assert apis[0].get("users/me").status_code == 401  # the revoking process: at once
    _refused_within(apis, 1.0)
    # The other key of the user is untouched.
    assert holder.get("users/me").status_code == 200
    assert Api(second.base_url, user.api_key).get("users/me").status_code == 200
