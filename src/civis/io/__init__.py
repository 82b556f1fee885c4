"""Data in and out of Civis: files, JSON, data frames, SQL results and tables.

pandas, polars and pyarrow are imported inside the functions that need them, so
``import civis.io`` stays cheap.

Examples
--------
>>> import civis
>>> file_id = civis.io.file_to_civis("data.csv")  # doctest: +SKIP
>>> civis.io.civis_to_file(file_id, "copy.csv")  # doctest: +SKIP
>>> df = civis.io.read_civis("schema.table", "my-db", return_as="pandas")  # doctest: +SKIP
>>> civis.io.dataframe_to_civis(df, "my-db", "schema.copy").result()  # doctest: +SKIP
"""

from civis.io._files import (
    civis_to_file,
    file_id_from_run_output,
    file_to_civis,
    file_to_json,
    json_to_file,
)
from civis.io._frames import dataframe_to_file, file_to_dataframe
from civis.io._import import civis_file_to_table, csv_to_civis, dataframe_to_civis
from civis.io._sql import (
    civis_to_csv,
    civis_to_multifile_csv,
    export_to_civis_file,
    query_civis,
    read_civis,
    read_civis_sql,
    transfer_table,
)
from civis.io._tables import split_schema_tablename

__all__ = [
    "civis_file_to_table",
    "civis_to_csv",
    "civis_to_file",
    "civis_to_multifile_csv",
    "csv_to_civis",
    "dataframe_to_civis",
    "dataframe_to_file",
    "export_to_civis_file",
    "file_id_from_run_output",
    "file_to_civis",
    "file_to_dataframe",
    "file_to_json",
    "json_to_file",
    "query_civis",
    "read_civis",
    "read_civis_sql",
    "split_schema_tablename",
    "transfer_table",
]
