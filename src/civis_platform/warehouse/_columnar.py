"""Columnar files in and out of a warehouse: Parquet (recognising it, reading its schema
and rows, writing a query's Arrow stream as one file) and the Arrow IPC stream format.

These are how our client and our server move whole tables (see docs/data.md, "Tables
as Parquet and Arrow"): typed, compressed, columnar files that pyarrow writes and reads
many times faster than CSV, and that need no type detection. A Parquet file's footer
is at its end, so it is read whole; an Arrow IPC stream is read batch by batch as it
arrives, so a client can turn a download straight into a data frame.

Examples:
    >>> import io, pyarrow as pa
    >>> sink = io.BytesIO()
    >>> table = pa.table({"n": [1, 2], "s": ["a", None]})
    >>> write_parquet(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), sink)
    2
    >>> _ = sink.seek(0)
    >>> is_parquet(sink), sink.tell()
    (True, 0)
    >>> parquet_schema([sink]).names
    ['n', 's']
    >>> is_parquet(io.BytesIO(b"n,s\\n1,a\\n"))
    False
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from .base import CsvImportError

__all__ = [
    "PARQUET_MAGIC",
    "is_parquet",
    "parquet_batches",
    "parquet_schema",
    "write_arrow_stream",
    "write_parquet",
]

PARQUET_MAGIC = b"PAR1"
# Snappy: the codec every Parquet reader has; it costs little CPU and shrinks the demo's
# ridership-like tables about 5x against plain CSV.
COMPRESSION = "snappy"
BATCH_ROWS = 65_536
# zstd: of the IPC codecs, the smaller file (1M demo rows: 14 MB, against 25 MB with lz4
# and 44 MB without) and the faster read back.
ARROW_COMPRESSION = "zstd"


def is_parquet(stream: BinaryIO) -> bool:
    """Whether a seekable stream holds a Parquet file (it starts with ``PAR1``); the
    stream's position is left where it was."""
    position = stream.tell()
    try:
        return stream.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC
    finally:
        stream.seek(position)


def _open(source: BinaryIO, index: int) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise CsvImportError(f"source file {index + 1} is not a valid Parquet file: {exc}") from exc


def parquet_schema(sources: Sequence[BinaryIO]) -> pa.Schema:
    """The one schema of every source's footer; `CsvImportError` when a file is not
    Parquet, when two disagree, or when a column name repeats (tables need unique ones)."""
    schema: pa.Schema | None = None
    for index, source in enumerate(sources):
        theirs = _open(source, index).schema_arrow.remove_metadata()
        if schema is None:
            schema = theirs
        elif not theirs.equals(schema):
            raise CsvImportError(
                f"source file {index + 1} has the columns {_describe(theirs)}, but the first "
                f"file has {_describe(schema)}"
            )
        source.seek(0)
    if schema is None:
        raise CsvImportError("no Parquet sources to import")
    repeated = sorted({name for name in schema.names if schema.names.count(name) > 1})
    if repeated:
        raise CsvImportError(f"column name(s) repeated in the Parquet file: {repeated}")
    return schema


def _describe(schema: pa.Schema) -> str:
    return ", ".join(f"{field.name} {field.type}" for field in schema)


def parquet_batches(sources: Sequence[BinaryIO], schema: pa.Schema) -> pa.RecordBatchReader:
    """Every source's rows, in order, as one stream of record batches."""

    def batches() -> Iterator[pa.RecordBatch]:
        for index, source in enumerate(sources):
            try:
                for batch in _open(source, index).iter_batches(BATCH_ROWS):
                    yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)
            except pa.ArrowException as exc:
                raise CsvImportError(f"source file {index + 1} cannot be read: {exc}") from exc

    return pa.RecordBatchReader.from_batches(schema, batches())


def write_parquet(reader: pa.RecordBatchReader, sink: BinaryIO) -> int:
    """Write a stream of record batches into ``sink`` as one Parquet file; return the
    rows written. The sink is flushed, not closed."""
    rows = 0
    with pq.ParquetWriter(sink, reader.schema, compression=COMPRESSION) as writer:
        for batch in reader:
            writer.write_batch(batch)  # a row group per batch: written as it streams
            rows += batch.num_rows
    sink.flush()
    return rows


def write_arrow_stream(reader: pa.RecordBatchReader, sink: BinaryIO) -> int:
    """Write a stream of record batches into ``sink`` in the Arrow IPC stream format
    (zstd-compressed buffers); return the rows written. The sink is flushed, not closed."""
    rows = 0
    options = pa.ipc.IpcWriteOptions(compression=ARROW_COMPRESSION)
    with pa.ipc.new_stream(sink, reader.schema, options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    sink.flush()
    return rows
