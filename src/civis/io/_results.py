"""Read a SQL export (a gzip CSV at a presigned URL) as rows, pandas or polars.

The body streams from the HTTP response through a gzip decoder straight into the
parser: neither the compressed nor the decompressed CSV is ever held whole in memory.
Data frames are parsed by pyarrow's multi-threaded CSV reader.  When the server says
what the columns are (``detectedInfo.tableColumns`` of the export File), each column is
parsed as its SQL type, so "007" in a VARCHAR column stays "007"; otherwise Arrow infers.
The server writes NULL as an empty unquoted field and the empty string as ``""``, and
the reader keeps them apart.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from civis.io._progress import CountingReader, Progress
from civis.io._sqltypes import INTEGER_TYPES, arrow_type, base_sql_type
from civis.io._transfer import raise_for_transfer, send_with_retries, session_of, transfer_kwargs

__all__ = ["GzipReader", "open_export", "read_arrow", "read_rows", "to_pandas", "to_polars"]

_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# pyarrow's CSV block size: blocks are parsed in parallel; 1 MiB measured fastest here.
_BLOCK_SIZE = 1 << 20


class GzipReader(io.RawIOBase):
    """Decompress a gzip (or zlib) byte stream as it is read; plain bytes pass through.

    Concatenated gzip members are read one after another, as ``gzip`` does.  Each read
    inflates at most ``_CHUNK`` bytes, so memory stays bounded however well the data
    compresses.  With ``decode=False`` every byte passes through (a readable view of a
    raw stream).

    Examples
    --------
    >>> import gzip
    >>> data = gzip.compress(b"a,b\\n") + gzip.compress(b"1,2\\n")
    >>> GzipReader(io.BytesIO(data)).read()
    b'a,b\\n1,2\\n'
    >>> GzipReader(io.BytesIO(b"plain")).read()
    b'plain'
    """

    def __init__(self, raw: IO[bytes], decode: bool = True) -> None:
        super().__init__()
        self._raw = raw
        self._decode_gzip = decode
        self._decoder: Any = None  # None: bytes pass through
        self._input = b""  # compressed bytes not yet given to the decoder
        self._out = memoryview(b"")  # inflated bytes not yet read
        self._raw_eof = False
        self._started = False

    def readable(self) -> bool:
        return True

    def _start(self) -> None:
        self._started = True
        head = b""
        while len(head) < _CHUNK:  # a whole head (or stream): `_is_zlib` needs it
            more = self._raw.read(_CHUNK - len(head)) or b""
            if not more:
                break
            head += more
        self._raw_eof = not head
        if self._decode_gzip and (head.startswith(_GZIP_MAGIC) or _is_zlib(head)):
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self._input = head

    def _step(self) -> bytes:
        """The next piece of output (b"" only at the end of the stream)."""
        while True:
            if not self._input and not self._raw_eof:
                self._input = self._raw.read(_CHUNK) or b""
                self._raw_eof = not self._input
            if self._decoder is None:
                passed, self._input = self._input, b""
                return passed
            if self._decoder.eof:
                # A finished member; more bytes start the next one.
                self._input = self._decoder.unused_data + self._input
                if not self._input and self._raw_eof:
                    return b""
                self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)
                continue
            if not self._input and self._raw_eof:
                flushed: bytes = self._decoder.flush()
                return flushed
            inflated: bytes = self._decoder.decompress(self._input, _CHUNK)
            self._input = self._decoder.unconsumed_tail
            if inflated:
                return inflated

    def readinto(self, buffer: Any) -> int:
        if not self._started:
            self._start()
        if not self._out:
            self._out = memoryview(self._step())
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._out))
        view[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def _is_zlib(head: bytes) -> bool:
    """Whether ``head`` (the first ``_CHUNK`` bytes, or all of a shorter stream) starts a
    zlib stream.

    The two header bytes alone also start plain text ("x y", "x?", "x^a", "x}"), and an
    uncompressed export whose first column is named so must pass through: the head must
    also inflate without error, to its end when it is the whole stream.

    Examples
    --------
    >>> _is_zlib(zlib.compress(b"x y\\n1\\n")), _is_zlib(b"x y\\n1\\n"), _is_zlib(b"x^a,b\\n")
    (True, False, False)
    """
    if not (len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0):
        return False
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(head, _CHUNK)
    except zlib.error:
        return False
    # Valid so far, and either complete, or cut short by the output limit or by the head.
    return inflater.eof or bool(inflater.unconsumed_tail) or len(head) >= _CHUNK


@contextmanager
def open_export(client: Any, url: str, decode: bool = True) -> Iterator[io.BufferedReader]:
    """Yield the bytes at presigned ``url`` (decompressed with ``decode``), streamed.

    No API credentials are sent.  Opening the connection is retried; the body is read
    once.
    """
    session = session_of(client)

    def connect() -> Any:
        response = session.get(url, stream=True, **transfer_kwargs())
        raise_for_transfer(response, "Download of the query result")
        return response

    response = send_with_retries(connect)
    length = response.headers.get("Content-Length")
    bar = Progress("Downloading the query result", int(length) if length else None)
    try:
        # The stored bytes, undecoded: gzip is ours to decode, whatever the headers say.
        response.raw.decode_content = False
        raw: Any = CountingReader(response.raw, bar.track(0)) if bar.enabled else response.raw
        yield io.BufferedReader(GzipReader(raw, decode), _CHUNK)
    finally:
        response.close()
        bar.close()


def read_rows(stream: IO[bytes], encoding: str | None) -> list[list[str]]:
    """Every CSV row as a list of strings, header first (the official list result).

    Examples
    --------
    >>> read_rows(io.BytesIO(b'a,b\\n"x\\ny",\\n'), None)
    [['a', 'b'], ['x\\ny', '']]
    """
    text = io.TextIOWrapper(stream, encoding=encoding or "utf-8", newline="")
    return list(csv.reader(text))


def read_arrow(
    stream: IO[bytes], columns: list[dict[str, str]] | None, encoding: str | None
) -> Any:
    """Parse the CSV (header row first) into an Arrow table.

    ``columns`` (``[{"name", "sql_type"}]``) fixes each named column's type; columns it
    does not name, or whose type is unknown, are inferred.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {}
    for column in columns or []:
        dtype = arrow_type(column.get("sql_type", ""))
        if dtype is not None:
            types[column["name"]] = dtype
    # As pd.read_csv; declared BOOLEAN columns also take PostgreSQL's and Redshift's t/f.
    true_values, false_values = ["true", "True", "TRUE"], ["false", "False", "FALSE"]
    if any(dtype == pa.bool_() for dtype in types.values()):
        true_values, false_values = [*true_values, "t"], [*false_values, "f"]
    read = pacsv.ReadOptions(block_size=_BLOCK_SIZE, encoding=encoding or "utf8")
    parse = pacsv.ParseOptions(newlines_in_values=True)
    convert = pacsv.ConvertOptions(
        column_types=types,
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        null_values=[""],
        true_values=true_values,
        false_values=false_values,
    )
    return pacsv.read_csv(stream, read_options=read, parse_options=parse, convert_options=convert)


def _sql_types_by_name(columns: list[dict[str, str]] | None) -> dict[str, str]:
    return {c["name"]: base_sql_type(c.get("sql_type", "")) for c in columns or []}


def to_pandas(table: Any, columns: list[dict[str, str]] | None) -> Any:
    """An Arrow table as a pandas DataFrame with the dtypes documented in docs/client.md.

    Integer columns are ``int64``, or ``Int64`` when they hold NULLs and the server
    declared an integer type (without types, ``float64``, as ``pd.read_csv``); booleans
    are ``bool`` (``boolean`` with NULLs); timestamps ``datetime64[us]``; dates
    ``datetime.date`` objects; text the default string dtype.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.types as t

    declared = _sql_types_by_name(columns)
    data: dict[int, Any] = {}
    for i, (field, chunked) in enumerate(zip(table.schema, table.columns, strict=True)):
        nulls = chunked.null_count > 0
        if t.is_integer(field.type) and nulls and declared.get(field.name) in INTEGER_TYPES:
            series = chunked.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        elif t.is_boolean(field.type) and nulls:
            series = chunked.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        elif t.is_null(field.type):  # untyped and always NULL: NaN, as pd.read_csv
            series = pd.Series(np.full(len(chunked), np.nan))
        else:
            series = chunked.to_pandas()
        data[i] = series
    frame = pd.DataFrame(data, copy=False)
    frame.columns = pd.Index(table.column_names)
    return frame


def to_polars(table: Any) -> Any:
    """An Arrow table as a polars DataFrame (zero-copy where Arrow allows)."""
    import polars as pl

    return pl.from_arrow(table)
