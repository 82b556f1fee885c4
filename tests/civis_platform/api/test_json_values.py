"""``/json_values`` and run outputs naming objects: each output must name an object
the caller can see, and a JSONValue output carries its value."""

from __future__ import annotations

from typing import Any

from platform_helpers import Api, assert_civis_error
from sandbox_helpers import create_container, start, wait


def _value(api: Api, text: str, name: str = "v") -> dict[str, Any]:
    made = api.post("json_values", json={"valueStr": text, "name": name})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_create_get_patch_and_shares(new_user: Any) -> None:
    _user, api = new_user()
    other, other_api = new_user()
    made = _value(api, '{"a": [1, 2], "b": null}')
    assert (made["name"], made["value"]) == ("v", {"a": [1, 2], "b": None})
    path = f"json_values/{made['id']}"
    assert api.get(path).json()["value"] == {"a": [1, 2], "b": None}
    patched = api.patch(path, json={"valueStr": "42", "name": "answer"}).json()
    assert (patched["name"], patched["value"]) == ("answer", 42)
    assert_civis_error(other_api.get(path), 404)
    api.put(f"{path}/shares/users", json={"userIds": [other.id], "permissionLevel": "read"})
    assert other_api.get(path).json()["value"] == 42
    assert_civis_error(other_api.patch(path, json={"valueStr": "1"}), 403)


def test_bad_json_is_a_400_naming_the_field(new_user: Any) -> None:
    _user, api = new_user()
    bad = api.post("json_values", json={"valueStr": "{not json"})
    assert "valueStr" in assert_civis_error(bad, 400)["errorDescription"]
    assert_civis_error(api.post("json_values", json={"name": "x"}), 400)
    made = _value(api, "1")
    assert_civis_error(api.patch(f"json_values/{made['id']}", json={"valueStr": "]"}), 400)


def test_run_outputs_of_every_type_and_their_checks(new_user: Any, admin: Api) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    job = create_container(api, "true")
    run = start(api, job)
    assert wait(api, job, run)["state"] == "succeeded"
    value = _value(api, '{"score": 0.9}', name="metrics")
    file_id = api.post("files", json={"name": "out.csv"}).json()["id"]
    project = api.post("projects", json={"name": "p", "description": "d"}).json()["id"]
    script = create_container(api, "true")
    outputs = f"scripts/containers/{job}/runs/{run}/outputs"
    for object_type, object_id in [
        ("JSONValue", value["id"]),
        ("File", file_id),
        ("Project", project),
        ("Script", script),
    ]:
        posted = api.post(outputs, json={"objectType": object_type, "objectId": object_id})
        assert posted.status_code == 202, posted.text
    listed = {o["objectType"]: o for o in api.get(outputs).json()}
    assert listed["JSONValue"]["value"] == {"score": 0.9}
    assert listed["JSONValue"]["name"] == "metrics"
    assert listed["File"]["name"] == "out.csv"
    assert listed["Script"]["link"].endswith(f"scripts/{script}")
    # Objects the caller cannot see, unknown ones and unknown types are refused.
    theirs = _value(other_api, "1")
    refused = api.post(outputs, json={"objectType": "JSONValue", "objectId": theirs["id"]})
    assert_civis_error(refused, 404)
    assert_civis_error(api.post(outputs, json={"objectType": "Table", "objectId": 999999}), 404)
    assert_civis_error(api.post(outputs, json={"objectType": "Bogus", "objectId": 1}), 400)
    # Another user cannot attach outputs to this run at all.
    mine = other_api.post(outputs, json={"objectType": "JSONValue", "objectId": theirs["id"]})
    assert_civis_error(mine, 404)
    assert len(api.get(outputs).json()) == 4
