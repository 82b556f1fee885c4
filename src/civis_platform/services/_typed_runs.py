"""Runs of typed jobs: the run routes every job-backed resource repeats, written once.

A typed resource (``/imports/files/csv``, ``/files/preprocess/csv``, ``/imports``) is a
job whose ``type`` is one of a few program keys. Its ``/runs`` routes are the ``/jobs``
ones behind a type check, shown with the resource's own run fields (``csvImportId``,
``importId``, ``isCancelRequested``). The run engine and its only state writer stay in
:mod:`civis_platform.services.jobs` and :mod:`civis_platform.runner.runs`.

A kind is declared from the job-type table (`runner.jobtypes.JOB_TYPES`): its label
and parent field are the table's, unless a resource that serves several types names
its own.

Examples:
    >>> kind = JobKind.of("csv_import")
    >>> kind.accepts("csv_import"), kind.accepts("container"), kind.parent_field
    (True, False, 'csv_import_id')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row

from civis_platform.errors import NotFoundError
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t


@dataclass(frozen=True)
class JobKind:
    """Which job types a resource serves, its label for errors, and the name of the
    run field that points back at the job (``None`` for none)."""

    keys: tuple[str, ...]
    label: str
    parent_field: str | None = None

    @classmethod
    def of(cls, *keys: str, label: str | None = None, parent_field: str | None = "") -> JobKind:
        """The kind of the job types ``keys``, described by the first one's table entry
        (``parent_field=None`` for runs shown without one)."""
        first = JOB_TYPES[keys[0]]
        return cls(
            keys=keys,
            label=label or first.label,
            parent_field=first.parent_field if parent_field == "" else parent_field,
        )

    def accepts(self, job_type: str) -> bool:
        """True when a job of ``job_type`` belongs to this resource."""
        return job_type in self.keys

    def row(self, conn: Connection, ctx: Context, job_id: int, need: str = "read") -> Row[Any]:
        """The job row, 404 when it is missing, unreadable or of another type."""
        row = g.fetch(conn, ctx, jobs.KIND, job_id, need=need)
        self.check_type(row)
        return row

    def check_type(self, job: Row[Any]) -> None:
        """404 for a job of a type this resource does not serve (a `jobs.JobCheck`)."""
        if not self.accepts(job.type):
            raise NotFoundError(f"{self.label} {job.id} was not found.")

    def check(self, ctx: Context, job_id: int, need: str = "read") -> Row[Any]:
        """`row` in its own transaction."""
        with ctx.store.transaction() as conn:
            return self.row(conn, ctx, job_id, need)

    def run_view(self, job_id: int, run: Row[Any]) -> dict[str, Any]:
        """A run with the resource's parent field and ``is_cancel_requested``."""
        view: dict[str, Any] = {"id": run.id}
        if self.parent_field is not None:
            view[self.parent_field] = job_id
        view.update(
            {
                "state": run.state,
                "is_cancel_requested": bool(run.is_cancel_requested),
                "created_at": iso(run.created_at),
                "started_at": iso(run.started_at),
                "finished_at": iso(run.finished_at),
                "error": run.error,
            }
        )
        return view

    def _run(self, ctx: Context, job_id: int, run_id: int) -> dict[str, Any]:
        with ctx.store.transaction() as conn:
            run = jobs.run_row(conn, ctx, job_id, run_id, check=self.check_type, label=self.label)
            return self.run_view(job_id, run)

    def post_run(self, ctx: Context, *, id: int) -> dict[str, Any]:
        """Queue a run (409 while one is active); answers the run as it was queued (a
        worker may already have claimed it, but the answer should not depend on that)."""
        queued = jobs.queue_run(ctx, id, check=self.check_type)
        view: dict[str, Any] = {"id": queued["id"]}
        if self.parent_field is not None:
            view[self.parent_field] = id
        view.update({**queued, "is_cancel_requested": False})
        return view

    def list_runs(self, ctx: Context, *, id: int, query: Mapping[str, Any]) -> g.Page:
        """Runs, newest first."""
        self.check(ctx, id)
        return jobs.page_runs(ctx, id, query, lambda run: self.run_view(id, run))

    def get_run(self, ctx: Context, *, id: int, run_id: int) -> dict[str, Any]:
        """One run."""
        return self._run(ctx, id, run_id)

    def cancel_run(self, ctx: Context, *, id: int, run_id: int) -> None:
        """Cancel an active run; 404 once finished."""
        jobs.cancel_run(ctx, id=id, run_id=run_id, check=self.check_type)

    def list_logs(self, ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]) -> Any:
        """Logs of a run (the ``/jobs`` semantics and headers)."""
        return jobs.list_logs(ctx, id=id, run_id=run_id, query=query, check=self.check_type)

    def list_outputs(
        self, ctx: Context, *, id: int, run_id: int, query: Mapping[str, Any]
    ) -> g.Page:
        """Outputs of a run (the ``/jobs`` semantics)."""
        return jobs.list_outputs(ctx, id=id, run_id=run_id, query=query, check=self.check_type)

    def set_archived(
        self, ctx: Context, *, id: int, body: Mapping[str, Any], view: Callable[..., Any]
    ) -> Any:
        """``PUT /{resource}/{id}/archive``: archive or restore; answers ``view``."""
        self.check(ctx, id, need="write")
        return g.set_archived(ctx, jobs.KIND, id, status=body["status"], view=view)

    def archive(self, ctx: Context, *, id: int) -> None:
        """``DELETE /{resource}/{id}``: the deprecated archive."""
        with ctx.store.transaction() as conn:
            self.row(conn, ctx, id, need="write")
            g.update_row(conn, t.jobs, id, {"archived": True})
