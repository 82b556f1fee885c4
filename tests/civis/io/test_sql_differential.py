"""The official client and ours make the same REST calls, with the same bodies, for every
SQL and table function of civis.io, against the same scripted server.

Polls are collapsed (ours polls sooner and more often); everything else must match:
verbs, paths, order, query strings and JSON bodies.  The one allowed difference is our
`dataframe_to_civis` skipping the preprocess job when it knows the types, so that case
is compared on the path where both preprocess (column names without types),
`read_civis_sql` into a data frame also reading the export File's ``detectedInfo``, and
`read_civis_sql` asking for an uncompressed export from these loopback servers
(``csv_settings.compression`` "none" where the official client sends "gzip").
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sql_server import SqlResult, SqlServer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import civis
import support

pytestmark = pytest.mark.official

# (name, code run by both clients with `civis`, `client`, `pd` and `tmp` defined, setup)
CASES: list[tuple[str, str]] = [
    ("read_list", 'civis.io.read_civis_sql("select 1", "db", client=client, job_name="j")'),
    ("read_tricky", 'civis.io.read_civis_sql("select 2", "db", client=client, job_name="t")'),
    (
        "read_pandas",
        'civis.io.read_civis("s.t", "db", columns=["a", "b"], job_name="j", '
        'return_as="pandas", client=client, credential_id=4, hidden=False)',
    ),
    (
        "read_params",
        'civis.io.read_civis_sql("select {{a}}", 32, job_name="j", client=client, '
        'sql_params_arguments={"params": [{"name": "a", "type": "string"}], '
        '"arguments": {"a": "1"}})',
    ),
    (
        "export",
        'civis.io.export_to_civis_file("select 1", "db", job_name="j", client=client, '
        'csv_settings={"column_delimiter": "pipe"}).result()',
    ),
    (
        "export_default",
        'civis.io.export_to_civis_file("select 1", "db", job_name="j", client=client).result()',
    ),
    (
        "to_csv",
        'civis.io.civis_to_csv(tmp + "/o.csv", "select 1", "db", job_name="j", '
        'client=client, delimiter="\\t", unquoted=True).result()',
    ),
    ("multifile", 'civis.io.civis_to_multifile_csv("select 1", "db", job_name="j", client=client)'),
    (
        "multifile_opts",
        'civis.io.civis_to_multifile_csv("select 1", "db", job_name="j", '
        'client=client, prefix="p", max_file_size=9, compression="gzip", '
        'delimiter=",", include_header=False)',
    ),
    ("query", 'civis.io.query_civis("select 1", "db", client=client, preview_rows=3).result()'),
    (
        "transfer",
        'civis.io.transfer_table("db", 5, "a.b", "c.d", job_name="j", client=client, '
        "foo=1).result()",
    ),
    (
        "transfer_creds",
        'civis.io.transfer_table(32, "db", "a.b", "c.d", job_name="j", '
        "client=client, source_credential_id=3, dest_credential_id=4).result()",
    ),
    (
        "csv_to_civis",
        'civis.io.csv_to_civis(tmp + "/in.csv", "db", "sch.t", client=client).result()',
    ),
    (
        "file_to_table",
        'civis.io.civis_file_to_table(1, "db", "sch.exists", client=client, '
        'existing_table_rows="append", delimiter=",", headers=True, '
        'table_columns=[{"name": "a", "sql_type": "INT"}], primary_keys=["a"], '
        'sortkey1="a", max_errors=3, escaped=True, execution="delayed", '
        "hidden=False).result()",
    ),
    (
        "file_to_table_detect",
        'civis.io.civis_file_to_table(1, "db", "sch.new", '
        'client=client, table_columns=[{"name": "zz"}]).result()',
    ),
    (
        "df_untyped_names",
        'civis.io.dataframe_to_civis(pd.DataFrame({"a": [1]}), "db", '
        '"sch.t", client=client, table_columns=[{"name": "a"}], '
        'existing_table_rows="drop").result()',
    ),
]

# Cases where ours makes one more call, GET /files/{id} of the export (its column types).
READS_TYPES = {"read_pandas"}
# Cases of read_civis_sql: on loopback ours asks for an uncompressed export.
LOOPBACK_READS = {"read_list", "read_tricky", "read_pandas", "read_params"}
_WORKERS = 4

_OFFICIAL = """
import json, os, sys, tempfile
import pandas as pd
import civis
spec, cases = sys.argv[1], json.loads(sys.argv[2])
for url, code, tmp in cases:
    os.environ["CIVIS_API_ENDPOINT"] = url
    client = civis.APIClient(local_api_spec=spec)
    result = eval(code)
    if isinstance(result, list):
        with open(tmp + "/result.json", "w") as out:
            json.dump(result, out)
"""


TRICKY_CSV = 'a,b,c\n"007",,""\n"x\r\ny","q""q",ü\n\n3,"",\n'


def _setup(srv: SqlServer, tmp: Path) -> None:
    srv.store("in1.csv", b"a\n1\n")
    srv.existing_tables.add(("sch", "exists"))
    srv.sql_result = SqlResult(
        csv=TRICKY_CSV if tmp.name.endswith("tricky") else "a,b\n1,x\n", multifile=["a|b\n1|x\n"]
    )
    (tmp / "in.csv").write_bytes(b"a\n1\n")


def _normalised(srv: SqlServer) -> list[tuple[str, str, Any, Any]]:
    out: list[tuple[str, str, Any, Any]] = []
    for call in srv.calls:
        path = re.sub(r"/\d+", "/N", call.path)
        body = call.body if call.body not in ({}, None) or call.method != "GET" else None
        if call.method == "POST" and call.body is None:
            body = {}
        key = (call.method, path, sorted(call.query.items()), body)
        if call.method == "GET" and out and out[-1] == key:
            continue  # a repeated poll
        out.append(key)
    return out


def _run_ours(code: str, url: str, tmp: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", url)
    monkeypatch.setenv("CIVIS_API_KEY", "test-key")
    client = civis.APIClient(api_key="test-key", local_api_spec=str(support.reference_spec_path()))
    result = eval(code, {"civis": civis, "client": client, "pd": pd, "tmp": tmp})
    if isinstance(result, list):
        (Path(tmp) / "result.json").write_text(json.dumps(result))


def test_same_calls_as_official(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        python = support.official_python()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    theirs: dict[str, SqlServer] = {}
    payload = []
    with _servers(len(CASES)) as servers_theirs, _servers(len(CASES)) as servers_ours:
        for (name, code), srv in zip(CASES, servers_theirs, strict=True):
            tmp = tmp_path / f"theirs-{name}"
            tmp.mkdir()
            _setup(srv, tmp)
            theirs[name] = srv
            payload.append((srv.url, code, str(tmp)))
        env = {**os.environ, "CIVIS_API_KEY": "test-key"}
        # The official client waits >= 1 s per run: four processes share the cases.
        procs = [
            subprocess.Popen(
                [
                    str(python),
                    "-c",
                    _OFFICIAL,
                    str(support.reference_spec_path()),
                    json.dumps(payload[i::_WORKERS]),
                ],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(_WORKERS)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-3000:]
        for (name, code), srv in zip(CASES, servers_ours, strict=True):
            tmp = tmp_path / f"ours-{name}"
            tmp.mkdir()
            _setup(srv, tmp)
            _run_ours(code, srv.url, str(tmp), monkeypatch)
            expected = _named(_normalised(theirs[name]))
            ours = _named(_normalised(srv))
            if name in READS_TYPES:
                # Ours also reads the export File's detectedInfo, to type the frame.
                assert ours[-1] == ("GET", "/files/N", [], None), name
                ours = ours[:-1]
            if name in LOOPBACK_READS:
                ours = _official_compression(ours, name)
            assert ours == expected, name
        for name, _ in CASES:  # list results are the same lists of strings
            theirs_result = tmp_path / f"theirs-{name}" / "result.json"
            ours_result = tmp_path / f"ours-{name}" / "result.json"
            assert ours_result.exists() == theirs_result.exists(), name
            if theirs_result.exists():
                assert json.loads(ours_result.read_text()) == json.loads(
                    theirs_result.read_text()
                ), name
        assert (tmp_path / "ours-to_csv" / "o.csv").read_bytes() == (
            tmp_path / "theirs-to_csv" / "o.csv"
        ).read_bytes()


def _official_compression(
    calls: list[tuple[str, str, Any, Any]], name: str
) -> list[tuple[str, str, Any, Any]]:
    """Our loopback read's POST /scripts/sql with the official "gzip" put back, after
    checking that it asked for "none" (docs/client.md)."""
    out = []
    for method, path, query, body in calls:
        if (method, path) == ("POST", "/scripts/sql"):
            assert body["csv_settings"] == {"compression": "none"}, name
            body = {**body, "csv_settings": {"compression": "gzip"}}
        out.append((method, path, query, body))
    return out


def _named(calls: list[tuple[str, str, Any, Any]]) -> list[tuple[str, str, Any, Any]]:
    """Random job names (uuid4 hex) compare equal."""

    def mask(body: Any) -> Any:
        if isinstance(body, dict) and re.fullmatch(r"[0-9a-f]{32}", str(body.get("name"))):
            return {**body, "name": "<uuid>"}
        return body

    return [(m, p, q, mask(b)) for m, p, q, b in calls]


class _servers:
    """Several `SqlServer`s at once."""

    def __init__(self, n: int) -> None:
        self._servers = [SqlServer() for _ in range(n)]
        self._exit: list[Callable[..., Any]] = []

    def __enter__(self) -> list[SqlServer]:
        for srv in self._servers:
            srv.__enter__()
            self._exit.append(srv.__exit__)
        return self._servers

    def __exit__(self, *exc: Any) -> None:
        for close in self._exit:
            close(None, None, None)
