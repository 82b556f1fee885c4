"""Warehouses: the SQL engines that hold a Civis database's tables.

`Warehouse` (in `base`) is the protocol; `DuckDBWarehouse` and `PostgresWarehouse` are
the implementations; `detect_csv` inspects a CSV file for ``detectedInfo``; a few
helpers that programs share with the engines (`quote_ident`, `sql_type_of_arrow`,
`is_parquet`, `parquet_schema`) are public here. The engine
modules are imported lazily so that ``import civis_platform.warehouse`` needs neither
DuckDB nor psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._columnar import is_parquet, parquet_schema
from ._sqltext import quote_ident
from ._types import sql_type_of_arrow
from .base import (
    DEFAULT_PREVIEW_ROWS,
    Column,
    CsvFormat,
    CsvImportError,
    ExistingTableRows,
    ExportResult,
    ImportResult,
    PartInfo,
    QueryPreview,
    SqlError,
    TableExistsError,
    TableInfo,
    TableNotFoundError,
    Warehouse,
    WarehouseError,
)
from .csv_detect import DetectedInfo, detect_csv

if TYPE_CHECKING:
    from .duckdb import DuckDBWarehouse
    from .postgres import PostgresWarehouse

__all__ = [
    "DEFAULT_PREVIEW_ROWS",
    "Column",
    "CsvFormat",
    "CsvImportError",
    "DetectedInfo",
    "DuckDBWarehouse",
    "ExistingTableRows",
    "ExportResult",
    "ImportResult",
    "PartInfo",
    "PostgresWarehouse",
    "QueryPreview",
    "SqlError",
    "TableExistsError",
    "TableInfo",
    "TableNotFoundError",
    "Warehouse",
    "WarehouseError",
    "detect_csv",
    "is_parquet",
    "open_warehouse",
    "parquet_schema",
    "quote_ident",
    "sql_type_of_arrow",
]


def open_warehouse(url: str) -> Warehouse:
    """The warehouse a URL names: ``duckdb:///abs/path.duckdb`` (``duckdb://rel/path``)
    or a PostgreSQL URL (``postgresql://user@host:5432/db``, ``postgresql+psycopg://``).

    Examples:
        >>> import tempfile
        >>> wh = open_warehouse(f"duckdb://{tempfile.mkdtemp()}/w.duckdb")
        >>> type(wh).__name__
        'DuckDBWarehouse'
        >>> wh.close()
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a warehouse URL: {url!r}")
    if scheme == "duckdb":
        from .duckdb import DuckDBWarehouse

        return DuckDBWarehouse(rest)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        from .postgres import PostgresWarehouse

        return PostgresWarehouse(url)
    raise ValueError(f"unsupported warehouse URL scheme {scheme!r} (use duckdb or postgresql)")


def __getattr__(name: str) -> Any:
    if name == "DuckDBWarehouse":
        from .duckdb import DuckDBWarehouse

        return DuckDBWarehouse
    if name == "PostgresWarehouse":
        from .postgres import PostgresWarehouse

        return PostgresWarehouse
    raise AttributeError(name)
