"""``/scripts/python3``: Python scripts (``source`` run in a sandbox) and their runs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import RequestModel, ResponseModel, request_model
from civis_platform.api._subresources import JobOutput, run_model
from civis_platform.api.jobs import JobRun, UserSimple
from civis_platform.api.scripts_containers import OutputCreate, ScriptClone
from civis_platform.services import jobs as job_services
from civis_platform.services import scripts_python as svc


class PythonCreate(RequestModel):
    """Body of ``POST /scripts/python3``."""

    name: str
    parent_id: int | None = None
    user_context: str | None = None
    params: list[dict[str, Any]] | None = None
    arguments: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    next_run_at: str | None = None
    time_zone: str | None = None
    hidden: bool | None = None
    target_project_id: int | None = None
    required_resources: dict[str, Any] | None = None
    instance_type: str | None = None
    cancel_timeout: int | None = None
    docker_image_tag: str | None = None
    partition_label: str | None = None
    running_as_id: int | None = None
    source: str


PythonReplace = request_model(
    "PythonReplace", "Body of ``PUT /scripts/python3/{id}``.", PythonCreate, omit={"hidden"}
)
PythonUpdate = request_model(
    "PythonUpdate", "Body of ``PATCH /scripts/python3/{id}``.", PythonReplace, optional=True
)


class Python(ResponseModel):
    """A Python script."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    author: UserSimple | None = None
    state: str | None = None
    finished_at: str | None = None
    category: str | None = None
    projects: list[dict[str, Any]] = Field(default_factory=list)
    parent_id: int | None = None
    user_context: str | None = None
    params: list[dict[str, Any]] = Field(default_factory=list)
    arguments: dict[str, Any] | None = None
    is_template: bool | None = None
    published_as_template_id: int | None = None
    from_template_id: int | None = None
    template_dependents_count: int | None = None
    template_script_name: str | None = None
    links: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    running_as: UserSimple | None = None
    next_run_at: str | None = None
    time_zone: str | None = None
    last_run: JobRun | None = None
    my_permission_level: str | None = None
    hidden: bool | None = None
    target_project_id: int | None = None
    archived: str | None = None
    required_resources: dict[str, Any] | None = None
    instance_type: str | None = None
    cancel_timeout: int | None = None
    docker_image_tag: str | None = None
    partition_label: str | None = None
    running_as_id: int | None = None
    source: str | None = None


PythonRun = run_model(
    "PythonRun",
    "python_id",
    "A run of a Python script.",
    max_memory_usage=(float | None, None),
    max_cpu_usage=(float | None, None),
)

scripts_python = Resource("scripts")
base = "/scripts/python3"
scripts_python.op(
    "post",
    base,
    "Create a Python Script",
    svc.create_python,
    body=PythonCreate,
    body_name="PythonCreate",
    response=Python,
    status=201,
)
scripts_python.op("get", f"{base}/{{id}}", "Get a Python Script", svc.get_python, response=Python)
scripts_python.op(
    "put",
    f"{base}/{{id}}",
    "Replace all attributes of this Python Script",
    svc.replace_python,
    body=PythonReplace,
    body_name="PythonReplace",
    response=Python,
)
scripts_python.op(
    "patch",
    f"{base}/{{id}}",
    "Update some attributes of this Python Script",
    svc.update_python,
    body=PythonUpdate,
    body_name="PythonUpdate",
    body_required=False,
    response=Python,
)
scripts_python.op(
    "delete",
    f"{base}/{{id}}",
    "Archive a Python Script (deprecated, use archiving endpoints instead)",
    svc.PYTHON.archive,
    status=204,
)
scripts_python.op(
    "post",
    f"{base}/{{id}}/clone",
    "Clone this Python Script",
    svc.clone_python,
    body=ScriptClone,
    body_name="ScriptCloneParamsCreateRequest",
    body_required=False,
    response=Python,
    status=201,
)
scripts_python.runs(svc.PYTHON, PythonRun, noun="Python", prefix=base, outputs=svc.list_outputs)
scripts_python.op(
    "post",
    f"{base}/{{id}}/runs/{{run_id}}/outputs",
    "Add an output for a run",
    svc.post_output,
    body=OutputCreate,
    body_name="OutputCreate",
    response=JobOutput,
    status=202,
)
scripts_python.shares(job_services.KIND, level_noun="a Python script", prefix=base)
scripts_python.transfer(job_services.KIND, prefix=base)
scripts_python.projects(job_services.KIND, prefix=base)
scripts_python.archive(job_services.KIND, svc.get_python, Python, prefix=base)
