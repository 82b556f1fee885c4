"""``/scripts/containers`` over loopback, and the official client's container calls."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from typing import Any

from platform_helpers import Api, assert_civis_error

import support
from civis_platform.testing import ThreadedServer

RESOURCES = {"cpu": 256, "memory": 512}


def _create(api: Api, command: str, **extra: Any) -> dict[str, Any]:
    body = {
        "name": "script",
        "required_resources": RESOURCES,
        "docker_image_name": "civisanalytics/datascience-python",
        "docker_command": command,
        **extra,
    }
    response = api.post("scripts/containers", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _finish(api: Api, script: int, run: int, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(f"scripts/containers/{script}/runs/{run}").json()
        if body["state"] not in ("queued", "running"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.02)


def test_create_show_and_run(new_user: Any) -> None:
    _user, api = new_user()
    script = _create(api, "echo $GREETING", arguments={"GREETING": "hi"})
    assert script["type"] == "JobTypes::ContainerDocker" and script["state"] == "idle"
    assert script["requiredResources"] == RESOURCES and script["arguments"] == {"GREETING": "hi"}
    assert api.get(f"scripts/containers/{script['id']}").json()["dockerCommand"] == "echo $GREETING"
    started = api.post(f"scripts/containers/{script['id']}/runs")
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["containerId"], run["state"], run["isCancelRequested"]) == (
        script["id"],
        "queued",
        False,
    )
    done = _finish(api, script["id"], run["id"])
    assert done["state"] == "succeeded"
    logs = api.get(f"scripts/containers/{script['id']}/runs/{run['id']}/logs").json()
    assert [entry["message"] for entry in logs] == ["hi"]
    assert api.get(f"jobs/{script['id']}/runs/{run['id']}").json()["state"] == "succeeded"
    listed = api.get(f"scripts/containers/{script['id']}/runs").json()
    assert [r["id"] for r in listed] == [run["id"]]


def test_required_resources_is_required(new_user: Any) -> None:
    _user, api = new_user()
    assert_civis_error(api.post("scripts/containers", json={"name": "x"}), 400)


def test_a_run_registers_its_own_output(new_user: Any) -> None:
    _user, api = new_user()
    command = (
        'python3 -c "import os, json, base64, urllib.request as u; '
        "url = os.environ['CIVIS_API_ENDPOINT'] + 'scripts/containers/' + "
        "os.environ['CIVIS_JOB_ID'] + '/runs/' + os.environ['CIVIS_RUN_ID'] + '/outputs'; "
        "auth = base64.b64encode((os.environ['CIVIS_API_KEY'] + ':').encode()).decode(); "
        "r = u.Request(url, data=json.dumps({'object_type': 'File', 'object_id': 42}).encode(), "
        "headers={'Authorization': 'Basic ' + auth, 'Content-Type': 'application/json'}); "
        'print(u.urlopen(r).status)"'
    )
    uploaded = api.post("files", json={"name": "model_info.json"})
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    script = _create(api, command.replace("42", str(file_id)))
    run = api.post(f"scripts/containers/{script['id']}/runs").json()
    assert _finish(api, script["id"], run["id"])["state"] == "succeeded"
    outputs = api.get(f"scripts/containers/{script['id']}/runs/{run['id']}/outputs").json()
    assert [(o["objectType"], o["objectId"], o["name"]) for o in outputs] == [
        ("File", file_id, "model_info.json")
    ]


def test_cancel_shows_is_cancel_requested(new_user: Any) -> None:
    _user, api = new_user()
    script = _create(api, "sleep 60")
    run = api.post(f"scripts/containers/{script['id']}/runs").json()
    assert api.delete(f"scripts/containers/{script['id']}/runs/{run['id']}").status_code == 202
    shown = api.get(f"scripts/containers/{script['id']}/runs/{run['id']}").json()
    assert (shown["state"], shown["isCancelRequested"]) == ("cancelled", True)


def test_other_users_and_other_job_types_are_404(new_user: Any) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    script = _create(api, "true")
    assert_civis_error(other_api.get(f"scripts/containers/{script['id']}"), 404)
    assert_civis_error(other_api.post(f"scripts/containers/{script['id']}/runs"), 404)
    assert_civis_error(api.get("scripts/containers/999999"), 404)


def test_official_client_runs_a_container_script(server: ThreadedServer, new_user: Any) -> None:
    user, _api = new_user()
    code = textwrap.dedent(
        """
        import json, civis
        client = civis.APIClient()
        script = client.scripts.post_containers(
            required_resources={"cpu": 256, "memory": 512},
            name="official",
            docker_command="echo one; echo two; echo oops >&2; exit 2",
            docker_image_name="civisanalytics/datascience-python",
        )
        future = civis.utils.run_job(script.id, client=client, polling_interval=0.05)
        try:
            future.result()
            error = None
        except civis.base.CivisJobFailure as exc:
            error = str(exc)
        logs = [log["message"] for log in civis.utils.job_logs(script.id, client=client)]
        ok = client.scripts.post_containers(
            required_resources={"cpu": 256, "memory": 512},
            docker_command="echo fine",
            docker_image_name="x",
        )
        run = client.jobs.post_runs(ok.id)
        container = civis.futures.ContainerFuture(ok.id, run.id, client=client,
                                                  polling_interval=0.05)
        state = container.result().state
        print(json.dumps({"error": error, "logs": sorted(logs), "state": state}))
        """
    )
    env = {"CIVIS_API_KEY": user.api_key, "CIVIS_API_ENDPOINT": server.base_url, "PATH": "/usr/bin"}
    done = subprocess.run(
        [str(support.official_python()), "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Process exited with status 2: oops" in result["error"]
    assert result["logs"] == sorted(["one", "two", "oops", "Process exited with status 2: oops"])
    assert result["state"] == "succeeded"


def test_post_scripts_cancel(new_user: Any) -> None:
    _user, api = new_user()
    script = _create(api, "sleep 60")
    assert_civis_error(api.post(f"scripts/{script['id']}/cancel"), 404)  # never ran
    run = api.post(f"scripts/containers/{script['id']}/runs").json()
    answer = api.post(f"scripts/{script['id']}/cancel")
    assert answer.status_code == 202
    assert answer.json() == {"id": script["id"], "state": "cancelled", "isCancelRequested": True}
    assert _finish(api, script["id"], run["id"])["state"] == "cancelled"
    assert_civis_error(api.post(f"scripts/{script['id']}/cancel"), 404)


def test_official_futures_cancel(server: ThreadedServer, new_user: Any) -> None:
    user, _api = new_user()
    code = textwrap.dedent(
        """
        import json, time, warnings, civis
        warnings.simplefilter("ignore")
        client = civis.APIClient()
        s = client.scripts.post_containers(
            required_resources={"cpu": 1}, docker_command="sleep 60", docker_image_name="x"
        )
        future = civis.utils.run_job(s.id, client=client, polling_interval=0.05)
        out = {"future": [future.cancel(), future.cancelled()]}
        out["state"] = client.jobs.get_runs(s.id, future.run_id).state
        run = client.jobs.post_runs(s.id)
        container = civis.futures.ContainerFuture(s.id, run.id, client=client,
                                                  polling_interval=0.05)
        out["container"] = [container.cancel(), container.cancelled()]
        out["state2"] = client.jobs.get_runs(s.id, run.id).state
        print(json.dumps(out))
        """
    )
    env = {"CIVIS_API_KEY": user.api_key, "CIVIS_API_ENDPOINT": server.base_url, "PATH": "/usr/bin"}
    done = subprocess.run(
        [str(support.official_python()), "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "future": [True, True],
        "state": "cancelled",
        "container": [True, True],
        "state2": "cancelled",
    }


def test_put_patch_clone_and_archive(new_user: Any) -> None:
    _user, api = new_user()
    script = _create(api, "echo one", arguments={"A": "1"})
    path = f"scripts/containers/{script['id']}"
    patched = api.patch(path, json={"dockerCommand": "echo two"}).json()
    assert (patched["dockerCommand"], patched["arguments"]) == ("echo two", {"A": "1"})
    assert_civis_error(api.put(path, json={"dockerCommand": "echo three"}), 400)
    replaced = api.put(path, json={"requiredResources": RESOURCES, "dockerCommand": "echo 3"})
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["dockerCommand"], replaced.json()["arguments"]) == ("echo 3", {})
    assert_civis_error(api.patch(path, json={"params": [{"name": "X", "type": "?"}]}), 400)
    assert_civis_error(api.patch(path, json={"requiredResources": "big"}), 400)
    clone = api.post(f"{path}/clone")
    assert clone.status_code == 201, clone.text
    assert (clone.json()["name"], clone.json()["dockerCommand"]) == ("Clone of script", "echo 3")
    archived = api.put(f"{path}/archive", json={"status": True}).json()
    assert archived["archived"] == "true"
    assert script["id"] not in [s["id"] for s in api.get("scripts").json()]
    assert api.delete(f"scripts/containers/{clone.json()['id']}").status_code == 204


def test_shares_projects_and_transfer(new_user: Any) -> None:
    _user, api = new_user()
    other, other_api = new_user()
    script = _create(api, "echo shared")
    path = f"scripts/containers/{script['id']}"
    assert_civis_error(other_api.get(path), 404)
    shared = api.put(
        f"{path}/shares/users", json={"userIds": [other.id], "permissionLevel": "read"}
    )
    assert shared.status_code == 200, shared.text
    assert other_api.get(path).json()["myPermissionLevel"] == "read"
    assert_civis_error(other_api.patch(path, json={"dockerCommand": "rm -rf /"}), 403)
    assert_civis_error(other_api.post(f"{path}/runs"), 403)
    project = api.post("projects", json={"name": "p", "description": "d"}).json()["id"]
    assert api.put(f"{path}/projects/{project}").status_code == 204
    assert [p["id"] for p in api.get(f"{path}/projects").json()] == [project]
    moved = api.put(f"{path}/transfer", json={"userId": other.id, "includeDependencies": False})
    assert moved.status_code == 200, moved.text
    assert other_api.get(path).json()["author"]["id"] == other.id


def test_parent_ids_and_param_values_reach_the_environment(new_user: Any) -> None:
    _user, api = new_user()
    # What civis.parallel's container backend sends: params carrying a ``value``.
    params = [
        {"name": "CIVIS_PARENT_JOB_ID", "type": "integer", "value": 41},
        {"name": "CIVIS_PARENT_RUN_ID", "type": "integer", "value": 42},
        {"name": "SIZE", "type": "integer", "default": 3},
        {"name": "FLAG", "type": "bool", "default": False},
    ]
    command = 'echo "$CIVIS_PARENT_JOB_ID $CIVIS_PARENT_RUN_ID $SIZE $FLAG $EXTRA"'
    script = _create(api, command, params=params, arguments={"SIZE": 7, "EXTRA": {"a": 1}})
    run = api.post(f"scripts/containers/{script['id']}/runs").json()
    assert _finish(api, script["id"], run["id"])["state"] == "succeeded"
    logs = api.get(f"scripts/containers/{script['id']}/runs/{run['id']}/logs").json()
    assert [entry["message"] for entry in logs] == ['41 42 7 false {"a": 1}']


def test_generic_script_routes_cover_every_type(new_user: Any) -> None:
    _user, api = new_user()
    _other, other_api = new_user()
    script = _create(api, "sleep 60")
    shown = api.get(f"scripts/{script['id']}").json()
    assert (shown["type"], shown["links"]["details"]) == (
        "JobTypes::ContainerDocker",
        f"scripts/containers/{script['id']}",
    )
    assert_civis_error(other_api.get(f"scripts/{script['id']}"), 404)
    assert_civis_error(api.post(f"scripts/{script['id']}/cancel"), 404)  # nothing running
    run = api.post(f"scripts/containers/{script['id']}/runs").json()
    assert_civis_error(other_api.post(f"scripts/{script['id']}/cancel"), 404)
    cancelled = api.post(f"scripts/{script['id']}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["state"] == "cancelled"
    assert _finish(api, script["id"], run["id"])["state"] == "cancelled"
    assert api.delete(f"scripts/{script['id']}").status_code == 204
    assert api.get(f"scripts/containers/{script['id']}").json()["archived"] == "true"
