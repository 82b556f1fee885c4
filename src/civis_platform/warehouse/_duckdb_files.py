"""Files for the platform's own loads and exports, read and written by a DuckDB of their own.

The warehouse's DuckDB runs users' SQL with external access off and its configuration
locked (`lockdown_settings`): no SQL there opens a file. The platform's CSV loads (read
a staged CSV file) and CSV exports (write a file to stream out) still use DuckDB's own
parallel reader and ``COPY`` writer, through a short-lived in-memory DuckDB
that can reach exactly the files of one operation (``allowed_paths`` for the files it
reads, ``allowed_directories`` for the fresh folder it writes into) and is locked in
the same way. Rows cross between the two as an Arrow stream, never through a file the
warehouse could name.

Only platform-generated SQL runs in these instances; users' SQL never does.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["BATCH_ROWS", "LOCKDOWN", "FileWriter", "lockdown_settings", "reading", "writing"]

BATCH_ROWS = 65_536

# Settings that must be given when a DuckDB database starts (some cannot be changed
# later): no extension is installed or loaded behind the SQL's back, none from the
# community, no repository added, no secret written to disk, and no spill folder
# (DuckDB lets any SQL read and write its temp_directory, external access or not).
_STARTUP = {
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
    "allow_community_extensions": "false",
    "allow_extension_repositories": "forbidden",
    "allow_persistent_secrets": "false",
    "temp_directory": "",
}

# Then, in this order: no file, network or extension access beyond the allowed
# paths, and no SET or PRAGMA that could give any of it back.
LOCKDOWN = ("SET enable_external_access = false", "SET lock_configuration = true")


def lockdown_settings(
    config: Mapping[str, str] | None = None,
) -> dict[str, str | bool | int | float | list[str]]:
    """The start-up settings of a locked-down DuckDB, over the caller's own ``config``
    (``memory_limit``, ``threads``); a caller cannot loosen them.

    Examples:
        >>> lockdown_settings({"threads": "2"})["autoload_known_extensions"]
        'false'
        >>> lockdown_settings({"temp_directory": "/srv/spill"})["temp_directory"]
        ''
    """
    return {**(config or {}), **_STARTUP}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _locked_instance(
    *, paths: Sequence[str] = (), directories: Sequence[str] = (), threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can reach only ``paths`` and what is under ``directories``."""
    config = {"threads": str(threads)} if threads else None
    conn = duckdb.connect(":memory:", config=lockdown_settings(config))
    try:
        if paths:
            conn.execute(f"SET allowed_paths = [{', '.join(_quote(p) for p in paths)}]")
        if directories:
            listed = ", ".join(_quote(str(d).rstrip("/") + "/") for d in directories)
            conn.execute(f"SET allowed_directories = [{listed}]")
        for statement in LOCKDOWN:
            conn.execute(statement)
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def reading(
    paths: Sequence[str], sql: str, *, batch_size: int = BATCH_ROWS
) -> Iterator[pa.RecordBatchReader]:
    """The rows of ``sql`` (a ``read_csv``/``read_parquet`` of ``paths``), read by a DuckDB
    that can open those files and nothing else, as a stream for the caller to consume
    inside the block.

    Examples:
        >>> import tempfile, pathlib
        >>> path = str(pathlib.Path(tempfile.mkdtemp()) / "a.csv")
        >>> _ = pathlib.Path(path).write_text("x\\n1\\n")
        >>> with reading([path], f"SELECT * FROM read_csv('{path}')") as rows:
        ...     rows.read_all().to_pylist()
        [{'x': 1}]
    """
    conn = _locked_instance(paths=paths)
    try:
        yield conn.sql(sql).to_arrow_reader(batch_size)
    finally:
        conn.close()


class FileWriter:
    """A DuckDB that writes files into one fresh folder of its own (`writing`)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, folder: Path) -> None:
        self._conn = conn
        self.folder = folder

    def copy(self, rows: pa.RecordBatchReader, name: str, options: str) -> int:
        """Write the stream into ``folder/name`` with ``COPY ... (options)``; return the
        rows written."""
        if "/" in name or name in ("", ".", ".."):
            raise ValueError(f"not a plain file name: {name!r}")
        self._conn.register("__rows", rows)
        try:
            self._conn.execute(
                f"COPY (SELECT * FROM __rows) TO {_quote(str(self.folder / name))} ({options})"
            )
            counted = self._conn.fetchone()  # COPY answers with its row count
        finally:
            with contextlib.suppress(duckdb.Error):
                self._conn.unregister("__rows")
        return int(counted[0]) if counted else 0


@contextlib.contextmanager
def writing() -> Iterator[FileWriter]:
    """A `FileWriter` over a new temporary folder, removed with what is in it at the end.

    Examples:
        >>> with writing() as out:
        ...     out.copy(pa.table({"x": [1, 2]}).to_reader(), "x.csv", "FORMAT csv")
        ...     (out.folder / "x.csv").read_text()
        2
        'x\\n1\\n2\\n'
    """
    with tempfile.TemporaryDirectory(prefix="civis-copy-") as tmp:
        # One thread: the rows come in order from a single stream, and several threads
        # would hold batches back to keep that order (measured: 4x the memory, no faster).
        conn = _locked_instance(directories=[tmp], threads=1)
        try:
            yield FileWriter(conn, Path(tmp))
        finally:
            conn.close()
