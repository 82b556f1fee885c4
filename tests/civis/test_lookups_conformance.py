"""Differential test: APIClient name-to-ID lookups give the official results and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scripted_server import TINY_SPEC, Reply, ScriptedServer

import support

pytestmark = pytest.mark.official

PROBE = """
import civis, json, sys, warnings
warnings.simplefilter("ignore")
client = civis.APIClient(api_key="k", local_api_spec=sys.argv[1])
out = []
for call, args in json.loads(sys.argv[2]):
    try:
        out.append(["ok", getattr(client, call)(*args)])
    except Exception as exc:
        out.append([type(exc).__name__, str(exc)])
print(json.dumps(out))
"""

CREDS = [
    {
        "id": 1,
        "name": "X",
        "owner": "bob",
        "username": "u1",
        "remoteHostId": 4,
        "remoteHostName": "db",
    },
    {
        "id": 2,
        "name": "X",
        "owner": "me",
        "username": "u2",
        "remoteHostId": 4,
        "remoteHostName": "db",
    },
    {
        "id": 3,
        "name": "Y",
        "owner": "bob",
        "username": "u3",
        "remoteHostId": 5,
        "remoteHostName": "db2",
    },
]
CALLS = [
    ["get_aws_credential_id", ["X"]],
    ["get_aws_credential_id", ["Y"]],
    ["get_aws_credential_id", ["Z"]],
    ["get_aws_credential_id", ["X", "bob"]],
    ["get_aws_credential_id", ["Y", "me"]],
    ["get_aws_credential_id", [7]],
    ["get_storage_host_id", ["h1"]],
    ["get_storage_host_id", ["nope"]],
    ["get_storage_host_id", [3]],
    ["get_database_credential_id", ["u1", "db"]],
    ["get_database_credential_id", ["u3", 5]],
    ["get_database_credential_id", ["zz", "db"]],
    ["get_database_id", ["warehouse"]],
    ["get_database_id", ["missing"]],
    ["get_table_id", ["s.t", 4]],
    ["get_table_id", ["t", "warehouse"]],
    ["get_table_id", ['"a.b".c', 4]],
    ["get_table_id", ["a.b.c", 4]],
]


def _run(python: str, spec_path: Path) -> tuple[Any, list[Any]]:
    spec = {
        **TINY_SPEC,
        "paths": {
            **TINY_SPEC["paths"],
            "/storage_hosts/": {
                "get": {
                    "summary": "List",
                    "parameters": [],
                    "responses": {"200": {"description": "ok", "schema": {"type": "array"}}},
                }
            },
        },
    }
    spec_path.write_text(json.dumps(spec))
    with ScriptedServer() as server:
        server.script("GET", "/credentials", Reply(body=CREDS))
        server.script("GET", "/users/me", Reply(body={"username": "me", "id": 9}))
        server.script("GET", "/storage_hosts", Reply(body=[{"id": 11, "name": "h1"}]))
        server.script("GET", "/databases", Reply(body=[{"id": 4, "name": "warehouse"}]))
        server.script("GET", "/tables", Reply(body=[{"id": 40}]))
        env = {**os.environ, "CIVIS_API_ENDPOINT": server.url}
        out = subprocess.run(
            [python, "-c", PROBE, str(spec_path), json.dumps(CALLS)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        seen = [(s.method, s.path, sorted(s.query)) for s in server.seen]
    return json.loads(out.stdout), seen


def test_lookups_match(tmp_path: Path) -> None:
    try:
        official = str(support.official_python())
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    theirs = _run(official, tmp_path / "a.json")
    ours = _run(sys.executable, tmp_path / "b.json")
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
