"""``/scripts``: the list of scripts of every type (each type's routes are in its own
module: ``api/scripts_sql.py``, ``api/scripts_containers.py``)."""

from __future__ import annotations

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
