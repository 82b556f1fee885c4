"""The built-in template library over loopback: seeded at init, visible to every user
(with its alias), and "Import from URL" loading a platform file into a table from a
custom script, as in the tour's custom-script section."""

from __future__ import annotations

from typing import Any

from import_helpers import upload
from platform_helpers import Api, assert_civis_error, unique
from sandbox_helpers import wait

from civis_platform.services.template_library import IMPORT_FROM_URL

CSV = b"id,name,score\n1,ann,0.5\n2,bob,0.25\n3,cy,1.0\n"


def _import_template(api: Api) -> dict[str, Any]:
    listed = api.get("templates/scripts", params={"limit": 1000}).json()
    [found] = [t for t in listed if t["name"] == "Import from URL"]
    return found


def test_every_user_sees_the_library_and_its_alias(new_user: Any) -> None:
    _user, api = new_user()
    template = _import_template(api)
    assert (template["id"], template["techReviewed"], template["category"]) == (
        IMPORT_FROM_URL.id,
        True,
        "import",
    )
    shown = api.get(f"templates/scripts/{template['id']}").json()
    assert [p["name"] for p in shown["params"]] == [
        "URL",
        "TABLE_NAME",
        "IF_EXISTS",
        "DATABASE_NAME",
    ]
    assert shown["myPermissionLevel"] == "read"
    aliases = api.get("aliases", params={"object_type": "template_script"}).json()
    [alias] = [a for a in aliases if a["alias"] == "civis-import-from-url"]
    assert (alias["objectType"], alias["objectId"]) == ("template_script", IMPORT_FROM_URL.id)
    # Users cannot change the library; they may read its backing script, not change it.
    assert_civis_error(api.patch(f"templates/scripts/{template['id']}", json={"name": "x"}), 403)
    backing = f"scripts/containers/{template['scriptId']}"
    assert "import_url" in api.get(backing).json()["dockerCommand"]
    assert_civis_error(api.patch(backing, json={"dockerCommand": "id"}), 404)
    assert_civis_error(api.post(f"{backing}/runs"), 404)


def _run_import(api: Api, **arguments: Any) -> tuple[int, int, dict[str, Any]]:
    made = api.post(
        "scripts/custom",
        json={
            "name": "Import predictions",
            "fromTemplateId": IMPORT_FROM_URL.id,
            "arguments": arguments,
        },
    )
    assert made.status_code == 201, made.text
    custom = made.json()["id"]
    run_id = api.post(f"scripts/custom/{custom}/runs").json()["id"]
    return custom, run_id, wait(api, custom, run_id, timeout=120)


def test_import_from_url_loads_a_platform_file_into_a_table(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, CSV, name="predictions.csv")
    url = api.get(f"files/{file_id}").json()["fileUrl"]
    table = f"scratch.{unique('predictions')}"
    custom, run_id, done = _run_import(
        api, URL=url, TABLE_NAME=table, IF_EXISTS="drop", DATABASE_NAME="Civis Database"
    )
    assert done["state"] == "succeeded", done
    [output] = api.get(f"scripts/custom/{custom}/runs/{run_id}/outputs").json()
    assert output["objectType"] == "Table"
    shown = api.get(f"tables/{output['objectId']}").json()
    assert (shown["schema"], shown["name"], shown["rowCount"]) == (*table.split("."), 3)
    assert [c["name"] for c in shown["columns"]] == ["id", "name", "score"]
    # IF_EXISTS=fail refuses the now existing table, and the error says why.
    _custom, _run, again = _run_import(api, URL=url, TABLE_NAME=table)
    assert again["state"] == "failed" and "Import from URL failed" in again["error"], again


def test_import_from_url_refuses_bad_arguments_clearly(new_user: Any) -> None:
    _user, api = new_user()
    _custom, _run, done = _run_import(api, URL="ftp://x/y.csv", TABLE_NAME="scratch.t")
    assert done["state"] == "failed"
    assert done["error"].endswith("Import from URL failed: URL must be an http or https URL.")
    _custom, _run, done = _run_import(api, TABLE_NAME="scratch.t")
    assert done["state"] == "failed" and "URL" in done["error"] and "required" in done["error"]
