"""``/imports``: import configurations (Dbsync) with their syncs and runs.

The CSV imports and the run routes shared by every import live in ``api/imports_csv.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, RequestModel, ResponseModel
from civis_platform.api._subresources import CancelAnswer
from civis_platform.api.imports_csv import ImportRun
from civis_platform.api.jobs import JobRun, JobSchedule, UserSimple
from civis_platform.services import imports as svc
from civis_platform.services import jobs as job_services


class ImportEndpoint(RequestModel):
    """``source`` or ``destination`` of an import: a database and a credential."""

    remote_host_id: int
    credential_id: int
    additional_credentials: list[int] | None = None


class ImportUpdate(RequestModel):
    """Body of ``PUT /imports/{id}``."""

    name: str
    source: ImportEndpoint | None = None
    destination: ImportEndpoint | None = None
    sync_type: str
    parent_id: int | None = None
    is_outbound: bool
    schedule: dict[str, Any] | None = None
    next_run_at: str | None = None
    notifications: dict[str, Any] | None = None
    time_zone: str | None = None


class ImportCreate(ImportUpdate):
    """Body of ``POST /imports``: the ``PUT`` body and ``hidden``."""

    hidden: bool | None = None


class ImportEndpointOut(ResponseModel):
    """``source`` or ``destination`` as shown, with the database's name."""

    remote_host_id: int | None = None
    credential_id: int | None = None
    additional_credentials: list[int] | None = None
    name: str | None = None


class ImportNotifications(ResponseModel):
    """``notifications`` (kept, never sent)."""

    urls: list[str] | None = None
    success_email_subject: str | None = None
    success_email_body: str | None = None
    success_email_addresses: list[str] | None = None
    success_email_from_name: str | None = None
    success_email_reply_to: str | None = None
    failure_email_addresses: list[str] | None = None
    stall_warning_minutes: int | None = None
    success_on: bool | None = None
    failure_on: bool | None = None


class SyncDatabaseTable(RequestModel):
    """``databaseTable`` of a sync side."""

    schema_: str = Field(alias="schema")
    table: str
    use_without_schema: bool | None = None


class SyncSource(RequestModel):
    """``source`` of a sync: a table as ``path`` (schema.table) or ``databaseTable``."""

    database_table: SyncDatabaseTable | None = None
    file: dict[str, Any] | None = None
    google_worksheet: dict[str, Any] | None = None
    path: str | None = None


class SyncDestination(RequestModel):
    """``destination`` of a sync."""

    database_table: SyncDatabaseTable | None = None
    google_worksheet: dict[str, Any] | None = None
    path: str | None = None


class SyncAdvancedOptionsFields(BaseModel):
    """``advancedOptions`` fields, the same in a request and in an answer."""

    max_errors: int | None = None
    existing_table_rows: str | None = None
    first_row_is_header: bool | None = None
    diststyle: str | None = None
    distkey: str | None = None
    sortkey1: str | None = None
    sortkey2: str | None = None
    column_delimiter: str | None = None
    column_overrides: dict[str, Any] | None = None
    escaped: bool | None = None
    identity_column: str | None = None
    last_modified_column: str | None = None
    row_chunk_size: int | None = None
    wipe_destination_table: bool | None = None
    truncate_long_lines: bool | None = None
    invalid_char_replacement: str | None = None
    verify_table_row_counts: bool | None = None
    partition_column_name: str | None = None
    partition_schema_name: str | None = None
    partition_table_name: str | None = None
    partition_table_partition_column_min_name: str | None = None
    partition_table_partition_column_max_name: str | None = None
    mysql_catalog_matches_schema: bool | None = None
    chunking_method: str | None = None
    export_action: str | None = None
    sql_query: str | None = None
    contact_lists: str | None = None
    soql_query: str | None = None
    include_deleted_records: bool | None = None


class SyncAdvancedOptions(RequestModel, SyncAdvancedOptionsFields):
    """``advancedOptions`` of a sync (Dbsync runs read existingTableRows,
    wipeDestinationTable and identityColumn; the rest is kept and shown)."""


class SyncAdvancedOptionsOut(ResponseModel, SyncAdvancedOptionsFields):
    """``advancedOptions`` as shown."""


class SyncCreate(RequestModel):
    """Body of ``POST /imports/{id}/syncs`` and ``PUT /imports/{id}/syncs/{sync_id}``."""

    source: SyncSource
    destination: SyncDestination
    advanced_options: SyncAdvancedOptions | None = None


class SyncDatabaseTableOut(ResponseModel):
    """``databaseTable`` as shown."""

    schema_: str | None = Field(default=None, alias="schema")
    table: str | None = None
    use_without_schema: bool | None = None


class SyncFileOut(ResponseModel):
    """``file`` as shown."""

    id: int | None = None


class SyncWorksheetOut(ResponseModel):
    """``googleWorksheet`` as shown (never used here)."""

    spreadsheet: str | None = None
    spreadsheet_id: str | None = None
    worksheet: str | None = None
    worksheet_id: int | None = None


class SyncSourceOut(ResponseModel):
    """``source`` of a sync as shown."""

    id: int | None = None
    database_table: SyncDatabaseTableOut | None = None
    file: SyncFileOut | None = None
    google_worksheet: SyncWorksheetOut | None = None
    path: str | None = None


class SyncDestinationOut(ResponseModel):
    """``destination`` of a sync as shown."""

    database_table: SyncDatabaseTableOut | None = None
    google_worksheet: SyncWorksheetOut | None = None
    path: str | None = None


class Sync(ResponseModel):
    """A sync of an import."""

    id: int | None = None
    source: SyncSourceOut | None = None
    destination: SyncDestinationOut | None = None
    advanced_options: SyncAdvancedOptionsOut | None = None


class ImportListItem(ResponseModel):
    """A row of ``GET /imports``."""

    id: int | None = None
    name: str | None = None
    source: ImportEndpointOut | None = None
    destination: ImportEndpointOut | None = None
    sync_type: str | None = None
    is_outbound: bool | None = None
    job_type: str | None = None
    state: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_run: JobRun | None = None
    user: UserSimple | None = None
    schedule: JobSchedule | None = None
    time_zone: str | None = None
    archived: str | None = None


class Import(ResponseModel):
    """An import with its syncs."""

    id: int | None = None
    name: str | None = None
    source: ImportEndpointOut | None = None
    destination: ImportEndpointOut | None = None
    sync_type: str | None = None
    parent_id: int | None = None
    is_outbound: bool | None = None
    job_type: str | None = None
    syncs: list[Sync] | None = None
    state: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    last_run: JobRun | None = None
    user: UserSimple | None = None
    running_as: UserSimple | None = None
    schedule: JobSchedule | None = None
    next_run_at: str | None = None
    notifications: ImportNotifications | None = None
    time_zone: str | None = None
    hidden: bool | None = None
    archived: str | None = None
    my_permission_level: str | None = None


class ImportListQuery(PagedQuery):
    """Filters of ``GET /imports``."""

    type: str | None = None
    destination: str | None = None
    source: str | None = None
    status: str | None = None
    author: str | None = None
    hidden: bool | None = None
    archived: str | None = None


class ImportRunStarted(ResponseModel):
    """The answer of ``POST /imports/{id}/runs``."""

    run_id: int | None = None


imports = Resource("imports")
imports.op(
    "get",
    "/imports/",
    "List Imports",
    svc.list_imports,
    query=ImportListQuery,
    response=ImportListItem,
    array=True,
)
imports.op(
    "post",
    "/imports/",
    "Create a new import configuration",
    svc.create_import,
    body=ImportCreate,
    body_name="ImportCreateRequest",
    response=Import,
    status=201,
)
imports.op("get", "/imports/{id}", "Get details about an import", svc.get_import, response=Import)
imports.op(
    "put",
    "/imports/{id}",
    "Update an import",
    svc.update_import,
    body=ImportUpdate,
    body_name="ImportUpdateRequest",
    response=Import,
)
imports.op(
    "post",
    "/imports/{id}/syncs",
    "Create a sync",
    svc.create_sync,
    body=SyncCreate,
    body_name="ImportSyncLegacyCreateRequest",
    response=Sync,
    status=201,
)
imports.op(
    "put",
    "/imports/{id}/syncs/{sync_id}",
    "Update a sync",
    svc.update_sync,
    body=SyncCreate,
    body_name="ImportSyncRelationWithDataLegacyUpdateRequest",
    response=Sync,
)
imports.op(
    "delete",
    "/imports/{id}/syncs/{sync_id}",
    "Archive a sync (deprecated, use the /archive endpoint instead)",
    svc.archive_sync,
    status=204,
)
imports.op(
    "post",
    "/imports/{id}/runs",
    "Run an import",
    svc.post_run,
    response=ImportRunStarted,
    status=202,
)
imports.op(
    "get",
    "/imports/{id}/runs",
    "Get the run history of this import",
    svc.KIND_RUNS.list_runs,
    query=PagedQuery,
    response=ImportRun,
    array=True,
)
imports.op(
    "post", "/imports/{id}/cancel", "Cancel a run", svc.cancel, response=CancelAnswer, status=202
)
imports.run_logs(svc.KIND.list_logs)
imports.shares(job_services.KIND, level_noun="an import")
imports.transfer(job_services.KIND)
imports.projects(job_services.KIND)
imports.archive(job_services.KIND, svc.get_import, Import)
