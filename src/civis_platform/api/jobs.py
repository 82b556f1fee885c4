"""``/jobs``: every runnable object, its runs, their logs and outputs."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainSerializer, WrapValidator

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, QueryModel, ResponseModel
from civis_platform.services import jobs as svc
from civis_platform.services.runs import LogPage

# Logs are final once the run is: clients may cache them then.
FINAL_LOGS_CACHE = "max-age=86400"


def _keep(value: Any, _handler: Any) -> Any:
    return value


# A JSONValue output's ``value`` is any JSON value, returned as stored (spec: string).
RawJSON = Annotated[str | None, WrapValidator(_keep), PlainSerializer(lambda v: v, return_type=Any)]


class UserSimple(ResponseModel):
    """A user as embedded in a job."""

    id: int | None = None
    name: str | None = None
    username: str | None = None
    initials: str | None = None
    online: bool | None = None


class JobRun(ResponseModel):
    """One run of a job."""

    id: int | None = None
    state: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None


class JobSchedule(ResponseModel):
    """A job's schedule (nothing is scheduled here)."""

    scheduled: bool | None = None
    scheduled_days: list[int] = Field(default_factory=list)
    scheduled_hours: list[int] = Field(default_factory=list)
    scheduled_minutes: list[int] = Field(default_factory=list)
    scheduled_runs_per_hour: int | None = None
    scheduled_days_of_month: list[int] = Field(default_factory=list)


class JobListItem(ResponseModel):
    """A row of ``GET /jobs``."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    from_template_id: int | None = None
    state: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_run_updated_at: str | None = None
    last_run: JobRun | None = None
    archived: str | None = None
    author: UserSimple | None = None
    schedule: JobSchedule | None = None


class Job(ResponseModel):
    """``GET /jobs/{id}``."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    from_template_id: int | None = None
    state: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_run_updated_at: str | None = None
    runs: list[JobRun] = Field(default_factory=list)
    last_run: JobRun | None = None
    hidden: bool | None = None
    archived: str | None = None
    author: UserSimple | None = None
    my_permission_level: str | None = None
    success_email_subject: str | None = None
    success_email_body: str | None = None
    running_as_user: str | None = None
    run_by_user: str | None = None
    schedule: JobSchedule | None = None


class JobOutput(ResponseModel):
    """One output of a run."""

    object_type: str | None = None
    object_id: int | None = None
    name: str | None = None
    link: str | None = None
    value: RawJSON = None


class RunLog(ResponseModel):
    """One log line."""

    id: int | None = None
    created_at: str | None = None
    message: str | None = None
    level: str | None = None


class JobListQuery(PagedQuery):
    """Filters of ``GET /jobs``."""

    state: str | None = None
    type: str | None = None
    q: str | None = None
    permission: str | None = None
    scheduled: bool | None = None
    hidden: bool | None = None
    archived: str | None = None
    author: str | None = None


class LogQuery(QueryModel):
    """``GET /jobs/{id}/runs/{run_id}/logs``: lines after ``last_id``, at most ``limit``."""

    last_id: int | None = None
    limit: int | None = None


def log_headers(page: LogPage) -> tuple[Any, dict[str, str]]:
    """``civis-max-id`` when there are logs; ``civis-cache-control`` always."""
    headers = {"civis-cache-control": FINAL_LOGS_CACHE if page.final else "no-store"}
    if page.max_id is not None:
        headers["civis-max-id"] = str(page.max_id)
    return page.items, headers


def cancel_answer(cancel: Any) -> Any:
    """Wrap a cancelling service call: the reference declares no body for the 202, but
    the official ``CivisFuture.cancel()`` reads ``state`` from it, so we send one."""

    def call(ctx: Any, *, id: int, run_id: int) -> dict[str, Any]:
        cancel(ctx, id=id, run_id=run_id)
        return {"id": run_id, "state": "cancelled", "isCancelRequested": True}

    return call


jobs = Resource("jobs")
jobs.op(
    "get",
    "/jobs/",
    "List Jobs",
    svc.list_jobs,
    query=JobListQuery,
    response=JobListItem,
    array=True,
)
jobs.op("get", "/jobs/{id}", "Show basic job info", svc.get_job, response=Job)
jobs.op(
    "get",
    "/jobs/{id}/runs",
    "List runs for the given job",
    svc.list_runs,
    query=PagedQuery,
    response=JobRun,
    array=True,
)
jobs.op("post", "/jobs/{id}/runs", "Run a job", svc.post_run, response=JobRun, status=201)
jobs.op("get", "/jobs/{id}/runs/{run_id}", "Check status of a job", svc.get_run, response=JobRun)
jobs.op(
    "delete",
    "/jobs/{id}/runs/{run_id}",
    "Cancel a run",
    cancel_answer(svc.cancel_run),
    status=202,
)
jobs.op(
    "get",
    "/jobs/{id}/runs/{run_id}/outputs",
    "List the outputs for a run",
    svc.list_outputs,
    query=PagedQuery,
    response=JobOutput,
    array=True,
)
jobs.op(
    "get",
    "/jobs/{id}/runs/{run_id}/logs",
    "Get the logs for a run",
    svc.list_logs,
    query=LogQuery,
    response=RunLog,
    array=True,
    headers=log_headers,
)
jobs.shares(svc.KIND, level_noun="a job")
jobs.transfer(svc.KIND)
jobs.projects(svc.KIND)
jobs.archive(svc.KIND, svc.get_job, Job)
