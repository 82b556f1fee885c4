"""Data in and out of Civis: files, JSON and data frames.

pandas, polars and pyarrow are imported inside the functions that need them, so
``import civis.io`` stays cheap.

Examples
--------
>>> import civis
>>> file_id = civis.io.file_to_civis("data.csv")  # doctest: +SKIP
>>> civis.io.civis_to_file(file_id, "copy.csv")  # doctest: +SKIP
"""

from civis.io._files import (
    civis_to_file,
    file_id_from_run_output,
    file_to_civis,
    file_to_json,
    json_to_file,
)
from civis.io._frames import dataframe_to_file, file_to_dataframe
from civis.io._tables import split_schema_tablename

__all__ = [
    "civis_to_file",
    "dataframe_to_file",
    "file_id_from_run_output",
    "file_to_civis",
    "file_to_dataframe",
    "file_to_json",
    "json_to_file",
    "split_schema_tablename",
]
