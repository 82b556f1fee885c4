"""The bad-input scenario under the official client and ours, on both warehouses."""

from __future__ import annotations

import itertools
from typing import Any

import requests
from contract_support import assert_all_ok, run_scenario, upload_as

_runs = itertools.count(1)


def _foreign_objects(platform: Any, name: str) -> tuple[int, int]:
    """(default credential id, file id) of another user."""
    other = platform.create_user(name)
    auth = (other.api_key, "")
    credentials = requests.get(
        platform.base_url + "credentials",
        params={"default": "True", "type": "Database"},
        auth=auth,
        timeout=30,
    ).json()
    file_id = upload_as(platform, other.api_key, "secret.csv", b"a\n1\n")
    return int(credentials[0]["id"]), file_id


def test_bad_input_scenario(platform: Any, client_python: str, database_name: str) -> None:
    run = next(_runs)
    user = platform.create_user(f"bad-input-{run}-{abs(hash(client_python)) % 10_000}")
    credential_id, file_id = _foreign_objects(platform, f"bad-input-other-{run}")
    report = run_scenario(
        client_python,
        "bad_input",
        endpoint=platform.base_url,
        api_key=user.api_key,
        extra_env={
            "CIVIS_TEST_DATABASE": database_name,
            "FOREIGN_CREDENTIAL_ID": str(credential_id),
            "FOREIGN_FILE_ID": str(file_id),
        },
        timeout=180,
    )
    assert_all_ok(report)
    assert len(report) == 6
