"""The engine-neutral half of a warehouse: loads, exports and catalogue queries.

`SqlWarehouse` implements the `Warehouse` protocol in terms of a few engine hooks
(open a transaction, load raw CSV into a text staging table, stream CSV or Arrow out,
translate exceptions). Everything both engines do the same way lives here once: the
``existing_table_rows`` semantics, CSV loads (`_csvload`), exports, the catalogue
queries over ``information_schema``.

Every load runs in one transaction: stage the data, prepare the target (create / drop /
truncate / delete matching keys), insert. Any error rolls the transaction back, so the
target is never half-written.
"""

from __future__ import annotations

import abc
import contextlib
import contextvars
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, BinaryIO, Literal

import pyarrow as pa

from . import _columnar, _csv
from ._csvload import CsvLoad, cast_select_from
from ._inference import TypeStats
from ._sqltext import quote_ident, quote_literal, strip_query
from ._types import canonical_type
from .base import (
    Column,
    CsvFormat,
    CsvImportError,
    ExistingTableRows,
    ExportResult,
    ImportResult,
    PartInfo,
    SqlError,
    TableExistsError,
    TableInfo,
    TableNotFoundError,
    TableSummary,
    WarehouseError,
)

__all__ = ["Session", "SqlWarehouse", "quote_ident", "quote_literal", "strip_query"]

_MODES = ("fail", "truncate", "append", "drop", "upsert")
_SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")


def _user_schemas(column: str) -> str:
    """SQL that is true when ``column`` names a user schema (not a system or temp one)."""
    excluded = ", ".join(quote_literal(s) for s in _SYSTEM_SCHEMAS)
    return (
        f"{column} NOT IN ({excluded})"
        f" AND {column} NOT LIKE 'pg_temp%' AND {column} NOT LIKE 'pg_toast_temp%'"
    )


def _native_layout_ok(files: list[str], width: int, header: bool, delimiter: str) -> bool:
    """Whether the files' first records allow an engine's own reader to load them as the
    staging path would: no byte order mark (the staging path drops it), not all empty
    (an error there), and, with a header, headers of ``width`` fields (engines' readers
    skip the header line unchecked; data rows they check themselves)."""
    empty = 0
    for path in files:
        with open(path, "rb") as fh:
            if fh.read(3) == b"\xef\xbb\xbf":
                return False
            fh.seek(0)
            fields, _, _ = _csv.split_first_record(fh, delimiter)
        if fields is None:
            empty += 1
        elif header and len(fields) != width:
            return False
    return empty < len(files)


def _arrow_columns(schema: pa.Schema) -> list[Column]:
    from ._types import sql_type_of_arrow

    return [Column(f.name, sql_type_of_arrow(f.type)) for f in schema]


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique for formats that need it: a repeat gets ``_2``, ``_3``...

    Examples:
        >>> unique_names(["a", "b", "a", "a_2"])
        ['a', 'b', 'a_3', 'a_2']
    """
    taken = set(names)
    seen: set[str] = set()
    result = []
    for name in names:
        if name in seen:
            n = 2
            while f"{name}_{n}" in taken:
                n += 1
            name = f"{name}_{n}"
            taken.add(name)
        seen.add(name)
        result.append(name)
    return result


# Open sessions (`SqlWarehouse.session`) by warehouse, in this thread or task. The dict is
# never changed in place: a session sets a new one, so other contexts never see it.
_SESSIONS: contextvars.ContextVar[Mapping[int, Any]] = contextvars.ContextVar(
    "warehouse_sessions", default=MappingProxyType({})
)


class Session:
    """An open warehouse session (`Warehouse.session`).

    ``interrupt()`` may be called from any thread, and it sticks: the statement the
    session is running fails (with a `WarehouseError`) and rolls back, and so does every
    later call in the session, so an interrupt that lands between two statements is not
    lost. A transaction whose work was done when the interrupt came rolls back instead
    of committing.
    """

    def __init__(self, handle: Any, interrupt: Callable[[Any], None]) -> None:
        self.handle = handle
        self.interrupted = False
        # Whether the session's own SQL opened a transaction (BEGIN) that is still open:
        # the warehouse's own work then joins it instead of starting one.
        self.in_transaction = False
        self._interrupt = interrupt

    def interrupt(self) -> None:
        """Stop the statement under way, if any, and every later one."""
        self.interrupted = True
        with contextlib.suppress(Exception):  # the engine's cancel is best effort
            self._interrupt(self.handle)

    def check(self) -> None:
        """Raise `WarehouseError` once the session was interrupted."""
        if self.interrupted:
            raise WarehouseError("The statement was interrupted: the run was cancelled.")


class SqlWarehouse(abc.ABC):
    """Shared implementation of `Warehouse`; subclasses fill in the engine hooks."""

    # -- sessions ---------------------------------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """See `Warehouse.session`."""
        current = self._session()
        if current is not None:
            yield current  # already inside one: it goes on
            return
        handle = self._open_session()
        opened = Session(handle, self._interrupt)
        token = _SESSIONS.set({**_SESSIONS.get(), id(self): opened})
        try:
            yield opened
        finally:
            _SESSIONS.reset(token)
            self._close_session(handle)

    def _session(self) -> Session | None:
        """This context's open session, if any."""
        return _SESSIONS.get().get(id(self))

    def _pinned(self) -> Any | None:
        """This context's session handle (a cursor or connection), if one is open.

        Every call in a session starts here, so an interrupted session refuses it."""
        current = self._session()
        if current is None:
            return None
        current.check()
        return current.handle

    def _check_interrupt(self) -> None:
        """Before a commit: refuse it if this context's session was interrupted."""
        current = self._session()
        if current is not None:
            current.check()

    @abc.abstractmethod
    def _open_session(self) -> Any:
        """A connection (or cursor) reserved for one session."""

    @abc.abstractmethod
    def _close_session(self, handle: Any) -> None:
        """End a session: its temporary objects and settings go with it."""

    @abc.abstractmethod
    def _interrupt(self, handle: Any) -> None:
        """Ask the engine to stop the statement running on a session's handle."""

    # -- engine hooks ---------------------------------------------------------------

    @abc.abstractmethod
    def _transaction(self) -> contextlib.AbstractContextManager[Any]:
        """A cursor inside a transaction: committed on success, rolled back on error."""

    @abc.abstractmethod
    def _translate(self, exc: Exception) -> WarehouseError | None:
        """The domain error for an engine exception (``None``: not the engine's)."""

    def _savepoint(self, cur: Any) -> contextlib.AbstractContextManager[Any] | None:
        """A savepoint to roll back one failed statement to, if the engine has them."""
        return None

    @abc.abstractmethod
    def _sql_is_valid(self, expr: str, sql_type: str) -> str:
        """SQL that is true when non-null text ``expr`` converts to ``sql_type``."""

    @abc.abstractmethod
    def _stage_csv(
        self,
        cur: Any,
        staging: str,
        names: list[str],
        stream: BinaryIO,
        delimiter: str,
        first_row: int,
        line_offset: int,
        stats: TypeStats | None,
    ) -> int:
        """Append a CSV stream (no header) to the staging table; return its row count.

        The staging table has ``__row bigint`` then text columns ``c0, c1, ...``; rows
        are numbered from ``first_row`` in file order. Errors should name the line of the
        file: the stream's first line is line ``line_offset + 1``. When ``stats`` is
        given, every row's text goes through it (as Arrow batches) for type inference.
        """

    @abc.abstractmethod
    def _create_staging(self, cur: Any, staging: str, names: list[str]) -> None:
        """Create the temporary staging table: ``__row bigint``, then text ``c0, c1, ...``."""

    @abc.abstractmethod
    def _stage_arrow(self, cur: Any, temp: str, reader: pa.RecordBatchReader) -> None:
        """Create temporary table ``temp`` with the reader's columns and load it."""

    @abc.abstractmethod
    def _csv_chunks(self, cur: Any, sql: str, fmt: CsvFormat) -> Iterator[tuple[bytes, int]]:
        """The query's rows as row-aligned CSV chunks (no header)."""

    @abc.abstractmethod
    def _query_columns(self, cur: Any, sql: str) -> list[str]:
        """Column names of a query's result."""

    @abc.abstractmethod
    def _reported_type(self, data_type: str, length: Any, precision: Any, scale: Any) -> str:
        """Canonical type name from an ``information_schema.columns`` row."""

    @abc.abstractmethod
    def read_arrow(self, sql: str, *, batch_size: int = ...) -> pa.RecordBatchReader:
        """See `Warehouse.read_arrow` (each engine fetches its own way)."""

    def _native_csv_source(
        self, paths: list[str], width: int, header: bool, delimiter: str
    ) -> str | None:
        """SQL for a relation of text columns ``c0..c{width-1}`` that the engine reads from
        uncompressed CSV files itself (NULL = unquoted empty field), or ``None`` if it
        cannot. Used for typed loads of local files (see `_import_native`)."""
        return None

    def _native_parquet_source(self, paths: list[str]) -> str | None:
        """SQL for a relation that the engine reads from local Parquet files itself, or
        ``None`` if it cannot (the rows are then staged from pyarrow's reader)."""
        return None

    def _insert_count(self, cur: Any, sql: str) -> int:
        """Run an INSERT; return how many rows it inserted."""
        cur.execute(sql)
        return int(cur.rowcount)

    # -- shared helpers ---------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, default: type[WarehouseError] = SqlError) -> Iterator[None]:
        """Translate engine exceptions raised inside the block into domain errors."""
        try:
            yield
        except WarehouseError:
            raise
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            if default is not SqlError and type(translated) is SqlError:
                translated = default(str(translated))
            raise translated from exc

    @staticmethod
    def _ref(schema: str, table: str) -> str:
        return f"{quote_ident(schema)}.{quote_ident(table)}"

    def _table_columns(self, cur: Any, schema: str, table: str) -> list[Column] | None:
        """The table's columns, or ``None`` if there is no such table or view."""
        found = self._columns_and_kind(cur, schema, table)
        return None if found is None else found[0]

    def _columns_and_kind(
        self, cur: Any, schema: str, table: str
    ) -> tuple[list[Column], bool] | None:
        """The table's columns and whether it is a view (one query), or ``None``."""
        cur.execute(
            "SELECT c.column_name, c.data_type, c.character_maximum_length,"
            " c.numeric_precision, c.numeric_scale, c.is_nullable, t.table_type"
            " FROM information_schema.columns c JOIN information_schema.tables t"
            " ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema"
            " AND t.table_name = c.table_name"
            " WHERE c.table_catalog = current_database()"
            f" AND c.table_schema = {quote_literal(schema)}"
            f" AND c.table_name = {quote_literal(table)}"
            " ORDER BY c.ordinal_position"
        )
        rows = cur.fetchall()
        if not rows:
            return None
        columns = [
            Column(name, self._reported_type(dtype, length, prec, scale), nullable == "YES")
            for name, dtype, length, prec, scale, nullable, _kind in rows
        ]
        return columns, rows[0][6] == "VIEW"

    def _ensure_schema(self, schema: str, attempts: int = 5) -> None:
        """Create the schema if missing, in its own transaction.

        Outside the load's transaction on purpose: two concurrent loads into a new schema
        would otherwise conflict on creating it (both engines raise). A failed load may
        leave the (empty) schema behind, never a table.
        """
        for attempt in range(attempts):
            try:
                with self._errors(), self._transaction() as cur:
                    cur.execute(
                        "SELECT 1 FROM information_schema.schemata WHERE catalog_name ="
                        f" current_database() AND schema_name = {quote_literal(schema)}"
                    )
                    if cur.fetchone() is None:
                        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
                return
            except WarehouseError:
                if attempt == attempts - 1:
                    raise  # a concurrent creator won every time: it is not a race
                time.sleep(0.02 * (attempt + 1))  # let the concurrent creator commit

    def _prepare_target(
        self,
        cur: Any,
        schema: str,
        table: str,
        columns: list[Column],
        mode: ExistingTableRows,
        primary_keys: list[str] | None,
        source_sql: Callable[[list[Column]], str],
    ) -> list[Column]:
        """Apply ``existing_table_rows``; return the columns the rows must be cast to.

        ``source_sql(target_columns)`` gives the SELECT of the incoming rows cast to the
        target's columns; upsert uses it to find the rows to replace.
        """
        if mode not in _MODES:
            raise ValueError(f"existing_table_rows must be one of {_MODES}, not {mode!r}")
        if mode == "upsert" and not primary_keys:
            raise ValueError("existing_table_rows='upsert' needs primary_keys")
        ref = self._ref(schema, table)
        existing = self._table_columns(cur, schema, table)
        if existing is not None and mode == "fail":
            raise TableExistsError(f"table {schema}.{table} already exists")
        if existing is not None and mode == "drop":
            cur.execute(f"DROP TABLE {ref}")
            existing = None
        if existing is None:
            ddl = ", ".join(
                f"{quote_ident(c.name)} {canonical_type(c.sql_type)}"
                + ("" if c.nullable else " NOT NULL")
                for c in columns
            )
            cur.execute(f"CREATE TABLE {ref} ({ddl})")
            return columns
        if len(existing) != len(columns):
            raise CsvImportError(
                f"table {schema}.{table} has {len(existing)} columns but the data has "
                f"{len(columns)}"
            )
        if mode == "truncate":
            cur.execute(f"DELETE FROM {ref}")
        elif mode == "upsert":
            assert primary_keys is not None
            names = {c.name for c in existing}
            missing = [k for k in primary_keys if k not in names]
            if missing:
                raise WarehouseError(f"primary key column(s) not in {schema}.{table}: {missing}")
            match = " AND ".join(f"t.{quote_ident(k)} = s.{quote_ident(k)}" for k in primary_keys)
            cur.execute(
                f"DELETE FROM {ref} AS t WHERE EXISTS "
                f"(SELECT 1 FROM ({source_sql(existing)}) AS s WHERE {match})"
            )
        return existing

    # -- loads ------------------------------------------------------------------------

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
        """See `Warehouse.import_csv`."""
        if not sources:
            raise CsvImportError("no CSV sources to import")
        CsvFormat(delimiter=delimiter)  # validates the delimiter
        self._ensure_schema(schema)
        if columns is not None and compression == "none":
            done = self._import_native(
                schema,
                table,
                sources,
                columns,
                existing_table_rows,
                header,
                delimiter,
                primary_keys,
            )
            if done is not None:
                return done
        with self._errors(CsvImportError), self._transaction() as cur:
            load = CsvLoad(self, cur)
            names = load.stage(
                sources, columns, header, delimiter, compression, infer=columns is None
            )
            if columns is None:
                columns = load.infer(names)
            elif len(columns) != len(names):
                raise CsvImportError(
                    f"{len(columns)} columns were given but the CSV has {len(names)}"
                )
            target = self._prepare_target(
                cur, schema, table, columns, existing_table_rows, primary_keys, load.cast_select
            )
            column_list = ", ".join(quote_ident(c.name) for c in target)
            rejected = load.insert(
                f"INSERT INTO {self._ref(schema, table)} ({column_list}) ",
                target,
                max_errors or 0,
            )
            total = load.total_rows
            load.drop()
        return ImportResult(
            rows_inserted=total - rejected, rows_rejected=rejected, columns=list(target)
        )

    def _import_native(
        self,
        schema: str,
        table: str,
        sources: Sequence[BinaryIO],
        columns: list[Column],
        existing_table_rows: ExistingTableRows,
        header: bool,
        delimiter: str,
        primary_keys: list[str] | None,
    ) -> ImportResult | None:
        """The fast path of a typed load: the engine reads local files itself and casts
        straight into the target, skipping the staging table (3x faster on DuckDB).

        It has nothing to report but success: on any problem with the data it returns
        ``None`` (its transaction rolled back, the streams unread) and the staging path
        runs, which names the bad line and column and honours ``max_errors``.

        One known difference: an odd number of stray quotes inside unquoted fields
        (``1,a"b``) loads here as the literal text, as pyarrow parses it, where the
        staging path's quote-parity check (meant for a quoted field left open at the
        end, which DuckDB rejects itself) refuses the file.
        """
        paths = [_csv.local_file(s) for s in sources]
        if not all(paths):
            return None
        files = [p for p in paths if p is not None]
        if not _native_layout_ok(files, len(columns), header, delimiter):
            return None
        source = self._native_csv_source(files, len(columns), header, delimiter)
        if source is None:
            return None

        def source_sql(target: list[Column]) -> str:
            return cast_select_from(source, target)

        try:
            with self._errors(CsvImportError), self._transaction() as cur:
                target = self._prepare_target(
                    cur, schema, table, columns, existing_table_rows, primary_keys, source_sql
                )
                column_list = ", ".join(quote_ident(c.name) for c in target)
                rows = self._insert_count(
                    cur,
                    f"INSERT INTO {self._ref(schema, table)} ({column_list}) " + source_sql(target),
                )
        except CsvImportError:
            return None
        return ImportResult(rows_inserted=rows, rows_rejected=0, columns=list(target))

    def write_arrow(
        self,
        schema: str,
        table: str,
        reader: pa.RecordBatchReader,
        *,
        existing_table_rows: ExistingTableRows = "fail",
        primary_keys: list[str] | None = None,
    ) -> int:
        """See `Warehouse.write_arrow`."""
        result = self._load_typed(
            schema,
            table,
            _arrow_columns(reader.schema),
            None,
            existing_table_rows,
            primary_keys,
            lambda cur: self._staged_arrow(cur, reader),
            SqlError,
        )
        return result.rows_inserted

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
        """See `Warehouse.import_parquet`."""
        file_schema = _columnar.parquet_schema(sources)
        paths = [_csv.local_file(s) for s in sources]
        native = (
            self._native_parquet_source([p for p in paths if p is not None]) if all(paths) else None
        )

        def stage(cur: Any) -> tuple[str, str | None]:
            if native is not None:
                return native, None
            return self._staged_arrow(cur, _columnar.parquet_batches(sources, file_schema))

        return self._load_typed(
            schema,
            table,
            _arrow_columns(file_schema),
            columns,
            existing_table_rows,
            primary_keys,
            stage,
            CsvImportError,
        )

    def _staged_arrow(self, cur: Any, reader: pa.RecordBatchReader) -> tuple[str, str | None]:
        temp = f"__arrow_{uuid.uuid4().hex[:12]}"
        self._stage_arrow(cur, temp, reader)
        return temp, temp

    def _load_typed(
        self,
        schema: str,
        table: str,
        source_columns: list[Column],
        columns: list[Column] | None,
        existing_table_rows: ExistingTableRows,
        primary_keys: list[str] | None,
        stage: Callable[[Any], tuple[str, str | None]],
        error: type[WarehouseError],
    ) -> ImportResult:
        """Load typed rows (Arrow, Parquet) into ``schema.table`` in one transaction.

        ``stage(cur)`` makes the rows readable in SQL and returns that relation with the
        temporary table to drop afterwards (if any); its columns are ``source_columns``.
        They are cast by position to ``columns`` (default: the source's own).
        """
        wanted = source_columns if columns is None else columns
        if len(wanted) != len(source_columns):
            raise CsvImportError(
                f"{len(wanted)} columns were given but the data has {len(source_columns)}"
            )
        self._ensure_schema(schema)
        with self._errors(error), self._transaction() as cur:
            source, temp = stage(cur)

            def source_sql(target: list[Column]) -> str:
                exprs = ", ".join(
                    f"CAST({quote_ident(src.name)} AS {canonical_type(dst.sql_type)})"
                    f" AS {quote_ident(dst.name)}"
                    for src, dst in zip(source_columns, target, strict=True)
                )
                return f"SELECT {exprs} FROM {source}"

            target = self._prepare_target(
                cur, schema, table, wanted, existing_table_rows, primary_keys, source_sql
            )
            column_list = ", ".join(quote_ident(c.name) for c in target)
            rows = self._insert_count(
                cur, f"INSERT INTO {self._ref(schema, table)} ({column_list}) {source_sql(target)}"
            )
            if temp is not None:
                cur.execute(f"DROP TABLE {temp}")
        return ImportResult(rows_inserted=rows, columns=list(target))

    # -- exports ----------------------------------------------------------------------

    def export_columns(self, sql: str) -> list[str]:
        """See `Warehouse.export_columns`."""
        with self._errors(), self._transaction() as cur:
            return self._query_columns(cur, sql)

    def export_csv(self, sql: str, sink: BinaryIO, fmt: CsvFormat) -> ExportResult:
        """See `Warehouse.export_csv`."""
        with self._errors(), self._transaction() as cur:
            columns = self._query_columns(cur, sql)
            rows = _csv.write_single(self._csv_chunks(cur, sql, fmt), sink, fmt, columns)
        return ExportResult(row_count=rows, columns=columns)

    def export_csv_parts(
        self,
        sql: str,
        open_part: Callable[[int], BinaryIO],
        fmt: CsvFormat,
        max_file_size: int,
    ) -> list[PartInfo]:
        """See `Warehouse.export_csv_parts`."""
        with self._errors(), self._transaction() as cur:
            columns = self._query_columns(cur, sql)
            chunks = self._csv_chunks(cur, sql, fmt)
            return _csv.write_parts(chunks, open_part, fmt, columns, max_file_size)

    def export_parquet(self, sql: str, sink: BinaryIO) -> ExportResult:
        """See `Warehouse.export_parquet`: the query's Arrow stream, written by pyarrow."""
        return self._export_typed(sql, sink, _columnar.write_parquet)

    def export_arrow(self, sql: str, sink: BinaryIO) -> ExportResult:
        """See `Warehouse.export_arrow`."""
        return self._export_typed(sql, sink, _columnar.write_arrow_stream)

    def _export_typed(
        self, sql: str, sink: BinaryIO, write: Callable[[pa.RecordBatchReader, BinaryIO], int]
    ) -> ExportResult:
        reader, names = self._typed_reader(sql)
        schema = pa.schema(
            [f.with_name(n) for f, n in zip(reader.schema, unique_names(names), strict=True)]
        )
        renamed = pa.RecordBatchReader.from_batches(
            schema, (pa.RecordBatch.from_arrays(b.columns, schema=schema) for b in reader)
        )
        with self._errors():
            rows = write(renamed, sink)
        return ExportResult(row_count=rows, columns=names)

    def _typed_reader(self, sql: str) -> tuple[pa.RecordBatchReader, list[str]]:
        """The query's rows for a typed export (Parquet, Arrow), and its column names.

        Columns of types a typed file cannot carry to every reader must come as text;
        `read_arrow` already gives them so here (an engine may do otherwise)."""
        reader = self.read_arrow(sql)
        return reader, [field.name for field in reader.schema]

    # -- catalogue --------------------------------------------------------------------

    def list_schemas(self) -> list[str]:
        """See `Warehouse.list_schemas`."""
        with self._errors(), self._transaction() as cur:
            cur.execute(
                "SELECT schema_name FROM information_schema.schemata"
                f" WHERE catalog_name = current_database() AND {_user_schemas('schema_name')}"
                " ORDER BY schema_name"
            )
            return [row[0] for row in cur.fetchall()]

    def list_tables(self, schema: str | None = None) -> list[TableInfo]:
        """See `Warehouse.list_tables`. Row counts are exact (a ``count(*)`` per table)."""
        schemas = [schema] if schema is not None else self.list_schemas()
        if not schemas:
            return []
        wanted = ", ".join(quote_literal(s) for s in schemas)
        with self._errors(), self._transaction() as cur:
            cur.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                f" WHERE table_catalog = current_database() AND table_schema IN ({wanted})"
                " ORDER BY table_schema, table_name"
            )
            names = cur.fetchall()
            return [self._describe(cur, s, t) for s, t in names]

    def list_table_summaries(self, schema: str | None = None) -> list[TableSummary]:
        """See `Warehouse.list_table_summaries`: one catalogue query, grouped by table."""
        if schema is not None:
            wanted = f"t.table_schema = {quote_literal(schema)}"
        else:
            wanted = _user_schemas("t.table_schema")
        with self._errors(), self._transaction() as cur:
            cur.execute(
                "SELECT t.table_schema, t.table_name, t.table_type, count(c.column_name)"
                " FROM information_schema.tables t LEFT JOIN information_schema.columns c"
                " ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema"
                " AND c.table_name = t.table_name"
                f" WHERE t.table_catalog = current_database() AND {wanted}"
                " GROUP BY t.table_schema, t.table_name, t.table_type"
                " ORDER BY t.table_schema, t.table_name"
            )
            return [
                TableSummary(s, name, kind == "VIEW", int(count))
                for s, name, kind, count in cur.fetchall()
            ]

    def _describe(self, cur: Any, schema: str, table: str) -> TableInfo:
        # Two statements: the catalogue (columns, kind), then the exact row count.
        found = self._columns_and_kind(cur, schema, table)
        if found is None:
            raise TableNotFoundError(f"table {schema}.{table} does not exist")
        columns, is_view = found
        cur.execute(f"SELECT count(*) FROM {self._ref(schema, table)}")
        return TableInfo(schema, table, columns, int(cur.fetchone()[0]), is_view=is_view)

    def describe_table(self, schema: str, table: str) -> TableInfo:
        """See `Warehouse.describe_table`."""
        with self._errors(), self._transaction() as cur:
            return self._describe(cur, schema, table)

    def drop_table(self, schema: str, table: str, *, missing_ok: bool = False) -> None:
        """See `Warehouse.drop_table`."""
        with self._errors(), self._transaction() as cur:
            if self._table_columns(cur, schema, table) is None:
                if missing_ok:
                    return
                raise TableNotFoundError(f"table {schema}.{table} does not exist")
            cur.execute(f"DROP TABLE {self._ref(schema, table)}")
