"""``/jobs``: every runnable object, its runs, their logs and outputs."""

from __future__ import annotations

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, ResponseModel
from civis_platform.services import jobs as svc


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
jobs.run_cancel(svc.cancel_run)
jobs.run_outputs(svc.list_outputs)
jobs.run_logs(svc.list_logs)
jobs.shares(svc.KIND, level_noun="a job")
jobs.transfer(svc.KIND)
jobs.projects(svc.KIND)
jobs.archive(svc.KIND, svc.get_job, Job)
