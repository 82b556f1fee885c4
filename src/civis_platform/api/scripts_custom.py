"""``/scripts/custom``: custom scripts made from templates, and their runs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel, RequestModel, ResponseModel, request_model
from civis_platform.api._subresources import JobOutput, run_model
from civis_platform.api.jobs import JobRun, UserSimple
from civis_platform.api.scripts_containers import OutputCreate, ScriptClone
from civis_platform.services import jobs as job_services
from civis_platform.services import scripts_custom as svc


class CustomCreate(RequestModel):
    """Body of ``POST /scripts/custom``."""

    name: str | None = None
    parent_id: int | None = None
    arguments: dict[str, Any] | None = None
    from_template_id: int
    remote_host_id: int | None = None
    credential_id: int | None = None
    schedule: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    time_zone: str | None = None
    hidden: bool | None = None
    target_project_id: int | None = None
    required_resources: dict[str, Any] | None = None
    partition_label: str | None = None
    running_as_id: int | None = None


CustomUpdate = request_model(
    "CustomUpdate",
    "Body of ``PUT`` and ``PATCH /scripts/custom/{id}``.",
    CustomCreate,
    omit={"from_template_id", "hidden"},
    optional=True,
)


class Custom(ResponseModel):
    """A custom script."""

    id: int | None = None
    from_template_aliases: list[dict[str, Any]] = Field(default_factory=list)
    name: str | None = None
    type: str | None = None
    backing_script_type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    author: UserSimple | None = None
    state: str | None = None
    finished_at: str | None = None
    category: str | None = None
    projects: list[dict[str, Any]] = Field(default_factory=list)
    parent_id: int | None = None
    params: list[dict[str, Any]] = Field(default_factory=list)
    arguments: dict[str, Any] | None = None
    is_template: bool | None = None
    published_as_template_id: int | None = None
    from_template_id: int | None = None
    ui_report_url: int | None = None
    ui_report_id: int | None = None
    ui_report_provide_api_key: bool | None = Field(default=None, alias="uiReportProvideAPIKey")
    template_script_name: str | None = None
    template_note: str | None = None
    remote_host_id: int | None = None
    credential_id: int | None = None
    code_preview: str | None = None
    schedule: dict[str, Any] | None = None
    notifications: dict[str, Any] | None = None
    running_as: UserSimple | None = None
    time_zone: str | None = None
    last_run: JobRun | None = None
    my_permission_level: str | None = None
    hidden: bool | None = None
    archived: str | None = None
    target_project_id: int | None = None
    last_successful_run: JobRun | None = None
    required_resources: dict[str, Any] | None = None
    partition_label: str | None = None
    running_as_id: int | None = None


class CustomSummary(ResponseModel):
    """A row of ``GET /scripts/custom``."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    backing_script_type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    author: UserSimple | None = None
    state: str | None = None
    finished_at: str | None = None
    projects: list[dict[str, Any]] = Field(default_factory=list)
    parent_id: int | None = None
    from_template_id: int | None = None
    time_zone: str | None = None
    last_run: JobRun | None = None
    archived: str | None = None
    last_successful_run: JobRun | None = None


class CustomListQuery(QueryModel):
    """Filters of ``GET /scripts/custom``."""

    from_template_id: str | None = None
    author: str | None = None
    status: str | None = None
    hidden: bool | None = None
    archived: str | None = None
    limit: int | None = None
    page_num: int | None = None
    order: str | None = None
    order_dir: str | None = None


CustomRun = run_model(
    "CustomRun",
    "custom_id",
    "A run of a custom script.",
    max_memory_usage=(float | None, None),
    max_cpu_usage=(float | None, None),
)

scripts_custom = Resource("scripts")
base = "/scripts/custom"
scripts_custom.op(
    "get",
    base,
    "List Custom Scripts",
    svc.list_customs,
    query=CustomListQuery,
    response=CustomSummary,
    array=True,
)
scripts_custom.op(
    "post",
    base,
    "Create a Custom Script",
    svc.create_custom,
    body=CustomCreate,
    body_name="CustomCreate",
    response=Custom,
    status=201,
)
scripts_custom.op("get", f"{base}/{{id}}", "Get a Custom Script", svc.get_custom, response=Custom)
scripts_custom.op(
    "put",
    f"{base}/{{id}}",
    "Replace all attributes of this Custom Script",
    svc.replace_custom,
    body=CustomUpdate,
    body_name="CustomReplace",
    body_required=False,
    response=Custom,
)
scripts_custom.op(
    "patch",
    f"{base}/{{id}}",
    "Update some attributes of this Custom Script",
    svc.update_custom,
    body=CustomUpdate,
    body_name="CustomUpdate",
    body_required=False,
    response=Custom,
)
scripts_custom.op(
    "delete",
    f"{base}/{{id}}",
    "Archive a Custom Script (deprecated, use archiving endpoints instead)",
    svc.CUSTOM.archive,
    status=204,
)
scripts_custom.op(
    "post",
    f"{base}/{{id}}/clone",
    "Clone this Custom Script",
    svc.clone_custom,
    body=ScriptClone,
    body_name="ScriptCloneParamsCreateRequest",
    body_required=False,
    response=Custom,
    status=201,
)
scripts_custom.runs(svc.CUSTOM, CustomRun, noun="Custom", prefix=base, outputs=svc.list_outputs)
scripts_custom.op(
    "post",
    f"{base}/{{id}}/runs/{{run_id}}/outputs",
    "Add an output for a run",
    svc.post_output,
    body=OutputCreate,
    body_name="OutputCreate",
    response=JobOutput,
    status=202,
)
scripts_custom.shares(job_services.KIND, level_noun="a custom script", prefix=base)
scripts_custom.transfer(job_services.KIND, prefix=base)
scripts_custom.projects(job_services.KIND, prefix=base)
scripts_custom.archive(job_services.KIND, svc.get_custom, Custom, prefix=base)
