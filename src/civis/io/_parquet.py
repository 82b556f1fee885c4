"""Tables as Parquet, between this client and a civis-platform server.

A civis-platform server says in its spec (``x-civis-platform.tableFormats``) that it
takes Parquet files in ``/imports/files/csv`` and exports Parquet for
``csvSettings.fileFormat = "parquet"``.  Against such a server `dataframe_to_civis`
uploads the frame as Parquet and `read_civis_sql` (pandas or polars) downloads the result
as Parquet: no CSV is written, parsed or type-guessed on either side, and the file is
about five times smaller.  The REST calls are the official ones; only the file format
differs.  Against Civis Platform (or any server that does not say so) CSV is used, as
the official client does.  ``CIVIS_TABLE_FORMAT=csv`` forces CSV everywhere.

Either way the data frames are the same: a Parquet result is cast to the Arrow types
the CSV reader would have parsed (from the export's ``detectedInfo.tableColumns``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Any

from civis.io._results import open_export
from civis.io._sqltypes import arrow_type

__all__ = ["FORMAT_ENV", "conform", "read_parquet_export", "use_parquet", "write_parquet"]

FORMAT_ENV = "CIVIS_TABLE_FORMAT"
_CHUNK = 1 << 20


def use_parquet(client: Any) -> bool:
    """Whether to move tables as Parquet with this client's server.

    Examples
    --------
    >>> class Model: platform = {"tableFormats": ["csv", "parquet"]}
    >>> class Client: _model = Model()
    >>> use_parquet(Client())
    True
    >>> Model.platform = {}  # Civis Platform's own spec
    >>> use_parquet(Client())
    False
    """
    if os.environ.get(FORMAT_ENV, "").strip().lower() == "csv":
        return False
    platform = getattr(getattr(client, "_model", None), "platform", None) or {}
    return "parquet" in (platform.get("tableFormats") or ())


def write_parquet(table: Any, path: str) -> None:
    """Write an Arrow table as one Parquet file (snappy, as the server writes them)."""
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="snappy")


def read_parquet_export(client: Any, url: str,
                        columns: list[dict[str, str]] | None) -> Any:
    """Download the Parquet file at presigned ``url`` and read it as an Arrow table
    conformed to ``columns`` (see `conform`).

    The body streams to a temporary file (Parquet's footer is at its end, so the file
    must be whole before it can be read), never into memory.
    """
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="civis-parquet-") as tmp:
        path = os.path.join(tmp, "result.parquet")
        with open_export(client, url, decode=False) as stream, open(path, "wb") as sink:
            shutil.copyfileobj(stream, sink, _CHUNK)
        # ParquetFile, not read_table: that one loads pyarrow.dataset (a second's import).
        table = pq.ParquetFile(path).read()
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
