"""Tables as Parquet and Arrow, between this client and a civis-platform server.

A civis-platform server says in its spec (``x-civis-platform.tableFormats``) that it
takes Parquet files in ``/imports/files/csv`` and exports Parquet or an Arrow IPC stream
for ``csvSettings.fileFormat``.  Against such a server `dataframe_to_civis` uploads the
frame as Parquet, and `read_civis_sql` (pandas or polars) asks for an Arrow IPC stream,
which it reads batch by batch straight from the download: no CSV is written, parsed or
type-guessed on either side, nothing goes through a temporary file, and the bytes are
about a third of the CSV's.  The REST calls are the official ones; only the file
format differs.  Against Civis Platform (or any server that does not say so) CSV is
used, as the official client does.  ``CIVIS_TABLE_FORMAT=csv`` forces CSV everywhere.

Either way the data frames are the same: a typed result is cast to the Arrow types the
CSV reader would have parsed (from the export's ``detectedInfo.tableColumns``).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from civis._spec.model import server_platform
from civis.io._results import open_export
from civis.io._sqltypes import arrow_type

__all__ = ["FORMAT_ENV", "conform", "read_arrow_export", "server_takes", "write_parquet"]

FORMAT_ENV = "CIVIS_TABLE_FORMAT"


def server_takes(client: Any, table_format: str) -> bool:
    """Whether to move tables as ``table_format`` ("parquet", "arrow") with this
    client's server.

    Examples
    --------
    >>> class Model: platform = {"tableFormats": ["csv", "parquet", "arrow"]}
    >>> class Client: _model = Model()
    >>> server_takes(Client(), "parquet"), server_takes(Client(), "arrow")
    (True, True)
    >>> Model.platform = {}  # Civis Platform's own spec
    >>> server_takes(Client(), "parquet")
    False
    """
    if os.environ.get(FORMAT_ENV, "").strip().lower() == "csv":
        return False
    return table_format in (server_platform(client).get("tableFormats") or ())


def write_parquet(table: Any, path: str) -> None:
    """Write an Arrow table as one Parquet file (snappy, as the server writes them).

    Without column statistics: the file is loaded whole, never filtered, and the text
    columns' min/max cost a quarter of the writing time (1M rows: 72 ms, not 96 ms).
    """
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="snappy", write_statistics=False)


def read_arrow_export(client: Any, url: str, columns: list[dict[str, str]] | None) -> Any:
    """Read the Arrow IPC stream at presigned ``url`` as an Arrow table conformed to
    ``columns`` (see `conform`), batch by batch as the download arrives."""
    import pyarrow as pa

    with open_export(client, url, decode=False) as stream:
        table = pa.ipc.open_stream(stream).read_all()
    return conform(table, columns)


def conform(table: Any, columns: list[dict[str, str]] | None) -> Any:
    """``table`` with the export's column names and, column by column, the Arrow type
    that parsing its CSV as that SQL type gives (`arrow_type`), so both formats yield
    the same frame.  A column whose cast fails keeps its Parquet type.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"a_2": pa.array([1], pa.int32()), "b": [1.5]})
    >>> conform(t, [{"name": "a", "sql_type": "integer"},
    ...             {"name": "a", "sql_type": "numeric(4,1)"}]).schema.types
    [DataType(int64), DataType(double)]
    """
    import pyarrow as pa

    if not columns or len(columns) != table.num_columns:
        return table
    arrays = []
    for column, chunked in zip(columns, table.columns, strict=True):
        wanted = arrow_type(column.get("sql_type", ""))
        if wanted is not None and chunked.type != wanted:
            # A failed cast (text that is not a number...) keeps what the server wrote.
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                chunked = chunked.cast(wanted)
        arrays.append(chunked)
    return pa.table(arrays, names=[str(c["name"]) for c in columns])
