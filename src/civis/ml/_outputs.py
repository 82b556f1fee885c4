"""Read the files a CivisML run attached as outputs: JSON, joblib pickles and CSV tables.

Outputs are listed with ``GET /scripts/containers/{id}/runs/{run}/outputs`` (CivisML runs
are custom scripts backed by container templates) and found by name, as the official
client does (``predictions.csv`` by ``re.search``, so ``predictions.csv.gz`` matches).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from civis.io import civis_to_file, file_to_dataframe

__all__ = [
    "find_output_file",
    "load_estimator",
    "read_data_file",
    "read_json_output",
    "read_table",
]


def find_output_file(client: Any, job_id: int, run_id: int, name: str, regex: bool = False) -> int:
    """The id of the File output called ``name`` (or matching it, with ``regex``).

    Raises
    ------
    FileNotFoundError
        The run has no such File output.
    """
    outputs = client.scripts.list_containers_runs_outputs(job_id, run_id, iterator=True)
    for output in outputs:
        if output.get("object_type") != "File":
            continue
        found = re.search(name, str(output.get("name"))) if regex else output.get("name") == name
        if found:
            return int(output.get("object_id"))
    raise FileNotFoundError(f'Unable to find file "{name}" in job {job_id}/run {run_id}.')


def _file_bytes(client: Any, file_id: int) -> bytes:
    buf = io.BytesIO()
    civis_to_file(file_id, buf, client=client)
    return buf.getvalue()


def read_json_output(client: Any, job_id: int, run_id: int, name: str) -> Any:
    """The parsed JSON of a File output (FileNotFoundError when there is none)."""
    file_id = find_output_file(client, job_id, run_id, name)
    return json.loads(_file_bytes(client, file_id).decode("utf-8"))


def load_estimator(client: Any, job_id: int, run_id: int, name: str = "estimator.pkl") -> Any:
    """Unpickle (joblib) the estimator a training or registration run stored."""
    import joblib

    file_id = find_output_file(client, job_id, run_id, name)
    return joblib.load(io.BytesIO(_file_bytes(client, file_id)))


def read_table(client: Any, file_id: int, primary_key: Any) -> Any:
    """A scores CSV (maybe gzip) as a pandas DataFrame, indexed by the primary key."""
    return file_to_dataframe(file_id, client=client, index_col=0 if primary_key else False)


def read_data_file(client: Any, file_id: int, name: str) -> Any:
    """A data file (feather, or CSV, maybe gzip) as a pandas DataFrame."""
    import pandas as pd

    raw = _file_bytes(client, file_id)
    if raw[:6] == b"ARROW1" or name.endswith(".feather"):
        return pd.read_feather(io.BytesIO(raw))
    compression = "gzip" if raw[:2] == b"\x1f\x8b" else None
    return pd.read_csv(io.BytesIO(raw), compression=compression)
