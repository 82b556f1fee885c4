"""``/scripts/containers``: container scripts (run as local processes) and their runs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import RequestModel, ResponseModel, request_model
from civis_platform.api._subresources import CancelAnswer, JobOutput, run_model
from civis_platform.api.jobs import JobRun, UserSimple
from civis_platform.services import jobs as job_services
from civis_platform.services import scripts_containers as svc


class ContainerCreate(RequestModel):
    """Body of ``POST /scripts/containers``."""

    name: str | None = None
    parent_id: int | None = None
    user_context: str | None = None
    params: list[dict[str, Any]] | None = None
    arguments: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    required_resources: dict[str, Any]
    repo_http_uri: str | None = None
    repo_ref: str | None = None
    remote_host_credential_id: int | None = None
    git_credential_id: int | None = None
    docker_command: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    instance_type: str | None = None
    cancel_timeout: int | None = None
    time_zone: str | None = None
    partition_label: str | None = None
    hidden: bool | None = None
    target_project_id: int | None = None
    running_as_id: int | None = None


ContainerReplace = request_model(
    "ContainerReplace",
    "Body of ``PUT /scripts/containers/{id}``.",
    ContainerCreate,
    omit={"hidden"},
)
ContainerUpdate = request_model(
    "ContainerUpdate",
    "Body of ``PATCH /scripts/containers/{id}``.",
    ContainerReplace,
    optional=True,
)


class ScriptClone(RequestModel):
    """Body of ``POST /scripts/{type}/{id}/clone``."""

    clone_schedule: bool | None = None
    clone_triggers: bool | None = None
    clone_notifications: bool | None = None


class Container(ResponseModel):
    """A container script."""

    id: int | None = None
    from_template_aliases: list[dict[str, Any]] = Field(default_factory=list)
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
    template_dependents_count: int | None = None
    published_as_template_id: int | None = None
    from_template_id: int | None = None
    template_script_name: str | None = None
    links: dict[str, Any] | None = None
    schedule: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    running_as: UserSimple | None = None
    required_resources: dict[str, Any] | None = None
    repo_http_uri: str | None = None
    repo_ref: str | None = None
    remote_host_credential_id: int | None = None
    git_credential_id: int | None = None
    docker_command: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    instance_type: str | None = None
    cancel_timeout: int | None = None
    last_run: JobRun | None = None
    time_zone: str | None = None
    partition_label: str | None = None
    my_permission_level: str | None = None
    hidden: bool | None = None
    archived: str | None = None
    target_project_id: int | None = None
    running_as_id: int | None = None


ContainerRun = run_model(
    "ContainerRun",
    "container_id",
    "A run of a container script.",
    max_memory_usage=(float | None, None),
    max_cpu_usage=(float | None, None),
)


class LogMessage(RequestModel):
    """One line of ``POST /scripts/containers/{id}/runs/{run_id}/logs``."""

    message: str
    level: str | None = None
    created_at: str | None = None


class LogCreate(RequestModel):
    """Body of ``POST /scripts/containers/{id}/runs/{run_id}/logs``."""

    message: str | None = None
    level: str | None = None
    messages: list[LogMessage] | None = None
    child_job_id: int | None = None


class OutputCreate(RequestModel):
    """Body of ``POST /scripts/containers/{id}/runs/{run_id}/outputs``."""

    object_type: str
    object_id: int


scripts_containers = Resource("scripts")
base = "/scripts/containers"
run_path = f"{base}/{{id}}/runs/{{run_id}}"
scripts_containers.op(
    "post",
    base,
    "Create a container",
    svc.create_container,
    body=ContainerCreate,
    body_name="ContainerCreate",
    response=Container,
    status=201,
)
scripts_containers.op(
    "get", f"{base}/{{id}}", "View a container", svc.get_container, response=Container
)
scripts_containers.op(
    "put",
    f"{base}/{{id}}",
    "Edit a container",
    svc.replace_container,
    body=ContainerReplace,
    body_name="ContainerReplace",
    response=Container,
)
scripts_containers.op(
    "patch",
    f"{base}/{{id}}",
    "Update a container",
    svc.update_container,
    body=ContainerUpdate,
    body_name="ContainerUpdate",
    body_required=False,
    response=Container,
)
scripts_containers.op(
    "delete",
    f"{base}/{{id}}",
    "Archive a container (deprecated, use archive endpoints)",
    svc.CONTAINERS.archive,
    status=204,
)
scripts_containers.op(
    "post",
    f"{base}/{{id}}/clone",
    "Clone this Container Script",
    svc.clone_container,
    body=ScriptClone,
    body_name="ScriptCloneParamsCreateRequest",
    body_required=False,
    response=Container,
    status=201,
)
scripts_containers.runs(
    svc.CONTAINER_READS, ContainerRun, noun="Container", prefix=base, outputs=svc.list_outputs
)
scripts_containers.shares(job_services.KIND, level_noun="a container script", prefix=base)
scripts_containers.transfer(job_services.KIND, prefix=base)
scripts_containers.projects(job_services.KIND, prefix=base)
scripts_containers.archive(job_services.KIND, svc.get_container, Container, prefix=base)
scripts_containers.op(
    "post",
    f"{run_path}/outputs",
    "Add an output for a run",
    svc.post_output,
    body=OutputCreate,
    body_name="OutputCreate",
    response=JobOutput,
    status=202,
)
scripts_containers.op(
    "post",
    f"{run_path}/logs",
    "Add log messages",
    svc.post_logs,
    body=LogCreate,
    body_name="ScriptRunLogCreateRequest",
    body_required=False,
    status=204,
)
scripts_containers.op(
    "post",
    "/scripts/{id}/cancel",
    "Cancel a run",
    svc.cancel_script,
    response=CancelAnswer,
    status=202,
)
