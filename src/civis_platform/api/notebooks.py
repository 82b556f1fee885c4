"""``/notebooks``: notebook records; deployments answer "not supported here" (501)."""

from __future__ import annotations

from typing import Any

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel, RequestModel, ResponseModel, request_model
from civis_platform.api.jobs import UserSimple
from civis_platform.services import notebooks as svc


class NotebookCreate(RequestModel):
    """Body of ``POST /notebooks``."""

    name: str | None = None
    language: str | None = None
    description: str | None = None
    file_id: str | None = None
    requirements_file_id: str | None = None
    requirements: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    instance_type: str | None = None
    memory: int | None = None
    cpu: int | None = None
    credentials: list[int] | None = None
    environment_variables: dict[str, Any] | None = None
    idle_timeout: int | None = None
    partition_label: str | None = None
    git_repo_url: str | None = None
    git_ref: str | None = None
    git_path: str | None = None
    hidden: bool | None = None


NotebookUpdate = request_model(
    "NotebookUpdate",
    "Body of ``PUT`` and ``PATCH /notebooks/{id}``.",
    NotebookCreate,
    omit={"hidden"},
)


class Notebook(ResponseModel):
    """A notebook record."""

    id: int | None = None
    name: str | None = None
    language: str | None = None
    description: str | None = None
    notebook_url: str | None = None
    notebook_preview_url: str | None = None
    requirements_url: str | None = None
    file_id: str | None = None
    requirements_file_id: str | None = None
    user: UserSimple | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    instance_type: str | None = None
    memory: int | None = None
    cpu: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    most_recent_deployment: dict[str, Any] | None = None
    credentials: list[int] | None = None
    environment_variables: dict[str, Any] | None = None
    idle_timeout: int | None = None
    partition_label: str | None = None
    git_repo_id: int | None = None
    git_repo_url: str | None = None
    git_ref: str | None = None
    git_path: str | None = None
    my_permission_level: str | None = None
    archived: str | None = None
    hidden: bool | None = None


class NotebookSummary(ResponseModel):
    """A row of ``GET /notebooks``."""

    id: int | None = None
    name: str | None = None
    language: str | None = None
    description: str | None = None
    user: UserSimple | None = None
    created_at: str | None = None
    updated_at: str | None = None
    most_recent_deployment: dict[str, Any] | None = None
    archived: str | None = None


class NotebookListQuery(QueryModel):
    """Query of GET /notebooks/."""

    hidden: bool | None = None
    archived: str | None = None
    author: str | None = None
    status: str | None = None
    limit: int | None = None
    page_num: int | None = None
    order: str | None = None
    order_dir: str | None = None


class DeploymentCreate(RequestModel):
    """Body of ``POST /notebooks/{id}/deployments``."""

    deployment_id: int | None = None


class DeploymentListQuery(QueryModel):
    """Query of GET /notebooks/{notebook_id}/deployments."""

    deployment_id: int | None = None
    limit: int | None = None
    page_num: int | None = None
    order: str | None = None
    order_dir: str | None = None


class Deployment(ResponseModel):
    """A notebook deployment (never made here)."""

    deployment_id: int | None = None
    user_id: int | None = None
    host: str | None = None
    name: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    display_url: str | None = None
    instance_type: str | None = None
    memory: int | None = None
    cpu: int | None = None
    state: str | None = None
    state_message: str | None = None
    max_memory_usage: float | None = None
    max_cpu_usage: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    notebook_id: int | None = None


class DeploymentSummary(ResponseModel):
    """A row of the deployments list (always empty here)."""

    deployment_id: int | None = None
    user_id: int | None = None
    host: str | None = None
    name: str | None = None
    docker_image_name: str | None = None
    docker_image_tag: str | None = None
    instance_type: str | None = None
    memory: int | None = None
    cpu: int | None = None
    state: str | None = None
    state_message: str | None = None
    max_memory_usage: float | None = None
    max_cpu_usage: float | None = None
    created_at: str | None = None
    updated_at: str | None = None
    notebook_id: int | None = None


notebooks = Resource("notebooks")
notebooks.op(
    "get",
    "/notebooks/",
    "List Notebooks",
    svc.list_notebooks,
    query=NotebookListQuery,
    response=NotebookSummary,
    array=True,
)
notebooks.op(
    "post",
    "/notebooks/",
    "Create a Notebook",
    svc.create_notebook,
    body=NotebookCreate,
    body_name="NotebookCreate",
    body_required=False,
    response=Notebook,
    status=201,
)
notebooks.op("get", "/notebooks/{id}", "Get a Notebook", svc.get_notebook, response=Notebook)
for verb, summary in (
    ("put", "Replace all attributes of this Notebook"),
    ("patch", "Update some attributes of this Notebook"),
):
    notebooks.op(
        verb,
        "/notebooks/{id}",
        summary,
        svc.update_notebook,
        body=NotebookUpdate,
        body_name="NotebookUpdate",
        body_required=False,
        response=Notebook,
    )
notebooks.op(
    "delete",
    "/notebooks/{id}",
    "Archive a Notebook (deprecated, use archiving endpoints instead)",
    svc.archive_notebook,
    status=204,
)
notebooks.op(
    "get",
    "/notebooks/{notebook_id}/deployments",
    "List deployments for a Notebook",
    svc.list_deployments,
    query=DeploymentListQuery,
    response=DeploymentSummary,
    array=True,
)
notebooks.op(
    "post",
    "/notebooks/{notebook_id}/deployments",
    "Deploy a Notebook",
    svc.deploy,
    body=DeploymentCreate,
    body_name="DeploymentCreate",
    body_required=False,
    response=Deployment,
    status=201,
)
notebooks.op(
    "get",
    "/notebooks/{notebook_id}/deployments/{deployment_id}",
    "Get details about a Notebook deployment",
    svc.get_deployment,
    response=Deployment,
)
notebooks.op(
    "delete",
    "/notebooks/{notebook_id}/deployments/{deployment_id}",
    "Delete a Notebook deployment",
    svc.delete_deployment,
    status=204,
)
notebooks.shares(svc.KIND, level_noun="a notebook")
notebooks.transfer(svc.KIND)
notebooks.projects(svc.KIND)
notebooks.archive(svc.KIND, svc.get_notebook, Notebook)
