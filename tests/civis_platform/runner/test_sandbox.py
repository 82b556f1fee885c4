"""The sandbox's promises, each tried from inside a real sandboxed run against a real
server: the job attempts what a hostile user would, and fails.

The server runs as root on CI, so these runs get their own unprivileged uids; the same
tests pass as any user (then the run is the server's user in a user namespace).
"""

from __future__ import annotations

import base64
import io
import os
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from platform_helpers import Api, make_settings
from sandbox_helpers import (
    create_container,
    messages,
    processes_with,
    run,
    start,
    wait,
    wait_running,
)

from civis_platform.runner.host import Cancellation, ProgramError
from civis_platform.runner.runspec import Launch, RunSpec
from civis_platform.testing import ThreadedServer

SECRET_ENV = "CIVIS_PLATFORM_TEST_SERVER_SECRET"


@pytest.fixture(scope="module")
def server(engine_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A server whose process carries a secret in its environment (the runs must not)."""
    os.environ[SECRET_ENV] = "do-not-leak"
    home = tmp_path_factory.mktemp("home")
    try:
        with ThreadedServer(make_settings(home, engine_url)) as running:
            yield running
    finally:
        os.environ.pop(SECRET_ENV, None)


def _ok(api: Api, command: str, **fields: Any) -> list[str]:
    job, final = run(api, command, **fields)
    lines = messages(api, job, final["id"])
    assert final["state"] == "succeeded", (final, lines)
    return lines


def test_the_platform_home_is_invisible(server: ThreadedServer, new_user: Any) -> None:
    _, api = new_user()
    home = Path(server.settings.home)
    assert (home / "signing.key").exists() and (home / "warehouse.duckdb").exists()
    lines = _ok(
        api,
        f"ls {home} 2>&1; cat {home}/signing.key 2>&1; "
        "find / -xdev \\( -name metadata.sqlite -o -name signing.key -o -name '*.duckdb' \\) "
        "2>/dev/null | head; echo done",
    )
    assert lines[0].endswith("No such file or directory")
    assert lines[1].endswith("No such file or directory")
    assert lines[2:] == ["done"]  # found nothing anywhere


def test_the_platform_environment_cannot_be_changed(new_user: Any) -> None:
    _, api = new_user()
    server_prefix = sys.prefix
    lines = _ok(
        api,
        "touch /opt/civis/platform/civis/x 2>&1; touch /opt/civis/image/bin/x 2>&1; "
        f"ls {server_prefix} 2>&1; touch /usr/x 2>&1; echo done",
    )
    assert all("Read-only file system" in line for line in (lines[0], lines[1], lines[3]))
    assert lines[2].endswith("No such file or directory")  # the server's venv is not there


def _wheel() -> str:
    """A tiny wheel (package ``sandboxdemo``), base64, for offline ``pip install``."""
    buffer = io.BytesIO()
    info = "sandboxdemo-1.0.dist-info"
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("sandboxdemo/__init__.py", "VALUE = 42\n")
        metadata = "Metadata-Version: 2.1\nName: sandboxdemo\nVersion: 1.0\n"
        wheel.writestr(f"{info}/METADATA", metadata)
        tags = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        wheel.writestr(f"{info}/WHEEL", tags)
        wheel.writestr(f"{info}/RECORD", "")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_pip_install_stays_inside_its_run(new_user: Any) -> None:
    _, api = new_user()
    install = (
        f"echo {_wheel()} | base64 -d > /tmp/sandboxdemo-1.0-py3-none-any.whl && "
        "pip install --no-index --quiet /tmp/sandboxdemo-1.0-py3-none-any.whl 2>&1 | tail -1; "
        "python -c 'import sandboxdemo; print(sandboxdemo.VALUE, sandboxdemo.__file__)'"
    )
    lines = _ok(api, install)
    assert "42 /opt/civis/env/" in lines[-1]
    # The next run starts from the image again; the image itself never changed.
    after = _ok(api, "python -c 'import sandboxdemo' 2>&1 | tail -1")
    assert after[-1].endswith("No module named 'sandboxdemo'")


def test_the_servers_processes_cannot_be_seen_or_signalled(new_user: Any) -> None:
    _, api = new_user()
    lines = _ok(
        api,
        f"kill -0 {os.getpid()} 2>&1; kill -9 1 2>&1; ls /proc | grep -c '^[0-9]'; echo done",
    )
    assert "No such process" in lines[0]
    assert "Operation not permitted" in lines[1]  # the sandbox's init is not the run's
    assert int(lines[2]) < 10  # only the run's own few processes


def test_another_users_concurrent_run_cannot_be_read(server: ThreadedServer, new_user: Any) -> None:
    _, alice = new_user()
    _, mallory = new_user()
    token = f"alice-secret-{uuid.uuid4().hex}"
    command = f"echo {token} > /work/secret; echo $CIVIS_API_KEY > /tmp/key; echo ready; "
    job = create_container(alice, command + f"sleep 60 # {token}")
    run_id = start(alice, job)
    wait_running(alice, job, run_id)
    sandboxes = server.settings.resolved_sandboxes_dir()
    lines = _ok(
        mallory,
        f"grep -rs {token} /proc/*/cmdline /work /tmp 2>/dev/null | head -3; "
        f"ls {sandboxes} 2>&1; "
        "cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep CIVIS_API_KEY | sort -u "
        '| grep -vc "^CIVIS_API_KEY=$CIVIS_API_KEY$"; '
        "find / -xdev -name secret 2>/dev/null | head -3; echo done",
    )
    assert lines[0].endswith("No such file or directory")  # no sandbox folders to look at
    assert lines[1:] == ["0", "done"]  # no key but her own; no token, no secret file
    assert alice.delete(f"scripts/containers/{job}/runs/{run_id}").status_code == 202


def test_the_environment_carries_no_server_settings(new_user: Any) -> None:
    _, api = new_user()
    names = {line.split("=", 1)[0] for line in _ok(api, "env")}
    assert SECRET_ENV not in names
    assert not any(n.startswith(("CIVIS_PLATFORM_", "PG", "AWS_")) for n in names)
    assert names >= {"CIVIS_API_KEY", "CIVIS_API_ENDPOINT", "CIVIS_JOB_ID", "CIVIS_RUN_ID"}
    assert names <= {
        "CIVIS_API_KEY",
        "CIVIS_API_ENDPOINT",
        "CIVIS_JOB_ID",
        "CIVIS_RUN_ID",
        "PATH",
        "HOME",
        "LANG",
        "VIRTUAL_ENV",
        "PWD",
        "SHLVL",
        "_",
        "OLDPWD",
    }


def test_the_network_reaches_the_api_and_nothing_else(new_user: Any) -> None:
    _, api = new_user()
    probe = (
        "import os, socket\n"
        "for port in (5432, 6379):\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', port), timeout=2); print(port, 'open')\n"
        "    except OSError as e: print(port, 'refused')\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=2); print('internet open')\n"
        "except OSError: print('internet unreachable')\n"
        "import civis; print('api', civis.APIClient().users.get_me().id > 0)\n"
    )
    lines = _ok(api, f"cat > /work/probe.py <<'EOF'\n{probe}EOF\npython /work/probe.py")
    assert lines == ["5432 refused", "6379 refused", "internet unreachable", "api True"]


def test_the_memory_limit_kills_an_over_allocating_run(new_user: Any) -> None:
    _, api = new_user()
    job, final = run(
        api,
        "python -c 'blocks = [bytearray(64 * 2**20) for _ in range(16)]; print(\"survived\")'",
        requiredResources={"cpu": 250, "memory": 200},
    )
    assert final["state"] == "failed"
    assert "memory" in final["error"] and "200 MiB" in final["error"], final["error"]
    assert "survived" not in messages(api, job, final["id"])


def test_the_runs_key_expires_and_stops_working_when_the_run_ends(
    server: ThreadedServer, new_user: Any
) -> None:
    _, api = new_user()
    lines = _ok(
        api,
        'echo $CIVIS_API_KEY; python -c "import civis; '
        "c = civis.APIClient(); keys = c.users.list_api_keys(c.users.get_me().id); "
        "print([k.expires_at for k in keys if k.name.startswith('run ')])\"",
    )
    key, expiries = lines[0], lines[1]
    assert "None" not in expiries and "20" in expiries  # the run's key has an expiry
    assert Api(server.base_url, key).get("users/me").status_code == 401


def test_without_bubblewrap_users_code_is_refused_with_how_to_install(
    server: ThreadedServer,
) -> None:
    from civis_platform.engine import sandbox_settings
    from civis_platform.runner.sandbox import LocalSandbox

    sandbox = LocalSandbox(sandbox_settings(server.app.state.platform))
    sandbox.bwrap = None  # as on a machine without the package

    class Host:
        cancellation = Cancellation()
        spec = RunSpec(run_id=1, job_id=1, owner_id=1, job_type="container")

        def log(self, *_: Any) -> None:
            raise AssertionError("nothing may run")

    launch = Launch(1, 1, 1, ["true"], {}, "civisanalytics/datascience-python")
    with pytest.raises(ProgramError, match="apt-get install -y bubblewrap"):
        sandbox.run(launch, Host())  # type: ignore[arg-type]


def test_cancel_during_start_leaves_nothing(new_user: Any) -> None:
    _, api = new_user()
    token = f"early-{uuid.uuid4().hex}"
    job = create_container(api, f"sleep 30 # {token}")
    run_id = start(api, job)
    api.delete(f"scripts/containers/{job}/runs/{run_id}")
    assert wait(api, job, run_id)["state"] == "cancelled"
    deadline = time.monotonic() + 10
    while processes_with(token):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _own_server(tmp_path: Path, **settings: Any) -> ThreadedServer:
    return ThreadedServer(make_settings(tmp_path / "home", None, **settings))


def test_the_time_limit_stops_a_run(tmp_path: Path) -> None:
    with _own_server(tmp_path, runner_time_limit_seconds=2) as server:
        user = server.create_user("timed")
        api = Api(server.base_url, user.api_key)
        token = f"slow-{uuid.uuid4().hex}"
        begun = time.monotonic()
        _, final = run(api, f"echo started; sleep 60 # {token}")
        assert time.monotonic() - begun < 30
        assert final["state"] == "failed"
        assert final["error"] == "The run exceeded its time limit of 2 s and was stopped."
        assert not processes_with(token)


def test_unsandboxed_runs_say_so_in_their_logs(tmp_path: Path) -> None:
    from civis_platform.runner.sandbox import UNSANDBOXED_WARNING

    with _own_server(tmp_path, sandbox="none") as server:
        user = server.create_user("trusted")
        api = Api(server.base_url, user.api_key)
        job, final = run(api, f"ls {server.settings.home} | grep -c signing.key")
        assert final["state"] == "succeeded"
        lines = messages(api, job, final["id"])
        assert lines[0] == UNSANDBOXED_WARNING
        assert lines[-1] == "1"  # a plain process sees the home: that is what none means


def test_a_deep_run_folder_keeps_its_api_socket_in_a_short_folder(tmp_path: Path) -> None:
    from civis_platform.runner.sandbox import MAX_SOCKET_PATH, api_socket

    shallow = tmp_path / "r"
    assert api_socket(shallow) == shallow / "api.sock"
    deep = tmp_path / ("d" * 120)
    socket, again = api_socket(deep), api_socket(deep)
    try:
        assert len(str(socket)) <= MAX_SOCKET_PATH and socket.name == "api.sock"
        assert socket.parent.is_dir() and socket.parent.stat().st_mode & 0o777 == 0o700
        assert again != socket  # each run its own folder
    finally:
        import shutil

        shutil.rmtree(socket.parent)
        shutil.rmtree(again.parent)
