"""``/imports/files/csv``: CSV imports of Civis files into a database table, and their runs.

``GET /imports/files/{id}/runs/{run_id}`` (and its siblings) serve the runs of every
import job, CSV or Dbsync: the official ``transfer_table`` polls that path for a Dbsync.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import RequestModel, ResponseModel
from civis_platform.api._subresources import run_model
from civis_platform.services import imports_csv as svc


class CsvStoragePath(RequestModel):
    """``source.storagePath``: files in a storage host (not served here)."""

    storage_host_id: int
    credential_id: int
    file_paths: list[str]


class CsvSource(RequestModel):
    """``source``: the Civis files to import."""

    file_ids: list[int] | None = None
    storage_path: CsvStoragePath | None = None


class CsvDestination(RequestModel):
    """``destination``: the table and the database it lives in."""

    schema_: str = Field(alias="schema")
    table: str
    remote_host_id: int
    credential_id: int
    primary_keys: list[str] | None = None
    last_modified_keys: list[str] | None = None


class CsvDestinationFields(BaseModel):
    """``destination`` fields, all optional: as a PATCH takes them and as shown."""

    schema_: str | None = Field(default=None, alias="schema")
    table: str | None = None
    remote_host_id: int | None = None
    credential_id: int | None = None
    primary_keys: list[str] | None = None
    last_modified_keys: list[str] | None = None


class CsvDestinationPatch(RequestModel, CsvDestinationFields):
    """``destination`` of a PATCH: any part of it."""


class CsvTableColumn(RequestModel):
    """One column of ``tableColumns``."""

    name: str
    sql_type: str | None = None


class CsvTableColumnPatch(RequestModel):
    """One column of ``tableColumns`` in a PATCH."""

    name: str | None = None
    sql_type: str | None = None


class RedshiftOptions(RequestModel):
    """``redshiftDestinationOptions`` (kept, not applied: no warehouse here is Redshift).

    The official client sends ``sortkeys: [sortkey1, sortkey2]``, nulls included.
    """

    diststyle: str | None = None
    distkey: str | None = None
    sortkeys: list[str | None] | None = None


class CsvImportUpdate(RequestModel):
    """Body of ``PUT /imports/files/csv/{id}``."""

    name: str | None = None
    source: CsvSource
    destination: CsvDestination
    first_row_is_header: bool
    column_delimiter: str | None = None
    escaped: bool | None = None
    compression: str | None = None
    existing_table_rows: str | None = None
    max_errors: int | None = None
    table_columns: list[CsvTableColumn] | None = None
    loosen_types: bool | None = None
    execution: str | None = None
    redshift_destination_options: RedshiftOptions | None = None


class CsvImportCreate(CsvImportUpdate):
    """Body of ``POST /imports/files/csv``: the ``PUT`` body and ``hidden``."""

    hidden: bool | None = None


class CsvImportPatch(RequestModel):
    """Body of ``PATCH /imports/files/csv/{id}``."""

    name: str | None = None
    source: CsvSource | None = None
    destination: CsvDestinationPatch | None = None
    first_row_is_header: bool | None = None
    column_delimiter: str | None = None
    escaped: bool | None = None
    compression: str | None = None
    existing_table_rows: str | None = None
    max_errors: int | None = None
    table_columns: list[CsvTableColumnPatch] | None = None
    loosen_types: bool | None = None
    execution: str | None = None
    redshift_destination_options: RedshiftOptions | None = None


class CsvStoragePathOut(ResponseModel):
    """``source.storagePath`` as shown."""

    storage_host_id: int | None = None
    credential_id: int | None = None
    file_paths: list[str] | None = None


class CsvSourceOut(ResponseModel):
    """``source`` as shown."""

    file_ids: list[int] | None = None
    storage_path: CsvStoragePathOut | None = None


class CsvDestinationOut(ResponseModel, CsvDestinationFields):
    """``destination`` as shown."""


class CsvTableColumnOut(ResponseModel):
    """One column as shown."""

    name: str | None = None
    sql_type: str | None = None


class RedshiftOptionsOut(ResponseModel):
    """``redshiftDestinationOptions`` as shown."""

    diststyle: str | None = None
    distkey: str | None = None
    sortkeys: list[str] | None = None


class CsvImport(ResponseModel):
    """A CSV import."""

    id: int | None = None
    name: str | None = None
    source: CsvSourceOut | None = None
    destination: CsvDestinationOut | None = None
    first_row_is_header: bool | None = None
    column_delimiter: str | None = None
    escaped: bool | None = None
    compression: str | None = None
    existing_table_rows: str | None = None
    max_errors: int | None = None
    table_columns: list[CsvTableColumnOut] | None = None
    loosen_types: bool | None = None
    execution: str | None = None
    redshift_destination_options: RedshiftOptionsOut | None = None
    hidden: bool | None = None
    my_permission_level: str | None = None


CsvImportRun = run_model("CsvImportRun", "csv_import_id", "A run of a CSV import.")


ImportRun = run_model(
    "ImportRun", "import_id", "A run of any import (``/imports/files/{id}/runs``)."
)


imports_csv = Resource("imports")
base = "/imports/files/csv"
imports_csv.op(
    "post",
    base,
    "Create a CSV Import",
    svc.create_import,
    body=CsvImportCreate,
    body_name="CsvImportCreateRequest",
    response=CsvImport,
    status=201,
)
imports_csv.op("get", f"{base}/{{id}}", "Get a CSV Import", svc.get_import, response=CsvImport)
imports_csv.op(
    "put",
    f"{base}/{{id}}",
    "Replace all attributes of this CSV Import",
    svc.replace_import,
    body=CsvImportUpdate,
    body_name="CsvImportUpdateRequest",
    response=CsvImport,
)
imports_csv.op(
    "patch",
    f"{base}/{{id}}",
    "Update some attributes of this CSV Import",
    svc.update_import,
    body=CsvImportPatch,
    body_name="CsvImportPatchRequest",
    body_required=False,
    response=CsvImport,
)
imports_csv.archive_and_delete(
    svc.set_archived, svc.archive_import, CsvImport, noun="CSV Import", prefix=base
)


imports_csv.runs(svc.KIND, CsvImportRun, noun="CSV Import", prefix=base)
imports_csv.runs(svc.ANY_IMPORT, ImportRun, noun="Import", prefix="/imports/files")
