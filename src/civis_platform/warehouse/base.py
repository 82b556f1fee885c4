"""The `Warehouse` protocol: what the data plane needs from a SQL engine.

A warehouse runs SQL, streams query results out as CSV, Parquet or Arrow (record batches
or an IPC stream), and loads CSV, Parquet or Arrow into tables. Two implementations
exist, one file each: `DuckDBWarehouse` (`warehouse/duckdb.py`, the embedded default) and
`PostgresWarehouse` (`warehouse/postgres.py`). Everything streams: memory stays constant
whatever the size of the data.

Errors. No engine exception escapes a warehouse; callers see only this tree::

    WarehouseError                 anything the engine refused, with its message
     ├── SqlError                  bad SQL (syntax, unknown column, ...): engine's message
     ├── TableNotFoundError        describe/drop of a missing table, or SQL naming one
     ├── TableExistsError          import with existing_table_rows="fail" onto a table
     └── CsvImportError            malformed CSV or Parquet, wrong column count, too many
                                   bad values

Type names. Column types are reported in the Redshift style that Civis shows in table
columns and in a file's ``detectedInfo``. Both engines accept every name in the right
column (any case) and the common aliases (``INT``, ``INT4``, ``INT8``, ``FLOAT8``,
``DOUBLE``, ``TEXT``, ``STRING``, ``BOOL``, ``DATETIME``, ``TIMESTAMPTZ``, ``DECIMAL``):

==============================  ===================  =====================  ==============
reported ``sql_type``           DuckDB type          PostgreSQL type        Arrow type
==============================  ===================  =====================  ==============
``smallint``                    SMALLINT             smallint               int16
``integer``                     INTEGER              integer                int32
``bigint``                      BIGINT               bigint                 int64
``real``                        FLOAT                real                   float32
``double precision``            DOUBLE               double precision       float64
``numeric(p,s)``                DECIMAL(p,s)         numeric(p,s)           decimal128(p,s)
``boolean``                     BOOLEAN              boolean                bool
``character varying(n)``        VARCHAR              character varying(n)   string
``character varying``           VARCHAR              text / varchar         string
``date``                        DATE                 date                   date32
``timestamp without time zone`` TIMESTAMP            timestamp              timestamp[us]
``timestamp with time zone``    TIMESTAMPTZ          timestamptz            timestamp[us,UTC]
``time without time zone``      TIME                 time                   time64[us]
==============================  ===================  =====================  ==============

DuckDB ignores a VARCHAR length, so it reports ``character varying``; other engine types
are reported lower-cased as the engine names them.

CSV rendering (exports): NULL is an empty unquoted field, an empty string is ``""``;
booleans are ``t``/``f`` (as Redshift's UNLOAD and PostgreSQL's COPY write them); dates are
ISO ``YYYY-MM-DD``; timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]``; a field is quoted only
when it holds the delimiter, a quote, CR or LF (or is the empty string). With
``unquoted=True`` nothing is quoted; instead backslash, CR, LF, tab and the delimiter are
escaped with a backslash (PostgreSQL's text format; Redshift's ``ESCAPE``), and NULL and
the empty string are both an empty field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, Protocol, runtime_checkable

import pyarrow as pa

__all__ = [
    "DEFAULT_PREVIEW_ROWS",
    "Column",
    "CsvFormat",
    "CsvImportError",
    "ExistingTableRows",
    "ExportResult",
    "ImportResult",
    "PartInfo",
    "QueryPreview",
    "SqlError",
    "TableExistsError",
    "TableInfo",
    "TableNotFoundError",
    "TableSummary",
    "Warehouse",
    "WarehouseError",
]

DEFAULT_PREVIEW_ROWS = 100

ExistingTableRows = Literal["fail", "truncate", "append", "drop", "upsert"]
"""What a load does to a table that already exists (Civis's ``existing_table_rows``).

- ``fail``: raise `TableExistsError`, change nothing.
- ``truncate``: delete its rows, keep its columns, load.
- ``append``: keep its rows, load after them.
- ``drop``: drop it and create it again from the new columns.
- ``upsert``: delete the rows whose ``primary_keys`` match a loaded row, then load.

A table that does not exist is created in every mode.
"""


class WarehouseError(Exception):
    """Base of every error a warehouse raises; ``str()`` is a message fit for a user."""


class SqlError(WarehouseError):
    """The engine rejected a statement; the message is the engine's own."""


class TableNotFoundError(WarehouseError):
    """The named table does not exist."""


class TableExistsError(WarehouseError):
    """A load with ``existing_table_rows="fail"`` found the table already there."""


class CsvImportError(WarehouseError):
    """A CSV (or Parquet) file could not be loaded; the message names the source, line and
    column if known."""


@dataclass(frozen=True)
class Column:
    """A table column: its name, its type (see the table above) and nullability.

    Examples:
        >>> Column("zip", "character varying(5)")
        Column(name='zip', sql_type='character varying(5)', nullable=True)
    """

    name: str
    sql_type: str
    nullable: bool = True


@dataclass(frozen=True)
class TableInfo:
    """A table's schema, name, columns in order, exact row count, and whether it is a view."""

    schema: str
    name: str
    columns: list[Column]
    row_count: int | None = None
    is_view: bool = False


@dataclass(frozen=True)
class TableSummary:
    """A catalogue entry, as `Warehouse.list_table_summaries` reports it without reading
    the table: its schema, name, whether it is a view, and how many columns it has.

    Examples:
        >>> TableSummary("public", "t", False, 3)
        TableSummary(schema='public', name='t', is_view=False, column_count=3)
    """

    schema: str
    name: str
    is_view: bool
    column_count: int


@dataclass(frozen=True)
class QueryPreview:
    """What `Warehouse.execute` returns.

    ``columns`` is empty for statements that return no rows. ``rows`` holds at most
    ``preview_rows`` rows, each value rendered as its CSV text (``None`` for NULL).
    ``row_count`` counts every row of a query's result, or the rows a DML statement
    touched (``None`` when the engine does not say).
    """

    columns: list[str]
    rows: list[list[str | None]]
    row_count: int | None


@dataclass(frozen=True)
class CsvFormat:
    """How an export renders CSV (Civis's ``csv_settings``).

    Examples:
        >>> CsvFormat(delimiter="|", compression="none")
        CsvFormat(include_header=True, delimiter='|', compression='none', unquoted=False)
    """

    include_header: bool = True
    delimiter: str = ","
    compression: Literal["gzip", "none"] = "gzip"
    unquoted: bool = False

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1 or self.delimiter in '"\r\n\\':
            raise ValueError(f"unsupported CSV delimiter {self.delimiter!r}")
        if self.compression not in ("gzip", "none"):
            raise ValueError(f"unsupported compression {self.compression!r}")


@dataclass(frozen=True)
class ExportResult:
    """Rows written by an export and the result's column names (the header)."""

    row_count: int
    columns: list[str]


@dataclass(frozen=True)
class PartInfo:
    """One file of a multifile export: its 0-based index, rows and bytes written."""

    index: int
    row_count: int
    size: int


@dataclass(frozen=True)
class ImportResult:
    """Rows a load inserted, and how many bad rows it skipped (within ``max_errors``)."""

    rows_inserted: int
    rows_rejected: int = 0
    columns: list[Column] = field(default_factory=list)


@runtime_checkable
class Warehouse(Protocol):
    """A SQL engine holding the tables of one Civis database.

    Implementations are safe to share between threads. Table names are never parsed:
    ``schema`` and ``table`` are passed separately and quoted by the warehouse.

    Examples:
        >>> import io, tempfile, pathlib
        >>> from civis_platform.warehouse import DuckDBWarehouse, CsvFormat
        >>> wh = DuckDBWarehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
        >>> wh.import_csv("s", "t", [io.BytesIO(b"a,b\\n1,x\\n")]).rows_inserted
        1
        >>> out = io.BytesIO()
        >>> wh.export_csv("select * from s.t", out, CsvFormat(compression="none")).row_count
        1
        >>> out.getvalue()
        b'a,b\\n1,x\\n'
        >>> wh.close()
    """

    def execute(
        self, sql: str, params: Sequence[Any] | None = None, *, preview_rows: int = ...
    ) -> QueryPreview:
        """Run one statement; for a query keep the first ``preview_rows`` rows.

        ``params`` use the engine's placeholders (``?`` for DuckDB, ``%s`` for
        PostgreSQL). Raises `SqlError`.
        """
        ...

    def export_csv(self, sql: str, sink: BinaryIO, fmt: CsvFormat) -> ExportResult:
        """Stream a query's result into ``sink`` as CSV (see "CSV rendering" above).

        ``sql`` is one query (it is wrapped as a subquery; a trailing ``;`` is fine).
        The sink is flushed, not closed. Raises `SqlError`, `TableNotFoundError`.
        """
        ...

    def export_csv_parts(
        self,
        sql: str,
        open_part: Callable[[int], BinaryIO],
        fmt: CsvFormat,
        max_file_size: int,
    ) -> list[PartInfo]:
        """Stream a query's result into several CSV files of about ``max_file_size`` bytes.

        ``open_part(i)`` is called for part 0, 1, ...; the warehouse closes each sink.
        A part ends on a row boundary once the bytes written to its sink (compressed,
        if gzip) reach ``max_file_size``, so a part may overshoot by one chunk (at most
        256 KiB of CSV). An empty result still yields one part.

        Each part starts with the header row when ``fmt.include_header``. Civis's
        multifile export (``civis_to_multifile_csv``) instead writes its parts without
        a header and puts the column names in the manifest's ``header`` list; a caller
        that wants that passes ``include_header=False`` and gets the names from
        `export_columns`.
        """
        ...

    def export_columns(self, sql: str) -> list[str]:
        """The column names a query would return, without running it to completion."""
        ...

    def import_csv(
        self,
        schema: str,
        table: str,
        sources: Sequence[BinaryIO],
        *,
        columns: list[Column] | None = None,
        existing_table_rows: ExistingTableRows = "fail",
        header: bool = True,
        delimiter: str = ",",
        compression: Literal["none", "gzip"] = "none",
        primary_keys: list[str] | None = None,
        max_errors: int | None = None,
    ) -> ImportResult:
        """Load CSV streams into ``schema.table`` atomically.

        The sources are read once, in order, and must all have the same columns. With
        ``columns=None`` the column names come from the header (or ``column_1``, ...) and
        the types are inferred from all the data, with the rules of `detect_csv`.
        An empty field is NULL except in text columns, where only an unquoted empty field
        is. A row whose values do not fit the column types is skipped while there are at
        most ``max_errors`` such rows (default 0). Any error leaves the table as it was
        (or absent): raises `CsvImportError`, `TableExistsError` or `SqlError`.
        """
        ...

    def import_parquet(
        self,
        schema: str,
        table: str,
        sources: Sequence[BinaryIO],
        *,
        columns: list[Column] | None = None,
        existing_table_rows: ExistingTableRows = "fail",
        primary_keys: list[str] | None = None,
    ) -> ImportResult:
        """Load seekable Parquet streams into ``schema.table`` atomically.

        Every source must have the same columns. With ``columns=None`` the table gets the
        files' column names and types (Arrow to SQL as in the table above); otherwise
        ``columns`` name and type the file's columns by position, and each value is cast
        (a value that does not cast fails the load). ``existing_table_rows`` and
        ``primary_keys`` as for `import_csv`. Raises `CsvImportError` for a file that is
        not Parquet or columns that disagree, `TableExistsError`, `SqlError`.
        """
        ...

    def export_parquet(self, sql: str, sink: BinaryIO) -> ExportResult:
        """Write a query's result into ``sink`` as one Parquet file (snappy).

        Columns keep their types where Parquet has them (integers, floats, decimals,
        booleans, text, dates, times, timestamps; PostgreSQL's ``numeric`` without a
        declared scale becomes a double); any other type is written as its text, as a
        CSV export renders it. Repeated column names get a ``_2``, ``_3``, ...
        suffix (Parquet needs unique names); `ExportResult.columns` has the query's own.
        The sink is flushed, not closed.
        """
        ...

    def export_arrow(self, sql: str, sink: BinaryIO) -> ExportResult:
        """Write a query's result into ``sink`` in the Arrow IPC stream format (zstd), with
        the columns, types and names of `export_parquet`. The sink is flushed, not
        closed."""
        ...

    def read_arrow(self, sql: str, *, batch_size: int = ...) -> pa.RecordBatchReader:
        """Stream a query's result as Arrow record batches (types per the table above)."""
        ...

    def write_arrow(
        self,
        schema: str,
        table: str,
        reader: pa.RecordBatchReader,
        *,
        existing_table_rows: ExistingTableRows = "fail",
        primary_keys: list[str] | None = None,
    ) -> int:
        """Load a stream of record batches into ``schema.table`` atomically; return rows."""
        ...

    def list_schemas(self) -> list[str]:
        """Names of the user schemas, sorted."""
        ...

    def list_tables(self, schema: str | None = None) -> list[TableInfo]:
        """Tables (and views) of one schema or of all user schemas, sorted by name."""
        ...

    def list_table_summaries(self, schema: str | None = None) -> list[TableSummary]:
        """Tables (and views) of one schema or of all user schemas, sorted by schema then
        name, from the catalogue alone: one query, no table is read or counted."""
        ...

    def describe_table(self, schema: str, table: str) -> TableInfo:
        """One table with its columns and row count; raises `TableNotFoundError`."""
        ...

    def drop_table(self, schema: str, table: str, *, missing_ok: bool = False) -> None:
        """Drop a table; raises `TableNotFoundError` unless ``missing_ok``."""
        ...

    def session(self) -> contextlib.AbstractContextManager[Any]:
        """Within the block, every call from this thread (or task) uses one engine
        session, as one Civis SQL script does: temporary tables and session settings
        made by one call are seen by the next, and go when the block ends. Each call
        still commits on its own. Nested blocks share the outer session.

        The block gets the session, whose ``interrupt()`` (from another thread) stops
        the statement under way: it fails with a `WarehouseError` and rolls back, and so
        does every later call in the session (an interrupt between calls is not lost).
        A ``BEGIN`` in the session's own SQL opens a transaction that later calls join
        until its ``COMMIT`` or ``ROLLBACK`` (on DuckDB; PostgreSQL runs each call in its
        own transaction block, where such statements only warn).

        Examples:
            >>> import tempfile, pathlib
            >>> from civis_platform.warehouse import DuckDBWarehouse
            >>> wh = DuckDBWarehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
            >>> with wh.session():
            ...     _ = wh.execute("create temp table t as select 42 as answer")
            ...     wh.execute("select * from t").rows
            [['42']]
            >>> wh.close()
        """
        ...

    def close(self) -> None:
        """Release connections; the warehouse is unusable afterwards."""
        ...
