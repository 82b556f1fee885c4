"""Container scripts: users' own commands, run in a sandbox on the job's runtime image.

`prepare_container` runs on the worker: it turns the script's configuration into a
`Launch` (``docker_command`` under ``bash -c``, the image named by
``docker_image_name``/``docker_image_tag``, the limits of ``required_resources``) with
exactly these environment variables: every argument (defaults from ``params``),
``CIVIS_JOB_ID``, ``CIVIS_RUN_ID``, and a ``CIVIS_API_KEY`` of the job's owner for this
run only (it expires with the run's time limit and is revoked when the run ends). The
sandbox executor adds ``CIVIS_API_ENDPOINT`` (how the run reaches the API) and runs it;
output lines become logs as they come. Exit status 0 succeeds; any other fails with
"Process exited with status N" and the last stderr line.

Examples:
    >>> argument_env({"N": 3, "NAME": "x", "FLAGS": [1, 2], "SKIP": None})
    {'N': '3', 'NAME': 'x', 'FLAGS': '[1, 2]'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from civis_platform.runner.host import Host, ProgramError
from civis_platform.runner.runspec import Launch

DEFAULT_IMAGE = "civisanalytics/datascience-python"


class ContainerConfig(BaseModel):
    """The part of a container script's stored configuration its program reads."""

    model_config = ConfigDict(extra="allow")

    docker_command: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    params: list[dict[str, Any]] | None = None
    arguments: dict[str, Any] | None = None
    required_resources: dict[str, Any] | None = None


def argument_env(arguments: Mapping[str, Any]) -> dict[str, str]:
    """Arguments as environment variables: strings as is, other values as JSON."""
    env: dict[str, str] = {}
    for name, value in arguments.items():
        if value is None:
            continue
        env[str(name)] = value if isinstance(value, str) else json.dumps(value)
    return env


def param_defaults(params: Any) -> dict[str, Any]:
    """The declared defaults of a script's ``params``."""
    values: dict[str, Any] = {}
    for param in params if isinstance(params, list) else []:
        if isinstance(param, dict) and param.get("name") and param.get("default") is not None:
            values[str(param["name"])] = param["default"]
    return values


def run_env(host: Host, arguments: Mapping[str, Any]) -> dict[str, str]:
    """The environment of a run of users' code: its arguments, its ids and its key."""
    return {
        **argument_env(arguments),
        "CIVIS_JOB_ID": str(host.job_id),
        "CIVIS_RUN_ID": str(host.run_id),
        "CIVIS_API_KEY": host.owner.api_key(),
    }


def image_of(config: ContainerConfig) -> str:
    """``name:tag`` of the image a script asks for (the default image when none)."""
    name = config.docker_image_name or DEFAULT_IMAGE
    return f"{name}:{config.docker_image_tag}" if config.docker_image_tag else name


def prepare_container(host: Host) -> Launch:
    """The `Launch` of a container script run (see the module docstring)."""
    config = ContainerConfig.model_validate(host.config)
    command = (config.docker_command or "").strip()
    if not command:
        raise ProgramError("The container script has no docker_command to run.")
    arguments = {**param_defaults(config.params), **(config.arguments or {})}
    return Launch(
        run_id=host.run_id,
        job_id=host.job_id,
        owner_id=host.owner_id,
        argv=["bash", "-c", command],
        env=run_env(host, arguments),
        image=image_of(config),
        limits=host.spec.limits,
    )
