"""CSV plumbing shared by both warehouses: headers, compression, parts, first records.

The engines produce CSV text as a stream of ``(bytes, rows)`` chunks, each ending on a
row boundary; `write_single` and `write_parts` turn such a stream into one file or
several, adding the header and gzip. On the way in, `open_source` undoes gzip and
`split_first_record` takes the header off a stream without reading the rest.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import pyarrow as pa

from .base import CsvFormat, CsvImportError, PartInfo

__all__ = [
    "GZIP_LEVEL",
    "coalesce_chunks",
    "file_chunks",
    "local_file",
    "open_source",
    "open_text_reader",
    "quote_field",
    "render_header",
    "split_first_record",
    "write_parts",
    "write_single",
]

ARROW_BLOCK_BYTES = 1 << 20
GZIP_LEVEL = 3  # zlib level 3 is ~3x faster than 6 for CSV and only a few percent larger
CHUNK_BYTES = 1 << 18
_SPECIAL = ('"', "\r", "\n")


def quote_field(value: str, delimiter: str, *, unquoted: bool = False) -> str:
    """Render one text value as a CSV field, quoting (or escaping) only when needed.

    Examples:
        >>> quote_field("plain", ","), quote_field('a"b', ","), quote_field("a,b", ",")
        ('plain', '"a""b"', '"a,b"')
        >>> quote_field("a,b", ",", unquoted=True)
        'a\\\\,b'
    """
    if unquoted:
        for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            value = value.replace(raw, escaped)
        return value.replace(delimiter, "\\" + delimiter) if delimiter != "\t" else value
    if value == "" or delimiter in value or any(ch in value for ch in _SPECIAL):
        return '"' + value.replace('"', '""') + '"'
    return value


def render_header(columns: list[str], fmt: CsvFormat) -> bytes:
    """The header line for ``columns`` in ``fmt`` (UTF-8, ending with a newline).

    Examples:
        >>> render_header(["a", "b c"], CsvFormat(delimiter="|"))
        b'a|b c\\n'
    """
    fields = [quote_field(name, fmt.delimiter, unquoted=fmt.unquoted) for name in columns]
    return (fmt.delimiter.join(fields) + "\n").encode()


def coalesce_chunks(
    chunks: Iterable[tuple[bytes, int]], target: int = CHUNK_BYTES
) -> Iterator[tuple[bytes, int]]:
    """Merge small row-aligned chunks into ones of about ``target`` bytes.

    Examples:
        >>> list(coalesce_chunks([(b"a\\n", 1), (b"b\\n", 1)], target=10))
        [(b'a\\nb\\n', 2)]
    """
    pending: list[bytes] = []
    size = rows = 0
    for data, count in chunks:
        pending.append(data)
        size += len(data)
        rows += count
        if size >= target:
            yield b"".join(pending), rows
            pending, size, rows = [], 0, 0
    if pending:
        yield b"".join(pending), rows


def file_chunks(text: BinaryIO, rows: int) -> Iterator[tuple[bytes, int]]:
    """A CSV file of ``rows`` rows as chunks for `write_single`: blocks of about
    ``4 * CHUNK_BYTES`` (not row-aligned), the whole row count on the last one.

    Examples:
        >>> list(file_chunks(io.BytesIO(b"1\\n2\\n"), 2))
        [(b'1\\n2\\n', 2)]
    """
    block = text.read(4 * CHUNK_BYTES)
    while block:
        following = text.read(4 * CHUNK_BYTES)
        yield block, 0 if following else rows
        block = following


class _CountingSink(io.RawIOBase):
    """Counts the bytes that reach the real sink (after compression)."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sink.write(data)
        self.size += len(data)
        return len(data)


class _CsvFile:
    """One output file: optional gzip over a counting sink, header written first."""

    def __init__(self, sink: BinaryIO, fmt: CsvFormat, header: bytes | None) -> None:
        self.counter = _CountingSink(sink)
        self.out: BinaryIO = self.counter  # type: ignore[assignment]
        self.gzip: gzip.GzipFile | None = None
        if fmt.compression == "gzip":
            self.gzip = gzip.GzipFile(fileobj=self.counter, mode="wb", compresslevel=GZIP_LEVEL)
            self.out = self.gzip  # type: ignore[assignment]
        self.rows = 0
        if header:
            self.out.write(header)

    def write(self, data: bytes, rows: int) -> None:
        self.out.write(data)
        self.rows += rows

    def finish(self) -> int:
        if self.gzip is not None:
            self.gzip.close()  # writes the trailer; leaves the sink open
        return self.counter.size


def write_single(
    chunks: Iterable[tuple[bytes, int]], sink: BinaryIO, fmt: CsvFormat, columns: list[str]
) -> int:
    """Write header and chunks to ``sink`` (left open, flushed); return the row count.

    Examples:
        >>> buf = io.BytesIO()
        >>> write_single([(b"1\\n", 1)], buf, CsvFormat(compression="none"), ["n"])
        1
        >>> buf.getvalue()
        b'n\\n1\\n'
    """
    out = _CsvFile(sink, fmt, render_header(columns, fmt) if fmt.include_header else None)
    for data, rows in chunks:
        out.write(data, rows)
    out.finish()
    sink.flush()
    return out.rows


def write_parts(
    chunks: Iterable[tuple[bytes, int]],
    open_part: Callable[[int], BinaryIO],
    fmt: CsvFormat,
    columns: list[str],
    max_file_size: int,
) -> list[PartInfo]:
    """Spread chunks over parts, starting a new one once a part reaches ``max_file_size``.

    Each sink is closed when its part is done. Chunks are never split, so a part can
    exceed the limit by one chunk (engines send chunks of at most ~256 KiB).

    Examples:
        >>> sinks = []
        >>> def open_part(i):
        ...     sinks.append(io.BytesIO()); sinks[-1].close = lambda: None; return sinks[-1]
        >>> fmt = CsvFormat(compression="none", include_header=False)
        >>> [p.row_count for p in write_parts([(b"1\\n", 1)] * 3, open_part, fmt, ["n"], 4)]
        [2, 1]
    """
    if max_file_size <= 0:
        raise ValueError("max_file_size must be positive")
    header = render_header(columns, fmt) if fmt.include_header else None
    parts: list[PartInfo] = []
    current: _CsvFile | None = None
    sink: BinaryIO | None = None

    def close_current() -> None:
        assert current is not None and sink is not None
        size = current.finish()
        sink.close()
        parts.append(PartInfo(index=len(parts), row_count=current.rows, size=size))

    for data, rows in chunks:
        if current is None:
            sink = open_part(len(parts))
            current = _CsvFile(sink, fmt, header)
        current.write(data, rows)
        if current.counter.size >= max_file_size:
            close_current()
            current = None
    if current is not None or not parts:
        if current is None:
            sink = open_part(0)
            current = _CsvFile(sink, fmt, header)
        close_current()
    return parts


def local_file(stream: BinaryIO) -> str | None:
    """The path of ``stream`` if it is a local file opened for reading at its start.

    An engine can then read the file itself (in parallel, without Python in the loop)
    instead of being fed the stream; anything else (a socket, a chain of parts) is None.

    Examples:
        >>> local_file(io.BytesIO(b"a\\n")) is None
        True
    """
    raw = getattr(stream, "raw", None)
    if not isinstance(stream, io.BufferedReader) or not isinstance(raw, io.FileIO):
        return None
    name = raw.name
    if not isinstance(name, str) or not raw.readable() or stream.tell() != 0:
        return None
    return name if os.path.isfile(name) else None


def open_source(stream: BinaryIO, compression: str) -> BinaryIO:
    """A readable binary stream of the CSV text, gunzipping on the fly if asked.

    Examples:
        >>> open_source(io.BytesIO(gzip.compress(b"a\\n")), "gzip").read()
        b'a\\n'
    """
    if compression == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    if compression != "none":
        raise ValueError(f"unsupported compression {compression!r}")
    return stream


class _Prefixed(io.RawIOBase):
    """``prefix`` bytes, then the rest of ``stream``: puts back what was peeked."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self.prefix = memoryview(prefix)
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.prefix:
            n = min(len(buffer), len(self.prefix))
            buffer[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def split_first_record(
    stream: BinaryIO, delimiter: str
) -> tuple[list[str] | None, bytes, BinaryIO]:
    """Read the first CSV record of ``stream`` (which may span lines inside quotes).

    Returns the record's fields (``None`` for an empty stream), its raw bytes, and a
    stream of the remaining bytes; prepend the raw bytes again with `reattach` when the
    record is data, not a header.

    Examples:
        >>> fields, raw, rest = split_first_record(io.BytesIO(b'a,"b\\nc"\\n1,2\\n'), ",")
        >>> fields, raw, rest.read()
        (['a', 'b\\nc'], b'a,"b\\nc"\\n', b'1,2\\n')
    """
    buffered: BinaryIO = stream
    if not hasattr(stream, "peek"):  # readline() on a raw stream would be one byte a call
        buffered = io.BufferedReader(stream)  # type: ignore[type-var]
    raw = b""
    while True:
        line = buffered.readline()
        raw += line
        # A record is complete when its quotes balance (RFC 4180: "" is an escaped quote).
        if not line or raw.count(b'"') % 2 == 0:
            break
    if not raw:
        return None, b"", buffered
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark is not data
    text = raw.decode("utf-8", errors="replace")
    try:
        fields = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as error:  # e.g. old Mac files: lines end with a bare CR
        raise CsvImportError(
            f"the first record is not valid CSV ({error}); lines must end with LF or CRLF"
        ) from None
    return fields, raw, buffered


def open_text_reader(
    stream: BinaryIO, width: int, delimiter: str, *, use_threads: bool = True
) -> pa.RecordBatchReader | None:
    """A streaming reader of a header-less CSV as ``width`` text columns ``c0, c1, ...``.

    NULL is an unquoted empty field; a quoted empty field is ''. Returns ``None`` for
    an empty stream; raises ``pyarrow.ArrowInvalid`` on malformed CSV.

    Examples:
        >>> open_text_reader(io.BytesIO(b'1,""\\n,x\\n'), 2, ",").read_all().to_pylist()
        [{'c0': '1', 'c1': ''}, {'c0': None, 'c1': 'x'}]
    """
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    try:
        return pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=ARROW_BLOCK_BYTES, use_threads=use_threads
            ),
            # No invalid_row_handler: a Python callback makes parsing ~7x slower, and
            # pyarrow's error message already quotes the bad row.
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=False,
            ),
        )
    except StopIteration:
        return None
    except pa.ArrowInvalid as exc:
        if str(exc) == "Empty CSV file":
            return None
        raise


def reattach(prefix: bytes, stream: BinaryIO) -> BinaryIO:
    """``prefix`` followed by ``stream``, as one buffered binary stream.

    Examples:
        >>> reattach(b"a\\n", io.BytesIO(b"b\\n")).read()
        b'a\\nb\\n'
    """
    if not prefix:
        return stream
    return io.BufferedReader(_Prefixed(prefix, stream), buffer_size=CHUNK_BYTES)


def render_value(value: object) -> str | None:
    """One value as its export text (`base` "CSV rendering"), for query previews.

    Examples:
        >>> import datetime
        >>> render_value(True), render_value(None), render_value(datetime.datetime(2024, 1, 2, 3))
        ('t', None, '2024-01-02 03:00:00')
        >>> render_value(datetime.datetime(2024, 1, 2, 3, 4, 5, 500000))
        '2024-01-02 03:04:05.5'
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # as the engines print floats: 1000, not 1000.0
    isoformat = getattr(value, "isoformat", None)
    if isoformat is not None and hasattr(value, "hour") and hasattr(value, "day"):
        text = str(isoformat(sep=" "))
        if "." in text[19:26]:  # as the engines print: 23:59:59.5, not 23:59:59.500000
            head, _, fraction = text.partition(".")
            digits = fraction[:6].rstrip("0")
            text = head + ("." + digits if digits else "") + fraction[6:]
        return text
    if isoformat is not None:
        return str(isoformat())
    return str(value)
