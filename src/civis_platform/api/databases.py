"""``/databases``: the registered warehouses."""

from __future__ import annotations

from civis_platform.api._generic import Resource
from civis_platform.api._models import ResponseModel
from civis_platform.services import databases as svc


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
