"""`DuckDBWarehouse`: the embedded default warehouse, one DuckDB database file.

One DuckDB connection per warehouse; every operation takes its own cursor (DuckDB's
cursors are independent connections to the same database), so threads can share a
warehouse. CSV comes in through pyarrow's streaming CSV reader (all columns as text
into the staging table) and goes out as lines that DuckDB itself renders, handed over
as the raw bytes of an Arrow string column: no Python loop per row either way.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from . import _columnar, _csv
from ._inference import TypeStats
from ._sql import SqlWarehouse, unique_names
from ._sqltext import quote_ident, quote_literal, strip_query
from ._types import canonical_type
from .base import (
    DEFAULT_PREVIEW_ROWS,
    CsvFormat,
    CsvImportError,
    ExportResult,
    QueryPreview,
    SqlError,
    TableNotFoundError,
    WarehouseError,
)

__all__ = ["DuckDBWarehouse"]

BATCH_ROWS = 65_536

_REPORTED = {
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "character varying",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIME": "time without time zone",
    "HUGEINT": "numeric(38,0)",
}


# DuckDB types that Parquet and Arrow carry and every reader (pyarrow, polars, pandas)
# reads as the same type; the typed exports write any other (HUGEINT, UUID, INTERVAL,
# JSON, lists, structs, ...) as text, as a CSV export shows it.
_TYPED_EXPORT_TYPES = frozenset(
    {
        "BOOLEAN",
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "FLOAT",
        "DOUBLE",
        "VARCHAR",
        "DATE",
        "TIME",
        "TIMESTAMP",
        "TIMESTAMP_S",
        "TIMESTAMP_MS",
        "TIMESTAMP_NS",
        "TIMESTAMP WITH TIME ZONE",
    }
)


def _kept_typed(dtype: str) -> bool:
    return dtype in _TYPED_EXPORT_TYPES or dtype.startswith("DECIMAL")


_NO_ROWS = {
    duckdb.StatementType.INSERT,
    duckdb.StatementType.UPDATE,
    duckdb.StatementType.DELETE,
    duckdb.StatementType.CREATE,
    duckdb.StatementType.COPY,
    duckdb.StatementType.DROP,
    duckdb.StatementType.ALTER,
}


def _string_bytes(array: pa.Array) -> bytes:
    """The concatenated values of a null-free string array, straight from its buffers."""
    if len(array) == 0:
        return b""
    if array.type == pa.string():
        width = 4
    else:
        array, width = array.cast(pa.large_string()), 8
    _, offsets, data = array.buffers()
    first, last = array.offset * width, (array.offset + len(array)) * width
    start = int.from_bytes(offsets[first : first + width].to_pybytes(), "little")
    end = int.from_bytes(offsets[last : last + width].to_pybytes(), "little")
    return data[start:end].to_pybytes()


def _line_chunks(lines: pa.Array) -> Iterator[tuple[bytes, int]]:
    """A batch of rendered lines as row-aligned chunks of about `_csv.CHUNK_BYTES`, so
    that multifile exports can cut parts finely whatever the batch size."""
    total = len(lines)
    if not total:
        return
    size = len(_string_bytes(lines.slice(0, min(total, 256))))
    per_chunk = max(1, _csv.CHUNK_BYTES * min(total, 256) // max(size, 1))
    for start in range(0, total, per_chunk):
        piece = lines.slice(start, per_chunk)
        yield _string_bytes(piece), len(piece)


class _QuoteParity(io.RawIOBase):
    """Passes a stream through, tracking whether an odd number of quotes went by.

    pyarrow's reader silently accepts a quoted field left open at the end of the file
    (swallowing every following line into it); an odd count of ``"`` (escaped quotes
    come in pairs) is how we notice.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.odd = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        if data.count(b'"') % 2:
            self.odd = not self.odd
        return len(data)


class DuckDBWarehouse(SqlWarehouse):
    """A `Warehouse` over a DuckDB database file (created if missing).

    ``config`` passes DuckDB settings (``memory_limit``, ``threads``, ``temp_directory``)
    to the connection: large loads stage in temporary tables that spill to disk past
    the memory limit.

    Examples:
        >>> import tempfile, pathlib
        >>> wh = DuckDBWarehouse(pathlib.Path(tempfile.mkdtemp()) / "w.duckdb")
        >>> wh.execute("select 1 as one, true as yes").rows
        [['1', 't']]
        >>> wh.close()
    """

    def __init__(self, path: str | Path, *, config: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # config: DuckDB settings such as {"memory_limit": "2GB", "threads": "4"}.
            self._conn = duckdb.connect(str(self.path), config=dict(config or {}))
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open DuckDB database {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    # -- engine hooks ---------------------------------------------------------------

    def _new_cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:  # creating cursors on one connection is not thread-safe
            return self._conn.cursor()

    def _cursor(self) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """The session's cursor (``owned`` False: leave it open), or a new one to close.

        A DuckDB cursor is a connection of its own: temporary tables live in it."""
        pinned = self._pinned()
        return (pinned, False) if pinned is not None else (self._new_cursor(), True)

    def _open_session(self) -> duckdb.DuckDBPyConnection:
        return self._new_cursor()

    def _close_session(self, handle: Any) -> None:
        handle.close()

    def _interrupt(self, handle: Any) -> None:
        with contextlib.suppress(duckdb.Error):  # e.g. the session has just closed
            handle.interrupt()  # the running query raises an interrupt error

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur, owned = self._cursor()
        session = None if owned else self._session()
        try:
            if session is not None and session.in_transaction:
                # The session's SQL said BEGIN itself: the work joins its transaction,
                # which that SQL commits or rolls back (as on Redshift).
                yield cur
                return
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                self._check_interrupt()
                cur.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
        finally:
            if owned:
                cur.close()

    def _translate(self, exc: Exception) -> WarehouseError | None:
        if isinstance(exc, pa.ArrowInvalid):
            return CsvImportError(str(exc))
        if not isinstance(exc, duckdb.Error):
            return None
        message = str(exc)
        if (
            isinstance(exc, duckdb.CatalogException)
            and "does not exist" in message
            and (message.startswith(("Catalog Error: Table", "Catalog Error: View")))
        ):
            return TableNotFoundError(message)
        return SqlError(message)

    def _sql_is_valid(self, expr: str, sql_type: str) -> str:
        # TRY_CAST is exact: it accepts precisely what the INSERT's CAST will accept.
        return f"(TRY_CAST({expr} AS {canonical_type(sql_type)}) IS NOT NULL)"

    def _create_staging(self, cur: Any, staging: str, names: list[str]) -> None:
        cols = ", ".join(f"c{i} VARCHAR" for i in range(len(names)))
        cur.execute(f"CREATE TEMP TABLE {staging} (__row BIGINT, {cols})")

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
        counted = [0]
        quotes = _QuoteParity(stream)
        try:
            reader = _csv.open_text_reader(quotes, len(names), delimiter)  # type: ignore[arg-type]
        except pa.ArrowInvalid as exc:
            raise self._parse_error(exc, counted[0], line_offset) from exc
        if reader is None:
            return 0
        failures: list[Exception] = []
        schema = pa.schema([pa.field("__row", pa.int64()), *reader.schema])

        def numbered() -> Iterator[pa.RecordBatch]:
            try:
                for batch in reader:
                    start = first_row + counted[0]
                    counted[0] += batch.num_rows
                    if stats is not None:
                        stats.update(batch)
                    rows = pa.array(range(start, start + batch.num_rows), pa.int64())
                    yield pa.RecordBatch.from_arrays([rows, *batch.columns], schema=schema)
            except pa.ArrowInvalid as exc:  # keep pyarrow's message, DuckDB would wrap it
                failures.append(exc)
                raise

        view = f"{staging}_src"
        cur.register(view, pa.RecordBatchReader.from_batches(schema, numbered()))
        try:
            cur.execute(f"INSERT INTO {staging} SELECT * FROM {view}")
        except duckdb.Error as exc:
            if failures:
                raise self._parse_error(failures[0], counted[0], line_offset) from exc
            raise
        finally:
            with contextlib.suppress(duckdb.Error):  # fails once the transaction aborted
                cur.unregister(view)
        if quotes.odd:
            raise CsvImportError("unterminated quoted field at the end of the file")
        return counted[0]

    @staticmethod
    def _parse_error(exc: Exception, rows_before: int, line_offset: int) -> CsvImportError:
        """A parse error (pyarrow's message quotes the bad row). The streaming reader knows
        no line numbers: we can only say the row comes after the rows already loaded."""
        message = str(exc).removeprefix("CSV parse error: ")
        return CsvImportError(f"{message} (after line {rows_before + line_offset})")

    def _native_csv_source(
        self, paths: list[str], width: int, header: bool, delimiter: str
    ) -> str | None:
        # DuckDB's own parallel reader, with the staging path's rules: every field as
        # text, "" for a quoted empty field and NULL for an unquoted one, strict widths.
        if any(char in path for path in paths for char in "*?[{"):
            return None  # read_csv would take the path for a glob pattern
        files = ", ".join(quote_literal(p) for p in paths)
        names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
        return (
            f"read_csv([{files}], header = {str(header).lower()}, "
            f"delim = {quote_literal(delimiter)}, quote = '\"', escape = '\"', "
            f"nullstr = '', allow_quoted_nulls = false, auto_detect = false, "
            f"strict_mode = true, columns = {{{names}}})"
        )

    def _insert_count(self, cur: Any, sql: str) -> int:
        cur.execute(sql)
        return int(cur.fetchone()[0])  # DuckDB answers an INSERT with its row count

    def _stage_arrow(self, cur: Any, temp: str, reader: pa.RecordBatchReader) -> None:
        view = f"{temp}_src"
        cur.register(view, reader)
        try:
            cur.execute(f"CREATE TEMP TABLE {temp} AS SELECT * FROM {view}")
        finally:
            with contextlib.suppress(duckdb.Error):  # fails once the transaction aborted
                cur.unregister(view)

    def _query_columns(self, cur: Any, sql: str) -> list[str]:
        relation = cur.sql(sql)
        return list(relation.columns) if relation is not None else []

    def _texts(
        self, relation: duckdb.DuckDBPyRelation, sql: str, fmt: CsvFormat
    ) -> tuple[str, list[str]]:
        """A SELECT of the query's values rendered as text (``v0, v1, ...``), and per
        column the SQL quoting that text (named ``v{i}``) as a CSV field."""
        aliases = [f"a{i}" for i in range(len(relation.columns))]
        texts, fields = [], []
        for i, (alias, dtype) in enumerate(zip(aliases, relation.types, strict=True)):
            text, field = self._render_field(alias, f"v{i}", str(dtype), fmt)
            texts.append(f"{text} AS v{i}")
            fields.append(field)
        select = (
            f"SELECT {', '.join(texts) or '1'} "
            f"FROM ({strip_query(sql)}) AS __q({', '.join(aliases)})"
        )
        return select, fields

    def _csv_chunks(self, cur: Any, sql: str, fmt: CsvFormat) -> Iterator[tuple[bytes, int]]:
        relation = cur.sql(sql)
        if relation is None:
            return iter(())
        # Two levels: values are rendered to text once, then quoted and joined.
        inner, fields = self._texts(relation, sql, fmt)
        delimiter = quote_literal(fmt.delimiter)
        line = f" || {delimiter} || ".join(fields) + " || chr(10)" if fields else "chr(10)"
        reader = cur.sql(f"SELECT {line} AS line FROM ({inner}) AS __r").to_arrow_reader(BATCH_ROWS)
        return _csv.coalesce_chunks(
            chunk for batch in reader for chunk in _line_chunks(batch.column(0))
        )

    def export_csv(self, sql: str, sink: BinaryIO, fmt: CsvFormat) -> ExportResult:
        """See `Warehouse.export_csv`.

        Quoted CSV is written by DuckDB's own parallel ``COPY`` into a temporary file,
        then copied into the sink (through gzip if asked): about twice as fast as
        rendering lines through Arrow. The values are the same text as the line path
        renders; ``COPY`` quotes exactly as `_csv.quote_field` does once its comment
        character is off (NULL unquoted and empty, '' as ``""``). Unquoted CSV, and a
        statement that returns no rows, take the line path.
        """
        if fmt.unquoted:
            return super().export_csv(sql, sink, fmt)
        with self._errors(), self._transaction() as cur:
            relation = cur.sql(sql)
            if relation is None:
                return super().export_csv(sql, sink, fmt)
            columns = list(relation.columns)
            inner, _ = self._texts(relation, sql, fmt)
            with tempfile.TemporaryDirectory(prefix="civis-copy-") as tmp:
                path = str(Path(tmp) / "export.csv")
                cur.execute(
                    f"COPY ({inner}) TO {quote_literal(path)} (FORMAT csv, HEADER false, "
                    f"DELIMITER {quote_literal(fmt.delimiter)}, QUOTE '\"', ESCAPE '\"', "
                    "NULLSTR '', COMMENT '', NEW_LINE '\n')"
                )
                counted = cur.fetchone()  # COPY answers with its row count
                rows = int(counted[0]) if counted else 0
                with open(path, "rb") as text:
                    _csv.write_single(_csv.file_chunks(text, rows), sink, fmt, columns)
        return ExportResult(row_count=rows, columns=columns)

    def export_parquet(self, sql: str, sink: BinaryIO) -> ExportResult:
        """See `Warehouse.export_parquet`.

        DuckDB's own ``COPY ... (FORMAT parquet)`` writes the file (several times faster
        than fetching Arrow batches into pyarrow's writer); columns of a type outside
        `_TYPED_EXPORT_TYPES` are cast to text first, so that every Parquet reader can
        read them and they hold what a CSV export would.
        """
        with self._errors(), self._transaction() as cur:
            select, columns = self._typed_select(cur, sql)
            with tempfile.TemporaryDirectory(prefix="civis-copy-") as tmp:
                path = str(Path(tmp) / "export.parquet")
                cur.execute(
                    f"COPY ({select}) TO {quote_literal(path)} "
                    # DuckDB's default row groups (~123k rows) are written in parallel;
                    # one big group was twice as slow.
                    f"(FORMAT parquet, COMPRESSION {_columnar.COMPRESSION})"
                )
                counted = cur.fetchone()  # COPY answers with its row count
                with open(path, "rb") as written:
                    shutil.copyfileobj(written, sink, _csv.CHUNK_BYTES)
        sink.flush()
        return ExportResult(row_count=int(counted[0]) if counted else 0, columns=columns)

    def _typed_select(self, cur: Any, sql: str) -> tuple[str, list[str]]:
        """A SELECT of the query's columns for a typed export, under unique names, with
        every type outside `_TYPED_EXPORT_TYPES` cast to its text; and the query's own
        column names."""
        relation = cur.sql(sql)
        if relation is None:
            raise SqlError("an export needs a query that returns rows")
        columns = list(relation.columns)
        aliases = [f"a{i}" for i in range(len(columns))]
        exprs = [
            (alias if _kept_typed(str(dtype)) else f"CAST({alias} AS VARCHAR)")
            + f" AS {quote_ident(name)}"
            for alias, dtype, name in zip(
                aliases, relation.types, unique_names(columns), strict=True
            )
        ]
        select = f"SELECT {', '.join(exprs)} FROM ({strip_query(sql)}) AS __q({', '.join(aliases)})"
        return select, columns

    def _typed_reader(self, sql: str) -> tuple[pa.RecordBatchReader, list[str]]:
        with self._errors(), self._transaction() as cur:
            select, columns = self._typed_select(cur, sql)
        return self.read_arrow(select), columns

    def _native_parquet_source(self, paths: list[str]) -> str | None:
        # DuckDB reads Parquet files itself, in parallel, straight into the INSERT.
        if any(char in path for path in paths for char in "*?[{"):
            return None  # read_parquet would take the path for a glob pattern
        files = ", ".join(quote_literal(p) for p in paths)
        return f"read_parquet([{files}])"

    @staticmethod
    def _render_field(alias: str, value: str, dtype: str, fmt: CsvFormat) -> tuple[str, str]:
        """SQL rendering a column as text, and that text (named ``value``) as a CSV field,
        per `base` "CSV rendering"."""
        if dtype == "BOOLEAN":
            text = f"CASE WHEN {alias} THEN 't' WHEN NOT {alias} THEN 'f' END"
        elif dtype in ("DOUBLE", "FLOAT"):
            # Match PostgreSQL's float output: 1000 not 1000.0, NaN, Infinity.
            text = (
                f"CASE WHEN isnan({alias}) THEN 'NaN' WHEN isinf({alias}) THEN "
                f"(CASE WHEN {alias} > 0 THEN 'Infinity' ELSE '-Infinity' END) "
                f"ELSE regexp_replace(CAST({alias} AS VARCHAR), '\\.0$', '') END"
            )
        else:
            text = f"CAST({alias} AS VARCHAR)"
        delimiter = quote_literal(fmt.delimiter)
        v = value
        if fmt.unquoted:
            escaped = f"replace({v}, '\\', '\\\\')"
            for char, code in (("n", 10), ("r", 13), ("t", 9)):
                escaped = f"replace({escaped}, chr({code}), '\\{char}')"
            if fmt.delimiter != "\t":
                escaped_delimiter = quote_literal("\\" + fmt.delimiter)
                escaped = f"replace({escaped}, {delimiter}, {escaped_delimiter})"
            return text, f"coalesce({escaped}, '')"
        if dtype == "BOOLEAN":
            return text, f"coalesce({v}, '')"
        needs_quotes = " OR ".join(
            [
                f"{v} = ''",
                f"contains({v}, {delimiter})",
                f"contains({v}, '\"')",
                f"contains({v}, chr(10))",
                f"contains({v}, chr(13))",
            ]
        )
        quoted = f"'\"' || replace({v}, '\"', '\"\"') || '\"'"
        return text, f"CASE WHEN {v} IS NULL THEN '' WHEN {needs_quotes} THEN {quoted} ELSE {v} END"

    def _reported_type(self, data_type: str, length: Any, precision: Any, scale: Any) -> str:
        if data_type.startswith("DECIMAL"):
            return f"numeric({precision},{scale})"
        return _REPORTED.get(data_type, canonical_type(data_type))

    # -- the rest of the protocol -----------------------------------------------------

    def execute(
        self,
        sql: str,
        params: Sequence[Any] | None = None,
        *,
        preview_rows: int = DEFAULT_PREVIEW_ROWS,
    ) -> QueryPreview:
        """See `Warehouse.execute`. Several statements run in order; the last is previewed."""
        cur, owned = self._cursor()
        try:
            with self._errors():
                if not owned:
                    self._follow_transactions(cur, sql)
                relation = cur.sql(sql, params=params) if params else cur.sql(sql)
                if relation is None:
                    return QueryPreview(columns=[], rows=[], row_count=None)
                if relation.columns == ["Count"] and not self._returns_rows(cur, sql):
                    # DML and DDL report a "Count" row: make it a row count, as PostgreSQL.
                    counted = relation.fetchall()
                    return QueryPreview(
                        columns=[], rows=[], row_count=int(counted[0][0]) if counted else None
                    )
                rows: list[list[str | None]] = []
                count = 0
                for batch in relation.to_arrow_reader(BATCH_ROWS):
                    wanted = preview_rows - len(rows)
                    if wanted > 0:
                        head = batch.slice(0, wanted).to_pylist()
                        rows.extend([_csv.render_value(v) for v in r.values()] for r in head)
                    count += batch.num_rows
                return QueryPreview(columns=list(relation.columns), rows=rows, row_count=count)
        finally:
            if owned:
                cur.close()

    def _follow_transactions(self, cur: Any, sql: str) -> None:
        """Note in the session whether ``sql`` leaves a transaction of its own open."""
        session = self._session()
        if session is None:
            return
        for statement in cur.extract_statements(sql):
            if statement.type == duckdb.StatementType.TRANSACTION:
                word = statement.query.strip().split(None, 1)[0].upper()
                session.in_transaction = word in ("BEGIN", "START")

    @staticmethod
    def _returns_rows(cur: Any, sql: str) -> bool:
        statements = cur.extract_statements(sql)
        return bool(statements) and statements[-1].type not in _NO_ROWS

    def read_arrow(self, sql: str, *, batch_size: int = BATCH_ROWS) -> pa.RecordBatchReader:
        """See `Warehouse.read_arrow`."""
        cur, owned = self._cursor()
        try:
            with self._errors():
                relation = cur.sql(sql)
                if relation is None:
                    raise SqlError("read_arrow needs a query that returns rows")
                reader = relation.to_arrow_reader(batch_size)
        except BaseException:
            if owned:
                cur.close()
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                with self._errors():
                    yield from reader
            finally:
                if owned:
                    cur.close()

        return pa.RecordBatchReader.from_batches(reader.schema, batches())

    def close(self) -> None:
        """See `Warehouse.close`."""
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"DuckDBWarehouse({str(self.path)!r})"
