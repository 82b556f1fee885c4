"""``/scripts/python3`` over loopback: source run by the image's Python in a sandbox,
params and arguments as environment variables, outputs and failures."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from platform_helpers import Api, assert_civis_error

SOURCE = textwrap.dedent(
    """
    import os, sys
    print(sys.version_info[:2] >= (3, 8), os.environ["N"], os.environ["GREETING"])
    print("key" if os.environ["CIVIS_API_KEY"] else "none", os.environ["CIVIS_JOB_ID"])
    """
)


def _create(api: Api, source: str, **fields: Any) -> dict[str, Any]:
    made = api.post("scripts/python3", json={"name": "py", "source": source, **fields})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _run(api: Api, script: int) -> tuple[int, dict[str, Any]]:
    started = api.post(f"scripts/python3/{script}/runs")
    assert started.status_code == 202, started.text
    assert started.json()["pythonId"] == script
    run_id = started.json()["id"]
    return run_id, wait_python(api, script, run_id)


def wait_python(api: Api, script: int, run_id: int) -> dict[str, Any]:
    # The run is a job run too: the container helper polls /jobs-compatible paths.
    import time

    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = api.get(f"scripts/python3/{script}/runs/{run_id}").json()
        if body["state"] not in ("queued", "running"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.02)


def _logs(api: Api, script: int, run_id: int) -> list[str]:
    logs = api.get(f"scripts/python3/{script}/runs/{run_id}/logs").json()
    return [entry["message"] for entry in sorted(logs, key=lambda e: e["id"])]


def test_source_runs_with_params_and_arguments(new_user: Any) -> None:
    _user, api = new_user()
    script = _create(
        api,
        SOURCE,
        params=[
            {"name": "N", "type": "integer", "default": 3},
            {"name": "GREETING", "type": "string", "default": "hello"},
        ],
        arguments={"GREETING": "hi"},
    )
    assert (script["type"], script["source"]) == ("JobTypes::PythonDocker", SOURCE)
    run_id, done = _run(api, script["id"])
    assert done["state"] == "succeeded", done
    assert _logs(api, script["id"], run_id) == ["True 3 hi", f"key {script['id']}"]
    assert api.get(f"scripts/{script['id']}").json()["type"] == "JobTypes::PythonDocker"
    listed = api.get("scripts", params={"type": "python3"}).json()
    assert [s["id"] for s in listed] == [script["id"]]


def test_a_failure_names_the_status_and_the_last_error_line(new_user: Any) -> None:
    _user, api = new_user()
    script = _create(api, "import sys\nprint('working')\nraise ValueError('bad input row 7')\n")
    _run_id, done = _run(api, script["id"])
    assert done["state"] == "failed"
    assert done["error"] == "Process exited with status 1: ValueError: bad input row 7"


def test_credential_and_database_params_reach_the_program(new_user: Any) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    made = api.post(
        "credentials",
        json={"type": "Custom", "username": "svc", "password": "s3cret", "name": "c"},
    )
    credential = made.json()["id"]
    source = (
        "import os, json\n"
        "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith(('CRED', 'DB'))},"
        " sort_keys=True))\n"
    )
    params = [
        {"name": "CRED", "type": "credential_custom", "required": True},
        {"name": "DB", "type": "database"},
    ]
    script = _create(
        api,
        source,
        params=params,
        arguments={"CRED": credential, "DB": {"database": 7, "credential": credential}},
    )
    run_id, done = _run(api, script["id"])
    assert done["state"] == "succeeded", done
    assert json.loads(_logs(api, script["id"], run_id)[0]) == {
        "CRED_ID": str(credential),
        "CRED_USERNAME": "svc",
        "CRED_PASSWORD": "s3cret",
        "DB_DATABASE": "7",
        "DB_CREDENTIAL_ID": str(credential),
        "DB_USERNAME": "svc",
        "DB_PASSWORD": "s3cret",
    }
    # Another user cannot read someone else's secret through a parameter.
    theirs = _create(other_api, source, params=params, arguments={"CRED": credential})
    _run_id, done = _run(other_api, theirs["id"])
    assert done["state"] == "failed" and "CRED" in done["error"], done


def test_edits_clone_and_bad_input(new_user: Any) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    script = _create(api, "print(1)")
    path = f"scripts/python3/{script['id']}"
    assert api.patch(path, json={"source": "print(2)"}).json()["source"] == "print(2)"
    replaced = api.put(path, json={"name": "again", "source": "print(3)"}).json()
    assert (replaced["name"], replaced["source"]) == ("again", "print(3)")
    clone = api.post(f"{path}/clone")
    assert clone.status_code == 201 and clone.json()["name"] == "Clone of again"
    assert_civis_error(api.post("scripts/python3", json={"name": "x"}), 400)
    assert_civis_error(
        api.post(
            "scripts/python3",
            json={"name": "x", "source": "1", "params": [{"name": "A", "type": "nope"}]},
        ),
        400,
    )
    assert_civis_error(other_api.get(path), 404)
    assert_civis_error(other_api.post(f"{path}/runs"), 404)
    assert api.put(f"{path}/archive", json={"status": True}).json()["archived"] == "true"
