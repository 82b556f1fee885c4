"""SQL scenario: `civis.io`'s SQL functions end to end (queries, exports, reads, errors).

Runs unchanged under the official client and under ours, against the database named by
CIVIS_TEST_DATABASE (the DuckDB default or a PostgreSQL warehouse). The input table is
made with ``query_civis("CREATE TABLE ... AS ...")``. Environment: CIVIS_API_ENDPOINT,
CIVIS_API_KEY, CIVIS_TEST_DATABASE.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

DB = os.environ["CIVIS_TEST_DATABASE"]
# A schema of this run's own: on PostgreSQL a schema belongs to the user who made it, and
# each client runs the scenario as another user.
SCHEMA = f"contract_sql_{uuid.uuid4().hex[:8]}"
TABLE = f"{SCHEMA}.people"
client = civis.APIClient()

CREATE = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}; "
    f"CREATE TABLE {TABLE} AS SELECT * FROM (VALUES "
    "(1, 'ann', CAST(2.5 AS DOUBLE PRECISION), 'x'), "
    "(2, 'bob, jr', NULL, ''), "
    "(3, 'say \"hi\"', CAST(-1 AS DOUBLE PRECISION), 'two' || chr(10) || 'lines'), "
    "(4, 'zoë ✓', CAST(0.125 AS DOUBLE PRECISION), NULL)"
    ") AS v(id, name, score, note)"
)
SELECT = f"SELECT id, name, score, note FROM {TABLE} ORDER BY id"
EXPECTED = [
    ["id", "name", "score", "note"],
    ["1", "ann", "2.5", "x"],
    ["2", "bob, jr", "", ""],
    ["3", 'say "hi"', "-1", "two\nlines"],
    ["4", "zoë ✓", "0.125", ""],
]


@check("query_civis creates the input table (DDL, no rows)")
def _() -> None:
    result = civis.io.query_civis(CREATE, DB, client=client).result()
    assert result["state"] == "succeeded", result
    assert result["result_rows"] == [], result


@check("query_civis previews rows as strings, capped by preview_rows")
def _() -> None:
    result = civis.io.query_civis(SELECT, DB, client=client, preview_rows=2).result()
    assert result["result_columns"] == EXPECTED[0], result
    assert result["result_rows"] == [["1", "ann", "2.5", "x"], ["2", "bob, jr", None, ""]], result
    count = civis.io.query_civis(f"SELECT count(*) FROM {TABLE}", DB, client=client).result()
    assert count["result_rows"][0][0] == "4"


@check("read_civis_sql as a list: header row, text values, delimiters and newlines kept")
def _() -> None:
    rows = civis.io.read_civis_sql(SELECT, DB, client=client)
    assert rows == EXPECTED, rows


@check("read_civis_sql as pandas: numeric columns typed")
def _() -> None:
    frame = civis.io.read_civis_sql(SELECT, DB, return_as="pandas", client=client)
    assert list(frame.columns) == EXPECTED[0]
    assert frame["id"].tolist() == [1, 2, 3, 4]
    assert frame["score"].dtype.kind == "f" and frame["score"].isna().tolist()[1]
    assert frame["name"].tolist()[1:3] == ["bob, jr", 'say "hi"']


@check("read_civis_sql as polars")
def _() -> None:
    frame = civis.io.read_civis_sql(SELECT, DB, return_as="polars", client=client)
    assert frame.columns == EXPECTED[0]
    assert frame["id"].to_list() == [1, 2, 3, 4]
    assert frame["name"].to_list()[3] == "zoë ✓"


@check("read_civis reads a table, all or some columns")
def _() -> None:
    rows = civis.io.read_civis(TABLE, DB, client=client)
    assert sorted(rows[1:]) == sorted(EXPECTED[1:]) and rows[0] == EXPECTED[0], rows
    some = civis.io.read_civis(TABLE, DB, columns=["name", "id"], client=client)
    assert some[0] == ["name", "id"] and len(some) == 5


@check("civis_to_csv: header and commas by default; pipe or gzip without header")
def _() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain.csv")
        civis.io.civis_to_csv(plain, SELECT, DB, client=client).result()
        with open(plain, newline="", encoding="utf-8") as fh:
            assert list(csv.reader(fh)) == EXPECTED
        piped = os.path.join(tmp, "piped.csv")
        civis.io.civis_to_csv(
            piped, SELECT, DB, client=client, delimiter="|", include_header=False
        ).result()
        with open(piped, newline="", encoding="utf-8") as fh:
            assert list(csv.reader(fh, delimiter="|")) == EXPECTED[1:]
        # gzip with a header is written plain (as the official client does); without one
        # the export's gzip bytes are copied as they are.
        zipped = os.path.join(tmp, "zipped.csv.gz")
        civis.io.civis_to_csv(
            zipped, SELECT, DB, client=client, compression="gzip", include_header=False
        ).result()
        with gzip.open(zipped, "rt", newline="", encoding="utf-8") as fh:
            assert list(csv.reader(fh)) == EXPECTED[1:]


@check("civis_to_multifile_csv returns the manifest; its parts hold the rows")
def _() -> None:
    manifest = civis.io.civis_to_multifile_csv(SELECT, DB, client=client, prefix="people")
    assert manifest["header"] == EXPECTED[0], manifest
    assert manifest["delimiter"] == "|" and manifest["compression"] == "none"
    assert manifest["query"].strip() == SELECT and manifest["entries"]
    rows: list[list[str]] = []
    for entry in manifest["entries"]:
        assert {"id", "name", "size", "url", "url_signed"} <= set(entry), entry
        data = requests.get(entry["url_signed"], timeout=60).content
        assert len(data) == entry["size"]
        rows.extend(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="|"))
    assert rows == EXPECTED[1:], rows


@check("export_to_civis_file: output file id and path; detectedInfo has typed columns")
def _() -> None:
    result = civis.io.export_to_civis_file(SELECT, DB, client=client).result()
    [output] = result["output"]
    data = gzip.decompress(requests.get(output["path"], timeout=60).content)
    assert list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""))) == EXPECTED
    buf = io.BytesIO()
    civis.io.civis_to_file(output["file_id"], buf, client=client)
    assert buf.getvalue() == requests.get(output["path"], timeout=60).content
    info = client.files.get(output["file_id"])["detected_info"]
    types = {c["name"]: c["sql_type"] for c in info["table_columns"]}
    assert types["score"] == "double precision" and types["id"] in ("integer", "bigint"), info


@check("sql_params_arguments fill the template")
def _() -> None:
    params = {
        "params": [{"name": "min_id", "type": "integer", "required": True}],
        "arguments": {"min_id": 3},
    }
    rows = civis.io.read_civis_sql(
        f"SELECT id FROM {TABLE} WHERE id >= {{{{min_id}}}} ORDER BY id",
        DB,
        client=client,
        sql_params_arguments=params,
    )
    assert rows == [["id"], ["3"], ["4"]], rows


@check("bad SQL and a missing table raise CivisJobFailure naming the problem")
def _() -> None:
    missing = f"{SCHEMA}.no_such_table_{uuid.uuid4().hex[:6]}"
    err = expect_raises(
        civis.base.CivisJobFailure,
        lambda: civis.io.read_civis_sql(f"SELECT * FROM {missing}", DB, client=client),
    )
    assert missing.split(".")[1] in str(err), str(err)
    err = expect_raises(
        civis.base.CivisJobFailure,
        lambda: civis.io.query_civis("SELEC 1", DB, client=client).result(),
    )
    assert "SELEC" in str(err), str(err)


@check("query_civis drops the input table")
def _() -> None:
    result = civis.io.query_civis(f"DROP TABLE {TABLE}", DB, client=client).result()
    assert result["state"] == "succeeded", json.dumps(dict(result))


finish()
