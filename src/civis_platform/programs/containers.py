"""Container scripts, run as local processes (no Docker: the image name is recorded,
the command runs here).

``docker_command`` runs under ``bash -c`` in a fresh temporary working directory, in
its own process group, with ``CIVIS_JOB_ID``, ``CIVIS_RUN_ID``, ``CIVIS_API_ENDPOINT``,
a per-run ``CIVIS_API_KEY`` of the job's owner (revoked when the run ends) and every
argument as an environment variable. Output lines become run logs as they come. Exit
status 0 succeeds; any other fails with "Process exited with status N" and the last
stderr line; cancellation kills the process group.

Examples:
    >>> argument_env({"N": 3, "NAME": "x", "FLAGS": [1, 2], "SKIP": None})
    {'N': '3', 'NAME': 'x', 'FLAGS': '[1, 2]'}
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from typing import IO, Any

from civis_platform.runner.base import ProgramError, RunContext, register
from civis_platform.services.auth import mint_key
from civis_platform.services.users import revoke_key_row

KEY = "container"
CIVIS_TYPE = "JobTypes::ContainerDocker"
KILL_GRACE_SECONDS = 2.0
BASE_ENV_NAMES = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")


def argument_env(arguments: Mapping[str, Any]) -> dict[str, str]:
    """Arguments as environment variables: strings as is, other values as JSON."""
    env: dict[str, str] = {}
    for name, value in arguments.items():
        if value is None:
            continue
        env[str(name)] = value if isinstance(value, str) else json.dumps(value)
    return env


def platform_path(inherited: str | None) -> str:
    """PATH for a script: the platform's own environment first, then the inherited PATH.

    The local stand-in for a container image: ``python`` and ``civis`` in a command are
    the interpreter and client the platform runs with, even when the server was started
    without activating its virtual environment.

    Examples:
        >>> platform_path("/usr/bin").endswith(os.pathsep + "/usr/bin")
        True
    """
    own = os.path.dirname(sys.executable)
    rest = [p for p in (inherited or "").split(os.pathsep) if p and p != own]
    return os.pathsep.join([own, *rest])


def _defaults(params: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in params if isinstance(params, list) else []:
        if isinstance(param, dict) and param.get("name") and param.get("default") is not None:
            values[str(param["name"])] = param["default"]
    return values


def _pump(stream: IO[str], run: RunContext, last: list[str]) -> None:
    for line in stream:
        text = line.rstrip("\n")
        if last is not None and text.strip():
            last[:] = [text]
        run.log(text, "info")


@register(KEY, civis_type=CIVIS_TYPE)
def run_container(run: RunContext) -> None:
    """Run the job's ``docker_command`` locally (see the module docstring)."""
    command = str(run.config.get("docker_command") or "")
    if not command.strip():
        raise ProgramError("The container script has no docker_command to run.")
    arguments = {**_defaults(run.config.get("params")), **(run.config.get("arguments") or {})}
    with run.store.transaction() as conn:
        key = mint_key(conn, user_id=run.owner_id, name=f"run {run.run_id}", expires_in=None)
    env = {name: os.environ[name] for name in BASE_ENV_NAMES if name in os.environ}
    env["PATH"] = platform_path(env.get("PATH"))
    env.update(argument_env(arguments))
    env.update(
        {
            "CIVIS_JOB_ID": str(run.job_id),
            "CIVIS_RUN_ID": str(run.run_id),
            "CIVIS_API_ENDPOINT": run.settings.resolved_external_url(),
            "CIVIS_API_KEY": key.token,
        }
    )
    try:
        with tempfile.TemporaryDirectory(prefix=f"civis-run-{run.run_id}-") as workdir:
            _execute(run, command, env, workdir)
    finally:
        with run.store.transaction() as conn:
            revoke_key_row(conn, user_id=None, key_id=key.id)
        verifier = getattr(run.services, "verifier", None)
        if verifier is not None:
            verifier.evict_key(key.id)


def _execute(run: RunContext, command: str, env: dict[str, str], workdir: str) -> None:
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    last_stderr: list[str] = []
    assert process.stdout is not None and process.stderr is not None
    pumps = [
        threading.Thread(target=_pump, args=(process.stdout, run, []), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, run, last_stderr), daemon=True),
    ]
    for pump in pumps:
        pump.start()
    while process.poll() is None:
        if run.cancelled.wait(0.02):
            _kill(process)
            break
    for pump in pumps:
        pump.join(timeout=KILL_GRACE_SECONDS)
    if run.is_cancel_requested():
        return
    status = process.wait()
    if status != 0:
        detail = f": {last_stderr[0]}" if last_stderr else ""
        raise ProgramError(f"Process exited with status {status}{detail}")


def _kill(process: subprocess.Popen[str]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
