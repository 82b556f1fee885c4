"""``/tables``: the tables of the registered databases, by stable id."""

from __future__ import annotations

import warnings
from typing import Any

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.api.jobs import JobRun
from civis_platform.services import tables as svc


class TableColumn(ResponseModel):
    """A column of a table (statistics are not collected here, so they are null)."""

    name: str | None = None
    civis_data_type: str | None = None
    sql_type: str | None = None
    sample_values: list[str] | None = None
    encoding: str | None = None
    description: str | None = None
    order: int | None = None
    min_value: str | None = None
    max_value: str | None = None
    avg_value: float | None = None
    stddev: float | None = None
    value_distribution_percent: dict[str, Any] | None = None
    coverage_count: int | None = None
    null_count: int | None = None
    possible_dependent_variable_types: list[str] | None = None
    useable_as_independent_variable: bool | None = None
    useable_as_primary_key: bool | None = None
    value_distribution: dict[str, Any] | None = None
    distinct_count: int | None = None


class InlineTableTag(ResponseModel):
    """A tag on a table."""

    id: int | None = None
    name: str | None = None


class TableJoin(ResponseModel):
    """A declared join between two tables."""

    id: int | None = None
    left_table_id: int | None = None
    left_identifier: str | None = None
    right_table_id: int | None = None
    right_identifier: str | None = None
    on: str | None = None
    left_join: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None


class TableEnhancement(ResponseModel):
    """An enhancement (geocoding, CASS/NCOA) made from a table."""

    type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    join_id: int | None = None


class TableMatch(ResponseModel):
    """A match of this table against a target."""

    source_table_id: int | None = None
    target_type: str | None = None
    target_id: int | None = None
    target: dict[str, Any] | None = None
    job: dict[str, Any] | None = None


class TableBase(ResponseModel):
    """The fields every view of a table starts with, in the reference's order."""

    id: int | None = None
    database_id: int | None = None
    schema_: str | None = Field(default=None, alias="schema")
    name: str | None = None
    description: str | None = None
    is_view: bool | None = None
    row_count: int | None = None
    column_count: int | None = None
    size_mb: float | None = None
    owner: str | None = None
    distkey: str | None = None
    sortkeys: str | None = None
    refresh_status: str | None = None
    last_refresh: str | None = None


class TableListItem(TableBase):
    """A row of ``GET /tables`` (``rowCount`` is null: listing reads no table)."""

    refresh_id: str | None = None
    last_run: JobRun | None = None
    table_tags: list[InlineTableTag] | None = None


class TableSummaryWithOntology(TableBase):
    """``PATCH /tables/{id}``: the table and what users said about it, without columns."""

    data_updated_at: str | None = None
    schema_updated_at: str | None = None
    refresh_id: str | None = None
    last_run: JobRun | None = None
    primary_keys: list[str] | None = None
    last_modified_keys: list[str] | None = None
    table_tags: list[InlineTableTag] | None = None
    ontology_mapping: dict[str, Any] | None = None


class Table(TableSummaryWithOntology):
    """``GET /tables/{id}``: a table described now, with its columns."""

    columns: list[TableColumn] | None = None
    joins: list[TableJoin] | None = None
    multipart_key: list[str] | None = None
    enhancements: list[TableEnhancement] | None = None
    view_def: str | None = None
    table_def: str | None = None
    outgoing_table_matches: list[TableMatch] | None = None


# The spec names the query parameter ``schema``, which shadows a deprecated BaseModel
# method; the field only ever holds a value, so the warning is noise.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)

    class TableListQuery(PagedQuery):
        """Query of ``GET /tables``."""

        database_id: int | None = None
        schema: str | None = None  # type: ignore[assignment]
        name: str | None = None
        search: str | None = None
        table_tag_ids: list[int] | None = None
        credential_id: int | None = None


class TableUpdate(RequestModel):
    """Body of ``PATCH /tables/{id}``."""

    ontology_mapping: dict[str, str] | None = None
    description: str | None = None
    primary_keys: list[str] | None = None
    last_modified_keys: list[str] | None = None


class ColumnListQuery(PagedQuery):
    """Query of ``GET /tables/{id}/columns``."""

    name: str | None = None


tables = Resource("tables")
tables.op(
    "get",
    "/tables/",
    "List tables",
    svc.list_tables,
    query=TableListQuery,
    response=TableListItem,
    array=True,
    blocking=True,
)
tables.op(
    "get", "/tables/{id}", "Show basic table info", svc.get_table, response=Table, blocking=True
)
tables.op(
    "patch",
    "/tables/{id}",
    "Update a table",
    svc.update_table,
    body=TableUpdate,
    body_name="TableUpdatePatchRequest",
    body_required=False,
    response=TableSummaryWithOntology,
)
tables.op(
    "get",
    "/tables/{id}/columns",
    "List columns in the specified table",
    svc.list_columns,
    query=ColumnListQuery,
    response=TableColumn,
    array=True,
    blocking=True,
)
tables.op(
    "post",
    "/tables/{id}/refresh",
    "Request a refresh for column and table statistics",
    svc.refresh_table,
    response=Table,
)
