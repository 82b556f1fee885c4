"""`PostgresWarehouse`: a PostgreSQL database as a warehouse, through psycopg 3.

Each operation takes its own connection (session time zone UTC) and runs in one
transaction, so threads share a warehouse freely and a failed load rolls back whole.
Transactions reuse a few idle connections (opening one costs more than most catalogue
queries); a connection goes back only after ``DISCARD ALL``, so nothing one operation
set up in its session (temporary tables, settings, prepared statements) reaches the next.
CSV moves with ``COPY ... FROM STDIN`` / ``COPY (query) TO STDOUT`` in chunks; Arrow
comes out of a server-side cursor in batches and goes in as CSV rendered by pyarrow.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from . import _csv
from ._inference import TypeStats
from ._sql import SqlWarehouse
from ._sqltext import quote_ident, quote_literal, strip_query
from ._types import arrow_type, canonical_type, sql_type_of_arrow
from .base import (
    DEFAULT_PREVIEW_ROWS,
    CsvFormat,
    CsvImportError,
    QueryPreview,
    SqlError,
    TableNotFoundError,
    WarehouseError,
)

__all__ = ["PostgresWarehouse"]

BATCH_ROWS = 10_000
COPY_CHUNK_BYTES = 1 << 18

_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_NUMBER = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_DATE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
# What PostgreSQL's input functions accept, for servers older than 16 (which lack
# pg_input_is_valid). Conservative: a value outside these forms counts as a bad value.
_ACCEPTED = {
    "real": rf"(?i)\s*({_NUMBER}(e[-+]?[0-9]+)?|nan|[-+]?infinity|[-+]?inf)\s*",
    "double precision": rf"(?i)\s*({_NUMBER}(e[-+]?[0-9]+)?|nan|[-+]?infinity|[-+]?inf)\s*",
    "boolean": r"(?i)\s*(t|f|true|false|y|n|yes|no|on|off|1|0)\s*",
    "date": rf"\s*{_DATE}\s*",
    "timestamp without time zone": (
        rf"\s*{_DATE}([ T][0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}(\.[0-9]+)?)?)?"
        r"\s*(Z|[-+][0-9]{2}(:?[0-9]{2})?)?\s*"
    ),
    "time without time zone": r"\s*[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*",
}
_ACCEPTED["timestamp with time zone"] = _ACCEPTED["timestamp without time zone"]
_QUERY_START = re.compile(r"^(\s|--[^\n]*\n|\()*(select|with|values|table|show|explain)\b", re.I)
_LENGTH_RE = re.compile(r"^character(?: varying)?\((\d+)\)$")


def _copy_line(exc: psycopg.Error) -> tuple[int | None, str]:
    """The data line of a COPY error and the row text, from its CONTEXT
    (``COPY t, line 3: "a,b,c"``)."""
    match = re.search(r'line (\d+)(?:, column [^:]*)?(?:: (".*"))?', exc.diag.context or "", re.S)
    if not match:
        return None, ""
    return int(match.group(1)), f" in the row {match.group(2)}" if match.group(2) else ""


class _Tee(io.RawIOBase):
    """Reads from ``stream`` and writes every byte read to ``copy`` as well."""

    def __init__(self, stream: BinaryIO, copy: Any) -> None:
        self.stream = stream
        self.copy = copy

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.stream.read(len(buffer))
        if data:
            self.copy.write(data)
        buffer[: len(data)] = data
        return len(data)


def _as_is(values: list[Any]) -> list[Any]:
    return values


def _as_float(values: list[Any]) -> list[Any]:
    """``numeric`` without a declared scale arrives as ``Decimal``; Arrow carries it as a
    double (see `PostgresWarehouse.read_arrow`)."""
    return [None if v is None else float(v) for v in values]


_IDLE = psycopg.pq.TransactionStatus.IDLE


class PostgresWarehouse(SqlWarehouse):
    """A `Warehouse` over one PostgreSQL database.

    ``conninfo`` is a libpq connection string or URL (``postgresql://user@host/db``; a
    SQLAlchemy ``postgresql+psycopg://`` URL is accepted too).

    Examples:
        >>> wh = PostgresWarehouse("postgresql://postgres@127.0.0.1:5432/postgres")
        >>> wh.execute("select 1 as one, true as yes").rows  # doctest: +SKIP
        [['1', 't']]
    """

    # Idle connections kept for reuse; more run at once, the rest close when done.
    MAX_IDLE_CONNECTIONS = 4

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo.replace("postgresql+psycopg://", "postgresql://", 1)
        self._server_version: int | None = None
        self._idle: list[psycopg.Connection[Any]] = []
        self._idle_lock = threading.Lock()

    # -- engine hooks ---------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.conninfo, options="-c TimeZone=UTC")
        except psycopg.Error as exc:
            raise WarehouseError(f"cannot connect to PostgreSQL: {exc}") from exc
        if self._server_version is None:
            self._server_version = conn.info.server_version
        return conn

    def _checkout(self) -> psycopg.Connection[Any]:
        with self._idle_lock:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and conn.info.transaction_status == _IDLE:
                    return conn
                conn.close()
        conn = self._connect()
        # Transactions are explicit (`conn.transaction()`), so that between operations
        # the connection is outside any transaction and DISCARD ALL can run.
        conn.autocommit = True
        # DISCARD ALL drops server-side prepared statements behind psycopg's back, so
        # psycopg must not prepare any (it would after five runs of one statement).
        conn.prepare_threshold = None
        return conn

    def _checkin(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.execute("DISCARD ALL")
        except psycopg.Error:
            conn.close()
            return
        with self._idle_lock:
            if len(self._idle) < self.MAX_IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    def _open_session(self) -> psycopg.Connection[Any]:
        return self._checkout()

    def _close_session(self, handle: Any) -> None:
        self._checkin(handle)  # DISCARD ALL: temporary tables and settings go

    def _interrupt(self, handle: Any) -> None:
        # A cancel request on a side channel: the statement fails with QueryCanceled.
        with contextlib.suppress(psycopg.Error):
            handle.cancel_safe(timeout=2)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        # Leaving the block commits, or rolls back on error; a connection that saw an
        # error is closed rather than reused (it may be in any state). A session's
        # connection stays: the rollback leaves it usable, and the session ends it.
        pinned = self._pinned()
        if pinned is not None:
            with pinned.transaction(), pinned.cursor() as cur:
                yield cur
                self._check_interrupt()  # an interrupted session commits nothing
            return
        conn = self._checkout()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except BaseException:
            conn.close()
            raise
        self._checkin(conn)

    def _translate(self, exc: Exception) -> WarehouseError | None:
        if isinstance(exc, pa.ArrowInvalid):
            return WarehouseError(str(exc))
        if not isinstance(exc, psycopg.Error):
            return None
        if isinstance(exc, psycopg.errors.UndefinedTable):
            return TableNotFoundError(str(exc).strip())
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return WarehouseError(str(exc).strip())
        return SqlError(str(exc).strip())

    def _savepoint(self, cur: Any) -> contextlib.AbstractContextManager[Any]:
        return cur.connection.transaction()  # nested: a SAVEPOINT

    def _sql_regex(self, expr: str, pattern: str) -> str:
        operator = "~"
        if pattern.startswith("(?i)"):  # PostgreSQL wants the flag as an operator here
            operator, pattern = "~*", pattern[4:]
        return f"({expr} {operator} {quote_literal('^(' + pattern + ')$')})"

    def _sql_is_valid(self, expr: str, sql_type: str) -> str:
        canonical = canonical_type(sql_type)
        if (self._server_version or 0) >= 160000:
            return f"pg_input_is_valid({expr}, {quote_literal(canonical)})"
        length = _LENGTH_RE.match(canonical)
        if length:
            return f"(char_length({expr}) <= {length.group(1)})"
        if canonical in _INT_RANGES:
            low, high = _INT_RANGES[canonical]
            # CASE guards the cast: it only runs on values that are integers in form.
            in_form = self._sql_regex(expr, r"\s*[-+]?[0-9]+\s*")
            return (
                f"(CASE WHEN {in_form} THEN "
                f"btrim({expr})::numeric BETWEEN {low} AND {high} ELSE false END)"
            )
        if canonical.startswith("numeric"):
            return self._sql_regex(expr, rf"\s*{_NUMBER}\s*")
        if canonical in _ACCEPTED:
            return self._sql_regex(expr, _ACCEPTED[canonical])
        return "TRUE"  # other types: a bad value fails the INSERT with PostgreSQL's message

    def _create_staging(self, cur: Any, staging: str, names: list[str]) -> None:
        cols = ", ".join(f"c{i} text" for i in range(len(names)))
        cur.execute(
            f"CREATE TEMP TABLE {staging} (__row bigint GENERATED ALWAYS AS IDENTITY, {cols})"
        )

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
        # The identity column numbers rows across all sources in COPY order, which is
        # exactly first_row, first_row + 1, ... because sources are staged one by one.
        cols = ", ".join(f"c{i}" for i in range(len(names)))
        copy_sql = (
            f"COPY {staging} ({cols}) FROM STDIN (FORMAT csv, DELIMITER {quote_literal(delimiter)})"
        )
        try:
            with cur.copy(copy_sql) as copy:
                if stats is None:
                    while data := stream.read(COPY_CHUNK_BYTES):
                        copy.write(data)
                else:
                    self._copy_and_infer(copy, stream, len(names), delimiter, stats)
        except psycopg.Error as exc:
            line, row = _copy_line(exc)
            where = f"line {line + line_offset}: " if line is not None else ""
            message = exc.diag.message_primary or str(exc)
            raise CsvImportError(f"{where}{message}{row}") from exc
        return int(cur.rowcount)

    @staticmethod
    def _copy_and_infer(
        copy: Any, stream: BinaryIO, width: int, delimiter: str, stats: TypeStats
    ) -> None:
        """Send the raw bytes to COPY as pyarrow parses them for type inference.

        If pyarrow finds the CSV malformed, the load fails with pyarrow's message (it
        quotes the bad row); leaving the ``copy`` block with that error abandons the
        COPY, so nothing is staged.
        """
        tee = _Tee(stream, copy)
        try:
            # One thread: the tee writes to the connection, which is not shareable.
            reader = _csv.open_text_reader(tee, width, delimiter, use_threads=False)  # type: ignore[arg-type]
            for batch in reader or ():
                stats.update(batch)
        except pa.ArrowInvalid as exc:
            raise CsvImportError(str(exc).removeprefix("CSV parse error: ")) from exc

    def _stage_arrow(self, cur: Any, temp: str, reader: pa.RecordBatchReader) -> None:
        ddl = ", ".join(f"{quote_ident(f.name)} {sql_type_of_arrow(f.type)}" for f in reader.schema)
        cur.execute(f"CREATE TEMP TABLE {temp} ({ddl})")
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        with cur.copy(f"COPY {temp} FROM STDIN (FORMAT csv)") as copy:
            for batch in reader:
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, options)
                copy.write(buffer.getbuffer())

    def _query_columns(self, cur: Any, sql: str) -> list[str]:
        cur.execute(f"SELECT * FROM ({strip_query(sql)}) AS __q LIMIT 0")
        return [col.name for col in cur.description or []]

    def _csv_chunks(self, cur: Any, sql: str, fmt: CsvFormat) -> Iterator[tuple[bytes, int]]:
        delimiter = quote_literal(fmt.delimiter)
        if fmt.unquoted:  # text format: backslash escapes instead of quotes (see base)
            options = f"FORMAT text, DELIMITER {delimiter}, NULL ''"
        else:
            options = f"FORMAT csv, DELIMITER {delimiter}"

        def rows() -> Iterator[tuple[bytes, int]]:
            with cur.copy(f"COPY ({strip_query(sql)}) TO STDOUT ({options})") as copy:
                for data in copy:  # the server sends one CopyData message per row
                    yield bytes(data), 1

        return _csv.coalesce_chunks(rows())

    def _reported_type(self, data_type: str, length: Any, precision: Any, scale: Any) -> str:
        if data_type in ("character varying", "character") and length:
            return f"{data_type}({length})"
        if data_type == "numeric" and precision is not None:
            return f"numeric({precision},{scale or 0})"
        return canonical_type(data_type)

    # -- the rest of the protocol -----------------------------------------------------

    def execute(
        self,
        sql: str,
        params: Sequence[Any] | None = None,
        *,
        preview_rows: int = DEFAULT_PREVIEW_ROWS,
    ) -> QueryPreview:
        """See `Warehouse.execute`.

        A single query streams (rows past the preview are counted, not kept). Other
        statements, and several statements separated by ``;`` (without params), run in
        one transaction; their last result is fetched whole by the driver.
        """
        with self._errors(), self._transaction() as cur:
            if _QUERY_START.match(sql):
                try:
                    with cur.connection.transaction():  # a savepoint to fall back from
                        return self._stream_preview(cur, sql, params, preview_rows)
                except (psycopg.errors.SyntaxError, psycopg.ProgrammingError) as exc:
                    # Several statements, or a WITH that only modifies: not streamable.
                    if params and "multiple commands" in str(exc):
                        raise
            cur.execute(sql, params)
            while cur.nextset():  # the preview is of the last statement
                pass
            if cur.description is None:
                count = cur.rowcount if cur.rowcount >= 0 else None
                return QueryPreview(columns=[], rows=[], row_count=count)
            head = cur.fetchmany(preview_rows)
            rows = [[_csv.render_value(v) for v in row] for row in head]
            columns = [col.name for col in cur.description]
            return QueryPreview(columns=columns, rows=rows, row_count=max(cur.rowcount, 0))

    @staticmethod
    def _stream_preview(
        cur: Any, sql: str, params: Sequence[Any] | None, preview_rows: int
    ) -> QueryPreview:
        rows: list[list[str | None]] = []
        count = 0
        for row in cur.stream(sql, params):
            if len(rows) < preview_rows:
                rows.append([_csv.render_value(v) for v in row])
            count += 1
        columns = [col.name for col in cur.description or []]
        return QueryPreview(columns=columns, rows=rows, row_count=count)

    def read_arrow(self, sql: str, *, batch_size: int = BATCH_ROWS) -> pa.RecordBatchReader:
        """See `Warehouse.read_arrow`. Numeric without a declared scale reads as float64;
        types Arrow has no match for (json, uuid, arrays, intervals, bytea, enums, ...)
        come as PostgreSQL's own text of them, as a CSV export shows them.

        Rows come from a server-side cursor, in a connection of their own, or in the
        session's connection (inside a transaction that ends with the stream).
        """
        pinned = self._pinned()
        conn = pinned if pinned is not None else self._connect()
        done = contextlib.ExitStack()
        if pinned is None:
            done.callback(conn.close)
        try:
            with self._errors():
                if pinned is not None:
                    done.enter_context(pinned.transaction())  # a named cursor needs one
                query, schema, converters = self._arrow_plan(conn, sql)
                cur = conn.cursor(name=f"__read_{uuid.uuid4().hex[:12]}")
                cur.execute(query)
        except BaseException as exc:
            done.__exit__(type(exc), exc, exc.__traceback__)
            raise

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                with self._errors():
                    while chunk := cur.fetchmany(batch_size):
                        arrays = [
                            pa.array(convert(list(values)), type=field.type)
                            for values, field, convert in zip(
                                zip(*chunk, strict=True), schema, converters, strict=True
                            )
                        ]
                        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
                cur.close()
            finally:
                done.close()

        return pa.RecordBatchReader.from_batches(schema, batches())

    @staticmethod
    def _arrow_plan(conn: psycopg.Connection[Any], sql: str) -> tuple[str, pa.Schema, list[Any]]:
        """The query to fetch ``sql``'s rows for Arrow, their schema and per column a
        converter. The columns are described first (``LIMIT 0``), so that those without
        an Arrow type can be fetched as ``::text``."""
        inner = strip_query(sql)
        with conn.cursor() as probe:
            probe.execute(f"SELECT * FROM ({inner}) AS __q LIMIT 0")
            description = probe.description or []
        fields, converters, exprs = [], [], []
        for i, col in enumerate(description):
            info = conn.adapters.types.get(col.type_code)
            # The registry finds a type by its array's oid too: an array is not its element.
            plain = info is not None and info.oid == col.type_code
            name = canonical_type(info.name) if plain and info is not None else ""
            if name == "numeric" and col.precision is not None:
                name = f"numeric({col.precision},{col.scale or 0})"
            dtype = pa.float64() if name == "numeric" else arrow_type(name or "text")
            as_text = dtype == pa.string() and not name.startswith("character")
            fields.append(pa.field(col.name, dtype))
            converters.append(_as_float if name == "numeric" else _as_is)
            exprs.append(
                f"a{i}::text AS {quote_ident(col.name)}"
                if as_text
                else f"a{i} AS {quote_ident(col.name)}"
            )
        aliases = ", ".join(f"a{i}" for i in range(len(description)))
        query = f"SELECT {', '.join(exprs)} FROM ({inner}) AS __q({aliases})"
        return query, pa.schema(fields), converters

    def close(self) -> None:
        """See `Warehouse.close`: closes the idle connections (the warehouse stays usable)."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __repr__(self) -> str:
        return f"PostgresWarehouse({self.conninfo!r})"
