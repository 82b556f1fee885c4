"""``/templates/scripts`` and ``/scripts/custom`` over loopback: templates published
from container and Python scripts, custom scripts running their template's code with
their own arguments, and what other users may do with them."""

from __future__ import annotations

from typing import Any

from platform_helpers import Api, assert_civis_error
from sandbox_helpers import create_container, messages, wait

PARAMS = [
    {"name": "GREETING", "type": "string", "default": "hello"},
    {"name": "WHO", "type": "string", "required": True},
]


def _template(api: Api, command: str = "echo $GREETING $WHO", **fields: Any) -> dict[str, Any]:
    script = create_container(api, command, params=PARAMS)
    made = api.post("templates/scripts", json={"scriptId": script, "name": "Greeter", **fields})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _custom(api: Api, template: int, **arguments: Any) -> dict[str, Any]:
    made = api.post("scripts/custom", json={"fromTemplateId": template, "arguments": arguments})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _run(api: Api, custom: int) -> tuple[int, dict[str, Any]]:
    started = api.post(f"scripts/custom/{custom}/runs")
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert started.json()["customId"] == custom
    return run_id, wait(api, custom, run_id)


def test_template_shows_its_script_and_params(new_user: Any) -> None:
    _user, api = new_user()
    template = _template(api, note="Says hello")
    assert template["id"] >= 100_000  # user templates start above the library's ids
    assert (template["scriptType"], template["params"], template["note"]) == (
        "containers",
        PARAMS,
        "Says hello",
    )
    assert template["useCount"] == 0 and template["myPermissionLevel"] == "manage"
    script = api.get(f"scripts/containers/{template['scriptId']}").json()
    assert (script["isTemplate"], script["publishedAsTemplateId"]) == (True, template["id"])
    listed = api.get("templates/scripts", params={"limit": 1000}).json()
    assert template["id"] in [t["id"] for t in listed]


def test_custom_script_runs_the_template_code_with_its_arguments(new_user: Any) -> None:
    _user, api = new_user()
    template = _template(api)
    custom = _custom(api, template["id"], WHO="world")
    assert (custom["fromTemplateId"], custom["templateScriptName"], custom["name"]) == (
        template["id"],
        "Greeter",
        "Greeter",
    )
    assert custom["backingScriptType"] == "Container" and custom["params"] == PARAMS
    run_id, done = _run(api, custom["id"])
    assert done["state"] == "succeeded", done
    assert messages(api, custom["id"], run_id) == ["hello world"]
    # The official ContainerFuture polls a custom script's runs at the container paths.
    shown = api.get(f"scripts/containers/{custom['id']}/runs/{run_id}").json()
    assert (shown["state"], shown["containerId"]) == ("succeeded", custom["id"])
    as_container = api.get(f"scripts/containers/{custom['id']}").json()
    assert as_container["fromTemplateId"] == template["id"]
    assert as_container["dockerCommand"] == "echo $GREETING $WHO"
    assert as_container["lastRun"]["id"] == run_id
    assert api.get(f"templates/scripts/{template['id']}").json()["useCount"] == 1


def test_a_template_change_reaches_its_custom_scripts(new_user: Any) -> None:
    _user, api = new_user()
    template = _template(api)
    custom = _custom(api, template["id"], WHO="there", GREETING="hi")
    changed = api.patch(
        f"scripts/containers/{template['scriptId']}", json={"dockerCommand": "echo bye $WHO"}
    )
    assert changed.status_code == 200, changed.text
    run_id, done = _run(api, custom["id"])
    assert done["state"] == "succeeded", done
    assert messages(api, custom["id"], run_id) == ["bye there"]


def test_a_required_param_without_a_value_fails_the_run_clearly(new_user: Any) -> None:
    _user, api = new_user()
    custom = _custom(api, _template(api)["id"])
    _run_id, done = _run(api, custom["id"])
    assert done["state"] == "failed"
    assert "WHO" in done["error"] and "required" in done["error"]


def test_other_users_need_a_share_of_the_template(new_user: Any) -> None:
    _user, api = new_user()
    other, other_api = new_user()
    template = _template(api)
    assert_civis_error(other_api.get(f"templates/scripts/{template['id']}"), 404)
    assert_civis_error(other_api.get(f"scripts/containers/{template['scriptId']}"), 404)
    refused = other_api.post(
        "scripts/custom", json={"fromTemplateId": template["id"], "arguments": {"WHO": "x"}}
    )
    assert "fromTemplateId" in assert_civis_error(refused, 400)["errorDescription"]
    shared = api.put(
        f"templates/scripts/{template['id']}/shares/users",
        json={"userIds": [other.id], "permissionLevel": "read"},
    )
    assert shared.status_code == 200, shared.text
    # With the template shared, the other user may read its script (as infer_backend_
    # factory does; a custom script's codePreview shows it too), not change or run it.
    backing = f"scripts/containers/{template['scriptId']}"
    assert other_api.get(backing).json()["dockerCommand"] == "echo $GREETING $WHO"
    assert_civis_error(other_api.patch(backing, json={"dockerCommand": "id"}), 404)
    assert_civis_error(other_api.post(f"{backing}/runs"), 404)
    custom = _custom(other_api, template["id"], WHO="friend")
    run_id, done = _run(other_api, custom["id"])
    assert done["state"] == "succeeded", done
    assert messages(other_api, custom["id"], run_id) == ["hello friend"]
    # ... but cannot change the template, and the owner cannot see the custom script.
    assert_civis_error(
        other_api.patch(f"templates/scripts/{template['id']}", json={"name": "mine"}), 403
    )
    assert_civis_error(api.get(f"scripts/custom/{custom['id']}"), 404)
    # Once the share is gone, the next run fails with a clear error.
    api.delete(f"templates/scripts/{template['id']}/shares/users/{other.id}")
    _run_id, done = _run(other_api, custom["id"])
    assert done["state"] == "failed" and "template" in done["error"]


def test_template_edits_archive_and_bad_input(new_user: Any) -> None:
    _user, api = new_user()
    template = _template(api)
    path = f"templates/scripts/{template['id']}"
    assert api.patch(path, json={"note": "n"}).json()["note"] == "n"
    replaced = api.put(path, json={"name": "Renamed"}).json()
    assert (replaced["name"], replaced["note"]) == ("Renamed", None)
    assert_civis_error(api.put(path, json={"name": ""}), 400)
    assert_civis_error(api.post("templates/scripts", json={"scriptId": 999999, "name": "x"}), 400)
    assert_civis_error(api.post("templates/scripts", json={"name": "x"}), 400)
    assert api.delete(path).status_code == 204
    assert template["id"] not in [t["id"] for t in api.get("templates/scripts").json()]
    assert_civis_error(api.post("scripts/custom", json={"arguments": {}}), 400)
    assert_civis_error(
        api.post("scripts/custom", json={"fromTemplateId": template["id"], "arguments": [1]}),
        400,
    )


def test_custom_scripts_list_filters_by_template(new_user: Any) -> None:
    _user, api = new_user()
    first, second = _template(api), _template(api)
    a = _custom(api, first["id"], WHO="a")
    b = _custom(api, second["id"], WHO="b")
    both = api.get(
        "scripts/custom", params={"from_template_id": f"{first['id']}, {second['id']}"}
    ).json()
    assert {s["id"] for s in both} == {a["id"], b["id"]}
    only = api.get("scripts/custom", params={"from_template_id": str(first["id"])}).json()
    assert [s["id"] for s in only] == [a["id"]]
    assert_civis_error(api.get("scripts/custom", params={"from_template_id": "x"}), 400)
    patched = api.patch(f"scripts/custom/{a['id']}", json={"arguments": {"WHO": "z"}}).json()
    assert patched["arguments"] == {"WHO": "z"} and patched["fromTemplateId"] == first["id"]
    generic = api.get(f"scripts/{a['id']}").json()
    assert (generic["type"], generic["templateScriptId"]) == ("Custom", first["id"])
