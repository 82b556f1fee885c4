"""Imports scenario: civis.io's table loaders and transfer_table, against our server.

Runs unchanged under the official client and ours. Loads go into ``IMPORT_DATABASE``
(schema ``IMPORT_SCHEMA``); transfers go from ``Civis Database`` to ``TRANSFER_DATABASE``
and back. The test reads the resulting tables straight from the warehouses afterwards
(table names below, prefixed with ``IMPORT_PREFIX``). Environment: CIVIS_API_ENDPOINT,
CIVIS_API_KEY, IMPORT_DATABASE, IMPORT_SCHEMA, IMPORT_PREFIX, TRANSFER_DATABASE,
FOREIGN_FILE_ID (a file of another user).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

client = civis.APIClient()
DB = os.environ["IMPORT_DATABASE"]
SCHEMA = os.environ["IMPORT_SCHEMA"]
PREFIX = os.environ["IMPORT_PREFIX"]
TRANSFER_DB = os.environ["TRANSFER_DATABASE"]
FOREIGN_FILE_ID = int(os.environ["FOREIGN_FILE_ID"])
# Any: expect_raises takes one type; a tuple of them works the same at run time.
FAILURES: Any = (civis.base.CivisJobFailure, civis.base.CivisImportError, civis.base.CivisAPIError)


def table(name: str) -> str:
    return f"{SCHEMA}.{PREFIX}_{name}"


def upload(text: bytes, name: str = "part.csv") -> int:
    return int(civis.io.file_to_civis(io.BytesIO(text), name, client=client))


def load(file_ids: list[int], name: str, **options: Any) -> Any:
    return civis.io.civis_file_to_table(
        file_ids, DB, table(name), client=client, polling_interval=0.2, **options
    ).result()


def assert_clear(error: BaseException) -> None:
    assert str(error).strip(), f"{type(error).__name__} without a message"


@check("dataframe_to_civis loads a DataFrame (types, NULLs, unicode)")
def _() -> None:
    import pandas as pd

    df = pd.DataFrame({"id": [1, 2, 3], "name": ["ann", None, "zoë"], "score": [1.5, 2.25, None]})
    result = civis.io.dataframe_to_civis(
        df, DB, table("frame"), client=client, polling_interval=0.2
    ).result()
    assert result["state"] == "succeeded", result


@check("csv_to_civis loads a local pipe-delimited file")
def _() -> None:
    with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as fh:
        fh.write(b"zip|city\n02134|Boston\n90210|Beverly Hills\n")
    try:
        result = civis.io.csv_to_civis(
            fh.name,
            DB,
            table("piped"),
            client=client,
            delimiter="|",
            headers=True,
            polling_interval=0.2,
        ).result()
        assert result["state"] == "succeeded", result
    finally:
        os.unlink(fh.name)


@check("civis_file_to_table loads several files into one table")
def _() -> None:
    ids = [upload(b"id,v\n1,a\n2,b\n"), upload(b"id,v\n3,c\n")]
    assert load(ids, "multi")["state"] == "succeeded"


@check("existing_table_rows: append, truncate, drop, and fail raises")
def _() -> None:
    assert load([upload(b"id,v\n4,d\n")], "modes")["state"] == "succeeded"
    assert (
        load([upload(b"id,v\n5,e\n")], "modes", existing_table_rows="append")["state"]
        == "succeeded"
    )
    assert (
        load([upload(b"id,v\n6,f\n")], "modes", existing_table_rows="truncate")["state"]
        == "succeeded"
    )
    error = expect_raises(FAILURES, lambda: load([upload(b"id,v\n7,g\n")], "modes"))
    assert "exists" in str(error), error
    assert (
        load([upload(b"k,w,z\nx,y,z\n")], "dropped", existing_table_rows="drop")["state"]
        == "succeeded"
    )


@check("upsert on primary keys")
def _() -> None:
    assert load([upload(b"id,v\n1,a\n2,b\n")], "upsert")["state"] == "succeeded"
    result = load(
        [upload(b"id,v\n2,B\n3,c\n")], "upsert", existing_table_rows="upsert", primary_keys=["id"]
    )
    assert result["state"] == "succeeded"


@check("a malformed CSV fails clearly and leaves no table")
def _() -> None:
    error = expect_raises(FAILURES, lambda: load([upload(b"a,b\n1,2\n1,2,3\n")], "malformed"))
    assert_clear(error)


@check("files with mismatched columns fail clearly and leave no table")
def _() -> None:
    ids = [upload(b"a,b\n1,2\n"), upload(b"a,b,c\n1,2,3\n")]
    error = expect_raises(FAILURES, lambda: load(ids, "mismatched"))
    assert_clear(error)


@check("another user's file fails clearly and leaves no table")
def _() -> None:
    error = expect_raises(FAILURES, lambda: load([FOREIGN_FILE_ID], "foreign"))
    assert_clear(error)


@check("civis_file_to_table loads an uploaded Parquet file by its own schema")
def _() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"zip": ["007", None], "n": pa.array([1, 2], pa.int32())}), sink)
    result = load([upload(sink.getvalue(), "frame.parquet")], "parquet")
    assert result["state"] == "succeeded", result


@check("transfer_table copies a table to the other warehouse and back")
def _() -> None:
    there = civis.io.transfer_table(
        DB, TRANSFER_DB, table("multi"), table("moved"), client=client, polling_interval=0.2
    ).result()
    assert there["state"] == "succeeded", there
    back = civis.io.transfer_table(
        TRANSFER_DB,
        DB,
        table("moved"),
        table("returned"),
        client=client,
        polling_interval=0.2,
        existing_table_rows="drop",
    ).result()
    assert back["state"] == "succeeded", back


@check("transfer_table of a missing table fails clearly")
def _() -> None:
    error = expect_raises(
        FAILURES,
        lambda: civis.io.transfer_table(
            DB,
            TRANSFER_DB,
            table("missing"),
            table("nowhere"),
            client=client,
            polling_interval=0.2,
        ).result(),
    )
    assert "missing" in str(error), error


finish()
