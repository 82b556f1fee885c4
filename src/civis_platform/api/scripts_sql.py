"""``/scripts/sql``: SQL scripts, their runs, logs and export outputs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import RequestModel, ResponseModel, request_model
from civis_platform.api._subresources import run_model
from civis_platform.api.jobs import JobRun, UserSimple
from civis_platform.services import jobs as job_services
from civis_platform.services import scripts_sql as svc


class CsvSettingsFields(BaseModel):
    """``csvSettings`` fields, the same in a request and in an answer."""

    include_header: bool | None = None
    compression: str | None = None
    column_delimiter: str | None = None
    unquoted: bool | None = None
    force_multifile: bool | None = None
    filename_prefix: str | None = None
    max_file_size: int | None = None
    # A civis-platform extension (advertised at the spec's root, see spec.py): "parquet"
    # or "arrow" exports one Parquet file or Arrow IPC stream instead of CSV.
    file_format: str | None = None


class CsvSettings(RequestModel, CsvSettingsFields):
    """``csvSettings`` of a SQL script: how its last query's result is exported."""


class SqlCreate(RequestModel):
    """Body of ``POST /scripts/sql``; ``PUT`` takes the same less ``hidden``, ``PATCH`` any."""

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
    sql: str
    remote_host_id: int
    credential_id: int
    csv_settings: CsvSettings | None = None
    running_as_id: int | None = None


SqlReplace = request_model(
    "SqlReplace", "Body of ``PUT /scripts/sql/{id}``.", SqlCreate, omit={"hidden"}
)
SqlUpdate = request_model(
    "SqlUpdate", "Body of ``PATCH /scripts/sql/{id}``.", SqlReplace, optional=True
)


class CsvSettingsShown(ResponseModel, CsvSettingsFields):
    """``csvSettings`` as a script shows them (defaults filled in)."""


class SqlClone(RequestModel):
    """Body of ``POST /scripts/sql/{id}/clone``."""

    clone_schedule: bool | None = None
    clone_triggers: bool | None = None
    clone_notifications: bool | None = None


class Sql(ResponseModel):
    """A SQL script."""

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
    sql: str | None = None
    expanded_arguments: dict[str, Any] | None = None
    remote_host_id: int | None = None
    credential_id: int | None = None
    code_preview: str | None = None
    csv_settings: CsvSettingsShown | None = None
    running_as_id: int | None = None


class SqlRunOutput(ResponseModel):
    """An export file of a run; ``path`` downloads it without authentication."""

    output_name: str | None = None
    file_id: int | None = None
    path: str | None = None


SqlRun = run_model(
    "SqlRun",
    "sql_id",
    "A run of a SQL script.",
    output=(list[SqlRunOutput], Field(default_factory=list)),
    output_cached_on=(str | None, None),
)


scripts_sql = Resource("scripts")
base = "/scripts/sql"
scripts_sql.op(
    "post",
    base,
    "Create a SQL Script",
    svc.create_sql,
    body=SqlCreate,
    body_name="SqlCreate",
    response=Sql,
    status=201,
)
scripts_sql.op("get", f"{base}/{{id}}", "Get a SQL Script", svc.get_sql, response=Sql)
scripts_sql.op(
    "put",
    f"{base}/{{id}}",
    "Replace all attributes of this SQL Script",
    svc.replace_sql,
    body=SqlReplace,
    body_name="SqlReplace",
    response=Sql,
)
scripts_sql.op(
    "patch",
    f"{base}/{{id}}",
    "Update some attributes of this SQL Script",
    svc.update_sql,
    body=SqlUpdate,
    body_name="SqlUpdate",
    body_required=False,
    response=Sql,
)
scripts_sql.op(
    "delete",
    f"{base}/{{id}}",
    "Archive a SQL Script (deprecated, use archiving endpoints instead)",
    svc.SQL_SCRIPTS.archive,
    status=204,
)
scripts_sql.op(
    "post",
    f"{base}/{{id}}/clone",
    "Clone this SQL Script",
    svc.clone_sql,
    body=SqlClone,
    body_name="ScriptCloneParamsCreateRequest",
    body_required=False,
    response=Sql,
    status=201,
)
scripts_sql.runs(
    svc.SQL_SCRIPTS,
    SqlRun,
    noun="SQL",
    prefix=base,
    post=svc.post_run,
    list_runs=svc.list_runs,
    get_run=svc.get_run,
    outputs=svc.list_outputs,
)
# The script is a job: who may see it, who owns it and where it is filed are the job's.
scripts_sql.shares(job_services.KIND, level_noun="a SQL script", prefix=base)
scripts_sql.transfer(job_services.KIND, prefix=base)
scripts_sql.projects(job_services.KIND, prefix=base)
scripts_sql.archive(job_services.KIND, svc.get_sql, Sql, prefix=base)
