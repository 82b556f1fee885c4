"""Python scripts: ``source`` run by the runtime image's Python in a sandbox.

Like a container script (`programs.containers`: the same environment from ``params``
and ``arguments``, the same ids and key), but the code is the script's ``source``,
written to ``script.py`` in the run's working folder and run as ``python script.py``
on the default image (or the one ``docker_image_name`` names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from civis_platform.programs.containers import DEFAULT_IMAGE, limits_of, run_env
from civis_platform.runner.host import Host, ProgramError
from civis_platform.runner.runspec import Launch

SCRIPT_FILE = "script.py"


class PythonConfig(BaseModel):
    """The part of a Python script's stored configuration its program reads."""

    model_config = ConfigDict(extra="allow")

    source: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    params: list[dict[str, Any]] | None = None
    arguments: dict[str, Any] | None = None
    required_resources: dict[str, Any] | None = None


def python_launch(
    host: Host, config: PythonConfig, arguments: Mapping[str, Any] | None = None
) -> Launch:
    """The `Launch` running ``config.source`` with ``arguments`` (default: its own)."""
    source = config.source or ""
    if not source.strip():
        raise ProgramError("The Python script has no source to run.")
    name = config.docker_image_name or DEFAULT_IMAGE
    image = f"{name}:{config.docker_image_tag}" if config.docker_image_tag else name
    return Launch(
        run_id=host.run_id,
        job_id=host.job_id,
        owner_id=host.owner_id,
        argv=["python", "-u", SCRIPT_FILE],
        env=run_env(host, config.params, config.arguments if arguments is None else arguments),
        image=image,
        limits=limits_of(host, config.required_resources),
        files={SCRIPT_FILE: source},
    )


def prepare_python(host: Host) -> Launch:
    """The `Launch` of a Python script run."""
    return python_launch(host, PythonConfig.model_validate(host.config))
