"""``/scripts``: the list of scripts of every type (each type's routes are in its own
module: ``api/scripts_sql.py``, ``api/scripts_containers.py``)."""

from __future__ import annotations

from typing import Any

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, ResponseModel
from civis_platform.api.jobs import JobRun, UserSimple
from civis_platform.services import scripts as svc


class ScriptProject(ResponseModel):
    """A project a script is in."""

    id: int | None = None
    name: str | None = None


class ScriptLink(ResponseModel):
    """Where a script's details and runs are (paths below the API root)."""

    details: str | None = None
    runs: str | None = None


class ScriptSummary(ResponseModel):
    """A row of ``GET /scripts``."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    author: UserSimple | None = None
    state: str | None = None
    finished_at: str | None = None
    projects: list[ScriptProject] | None = None
    parent_id: int | None = None
    is_template: bool | None = None
    from_template_id: int | None = None
    links: ScriptLink | None = None
    time_zone: str | None = None
    last_run: JobRun | None = None
    archived: str | None = None
    template_script_id: int | None = None


class ScriptListQuery(PagedQuery):
    """Filters of ``GET /scripts``."""

    type: str | None = None
    category: str | None = None
    author: str | None = None
    status: str | None = None
    hidden: bool | None = None
    archived: str | None = None


scripts = Resource("scripts")
scripts.op(
    "get",
    "/scripts/",
    "List Scripts",
    svc.list_scripts,
    query=ScriptListQuery,
    response=ScriptSummary,
    array=True,
)


class ScriptDetail(ResponseModel):
    """``GET /scripts/{id}``: a script of any type."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    author: UserSimple | None = None
    state: str | None = None
    finished_at: str | None = None
    category: str | None = None
    projects: list[ScriptProject] | None = None
    parent_id: int | None = None
    user_context: str | None = None
    params: list[dict[str, Any]] | None = None
    arguments: dict[str, Any] | None = None
    is_template: bool | None = None
    published_as_template_id: int | None = None
    from_template_id: int | None = None
    template_dependents_count: int | None = None
    template_script_name: str | None = None
    links: ScriptLink | None = None
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
    sql: str | None = None
    expanded_arguments: dict[str, Any] | None = None
    template_script_id: int | None = None


scripts.op(
    "get",
    "/scripts/{id}",
    "Get details about a SQL script (legacy)",
    svc.get_script,
    response=ScriptDetail,
)
scripts.op(
    "delete",
    "/scripts/{id}",
    "Archive a script (deprecated, use archive endpoints instead)",
    svc.archive_script,
    status=204,
)
