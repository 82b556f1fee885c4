"""Custom and Python scripts through a real server, on the local sandbox and on the
Dask executor: a template's backing script run with a custom script's arguments, and
the library's "Import from URL" loading a platform file into a table."""

from __future__ import annotations

from typing import Any

import pytest
from import_helpers import upload
from platform_helpers import Api, unique
from sandbox_helpers import messages, wait

from civis_platform.services.template_library import IMPORT_FROM_URL
from civis_platform.testing import ThreadedServer


@pytest.fixture(scope="module")
def server(executor_server: ThreadedServer) -> ThreadedServer:
    """Every test here runs on the local sandbox and on the Dask executor."""
    return executor_server


def _custom(api: Api, template: int, arguments: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    made = api.post("scripts/custom", json={"fromTemplateId": template, "arguments": arguments})
    assert made.status_code == 201, made.text
    custom = made.json()["id"]
    run_id = api.post(f"scripts/custom/{custom}/runs").json()["id"]
    return custom, wait(api, custom, run_id, timeout=120)


def test_a_python_template_runs_with_the_custom_scripts_arguments(new_user: Any) -> None:
    _user, api = new_user()
    source = (
        "import os\nprint(os.environ['WHO'], os.environ['TIMES'], os.environ['CIVIS_JOB_ID'])\n"
    )
    script = api.post(
        "scripts/python3",
        json={
            "name": "greeter",
            "source": source,
            "params": [
                {"name": "WHO", "type": "string", "required": True},
                {"name": "TIMES", "type": "integer", "default": 2},
            ],
        },
    ).json()
    template = api.post(
        "templates/scripts", json={"scriptId": script["id"], "name": "Py greeter"}
    ).json()
    custom, done = _custom(api, template["id"], {"WHO": "dask"})
    assert done["state"] == "succeeded", done
    assert messages(api, custom, done["id"]) == [f"dask 2 {custom}"]


def test_import_from_url_loads_a_platform_file(new_user: Any) -> None:
    _user, api = new_user()
    file_id = upload(api, b"a,b\n1,x\n2,y\n", name="ab.csv")
    url = api.get(f"files/{file_id}").json()["fileUrl"]
    table = f"scratch.{unique('ab')}"
    custom, done = _custom(
        api, IMPORT_FROM_URL.id, {"URL": url, "TABLE_NAME": table, "IF_EXISTS": "drop"}
    )
    assert done["state"] == "succeeded", (done, messages(api, custom, done["id"]))
    [output] = api.get(f"scripts/custom/{custom}/runs/{done['id']}/outputs").json()
    shown = api.get(f"tables/{output['objectId']}").json()
    assert (shown["name"], shown["rowCount"]) == (table.split(".")[1], 2)
