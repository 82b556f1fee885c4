"""``/databases``: the registered warehouses, their schemas and tables."""

from __future__ import annotations

from pydantic import Field

from civis_platform.api._generic import Resource
from civis_platform.api._models import PagedQuery, QueryModel, ResponseModel
from civis_platform.api.tables import Table, TableListItem
from civis_platform.services import database_privileges as privileges_svc
from civis_platform.services import databases as svc
from civis_platform.services import tables as tables_svc


class Database(ResponseModel):
    """A registered warehouse."""

    id: int | None = None
    name: str | None = None
    adapter: str | None = None
    cluster_identifier: str | None = None
    host: str | None = None
    port: int | None = None
    database_name: str | None = None
    managed: bool | None = None


databases = Resource("databases")
databases.op(
    "get", "/databases/", "List databases", svc.list_databases, response=Database, array=True
)
databases.op("get", "/databases/{id}", "Show a database", svc.get_database, response=Database)


class DatabaseSchema(ResponseModel):
    """A schema of a database."""

    schema_: str | None = Field(default=None, alias="schema")


class DatabaseTable(ResponseModel):
    """A table of a schema, as ``GET /databases/{id}/schemas/{schema_name}/tables`` lists it."""

    name: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    is_view: bool | None = None
    database_id: int | None = None


class SchemaListQuery(QueryModel):
    """Query of ``GET /databases/{id}/schemas`` (every user sees every schema)."""

    name: str | None = None
    credential_id: int | None = None


class CredentialQuery(QueryModel):
    """The ``credential_id`` Civis accepts on schema and table reads (not needed here)."""

    credential_id: int | None = None


class DatabaseTableListQuery(PagedQuery):
    """Query of the deprecated ``GET /databases/{id}/tables``."""

    name: str | None = None


NAMES = {"schema_name": "string", "table_name": "string"}

databases.op(
    "get",
    "/databases/{id}/schemas",
    "List schemas in this database",
    tables_svc.list_schemas,
    query=SchemaListQuery,
    response=DatabaseSchema,
    array=True,
    blocking=True,
)
databases.op(
    "get",
    "/databases/{id}/schemas/{schema_name}/tables",
    "List tables in this schema",
    tables_svc.list_schema_tables,
    query=CredentialQuery,
    response=DatabaseTable,
    array=True,
    path_types=NAMES,
    blocking=True,
)
databases.op(
    "get",
    "/databases/{id}/schemas/{schema_name}/tables/{table_name}",
    "Show basic table info",
    tables_svc.get_schema_table,
    query=CredentialQuery,
    response=Table,
    path_types=NAMES,
    blocking=True,
)
databases.op(
    "get",
    "/databases/{id}/tables",
    'List tables in the specified database, deprecated use "GET /tables" instead',
    tables_svc.list_database_tables,
    query=DatabaseTableListQuery,
    response=TableListItem,
    array=True,
    blocking=True,
)


class DatabaseUsers(ResponseModel):
    """The caller's database user (``GET /databases/{id}/users``)."""

    username: str
    active: bool


class DatabaseUsersQuery(QueryModel):
    """Query of ``GET /databases/{id}/users``."""

    active: bool | None = None


class DatabaseGroupMembershipSummary(ResponseModel):
    """A group of the database's users, with its members."""

    group_name: str
    members: list[str]


class DatabasePrivilegeItem(ResponseModel):
    """What one database user or group holds on a schema or table."""

    grantee: str
    grantee_type: str
    privileges: list[str]
    grantable_privileges: list[str]


databases.op(
    "get",
    "/databases/{id}/users",
    "Show list of database users",
    privileges_svc.get_user,
    query=DatabaseUsersQuery,
    response=DatabaseUsers,
    blocking=True,
)
databases.op(
    "get",
    "/databases/{id}/groups",
    "List groups in the specified database",
    privileges_svc.list_groups,
    response=DatabaseGroupMembershipSummary,
    array=True,
    blocking=True,
)
databases.op(
    "get",
    "/databases/{id}/schema_privileges/{schema_name}",
    "Show schema privileges",
    privileges_svc.get_schema_privileges,
    query=CredentialQuery,
    response=DatabasePrivilegeItem,
    path_types={"schema_name": "string"},
    blocking=True,
)
databases.op(
    "get",
    "/databases/{id}/table_privileges/{schema_name}/{table_name}",
    "Show table privileges",
    privileges_svc.get_table_privileges,
    query=CredentialQuery,
    response=DatabasePrivilegeItem,
    path_types=NAMES,
    blocking=True,
)
