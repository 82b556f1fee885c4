"""Differential wire test: the official client and ours make the same calls against the
same scripted server; the requests it records must match (method, path, query, body, auth).

The one deliberate difference: the official client sends the body ``{}`` with GET and
DELETE; ours sends no body there.  Servers must accept both, so bodies are compared with
``{}`` and no body treated alike for those verbs.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from scripted_server import TINY_SPEC, Reply, ScriptedServer

import support

pytestmark = pytest.mark.official

CALLS = textwrap.dedent("""
    import civis, sys, warnings
    client = civis.APIClient(api_key="wire-key", local_api_spec=sys.argv[1])
    client.files.get(7)
    client.files.post("a.csv", expires_at=None)
    client.files.post("b.csv", object_type="File")
    client.files.patch(1, name="renamed")
    client.files.delete(3)
    client.credentials.list(type="Database", default=True, remote_host_id=None, ids=[1, 2])
    client.credentials.list(default=False)
    list(client.credentials.list(limit=2, iterator=True))
    client.users.get_me()
    try:
        client.files.get(404)
    except civis.base.CivisAPIError as err:
        print(str(err))
""")


def _script(server: ScriptedServer) -> None:
    server.script("GET", "/files/7", Reply(body={"id": 7}))
    server.script("POST", "/files", Reply(body={"id": 1}))
    server.script("PATCH", "/files/1", Reply(body={"id": 1}))
    server.script("DELETE", "/files/3", Reply(status=204, body=None))
    server.script("GET", "/users/me", Reply(body={"id": 1}))
    server.script(
        "GET",
        "/files/404",
        Reply(
            status=404,
            body={"error": "not_found", "errorDescription": "No such file.", "code": 404},
        ),
    )


def _record(python: str, spec_path: Path) -> tuple[list[tuple[Any, ...]], str]:
    with ScriptedServer() as server:
        _script(server)
        # two plain list calls, then one page of data and the empty page that ends paging
        server.script(
            "GET", "/credentials", *[Reply(body=[{"id": n}]) for n in (1, 2, 3)], Reply(body=[])
        )
        env = {**os.environ, "CIVIS_API_ENDPOINT": server.url}
        env.pop("CIVIS_API_KEY", None)
        out = subprocess.run(
            [python, "-c", CALLS, str(spec_path)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        requests = []
        for seen in server.seen:
            body = seen.json()
            if seen.method in ("GET", "DELETE") and body == {}:
                body = None
            requests.append(
                (
                    seen.method,
                    seen.path,
                    sorted(seen.query),
                    body,
                    seen.headers.get("Authorization"),
                )
            )
        return requests, out.stdout.strip()


def test_same_requests_as_the_official_client(tmp_path: Path) -> None:
    import sys

    try:
        official = str(support.official_python())
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(TINY_SPEC))
    theirs, their_out = _record(official, spec_path)
    ours, our_out = _record(sys.executable, spec_path)
    assert len(ours) == 11
    assert ours == theirs
    assert our_out == their_out == "(404) No such file. (GET /files/404)"
