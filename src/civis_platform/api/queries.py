"""``/queries``: SQL run at once on a database, with a preview of the result."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.api._subresources import run_model
from civis_platform.services import queries as svc


class QueryCreate(RequestModel):
    """Body of ``POST /queries``."""

    database: int
    sql: str
    credential: int | None = None
    hidden: bool | None = None
    interactive: bool | None = None
    preview_rows: int
    include_header: bool | None = None
    compression: str | None = None
    column_delimiter: str | None = None
    unquoted: bool | None = None
    filename_prefix: str | None = None


class QueryListQuery(PagedQuery):
    """Filters of ``GET /queries``."""

    query: str | None = None
    database_id: int | None = None
    credential_id: int | None = None
    author_id: int | None = None
    created_before: str | None = None
    created_after: str | None = None
    started_before: str | None = None
    started_after: str | None = None
    state: list[str] | None = None
    exclude_results: bool | None = None
    hidden: bool | None = None
    archived: str | None = None


class QueryBase(ResponseModel):
    """The fields every view of a query starts with, in the reference's order."""

    id: int | None = None
    database: int | None = None
    sql: str | None = None
    credential: int | None = None
    result_rows: list[list[str | None]] = Field(default_factory=list)
    result_columns: list[str] = Field(default_factory=list)
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    state: str | None = None
    script_id: int | None = None
    exception: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_run_id: int | None = None


class QueryCreated(QueryBase):
    """The answer of ``POST /queries``."""

    hidden: bool | None = None
    archived: str | None = None
    my_permission_level: str | None = None
    interactive: bool | None = None
    preview_rows: int | None = None
    include_header: bool | None = None
    compression: str | None = None
    column_delimiter: str | None = None
    unquoted: bool | None = None
    filename_prefix: str | None = None
    report_id: int | None = None


class QueryListItem(QueryBase):
    """A row of ``GET /queries``."""

    archived: str | None = None
    preview_rows: int | None = None
    report_id: int | None = None


class Query(QueryBase):
    """``GET /queries/{id}``."""

    hidden: bool | None = None
    archived: str | None = None
    name: str | None = None
    author: dict[str, Any] | None = None
    report_id: int | None = None


QueryRun = run_model("QueryRun", "query_id", "A run of a query.")


queries = Resource("queries")
queries.op(
    "get",
    "/queries/",
    "List queries",
    svc.list_queries,
    query=QueryListQuery,
    response=QueryListItem,
    array=True,
)
queries.op(
    "post",
    "/queries/",
    "Execute a query",
    svc.create_query,
    body=QueryCreate,
    body_name="QueryCreate",
    response=QueryCreated,
)
queries.op("get", "/queries/{id}", "Get details about a query", svc.get_query, response=Query)
queries.op("delete", "/queries/{id}", "Sets Query Hidden to true", svc.delete_query, response=Query)
queries.runs(svc.QUERIES, QueryRun, noun="Query")
