"""Warehouses: the SQL engines that hold a Civis database's tables.

`Warehouse` (in `base`) is the protocol; `DuckDBWarehouse` and `PostgresWarehouse` are
the implementations; `detect_csv` inspects a CSV file for ``detectedInfo``. The engine
modules are imported lazily so that ``import civis_platform.warehouse`` needs neither
DuckDB nor psycopg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
]


def __getattr__(name: str) -> Any:
    if name == "DuckDBWarehouse":
        from .duckdb import DuckDBWarehouse

        return DuckDBWarehouse
    if name == "PostgresWarehouse":
        from .postgres import PostgresWarehouse

        return PostgresWarehouse
    raise AttributeError(name)
