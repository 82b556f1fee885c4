"""Load CSV files and data frames into Civis tables.

`civis_file_to_table` makes the official calls (contract §5.2): the table-existence
check, one ``POST /files/preprocess/csv`` job per file (run at once, all in parallel),
the detected CSV layout from each cleaned File's ``detectedInfo``, then
``POST /imports/files/csv`` and its run.  `dataframe_to_civis` writes the frame with
pyarrow's CSV writer (never ``DataFrame.to_csv``), or as Parquet for a civis-platform
server (`civis.io._columnar`), and sends ``table_columns`` derived from the frame's
dtypes, so the warehouse gets the frame's types.  Because it wrote the CSV
itself, it knows the header, delimiter and every column's type, and skips the preprocess
step and the existence check (which only decides whether types must be detected).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any

from civis.base import CivisAPIError, CivisImportError
from civis.client import client_or_default
from civis.futures import CivisFuture
from civis.io._columnar import server_takes, write_parquet
from civis.io._files import file_to_civis
from civis.io._sql import DELIMITERS, delimiter_name
from civis.io._sqltypes import base_sql_type, sql_columns, writable
from civis.io._tables import split_schema_tablename
from civis.utils._jobs import run_job

__all__ = ["civis_file_to_table", "csv_to_civis", "dataframe_to_civis"]

log = logging.getLogger(__name__)

_TABLE_COLUMN_KEYS = ("name", "sql_type")
_PANDAS_CSV_KWARGS = frozenset({"header", "index", "columns", "encoding"})


@dataclass(frozen=True)
class _Layout:
    """How the CSV files to import are written, as detected or as written by us."""

    file_ids: list[int]
    include_header: bool
    column_delimiter: str
    compression: str
    table_columns: list[dict[str, str]] | None


@dataclass(frozen=True)
class _Target:
    db_id: int
    credential_id: int | None
    schema: str
    table: str


def _file_ids(file_id: Any) -> list[int]:
    if isinstance(file_id, str):
        raise TypeError(f"Invalid type for file_id: str ({file_id!r}). Must be int or list[int]")
    return list(file_id) if isinstance(file_id, (list, tuple)) else [file_id]


def _schema_and_table(table: str) -> tuple[str, str]:
    schema, name = split_schema_tablename(table)
    if schema is None:
        raise ValueError(
            f"Provide a schema as part of the `table` input ({table!r}), e.g. 'schema.table'."
        )
    return schema, name


def _sql_types_given(table_columns: list[dict[str, str]] | None) -> bool:
    """Check ``table_columns``; True if every column has a ``sql_type``."""
    if not table_columns:
        return False
    for column in table_columns:
        extra = set(column) - set(_TABLE_COLUMN_KEYS)
        if extra:
            raise ValueError(
                f"Keys of the dictionaries in `table_columns` must be among "
                f"{_TABLE_COLUMN_KEYS}; got also {tuple(sorted(extra))}."
            )
    typed = [bool(column.get("sql_type")) for column in table_columns]
    if any(typed) and not all(typed):
        raise ValueError("Some table columns have a sql type provided, but others do not.")
    return all(typed)


def _table_exists(client: Any, target: _Target) -> bool:
    try:
        client.databases.get_schemas_tables(target.db_id, target.schema, target.table)
    except CivisAPIError as err:
        if err.status_code != 404:
            warnings.warn(
                f"Could not check whether {target.schema}.{target.table} exists "
                f"({err}); treating it as missing.",
                stacklevel=3,
            )
        return False
    return True


def civis_file_to_table(
    file_id: int | list[int],
    database: str | int,
    table: str,
    client: Any = None,
    max_errors: int | None = None,
    existing_table_rows: str = "fail",
    diststyle: str | None = None,
    distkey: str | None = None,
    sortkey1: str | None = None,
    sortkey2: str | None = None,
    table_columns: list[dict[str, str]] | None = None,
    primary_keys: list[str] | None = None,
    last_modified_keys: list[str] | None = None,
    escaped: bool = False,
    execution: str = "immediate",
    delimiter: str | None = None,
    headers: bool | None = None,
    credential_id: int | None = None,
    polling_interval: int | float | None = None,
    hidden: bool = True,
) -> CivisFuture:
    """Import one or more CSV files on Civis into a table.

    Parameters
    ----------
    file_id : int or list of int
        Files with the same layout; each is cleaned by a preprocess job first.
    database : str or int
    table : str
        ``schema.table``.
    existing_table_rows : {"fail", "truncate", "append", "drop", "upsert"}
    table_columns : list of dict, optional
        ``[{"name": ..., "sql_type": ...}]`` in file order; all or none with a
        ``sql_type``.  Without types, and when the table is new or dropped, the types
        detected by the preprocess jobs are used.
    delimiter : {",", "\\t", "|"}, optional
        Checked against the detected delimiter.
    headers : bool, optional
        Whether the files start with a header row; checked against the detected value.
    max_errors, diststyle, distkey, sortkey1, sortkey2, primary_keys, last_modified_keys,
    escaped, execution, credential_id, polling_interval, hidden
        As for ``POST /imports/files/csv``.

    Returns
    -------
    CivisFuture
        Of the import run.

    Raises
    ------
    TypeError
        ``file_id`` is a string.
    ValueError
        No schema in ``table``; bad ``table_columns`` or ``delimiter``.
    CivisImportError
        A preprocess run has no output, or the files disagree with each other or with
        ``headers``/``delimiter``.
    CivisJobFailure
        A preprocess run failed.

    Examples
    --------
    >>> fut = civis_file_to_table(123, "my-db", "scratch.data")  # doctest: +SKIP
    >>> fut.result().state  # doctest: +SKIP
    'succeeded'
    """
    file_ids = _file_ids(file_id)
    schema, name = _schema_and_table(table)
    sql_types_given = _sql_types_given(table_columns)
    column_delimiter = None if delimiter is None else delimiter_name(delimiter)
    client = client_or_default(client)
    target = _Target(
        client.get_database_id(database),
        credential_id or client.default_database_credential_id,
        schema,
        name,
    )
    exists = _table_exists(client, target)
    need_table_columns = (not exists or existing_table_rows == "drop") and not sql_types_given
    layout = _preprocess(
        client, file_ids, need_table_columns, headers, column_delimiter, hidden, polling_interval
    )
    columns = layout.table_columns if need_table_columns else table_columns
    return _start_import(
        client,
        target,
        layout,
        columns,
        need_table_columns,
        max_errors=max_errors,
        existing_table_rows=existing_table_rows,
        diststyle=diststyle,
        distkey=distkey,
        sortkey1=sortkey1,
        sortkey2=sortkey2,
        primary_keys=primary_keys,
        last_modified_keys=last_modified_keys,
        escaped=escaped,
        execution=execution,
        polling_interval=polling_interval,
        hidden=hidden,
    )


def _preprocess(
    client: Any,
    file_ids: list[int],
    detect_table_columns: bool,
    headers: bool | None,
    column_delimiter: str | None,
    hidden: bool,
    polling_interval: int | float | None,
) -> _Layout:
    """Clean every file with a preprocess job; return the cleaned ids and their layout."""
    runs: list[CivisFuture] = []
    for fid in file_ids:
        job = client.files.post_preprocess_csv(
            fid,
            in_place=False,
            detect_table_columns=detect_table_columns,
            force_character_set_conversion=True,
            include_header=headers,
            column_delimiter=column_delimiter,
            hidden=hidden,
        )
        runs.append(run_job(job.id, client=client, polling_interval=polling_interval))
        log.debug(
            "Preprocessing file %s (%s) with job %s", fid, client.files.get(fid).get("name"), job.id
        )
    for future in runs:
        future.result()
    cleaned: list[int] = []
    infos: list[dict[str, Any]] = []
    for future in runs:
        outputs = client.jobs.list_runs_outputs(future.job_id, future.run_id)
        if not outputs:
            raise CivisImportError(
                f"Preprocess job {future.job_id} / run {future.run_id} produced no output file."
            )
        meta = client.files.get(outputs[0]["object_id"])
        cleaned.append(int(meta["id"]))
        info = meta.get("detected_info") or {}
        infos.append(info.json() if hasattr(info, "json") else dict(info))
    return _Layout(
        file_ids=cleaned,
        include_header=_agreed(infos, "include_header", "includeHeader", headers),
        column_delimiter=_agreed(infos, "column_delimiter", "columnDelimiter", column_delimiter),
        compression=_agreed(infos, "compression", "compression", None),
        table_columns=_merge_columns(infos) if detect_table_columns else None,
    )


def _agreed(infos: list[dict[str, Any]], key: str, api_name: str, given: Any) -> Any:
    """The one value all files were detected with; it must match the caller's."""
    values = {info.get(key) for info in infos}
    if len(values) > 1:
        raise CivisImportError(
            f"Detected values for '{api_name}' differ between your "
            f"files: {sorted(map(str, values))}"
        )
    (value,) = values
    if given is not None and value != given:
        raise CivisImportError(
            f"All detected values for '{api_name}' in your files are "
            f"{value}, which doesn't match your provided value of "
            f"{given}"
        )
    return value


def _merge_columns(infos: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One column list for all files: same names; conflicting types become VARCHAR."""
    per_file = [
        [
            {"name": c.get("name"), "sql_type": c.get("sql_type")}
            for c in info.get("table_columns") or []
        ]
        for info in infos
    ]
    merged = [dict(c) for c in per_file[0]]
    for other in per_file[1:]:
        if [c["name"] for c in other] != [c["name"] for c in merged]:
            raise CivisImportError(
                "Your files have different columns: "
                f"{[c['name'] for c in merged]} vs "
                f"{[c['name'] for c in other]}"
            )
        for column, theirs in zip(merged, other, strict=True):
            if base_sql_type(column["sql_type"] or "") == base_sql_type(theirs["sql_type"] or ""):
                continue
            if "VARCHAR" in (
                base_sql_type(column["sql_type"] or ""),
                base_sql_type(theirs["sql_type"] or ""),
            ):
                warnings.warn(
                    f"Column {column['name']!r} has different types in your "
                    f"files ({column['sql_type']}, {theirs['sql_type']}); "
                    "importing it as VARCHAR.",
                    stacklevel=4,
                )
                column["sql_type"] = "VARCHAR"
                continue
            raise CivisImportError(
                f"Column {column['name']!r} has incompatible types in "
                f"your files: {column['sql_type']}, {theirs['sql_type']}"
            )
    return merged


def _start_import(
    client: Any,
    target: _Target,
    layout: _Layout,
    table_columns: list[dict[str, str]] | None,
    loosen_types: bool,
    *,
    max_errors: int | None,
    existing_table_rows: str,
    diststyle: str | None,
    distkey: str | None,
    sortkey1: str | None,
    sortkey2: str | None,
    primary_keys: list[str] | None,
    last_modified_keys: list[str] | None,
    escaped: bool,
    execution: str,
    polling_interval: int | float | None,
    hidden: bool,
) -> CivisFuture:
    """``POST /imports/files/csv`` and start its run; nulls are sent for unset options."""
    destination = {
        "schema": target.schema,
        "table": target.table,
        "remote_host_id": target.db_id,
        "credential_id": target.credential_id,
        "primary_keys": primary_keys,
        "last_modified_keys": last_modified_keys,
    }
    job = client.imports.post_files_csv(
        {"file_ids": layout.file_ids},
        destination,
        layout.include_header,
        name=f"CSV import to {target.schema}.{target.table}",
        max_errors=max_errors,
        existing_table_rows=existing_table_rows,
        column_delimiter=layout.column_delimiter,
        compression=layout.compression,
        escaped=escaped,
        execution=execution,
        loosen_types=loosen_types,
        table_columns=table_columns,
        redshift_destination_options={
            "distkey": distkey,
            "sortkeys": [sortkey1, sortkey2],
            "diststyle": diststyle,
        },
        hidden=hidden,
    )
    return run_job(job.id, client=client, polling_interval=polling_interval)


def csv_to_civis(
    filename: str,
    database: str | int,
    table: str,
    client: Any = None,
    max_errors: int | None = None,
    existing_table_rows: str = "fail",
    diststyle: str | None = None,
    distkey: str | None = None,
    sortkey1: str | None = None,
    sortkey2: str | None = None,
    table_columns: list[dict[str, str]] | None = None,
    delimiter: str = ",",
    headers: bool | None = None,
    primary_keys: list[str] | None = None,
    last_modified_keys: list[str] | None = None,
    escaped: bool = False,
    execution: str = "immediate",
    credential_id: int | None = None,
    polling_interval: int | float | None = None,
    hidden: bool = True,
) -> CivisFuture:
    """Upload a local CSV file and import it into a table (see `civis_file_to_table`).

    Examples
    --------
    >>> fut = csv_to_civis("data.csv", "my-db", "scratch.data")  # doctest: +SKIP
    >>> fut.result()  # doctest: +SKIP
    """
    delimiter_name(delimiter)
    _schema_and_table(table)
    _sql_types_given(table_columns)
    client = client_or_default(client)
    with open(filename, "rb") as data:
        file_id = file_to_civis(data, os.path.basename(filename), client=client)
    return civis_file_to_table(
        file_id,
        database,
        table,
        client=client,
        max_errors=max_errors,
        existing_table_rows=existing_table_rows,
        diststyle=diststyle,
        distkey=distkey,
        sortkey1=sortkey1,
        sortkey2=sortkey2,
        table_columns=table_columns,
        primary_keys=primary_keys,
        last_modified_keys=last_modified_keys,
        escaped=escaped,
        execution=execution,
        delimiter=delimiter,
        headers=headers,
        credential_id=credential_id,
        polling_interval=polling_interval,
        hidden=hidden,
    )


def dataframe_to_civis(
    df: Any,
    database: str | int,
    table: str,
    client: Any = None,
    max_errors: int | None = None,
    existing_table_rows: str = "fail",
    diststyle: str | None = None,
    distkey: str | None = None,
    sortkey1: str | None = None,
    sortkey2: str | None = None,
    table_columns: list[dict[str, str]] | None = None,
    credential_id: int | None = None,
    primary_keys: list[str] | None = None,
    last_modified_keys: list[str] | None = None,
    execution: str = "immediate",
    polling_interval: int | float | None = None,
    hidden: bool = True,
    **kwargs: Any,
) -> CivisFuture:
    """Upload a pandas or polars DataFrame into a table, keeping its column types.

    The frame is written as CSV by pyarrow (polars frames with ``write_csv`` when
    ``kwargs`` are given) and uploaded (in parallel parts when large).  Without
    ``table_columns``, the SQL types come from the dtypes (see "Types on the way in" in
    docs/client.md), and the preprocess job is skipped.

    Parameters
    ----------
    df : pandas.DataFrame or polars.DataFrame
    **kwargs
        pandas: ``header``, ``index`` (default False), ``columns`` of ``to_csv``;
        polars: any ``write_csv`` keyword.

    Raises
    ------
    TypeError
        A pandas ``to_csv`` keyword this writer does not offer.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"zip": ["007"], "n": [1]})
    >>> fut = dataframe_to_civis(df, "my-db", "scratch.data")  # doctest: +SKIP
    >>> fut.result()  # doctest: +SKIP
    """
    _schema_and_table(table)
    sql_types_given = _sql_types_given(table_columns)
    _, name = split_schema_tablename(table)
    client = client_or_default(client)
    with tempfile.TemporaryDirectory(prefix="civis-df-") as tmp:
        # Parquet when the server takes it (civis.io._columnar) and no polars write_csv
        # keywords ask for a particular CSV.
        parquet = server_takes(client, "parquet") and not (_is_polars(df) and kwargs)
        path = os.path.join(tmp, "dataframe_to_civis" + (".parquet" if parquet else ".csv"))
        written_columns, header = _write_frame(df, path, kwargs, parquet)
        file_id = file_to_civis(path, name, client=client)
    options: dict[str, Any] = {
        "max_errors": max_errors,
        "existing_table_rows": existing_table_rows,
        "diststyle": diststyle,
        "distkey": distkey,
        "sortkey1": sortkey1,
        "sortkey2": sortkey2,
        "primary_keys": primary_keys,
        "last_modified_keys": last_modified_keys,
        "escaped": False,
        "execution": execution,
        "polling_interval": polling_interval,
        "hidden": hidden,
    }
    # As officially: the frame is written unescaped, with a comma.
    columns = table_columns if table_columns else written_columns
    if not sql_types_given and table_columns:
        # Names without types: the official path, with detection by the preprocess job.
        return civis_file_to_table(
            file_id,
            database,
            table,
            client=client,
            table_columns=table_columns,
            delimiter=",",
            headers=header,
            credential_id=credential_id,
            **options,
        )
    schema, name = _schema_and_table(table)
    target = _Target(
        client.get_database_id(database),
        credential_id or client.default_database_credential_id,
        schema,
        name,
    )
    layout = _Layout([file_id], header, DELIMITERS[","], "none", columns)
    return _start_import(client, target, layout, columns, False, **options)


def _is_polars(df: Any) -> bool:
    return type(df).__module__.split(".")[0] == "polars"


def _write_frame(
    df: Any, path: str, kwargs: dict[str, Any], parquet: bool
) -> tuple[list[dict[str, str]], bool]:
    """Write ``df`` as CSV (or Parquet) at ``path``; return its ``table_columns`` and
    whether the file has a header row (a Parquet file always names its columns)."""
    import pyarrow.csv as pacsv

    if _is_polars(df):
        table = _arrow_of_polars(df)
        if kwargs:
            df.write_csv(path, **kwargs)
            return sql_columns(table), kwargs.get("include_header", True) is not False
    else:
        table, kwargs = _arrow_of_pandas(df, kwargs)
    if parquet:
        write_parquet(table, path)
        return sql_columns(table), True
    header = kwargs.get("header", True) is not False
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=header))
    return sql_columns(table), header


def _arrow_of_polars(df: Any) -> Any:
    import pyarrow as pa

    table = df.to_arrow()
    return pa.table([writable(col) for col in table.columns], names=table.column_names)


def _arrow_of_pandas(df: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """An Arrow table of what ``df.to_csv(index=False, **kwargs)`` would write."""
    import pyarrow as pa

    unsupported = set(kwargs) - _PANDAS_CSV_KWARGS
    encoding = str(kwargs.get("encoding", "utf-8")).lower().replace("_", "-")
    if unsupported or encoding not in ("utf-8", "utf8"):
        raise TypeError(
            "dataframe_to_civis writes CSV with pyarrow and takes only the "
            f"to_csv keywords {sorted(_PANDAS_CSV_KWARGS)} (UTF-8); got "
            f"{sorted(unsupported) or kwargs.get('encoding')}"
        )
    if kwargs.get("columns") is not None:
        df = df[list(kwargs["columns"])]
    if kwargs.get("index", False):
        df = df.reset_index()
    names = [str(c) for c in df.columns]
    arrays = [writable(_arrow_column(df.iloc[:, i])) for i in range(df.shape[1])]
    return pa.table(arrays, names=names), kwargs


def _arrow_column(series: Any) -> Any:
    """One pandas column as an Arrow array; mixed-type objects become text."""
    import pyarrow as pa

    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        values = [None if _is_missing(v) else str(v) for v in series]
        return pa.array(values, pa.string())


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
