"""Custom scripts: the template's backing script run with the custom script's arguments.

`prepare_custom` runs on the platform's worker: it finds the backing script of the
custom script's template as it is now (the owner must still be able to use the
template), and prepares that script's `Launch` (a container command or Python source)
with the backing script's ``params`` and the custom script's ``arguments`` (so the
params' defaults fill in what the arguments leave out, and required ones are enforced).
``required_resources`` of the custom script, when given, replace the backing script's.
"""

from __future__ import annotations

from civis_platform.errors import DomainError
from civis_platform.programs.containers import ContainerConfig, container_launch
from civis_platform.programs.python import PythonConfig, python_launch
from civis_platform.runner.host import Host, ProgramError
from civis_platform.runner.runspec import Launch
from civis_platform.services import templates
from civis_platform.services.run_host import owner_context


def prepare_custom(host: Host) -> Launch:
    """The `Launch` of a custom script run (see the module docstring)."""
    config = host.config
    with owner_context(host) as ctx, ctx.store.transaction() as conn:
        try:
            backing_type, backing = templates.backing_for_run(
                conn, ctx, config.get("from_template_id")
            )
        except DomainError as error:
            raise ProgramError(error.message) from None
    if config.get("required_resources"):
        backing = {**backing, "required_resources": config["required_resources"]}
    arguments = config.get("arguments") or {}
    if backing_type == "container":
        return container_launch(host, ContainerConfig.model_validate(backing), arguments)
    if backing_type == "python3":
        return python_launch(host, PythonConfig.model_validate(backing), arguments)
    raise ProgramError(f"The template's backing script is a {backing_type}, which cannot run.")
