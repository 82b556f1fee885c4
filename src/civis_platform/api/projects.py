"""``/projects``: folders of objects; owned, shareable, archivable."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.api._subresources import ProjectListItem, UserSummary
from civis_platform.services import projects as svc


class ProjectObject(ResponseModel):
    """One object in a project (``allObjects``)."""

    project_id: int | None = None
    object_id: int | None = None
    object_type: str | None = None
    fco_type: str | None = None
    sub_type: str | None = None
    name: str | None = None
    icon: str | None = None
    author: str | None = None
    updated_at: str | None = None
    auto_share: bool | None = None
    archived: bool | None = None
    hidden: bool | None = None
    my_permission_level: str | None = None


class ParentProject(ResponseModel):
    """The enclosing project, if any."""

    id: int | None = None
    name: int | None = None  # sic: the reference types the parent's name as an integer


class Project(ResponseModel):
    """One project. The per-type lists fill in as those resources arrive."""

    id: int | None = None
    author: UserSummary | None = None
    name: str | None = None
    description: str | None = None
    users: list[UserSummary] = Field(default_factory=list)
    auto_share: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tables: list[dict[str, Any]] = Field(default_factory=list)
    surveys: list[dict[str, Any]] = Field(default_factory=list)
    scripts: list[dict[str, Any]] = Field(default_factory=list)
    imports: list[dict[str, Any]] = Field(default_factory=list)
    exports: list[dict[str, Any]] = Field(default_factory=list)
    models: list[dict[str, Any]] = Field(default_factory=list)
    notebooks: list[dict[str, Any]] = Field(default_factory=list)
    services: list[dict[str, Any]] = Field(default_factory=list)
    workflows: list[dict[str, Any]] = Field(default_factory=list)
    reports: list[dict[str, Any]] = Field(default_factory=list)
    script_templates: list[dict[str, Any]] = Field(default_factory=list)
    files: list[dict[str, Any]] = Field(default_factory=list)
    enhancements: list[dict[str, Any]] = Field(default_factory=list)
    projects: list[dict[str, Any]] = Field(default_factory=list)
    all_objects: list[ProjectObject] = Field(default_factory=list)
    note: str | None = None
    can_current_user_enable_auto_share: bool | None = None
    hidden: bool | None = None
    archived: bool | None = None
    parent_project: ParentProject | None = None
    my_permission_level: str | None = None


class ProjectCreate(RequestModel):
    """Body of ``POST /projects``."""

    name: str
    description: str
    note: str | None = None
    auto_share: bool | None = None
    hidden: bool | None = None


class ProjectUpdate(RequestModel):
    """Body of ``PUT /projects/{project_id}``."""

    name: str | None = None
    description: str | None = None
    note: str | None = None


class ProjectListQuery(PagedQuery):
    """Filters of ``GET /projects``."""

    permission: str | None = None
    auto_share: bool | None = None
    author: str | None = None
    hidden: bool | None = None
    archived: str | None = None


projects = Resource("projects")
projects.op(
    "get",
    "/projects/",
    "List projects",
    svc.list_projects,
    query=ProjectListQuery,
    response=ProjectListItem,
    array=True,
)
projects.op(
    "post",
    "/projects/",
    "Create a project",
    svc.create_project,
    body=ProjectCreate,
    body_name="ProjectCreate",
    response=Project,
)
projects.op(
    "get",
    "/projects/{project_id}",
    "Show a project and its objects",
    svc.get_project,
    response=Project,
)
projects.op(
    "put",
    "/projects/{project_id}",
    "Update a project",
    svc.update_project,
    body=ProjectUpdate,
    body_name="ProjectUpdate",
    body_required=False,
    response=Project,
)
projects.shares(svc.KIND, level_noun="a project")
projects.transfer(svc.KIND)
projects.archive(svc.KIND, svc.get_project_by_id, Project)
