"""``/templates/scripts``: script templates, their shares, projects and transfer."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel, RequestModel, ResponseModel, request_model
from civis_platform.api.jobs import UserSimple
from civis_platform.services import templates as svc


class TemplateCreate(RequestModel):
    """Body of ``POST /templates/scripts``."""

    script_id: int
    name: str
    note: str | None = None
    ui_report_id: int | None = None
    archived: bool | None = None
    hidden: bool | None = None


TemplateReplace = request_model(
    "TemplateReplace",
    "Body of ``PUT /templates/scripts/{id}``.",
    TemplateCreate,
    omit={"script_id", "hidden"},
)
TemplateUpdate = request_model(
    "TemplateUpdate",
    "Body of ``PATCH /templates/scripts/{id}``.",
    TemplateReplace,
    optional=True,
)


class Template(ResponseModel):
    """A script template."""

    id: int | None = None
    public: bool | None = None
    script_id: int | None = None
    script_type: str | None = None
    user_context: str | None = None
    params: list[dict[str, Any]] = Field(default_factory=list)
    name: str | None = None
    category: str | None = None
    note: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    use_count: int | None = None
    ui_report_id: int | None = None
    tech_reviewed: bool | None = None
    archived: bool | None = None
    hidden: bool | None = None
    author: UserSimple | None = None
    my_permission_level: str | None = None


class TemplateSummary(ResponseModel):
    """A row of ``GET /templates/scripts``."""

    id: int | None = None
    public: bool | None = None
    script_id: int | None = None
    user_context: str | None = None
    name: str | None = None
    category: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    use_count: int | None = None
    ui_report_id: int | None = None
    tech_reviewed: bool | None = None
    archived: bool | None = None
    author: UserSimple | None = None


class TemplateListQuery(QueryModel):
    """Filters of ``GET /templates/scripts``."""

    hidden: bool | None = None
    author: str | None = None
    category: str | None = None
    limit: int | None = None
    page_num: int | None = None
    order: str | None = None
    order_dir: str | None = None


templates = Resource("templates")
base = "/templates/scripts"
templates.op(
    "get",
    f"{base}/",
    "List Script Templates",
    svc.list_templates,
    query=TemplateListQuery,
    response=TemplateSummary,
    array=True,
)
templates.op(
    "post",
    f"{base}/",
    "Create a Script Template",
    svc.create_template,
    body=TemplateCreate,
    body_name="TemplateCreate",
    response=Template,
    status=201,
)
templates.op("get", f"{base}/{{id}}", "Get a Script Template", svc.get_template, response=Template)
templates.op(
    "put",
    f"{base}/{{id}}",
    "Replace all attributes of this Script Template",
    svc.replace_template,
    body=TemplateReplace,
    body_name="TemplateReplace",
    response=Template,
)
templates.op(
    "patch",
    f"{base}/{{id}}",
    "Update some attributes of this Script Template",
    svc.update_template,
    body=TemplateUpdate,
    body_name="TemplateUpdate",
    body_required=False,
    response=Template,
)
templates.op(
    "delete",
    f"{base}/{{id}}",
    "Archive a Script Template (deprecated, use archiving endpoints instead)",
    svc.archive_template,
    status=204,
)
templates.shares(svc.KIND, level_noun="a script template", prefix=base)
templates.transfer(svc.KIND, prefix=base)
templates.projects(svc.KIND, prefix=base)
