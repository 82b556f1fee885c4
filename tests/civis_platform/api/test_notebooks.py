"""``/notebooks`` over loopback: records, their owners and shares; deployments 501."""

from __future__ import annotations

from typing import Any

from platform_helpers import assert_civis_error


def test_records_round_trip_and_deployments_are_refused(new_user: Any) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    made = api.post("notebooks", json={"name": "analysis", "language": "python3", "memory": 4096})
    assert made.status_code == 201, made.text
    notebook = made.json()
    assert (notebook["language"], notebook["memory"], notebook["mostRecentDeployment"]) == (
        "python3",
        4096,
        None,
    )
    path = f"notebooks/{notebook['id']}"
    patched = api.patch(path, json={"description": "d", "cpu": 2000}).json()
    assert (patched["description"], patched["cpu"], patched["memory"]) == ("d", 2000, 4096)
    assert [n["id"] for n in api.get("notebooks").json()] == [notebook["id"]]
    assert_civis_error(other_api.get(path), 404)
    assert other_api.get("notebooks").json() == []
    assert_civis_error(api.post("notebooks", json={"language": "cobol"}), 400)
    assert_civis_error(api.patch(path, json={"memory": -1}), 400)
    assert api.get(f"{path}/deployments").json() == []
    refused = assert_civis_error(api.post(f"{path}/deployments"), 501)
    assert "not supported" in refused["errorDescription"]
    assert_civis_error(other_api.post(f"{path}/deployments"), 404)
    assert api.delete(path).status_code == 204
    assert api.get("notebooks").json() == []
