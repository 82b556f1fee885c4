"""Container scripts: users' own commands, run in a sandbox on the job's runtime image.

`prepare_container` runs on the worker: it turns the script's configuration into a
`Launch` (``docker_command`` under ``bash -c``, the image named by
``docker_image_name``/``docker_image_tag``, the limits of ``required_resources``) with
exactly the environment `run_env` gives (`script_env` then the run's ids and key). The
sandbox executor adds ``CIVIS_API_ENDPOINT`` (how the run reaches the API) and runs
it; output lines become logs as they come. Exit status 0 succeeds; any other fails
with "Process exited with status N" and the last stderr line.

How ``params`` and ``arguments`` become environment variables (as Civis does it):

- A parameter's value is its argument, else its ``value`` (what ``civis.parallel``
  sets on ``CIVIS_PARENT_JOB_ID``), else its ``default``; a ``required`` parameter
  without one fails the run before anything starts.
- Plain values are set as ``NAME`` (strings as they are, anything else as JSON).
- A credential parameter (``credential_*``) names a credential the job's owner may
  use: ``NAME_ID``, ``NAME_USERNAME`` and ``NAME_PASSWORD`` (an AWS one also
  ``NAME_ACCESS_KEY_ID`` and ``NAME_SECRET_ACCESS_KEY``).
- A ``database`` parameter (``{"database": id, "credential": id}``) sets
  ``NAME_DATABASE``, and with a credential ``NAME_CREDENTIAL_ID``, ``NAME_USERNAME``
  and ``NAME_PASSWORD``.
- Arguments that no parameter declares are set as plain values too.

Examples:
    >>> argument_env({"N": 3, "NAME": "x", "FLAGS": [1, 2], "SKIP": None})
    {'N': '3', 'NAME': 'x', 'FLAGS': '[1, 2]'}
    >>> param_values([{"name": "A", "default": 1}, {"name": "B", "value": 2}], {"A": 5})
    {'A': 5, 'B': 2}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from civis_platform.errors import DomainError
from civis_platform.runner.host import Host, ProgramError
from civis_platform.runner.runspec import Launch, Limits

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


def env_value(value: Any) -> str:
    """A value as an environment variable: strings as they are, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def argument_env(arguments: Mapping[str, Any]) -> dict[str, str]:
    """Arguments as environment variables: strings as is, other values as JSON."""
    return {str(k): env_value(v) for k, v in arguments.items() if v is not None}


def declared_params(params: Any) -> list[dict[str, Any]]:
    """The well-formed entries of a script's ``params`` (objects with a name)."""
    items = params if isinstance(params, list) else []
    return [p for p in items if isinstance(p, dict) and isinstance(p.get("name"), str)]


def param_values(params: Any, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each value by name: the argument, else the parameter's ``value``, else its
    ``default``; undeclared arguments kept as given (None: no value)."""
    given = dict(arguments or {})
    values: dict[str, Any] = {}
    for param in declared_params(params):
        name = param["name"]
        for candidate in (given.get(name), param.get("value"), param.get("default")):
            if candidate is not None and candidate != "":
                values[name] = candidate
                break
    for name, value in given.items():
        values.setdefault(str(name), value)
    return values


def param_defaults(params: Any) -> dict[str, Any]:
    """The declared defaults of a script's ``params``."""
    return {
        p["name"]: p["default"] for p in declared_params(params) if p.get("default") is not None
    }


def _credential_env(host: Host, name: str, credential_id: Any, field: str) -> dict[str, str]:
    try:
        secret = host.owner.credential(credential_id, field)
    except DomainError as error:
        raise ProgramError(f"Parameter {name}: {error.message}") from None
    env = {f"{name}_USERNAME": secret.username, f"{name}_PASSWORD": secret.password}
    if "aws" in secret.type.lower():
        env |= {
            f"{name}_ACCESS_KEY_ID": secret.username,
            f"{name}_SECRET_ACCESS_KEY": secret.password,
        }
    return env


def script_env(host: Host, params: Any, arguments: Mapping[str, Any] | None) -> dict[str, str]:
    """The environment variables of a script's ``params`` and ``arguments`` (module
    docstring); ProgramError for a required parameter without a value or a credential
    the owner may not use."""
    values = param_values(params, arguments)
    declared = {p["name"]: p for p in declared_params(params)}
    missing = [
        n for n, p in declared.items() if p.get("required") and values.get(n) in (None, "", {})
    ]
    if missing:
        raise ProgramError(
            f"The required parameter{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            "has no value: give it in the script's arguments or a default in its params."
        )
    env: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        kind = str(declared.get(name, {}).get("type") or "")
        if kind.startswith("credential"):
            env[f"{name}_ID"] = env_value(value)
            env |= _credential_env(host, name, value, f"arguments.{name}")
        elif kind == "database" and isinstance(value, dict):
            if value.get("database") is not None:
                env[f"{name}_DATABASE"] = env_value(value["database"])
            if value.get("credential") is not None:
                env[f"{name}_CREDENTIAL_ID"] = env_value(value["credential"])
                env |= _credential_env(host, name, value["credential"], f"arguments.{name}")
        else:
            env[name] = env_value(value)
    return env


def run_env(host: Host, params: Any, arguments: Mapping[str, Any] | None) -> dict[str, str]:
    """The environment of a run of users' code: its params and arguments, its ids, its
    key (the run's ids always win over an argument of the same name)."""
    return {
        **script_env(host, params, arguments),
        "CIVIS_JOB_ID": str(host.job_id),
        "CIVIS_RUN_ID": str(host.run_id),
        "CIVIS_API_KEY": host.owner.api_key(),
    }


def image_of(config: ContainerConfig) -> str:
    """``name:tag`` of the image a script asks for (the default image when none)."""
    name = config.docker_image_name or DEFAULT_IMAGE
    return f"{name}:{config.docker_image_tag}" if config.docker_image_tag else name


def limits_of(host: Host, resources: Any) -> Limits:
    """The run's limits for ``required_resources`` (the worker's time limit kept)."""
    return Limits.from_resources(resources, time_limit_seconds=host.spec.limits.time_limit_seconds)


def container_launch(
    host: Host, config: ContainerConfig, arguments: Mapping[str, Any] | None = None
) -> Launch:
    """The `Launch` of ``config``'s command, with ``arguments`` (default: its own)."""
    command = (config.docker_command or "").strip()
    if not command:
        raise ProgramError("The container script has no docker_command to run.")
    return Launch(
        run_id=host.run_id,
        job_id=host.job_id,
        owner_id=host.owner_id,
        argv=["bash", "-c", command],
        env=run_env(host, config.params, config.arguments if arguments is None else arguments),
        image=image_of(config),
        limits=limits_of(host, config.required_resources),
    )


def prepare_container(host: Host) -> Launch:
    """The `Launch` of a container script run (see the module docstring)."""
    return container_launch(host, ContainerConfig.model_validate(host.config))
