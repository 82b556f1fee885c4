"""Data-plane programs: CSV preprocessing, CSV imports and database syncs (Dbsync).

Every run acts as its job's owner (`Host.owner`): it reads only files and
uses only credentials its owner may, so another user's file or credential fails the
run with the same message the API would give. Warehouse loads are atomic (see
`Warehouse.import_csv` and `Warehouse.write_arrow`): a failed run leaves no table, or
the table as it was.

Examples:
    >>> split_table_path("analytics.visits", "destination.path")
    ('analytics', 'visits')
    >>> sync_mode({"identity_column": "id"})
    ('upsert', ['id'])
    >>> sync_mode({})
    ('drop', None)
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import gzip
import io
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, BinaryIO, Literal, cast

from civis_platform.errors import DomainError
from civis_platform.runner.host import Host, ProgramError
from civis_platform.services.warehouses import Target
from civis_platform.warehouse import (
    Column,
    CsvImportError,
    ExistingTableRows,
    ImportResult,
    Warehouse,
    WarehouseError,
    detect_csv,
    is_parquet,
    parquet_schema,
    quote_ident,
    sql_type_of_arrow,
)

DELIMITER_CHARS = {"comma": ",", "tab": "\t", "pipe": "|"}
# Enough text to tell binary from text and to check that rows have equal widths.
CHECK_SAMPLE_BYTES = 1 << 20
COPY_CHUNK_BYTES = 1 << 20
# What a CSV that is not UTF-8 usually is (Excel on Windows); a superset of Latin-1's
# printable characters.
FALLBACK_ENCODING = "cp1252"
SYNC_MODES = ("fail", "truncate", "append", "drop", "upsert")
VARYING = "character varying"
LOOSER_TYPES = {
    **dict.fromkeys(("character varying", "varchar", "char", "character", "text"), VARYING),
    **dict.fromkeys(("smallint", "int2", "integer", "int", "int4"), "bigint"),
    **dict.fromkeys(("real", "float4"), "double precision"),
}


def split_table_path(path: Any, field: str) -> tuple[str, str]:
    """``schema.table`` as its two parts; a `ProgramError` naming ``field`` otherwise.

    Only the first dot splits, so a table name may itself contain dots.
    """
    text = str(path or "").strip()
    schema, dot, table = text.partition(".")
    if not dot or not schema or not table:
        raise ProgramError(f"{field} must be schema.table, not {text!r}.")
    return schema.strip('"'), table.strip('"')


def sync_mode(options: Mapping[str, Any]) -> tuple[ExistingTableRows, list[str] | None]:
    """What a sync does to an existing destination table, from its advanced options.

    An explicit ``existing_table_rows`` wins; ``wipe_destination_table`` is a full
    refresh (drop); an ``identity_column`` makes the sync incremental (upsert on it).
    Otherwise, as a Civis DB sync without incremental columns, the destination is
    refreshed in full: dropped and created again with the source's columns.
    """
    keys = [k.strip() for k in str(options.get("identity_column") or "").split(",") if k.strip()]
    mode = options.get("existing_table_rows")
    if mode:
        if mode not in SYNC_MODES:
            raise ProgramError(
                f"existing_table_rows must be one of {', '.join(SYNC_MODES)}, not {mode!r}."
            )
        return cast(ExistingTableRows, mode), keys or None
    if options.get("wipe_destination_table"):
        return "drop", None
    if keys:
        return "upsert", keys
    return "drop", None


@contextlib.contextmanager
def _user_errors(prefix: str) -> Any:
    """Domain and warehouse errors become the run's error, prefixed with what failed."""
    try:
        yield
    except ProgramError:
        raise
    except (DomainError, WarehouseError) as error:
        raise ProgramError(f"{prefix}: {error}") from error


# -- files/preprocess/csv ------------------------------------------------------------


def _text_sample(stream: BinaryIO, file_id: int) -> tuple[bytes, bool, bool]:
    """Up to `CHECK_SAMPLE_BYTES` of the file's text (gunzipped), whether that is all of
    it, and whether the file is gzip-compressed."""
    head = stream.read(2)
    compressed = head == b"\x1f\x8b"
    body: IO[bytes] | gzip.GzipFile = stream
    if compressed:
        rest = _chunks(stream)
        body = gzip.GzipFile(fileobj=io.BufferedReader(_ChunkStream(itertools.chain([head], rest))))
        head = b""
    try:
        data = head + body.read(CHECK_SAMPLE_BYTES)
        complete = not body.read(1)
    except (OSError, EOFError, zlib.error) as error:
        raise ProgramError(f"File {file_id} is not a valid gzip file: {error}") from error
    return data, complete, compressed


class _ChunkStream(io.RawIOBase):
    """A readable raw stream over an iterator of byte chunks (streams, never buffers
    more than one chunk)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _chunks(stream: IO[bytes] | gzip.GzipFile) -> Iterator[bytes]:
    return iter(lambda: stream.read(COPY_CHUNK_BYTES), b"")


def _transcoded(stream: BinaryIO, compressed: bool, encoding: str) -> Iterator[bytes]:
    """The file's text as UTF-8 (uncompressed), dropping what ``encoding`` cannot decode."""
    raw: IO[bytes] | gzip.GzipFile = gzip.GzipFile(fileobj=stream) if compressed else stream
    decoder = codecs.getincrementaldecoder(encoding)(errors="ignore")
    for chunk in _chunks(raw):
        yield decoder.decode(chunk).encode()
    yield decoder.decode(b"", final=True).encode()


def check_csv_text(data: bytes, complete: bool, file_id: int, *, force: bool) -> tuple[str, str]:
    """The sample as text and the file's encoding, or a `ProgramError` saying why the
    file is not a CSV. Text that is not UTF-8 is read as `FALLBACK_ENCODING` when
    ``force`` (Civis's ``force_character_set_conversion``), else refused.

    Examples:
        >>> check_csv_text(b"a,b\\n1,2\\n", True, 7, force=False)
        ('a,b\\n1,2\\n', 'utf-8')
        >>> check_csv_text(b"caf\\xe9\\n", True, 7, force=True)
        ('café\\n', 'cp1252')
        >>> check_csv_text(b"\\x89PNG\\x00\\x00", True, 7, force=True)
        Traceback (most recent call last):
        ...
        civis_platform.runner.host.ProgramError: File 7 is not a CSV file: it holds binary data.
    """
    if not data.strip():
        raise ProgramError(f"File {file_id} is empty: there is no CSV data in it.")
    if b"\x00" in data:
        raise ProgramError(f"File {file_id} is not a CSV file: it holds binary data.")
    if not complete:
        data = data[: data.rfind(b"\n") + 1] or data
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        if not force:
            raise ProgramError(
                f"File {file_id} is not UTF-8 text (byte {error.start}); set "
                "force_character_set_conversion to have it converted."
            ) from None
        return data.decode(FALLBACK_ENCODING, errors="ignore"), FALLBACK_ENCODING


def check_row_widths(text: str, delimiter: str, file_id: int) -> None:
    """Every row of the sample has as many fields as the first, or a `ProgramError`.

    Examples:
        >>> check_row_widths("a,b\\n1,2,3\\n", ",", 3)
        Traceback (most recent call last):
        ...
        civis_platform.runner.host.ProgramError: File 3 is malformed: line 2 has 3 fields, \
but line 1 has 2.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    width: int | None = None
    try:
        for row in reader:
            if not row:
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                raise ProgramError(
                    f"File {file_id} is malformed: line {reader.line_num} has {len(row)} "
                    f"fields, but line 1 has {width}."
                )
    except csv.Error as error:
        raise ProgramError(f"File {file_id} is malformed: {error}") from None


def run_preprocess(run: Host) -> None:
    """Detect a CSV file's header, delimiter, compression and (optionally) column types.

    The result is a File output carrying ``detectedInfo``: a new file with the same
    bytes (``in_place`` false) or the file itself (``in_place`` true). A user-given
    ``include_header`` or ``column_delimiter`` is taken as fact.
    """
    config = run.config
    file_id = config.get("file_id")
    with _user_errors("Cannot preprocess the file"):
        row = run.owner.readable_file(file_id, "fileId")
    assert isinstance(file_id, int)
    delimiter_name = config.get("column_delimiter")
    delimiter = DELIMITER_CHARS[delimiter_name] if delimiter_name else None
    with run.owner.open_file(row) as stream:
        if _seekable_parquet(stream):
            detected = _parquet_info(stream, bool(config.get("detect_table_columns")), file_id)
            _record_preprocessed(run, row, file_id, detected, stream, "Parquet file")
            return
        data, complete, compressed = _text_sample(stream, file_id)
    text, encoding = check_csv_text(
        data, complete, file_id, force=bool(config.get("force_character_set_conversion"))
    )
    convert = encoding != "utf-8"
    info = detect_csv(
        io.BytesIO(text.encode()), delimiter=delimiter, header=config.get("include_header")
    )
    if compressed and not convert:  # a converted copy is written uncompressed
        info = dataclasses.replace(info, compression="gzip")
    check_row_widths(text, info.delimiter, file_id)
    detected = info.to_json()
    if not config.get("detect_table_columns"):
        detected["tableColumns"] = []
    run.log(
        f"Detected header={info.include_header}, delimiter={info.column_delimiter}, "
        f"compression={info.compression}, {len(info.table_columns)} columns."
    )
    if convert and config.get("in_place", True):
        raise ProgramError(
            f"File {file_id} is {encoding} text, not UTF-8; it can be converted only "
            "into a new file (in_place false)."
        )
    with run.owner.open_file(row) as stream:
        source: BinaryIO = stream
        if convert:
            run.log(f"Converting from {encoding} to UTF-8.")
            source = io.BufferedReader(_ChunkStream(_transcoded(stream, compressed, encoding)))
        _record_preprocessed(run, row, file_id, detected, source, "file")


def _record_preprocessed(
    run: Host, row: Any, file_id: int, detected: dict[str, Any], source: BinaryIO, what: str
) -> None:
    """The preprocess run's File output: the file itself with its ``detectedInfo``
    (``in_place``), or a new file of ``source``'s bytes carrying it."""
    if run.config.get("in_place", True):
        run.owner.set_detected_info(file_id, detected)
        run.add_output("File", file_id, row.name)
        return
    cleaned = run.owner.store_file(name=row.name, source=source, detected_info=detected)
    run.log(f"Wrote the preprocessed {what} {cleaned}.")
    run.add_output("File", cleaned, row.name)


def _seekable_parquet(stream: BinaryIO) -> bool:
    return stream.seekable() and is_parquet(stream)


def _parquet_info(stream: BinaryIO, with_columns: bool, file_id: int) -> dict[str, Any]:
    """``detectedInfo`` of a Parquet file: its columns and types come from its footer;
    header, delimiter and compression are what an import of it ignores."""
    try:
        schema = parquet_schema([stream])
    except WarehouseError as error:
        raise ProgramError(f"File {file_id}: {error}") from error
    columns = [{"name": f.name, "sqlType": sql_type_of_arrow(f.type)} for f in schema]
    return {
        "includeHeader": True,
        "columnDelimiter": "comma",
        "compression": "none",
        "tableColumns": columns if with_columns else [],
    }


# -- imports/files/csv ---------------------------------------------------------------


def _columns(config: Mapping[str, Any]) -> list[Column] | None:
    """The given columns, or None to infer them (no ``sqlType``s given: the names then
    only say the file's column order, which loads map by position anyway)."""
    given = config.get("table_columns") or []
    if not given or not all(c.get("sql_type") for c in given):
        return None
    loosen = bool(config.get("loosen_types"))
    return [
        Column(c["name"], loosen_type(c["sql_type"]) if loosen else c["sql_type"]) for c in given
    ]


def loosen_type(sql_type: str) -> str:
    """A type with room to grow (``loosen_types``): a VARCHAR loses its length, small
    integers and floats become their widest kind.

    Types detected from a sample (the first MiB) may be too narrow for the rest of a
    big file; the official client asks for loosening exactly when it sends them.

    Examples:
        >>> loosen_type("character varying(16)"), loosen_type("VARCHAR(3)"), loosen_type("date")
        ('character varying', 'character varying', 'date')
        >>> loosen_type("integer"), loosen_type("INT4"), loosen_type("real")
        ('bigint', 'bigint', 'double precision')
    """
    base = sql_type.split("(", 1)[0].strip().lower()
    return LOOSER_TYPES.get(base, sql_type)


_BACKSLASH_ESCAPE = re.compile(rb'\\(["\\])')


def unescape_backslashes(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """CSV whose quotes are escaped with a backslash (``escaped``) as standard CSV:
    ``\\"`` becomes ``""`` and ``\\\\`` becomes ``\\``, across chunk boundaries.

    Examples:
        >>> b"".join(unescape_backslashes([b'1,"say \\\\', b'"hi\\\\" \\\\\\\\"\\n']))
        b'1,"say ""hi"" \\\\"\\n'
    """
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        trailing = len(data) - len(data.rstrip(b"\\"))
        cut = len(data) - (trailing % 2)  # an unpaired backslash waits for its partner
        carry = data[cut:]
        yield _BACKSLASH_ESCAPE.sub(_unescape_one, data[:cut])
    if carry:
        yield carry


def _unescape_one(match: re.Match[bytes]) -> bytes:
    return b'""' if match.group(1) == b'"' else b"\\"


def _plain_source(stream: BinaryIO, compression: str) -> BinaryIO:
    """An escaped source, gunzipped and unescaped, as a stream of standard CSV."""
    raw: IO[bytes] | gzip.GzipFile = (
        gzip.GzipFile(fileobj=stream) if compression == "gzip" else stream
    )
    return io.BufferedReader(_ChunkStream(unescape_backslashes(_chunks(raw))))


def _table_id(run: Host, database_id: int, schema: str, table: str) -> int:
    """The loaded table's stable id (made now if new), so the Table output links it."""
    return run.owner.table_id(database_id, schema, table)


def _target(run: Host, side: Mapping[str, Any], field: str) -> Target:
    target: Target = run.owner.target(
        remote_host_id=side.get("remote_host_id"),
        credential_id=side.get("credential_id"),
        database_field=f"{field}.remoteHostId",
        credential_field=f"{field}.credentialId",
    )
    return target


def run_csv_import(run: Host) -> None:
    """Load every source file into ``destination.schema.table`` in one transaction.

    Files are streamed from storage to the warehouse (gunzipped by the warehouse, or
    here when quotes are backslash-escaped and the stream must be rewritten).
    """
    config = run.config
    destination = config["destination"]
    schema, table = destination["schema_"], destination["table"]
    where = f"{schema}.{table}"
    with _user_errors(f"CSV import into {where} failed"):
        target = _target(run, destination, "destination")
        rows = [
            run.owner.readable_file(fid, "source.fileIds") for fid in config["source"]["file_ids"]
        ]
    if run.is_cancel_requested():
        return
    run.log(f"Loading {len(rows)} file(s) into {where} on {target.database_name}.")
    with contextlib.ExitStack() as stack, _user_errors(f"CSV import into {where} failed"):
        sources = [stack.enter_context(run.owner.open_file(r)) for r in rows]
        # A cancellation interrupts the load; its transaction leaves the table as it was.
        stack.enter_context(run.warehouse_session(target.warehouse))
        result = _load(target.warehouse, schema, table, sources, config)
    run.log(
        f"Loaded {result.rows_inserted} row(s) into {where}"
        + (f"; skipped {result.rows_rejected} bad row(s)." if result.rows_rejected else ".")
    )
    run.add_output("Table", _table_id(run, target.database_id, schema, table), where)


def _load(
    warehouse: Warehouse, schema: str, table: str, sources: list[BinaryIO], config: Any
) -> ImportResult:
    """Load the opened source files as the import's config says.

    Parquet files (our client sends tables so; see docs/data.md) are loaded by their own
    schema: the CSV options (header, delimiter, compression, escaping, max errors) do
    not apply to them.
    """
    mode = config.get("existing_table_rows", "fail")
    primary_keys = config["destination"].get("primary_keys") or None
    parquet = [_seekable_parquet(source) for source in sources]
    if any(parquet):
        if not all(parquet):
            raise CsvImportError("the source files mix Parquet and CSV; import them separately")
        return warehouse.import_parquet(
            schema,
            table,
            sources,
            columns=_columns(config),
            existing_table_rows=mode,
            primary_keys=primary_keys,
        )
    compression: Literal["none", "gzip"] = "gzip" if config.get("compression") == "gzip" else "none"
    if config.get("escaped"):
        sources = [_plain_source(source, compression) for source in sources]
        compression = "none"
    return warehouse.import_csv(
        schema,
        table,
        sources,
        columns=_columns(config),
        existing_table_rows=mode,
        header=bool(config.get("first_row_is_header")),
        delimiter=DELIMITER_CHARS[config.get("column_delimiter") or "comma"],
        compression=compression,
        primary_keys=primary_keys,
        max_errors=config.get("max_errors"),
    )


# -- imports (Dbsync) ----------------------------------------------------------------


def run_dbsync(run: Host) -> None:
    """Copy each active sync's source table to its destination, as Arrow batches."""
    config = run.config
    syncs = [s for s in config.get("syncs", []) if not s.get("archived")]
    if not syncs:
        raise ProgramError(f"Import {run.job_id} has no syncs to run.")
    with _user_errors("Database sync failed"):
        source = _target(run, config.get("source") or {}, "source")
        destination = _target(run, config.get("destination") or {}, "destination")
    for sync in syncs:
        if run.is_cancel_requested():
            return
        from_path = (sync.get("source") or {}).get("path")
        to_path = (sync.get("destination") or {}).get("path")
        src_schema, src_table = split_table_path(from_path, "source.path")
        dst_schema, dst_table = split_table_path(to_path, "destination.path")
        mode, keys = sync_mode(sync.get("advanced_options") or {})
        with _user_errors(f"Sync of {from_path} to {to_path} failed"):
            reader = source.warehouse.read_arrow(
                f"SELECT * FROM {quote_ident(src_schema)}.{quote_ident(src_table)}"
            )
            count = destination.warehouse.write_arrow(
                dst_schema,
                dst_table,
                reader,
                existing_table_rows=mode,
                primary_keys=keys,
            )
        run.log(
            f"Synced {count} row(s) from {source.database_name} {from_path} to "
            f"{destination.database_name} {to_path} ({mode})."
        )
        run.add_output(
            "Table", _table_id(run, destination.database_id, dst_schema, dst_table), to_path
        )
