"""Run SQL on Civis and get the results: rows, data frames, CSV files, previews.

Every function here makes the official client's REST calls in the official order
(contract §5.2): ``POST /scripts/sql`` + ``/runs`` for exports, ``POST /queries`` for
previews, Dbsync ``POST /imports`` + ``/syncs`` + ``/runs`` for table transfers.  What
differs is inside: runs are polled from 50 ms, results stream from the presigned URL
through a gzip decoder into pyarrow's multi-threaded CSV parser (never whole in memory),
and data frames keep the SQL types the server reports for an export
(``detectedInfo.tableColumns`` of its File).  One body differs by design: `read_civis_sql`
asks for an uncompressed export from a server on a loopback address (see
`export_compression`), for gzip from any other, and for an Arrow IPC stream (data frames
only) from a civis-platform server that offers it (`civis.io._columnar`).
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import shutil
import urllib.parse
import uuid
import warnings
import zipfile
from typing import Any

from civis.base import CivisAPIError, EmptyResultError
from civis.client import client_or_default
from civis.futures import CivisFuture
from civis.io._columnar import read_arrow_export, server_takes
from civis.io._files import civis_to_file
from civis.io._results import open_export, read_arrow, read_rows, to_pandas, to_polars
from civis.utils._jobs import DeprecatedKwargDefault

__all__ = [
    "civis_to_csv",
    "civis_to_multifile_csv",
    "export_to_civis_file",
    "query_civis",
    "read_civis",
    "read_civis_sql",
    "transfer_table",
]

DELIMITERS = {",": "comma", "\t": "tab", "|": "pipe"}
_RETURN_AS = ("list", "pandas", "polars")
_SQL_PARAMS_KEYS = frozenset({"params", "arguments"})
_CSV_COMPRESSIONS = ("none", "gzip", "zip")
_CHUNK = 1 << 20


def delimiter_name(delimiter: str) -> str:
    """The API's name for a CSV delimiter (``comma``, ``tab`` or ``pipe``).

    Raises
    ------
    ValueError
        Any other delimiter.

    Examples
    --------
    >>> delimiter_name("|")
    'pipe'
    """
    try:
        return DELIMITERS[delimiter]
    except (KeyError, TypeError):
        raise ValueError(
            f"delimiter must be one of {sorted(DELIMITERS)}, got {delimiter!r}"
        ) from None


def export_compression(client: Any) -> str:
    """The ``csv_settings.compression`` that `read_civis_sql` asks for: ``"none"`` when
    the API endpoint is a loopback address, ``"gzip"`` otherwise.

    Over loopback there are no network bytes to save, and gzip costs CPU at both ends
    (on 1M rows, ~46 MB of CSV: about 0.5 s to compress on the server, 0.2 s to inflate
    here).  Both are standard Civis settings, and the reader takes either.

    Examples
    --------
    >>> class Http: base_url = "http://127.0.0.1:8000/"
    >>> class Client: _http = Http()
    >>> export_compression(Client())
    'none'
    >>> Http.base_url = "https://api.civisanalytics.com/"
    >>> export_compression(Client())
    'gzip'
    """
    base_url = getattr(getattr(client, "_http", None), "base_url", None)
    host = urllib.parse.urlsplit(str(base_url or "")).hostname or ""
    if host == "localhost":
        return "none"
    try:
        return "none" if ipaddress.ip_address(host).is_loopback else "gzip"
    except ValueError:  # a host name: assume a network between us
        return "gzip"


def _check_sql_params_arguments(sql_params_arguments: dict[str, Any] | None) -> dict[str, Any]:
    if not sql_params_arguments:
        return {}
    extra = set(sql_params_arguments) - _SQL_PARAMS_KEYS
    if extra:
        raise ValueError(
            f"sql_params_arguments must be a dict with keys in "
            f"{sorted(_SQL_PARAMS_KEYS)}; unexpected: {sorted(extra)}"
        )
    return dict(sql_params_arguments)


def _sql_script(
    client: Any,
    sql: str,
    database: str | int,
    job_name: str | None = None,
    credential_id: int | None = None,
    hidden: bool = True,
    csv_settings: dict[str, Any] | None = None,
    sql_params_arguments: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Create a SQL script and start it; return ``(script_id, run_id)``.

    ``GET /databases`` (for a name), ``GET /credentials`` (without ``credential_id``),
    ``POST /scripts/sql``, ``POST /scripts/sql/{id}/runs``.
    """
    extra = _check_sql_params_arguments(sql_params_arguments)
    db_id = client.get_database_id(database)
    credential_id = credential_id or client.default_database_credential_id
    script = client.scripts.post_sql(
        job_name or uuid.uuid4().hex,
        sql,
        db_id,
        credential_id,
        hidden=hidden,
        csv_settings=csv_settings or {},
        **extra,
    )
    run = client.scripts.post_sql_runs(script.id)
    return int(script.id), int(run.id)


def _sql_future(
    client: Any, script_id: int, run_id: int, polling_interval: int | float | None
) -> CivisFuture:
    return CivisFuture(
        client.scripts.get_sql_runs,
        (script_id, run_id),
        polling_interval=polling_interval,
        client=client,
        poll_on_creation=False,
    )


def _resolve_return_as(use_pandas: Any, return_as: str) -> str:
    if return_as not in _RETURN_AS:
        raise ValueError(
            f"unsupported return_as option: {return_as!r} (expected one of {list(_RETURN_AS)})"
        )
    if isinstance(use_pandas, DeprecatedKwargDefault):
        return return_as
    # use_pandas=True turns the default "list" into "pandas"; it conflicts with the rest.
    if (use_pandas and return_as == "polars") or (not use_pandas and return_as == "pandas"):
        raise ValueError(
            f"Conflicting argument values: use_pandas={bool(use_pandas)} but "
            f"return_as={return_as!r}. Stop setting 'use_pandas' and set "
            f"'return_as' to one of {list(_RETURN_AS)}."
        )
    warnings.warn(
        "'use_pandas' is deprecated (civis-python 2.6) and will be removed; use "
        "return_as='pandas' (or 'list', 'polars') instead.",
        FutureWarning,
        stacklevel=3,
    )
    return "pandas" if use_pandas else return_as


def read_civis(
    table: str,
    database: str | int,
    columns: list[str] | None = None,
    return_as: str = "list",
    use_pandas: Any = DeprecatedKwargDefault(),
    encoding: str | None = None,
    job_name: str | None = None,
    client: Any = None,
    credential_id: int | None = None,
    polling_interval: int | float | None = None,
    hidden: bool = True,
    **kwargs: Any,
) -> Any:
    """Read a whole table (or some of its columns) from a Civis database.

    Runs ``select <columns or *> from <table>`` through `read_civis_sql`; see there for
    ``return_as``, the dtypes, and errors.

    Examples
    --------
    >>> rows = read_civis("schema.table", "my-db")  # doctest: +SKIP
    >>> df = read_civis("schema.table", "my-db", columns=["a", "b"],
    ...                 return_as="pandas")  # doctest: +SKIP
    """
    sql = f"select {', '.join(columns) if columns else '*'} from {table}"
    return read_civis_sql(
        sql,
        database,
        return_as=return_as,
        use_pandas=use_pandas,
        encoding=encoding,
        job_name=job_name,
        client=client,
        credential_id=credential_id,
        polling_interval=polling_interval,
        hidden=hidden,
        **kwargs,
    )


def read_civis_sql(
    sql: str,
    database: str | int,
    return_as: str = "list",
    use_pandas: Any = DeprecatedKwargDefault(),
    sql_params_arguments: dict[str, Any] | None = None,
    encoding: str | None = None,
    job_name: str | None = None,
    client: Any = None,
    credential_id: int | None = None,
    polling_interval: int | float | None = None,
    hidden: bool = True,
    **kwargs: Any,
) -> Any:
    """Run a query and return its result.

    Parameters
    ----------
    sql : str
    database : str or int
        Database name or id.
    return_as : {"list", "pandas", "polars"}
        ``list``: every row as a list of strings, the header row first, exactly as the
        official client.  ``pandas``/``polars``: a data frame parsed by pyarrow with the
        column types the server reports (see "Query results as data frames" in
        docs/client.md); without ``kwargs``.
    use_pandas : bool, optional
        Deprecated: ``True`` means ``return_as="pandas"``.
    sql_params_arguments : dict, optional
        ``{"params": [...], "arguments": {...}}`` for a parameterised query.
    encoding : str, optional
        Of the result CSV (default UTF-8).
    job_name, client, credential_id, polling_interval, hidden
        The SQL script's name (default: random), the API client, the database credential
        (default: yours), fixed seconds between polls, and whether the script is hidden.
    **kwargs
        Passed to ``pandas.read_csv`` or ``polars.read_csv``, which then parse the
        result themselves (their own type inference).

    Raises
    ------
    ValueError
        Bad ``return_as``, a conflicting ``use_pandas``, or bad ``sql_params_arguments``.
    CivisJobFailure
        The query failed; the message is the server's error.
    EmptyResultError
        The run produced no output.

    Examples
    --------
    >>> read_civis_sql("select 1 as a", "my-db")  # doctest: +SKIP
    [['a'], ['1']]
    >>> df = read_civis_sql("select * from s.t", "my-db", return_as="pandas")  # doctest: +SKIP
    """
    return_as = _resolve_return_as(use_pandas, return_as)
    _check_sql_params_arguments(sql_params_arguments)
    client = client_or_default(client)
    arrow = return_as != "list" and not kwargs and server_takes(client, "arrow")
    csv_settings = (
        {"file_format": "arrow"} if arrow else {"compression": export_compression(client)}
    )
    script_id, run_id = _sql_script(
        client, sql, database, job_name, credential_id, hidden, csv_settings, sql_params_arguments
    )
    _sql_future(client, script_id, run_id, polling_interval).result()
    outputs = client.scripts.get_sql_runs(script_id, run_id).get("output") or []
    if not outputs:
        raise EmptyResultError(
            f"Query {sql!r} (script {script_id}, run {run_id}) returned no output."
        )
    url, file_id = outputs[0]["path"], outputs[0].get("file_id")
    return _read_export(client, url, file_id, return_as, encoding, kwargs, arrow)


def _read_export(
    client: Any,
    url: str,
    file_id: int | None,
    return_as: str,
    encoding: str | None,
    kwargs: dict[str, Any],
    arrow: bool,
) -> Any:
    if arrow:
        columns = _export_columns(client, file_id)
        table = read_arrow_export(client, url, columns)
        return to_polars(table) if return_as == "polars" else to_pandas(table, columns)
    if return_as == "list":
        with open_export(client, url) as stream:
            return read_rows(stream, encoding)
    if kwargs:
        with open_export(client, url) as stream:
            return _read_with_library(stream, return_as, encoding, kwargs)
    columns = _export_columns(client, file_id)
    with open_export(client, url) as stream:
        table = _read_table(stream, columns, encoding)
    return to_polars(table) if return_as == "polars" else to_pandas(table, columns)


def _read_table(stream: Any, columns: list[dict[str, str]] | None, encoding: str | None) -> Any:
    import pyarrow as pa

    try:
        return read_arrow(stream, columns, encoding)
    except pa.ArrowInvalid as err:
        if "Empty CSV file" not in str(err):
            raise
        return pa.table({})


def _read_with_library(
    stream: Any, return_as: str, encoding: str | None, kwargs: dict[str, Any]
) -> Any:
    """The caller's reader options: pandas or polars parse the stream themselves."""
    if return_as == "polars":
        import polars as pl

        if encoding:
            kwargs = {"encoding": encoding, **kwargs}
        return pl.read_csv(stream, **kwargs)
    import pandas as pd

    return pd.read_csv(stream, encoding=encoding, **kwargs)


def _export_columns(client: Any, file_id: int | None) -> list[dict[str, str]] | None:
    """``[{"name", "sql_type"}]`` of an export, if the server describes its File."""
    if file_id is None:
        return None
    try:
        info = client.files.get(file_id).get("detected_info") or {}
    except CivisAPIError:  # the types are a bonus: without them, Arrow infers
        return None
    columns = info.get("table_columns") or None
    if not columns:
        return None
    return [{"name": str(c.get("name")), "sql_type": str(c.get("sql_type") or "")} for c in columns]


def export_to_civis_file(
    sql: str,
    database: str | int,
    sql_params_arguments: dict[str, Any] | None = None,
    job_name: str | None = None,
    client: Any = None,
    credential_id: int | None = None,
    polling_interval: int | float | None = None,
    hidden: bool = True,
    csv_settings: dict[str, Any] | None = None,
) -> CivisFuture:
    """Export a query's result to a Civis file; the future's result lists the outputs.

    ``csv_settings`` (e.g. ``{"compression": "gzip", "column_delimiter": "pipe"}``) is
    sent as given.  Read ``future.result()["output"]`` for ``file_id`` and ``path``.

    Examples
    --------
    >>> fut = export_to_civis_file("select * from s.t", "my-db")  # doctest: +SKIP
    >>> file_id = fut.result()["output"][0]["file_id"]  # doctest: +SKIP
    """
    client = client_or_default(client)
    script_id, run_id = _sql_script(
        client, sql, database, job_name, credential_id, hidden, csv_settings, sql_params_arguments
    )
    return _sql_future(client, script_id, run_id, polling_interval)


def civis_to_csv(
    filename: str,
    sql: str,
    database: str | int,
    sql_params_arguments: dict[str, Any] | None = None,
    job_name: str | None = None,
    client: Any = None,
    credential_id: int | None = None,
    include_header: bool = True,
    compression: str = "none",
    delimiter: str = ",",
    unquoted: bool = False,
    hidden: bool = True,
    polling_interval: int | float | None = None,
) -> CivisFuture:
    """Export a query's result to a local CSV file.

    The export is always gzipped on the server; the download streams to ``filename``
    when the run is done (``future.result()`` waits for it): gunzipped for
    ``compression="none"`` (also for ``"gzip"`` with a header, as the official client
    does), as is for ``"gzip"``, or re-packed as ``<name>.csv`` inside a zip file.

    Raises
    ------
    ValueError
        ``delimiter`` is not ``,``, ``\\t`` or ``|``; unknown ``compression``.

    Examples
    --------
    >>> fut = civis_to_csv("out.csv", "select * from s.t", "my-db")  # doctest: +SKIP
    >>> fut.result()  # doctest: +SKIP
    """
    column_delimiter = delimiter_name(delimiter)
    if compression not in _CSV_COMPRESSIONS:
        raise ValueError(
            f"compression must be one of {list(_CSV_COMPRESSIONS)}, got {compression!r}"
        )
    if compression == "gzip" and include_header:
        compression = "none"  # as officially: a gzip export with a header is gunzipped
    client = client_or_default(client)
    csv_settings = {
        "include_header": include_header,
        "compression": "gzip",
        "column_delimiter": column_delimiter,
        "unquoted": unquoted,
        "filename_prefix": None,
        "force_multifile": False,
    }
    script_id, run_id = _sql_script(
        client, sql, database, job_name, credential_id, hidden, csv_settings, sql_params_arguments
    )
    future = _sql_future(client, script_id, run_id, polling_interval)
    future.add_done_callback(lambda fut: _download_result(fut, client, filename, compression))
    return future


def _download_result(future: CivisFuture, client: Any, filename: str, compression: str) -> None:
    """Done-callback of `civis_to_csv`: write the export to ``filename``."""
    if future.cancelled() or future.exception() is not None:
        return
    outputs = future.result().get("output") or []
    if not outputs:
        warnings.warn(
            f"Query returned no output; {filename} was not written.", RuntimeWarning, stacklevel=2
        )
        return
    url = outputs[0]["path"]
    if compression == "gzip":
        with open_export(client, url, decode=False) as stream, open(filename, "wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)
        return
    with open_export(client, url) as stream:
        if compression == "zip":
            arcname = os.path.splitext(os.path.basename(filename))[0] + ".csv"
            with (
                zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED) as archive,
                archive.open(arcname, "w", force_zip64=True) as out,
            ):
                shutil.copyfileobj(stream, out, _CHUNK)
            return
        with open(filename, "wb") as out:
            shutil.copyfileobj(stream, out, _CHUNK)


def civis_to_multifile_csv(
    sql: str,
    database: str | int,
    sql_params_arguments: dict[str, Any] | None = None,
    job_name: str | None = None,
    client: Any = None,
    credential_id: int | None = None,
    include_header: bool = True,
    compression: str = "none",
    delimiter: str = "|",
    max_file_size: int | None = None,
    unquoted: bool = False,
    prefix: str | None = None,
    polling_interval: int | float | None = None,
    hidden: bool = True,
) -> dict[str, Any]:
    """Export a query's result as several CSV files and return their manifest.

    Returns
    -------
    dict
        ``{"query", "header", "entries": [{"id", "name", "size", "url",
        "url_signed"}], "unquoted", "compression", "delimiter"}``.

    Raises
    ------
    ValueError
        Bad ``delimiter``.
    EmptyResultError
        The run produced no manifest.

    Examples
    --------
    >>> manifest = civis_to_multifile_csv("select * from s.t", "my-db")  # doctest: +SKIP
    >>> [entry["url_signed"] for entry in manifest["entries"]]  # doctest: +SKIP
    """
    column_delimiter = delimiter_name(delimiter)
    client = client_or_default(client)
    csv_settings = {
        "include_header": include_header,
        "compression": compression,
        "column_delimiter": column_delimiter,
        "unquoted": unquoted,
        "filename_prefix": prefix,
        "force_multifile": True,
        "max_file_size": max_file_size,
    }
    script_id, run_id = _sql_script(
        client, sql, database, job_name, credential_id, hidden, csv_settings, sql_params_arguments
    )
    outputs = _sql_future(client, script_id, run_id, polling_interval).result().get("output") or []
    if not outputs:
        raise EmptyResultError(
            f"Query {sql!r} (script {script_id}, run {run_id}) returned no manifest."
        )
    buf = io.BytesIO()
    civis_to_file(outputs[0]["file_id"], buf, client=client)
    manifest: dict[str, Any] = json.loads(buf.getvalue().decode("utf-8"))
    return manifest


def query_civis(
    sql: str,
    database: str | int,
    client: Any = None,
    credential_id: int | None = None,
    preview_rows: int = 10,
    polling_interval: int | float | None = None,
    hidden: Any = True,
) -> CivisFuture:
    """Run a query for its side effects or a preview (``POST /queries``).

    The future's result carries ``result_rows`` (lists of strings, at most
    ``preview_rows``, up to 1000) and ``result_columns``.

    Examples
    --------
    >>> fut = query_civis("create table s.t as select 1 as a", "my-db")  # doctest: +SKIP
    >>> fut.result()["result_rows"]  # doctest: +SKIP
    """
    client = client_or_default(client)
    db_id = client.get_database_id(database)
    credential_id = credential_id or client.default_database_credential_id
    query = client.queries.post(db_id, sql, preview_rows, credential=credential_id, hidden=hidden)
    return CivisFuture(
        client.queries.get,
        (query.id,),
        polling_interval=polling_interval,
        client=client,
        poll_on_creation=False,
    )


def transfer_table(
    source_db: str | int,
    dest_db: str | int,
    source_table: str,
    dest_table: str,
    job_name: str | None = None,
    client: Any = None,
    source_credential_id: int | None = None,
    dest_credential_id: int | None = None,
    polling_interval: int | float | None = None,
    **advanced_options: Any,
) -> CivisFuture:
    """Copy a table between databases with a Dbsync import.

    ``advanced_options`` go to ``POST /imports/{id}/syncs`` as given.

    Examples
    --------
    >>> fut = transfer_table("db-a", "db-b", "s.src", "s.dst")  # doctest: +SKIP
    >>> fut.result().state  # doctest: +SKIP
    'succeeded'
    """
    client = client_or_default(client)
    source_credential_id = source_credential_id or client.default_database_credential_id
    dest_credential_id = dest_credential_id or client.default_database_credential_id
    source = {
        "remote_host_id": client.get_database_id(source_db),
        "credential_id": source_credential_id,
    }
    destination = {
        "remote_host_id": client.get_database_id(dest_db),
        "credential_id": dest_credential_id,
    }
    job = client.imports.post(
        job_name or uuid.uuid4().hex, "Dbsync", True, source=source, destination=destination
    )
    client.imports.post_syncs(
        job.id, {"path": source_table}, {"path": dest_table}, advanced_options=advanced_options
    )
    run = client.imports.post_runs(job.id)
    return CivisFuture(
        client.imports.get_files_runs,
        (job.id, run.run_id),
        polling_interval=polling_interval,
        client=client,
        poll_on_creation=False,
    )
