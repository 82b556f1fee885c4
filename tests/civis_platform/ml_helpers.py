"""CivisML programs run for real in tests: tables written into the server's DuckDB
warehouse, users with a credential for it, the programs run as sandboxed container
scripts with their arguments, and their File outputs read back by name."""

from __future__ import annotations

import gzip
import io
import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
from platform_helpers import Api
from sandbox_helpers import create_container, messages, start
from sql_helpers import DUCKDB, SqlUser, _warehouse, make_user

from civis_platform.testing import ThreadedServer

EXCLUDE_SMALL = "kind amount constant"  # the small table's other targets


def command(program: str) -> str:
    return f"python -m civis_platform.programs.civisml {program}"


def write_table(server: ThreadedServer, schema: str, name: str, table: pa.Table) -> int:
    """``schema.name`` in the server's DuckDB warehouse (replaced); the database id."""
    wh = _warehouse(server, DUCKDB, "duckdb")
    handle = server.app.state.platform.warehouses.get(wh.database_id)
    handle.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    handle.write_arrow(schema, name, reader, existing_table_rows="drop")
    return wh.database_id


def ml_user(server: ThreadedServer) -> SqlUser:
    """A fresh non-admin user who can read the DuckDB warehouse."""
    return make_user(server, _warehouse(server, DUCKDB, "duckdb"))


@dataclass
class MlRun:
    """A finished CivisML run: its job, its final run body, and its outputs by name."""

    api: Api
    job: int
    run: dict[str, Any]
    outputs: dict[str, int]

    @property
    def state(self) -> str:
        return str(self.run["state"])

    def raw(self, name: str) -> bytes:
        found = self.api.get(f"files/{self.outputs[name]}")
        assert found.status_code == 200, found.text
        import requests

        got = requests.get(found.json()["fileUrl"], timeout=30)
        assert got.status_code == 200
        return got.content

    def json(self, name: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.raw(name))
        return value

    def frame(self, name: str = "predictions.csv.gz") -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(gzip.decompress(self.raw(name))))

    def logs(self) -> list[str]:
        return messages(self.api, self.job, int(self.run["id"]))


def civisml(
    api: Api, program: str, arguments: dict[str, Any], timeout: float = 240.0, **fields: Any
) -> MlRun:
    """Run one CivisML program with ``arguments`` and await it."""
    fields.setdefault("requiredResources", {"cpu": 1000, "memory": 3000})
    job = create_container(api, command(program), arguments=arguments, **fields)
    final = wait(api, job, start(api, job), timeout)
    listed = api.get(f"jobs/{job}/runs/{final['id']}/outputs")
    assert listed.status_code == 200, listed.text
    outputs = {o["name"]: int(o["objectId"]) for o in listed.json() if o["objectType"] == "File"}
    return MlRun(api, job, final, outputs)


def wait(api: Api, job: int, run_id: int, timeout: float) -> dict[str, Any]:
    """The run once it is final (polled twice a second: runs take seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(f"scripts/containers/{job}/runs/{run_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] not in ("queued", "running"):
            return body
        assert time.monotonic() < deadline, f"run {run_id} is still {body['state']}"
        time.sleep(0.5)


def upload(api: Api, name: str, data: bytes) -> int:
    """A file of ``api``'s user holding ``data``; its id (through the upload protocol)."""
    import requests

    made = api.post("files", json={"name": name})
    assert made.status_code in (200, 201), made.text
    body = made.json()
    fields = body["uploadFields"]
    got = requests.post(body["uploadUrl"], data=fields, files={"file": (name, data)}, timeout=30)
    assert got.status_code in (200, 201, 204), got.text
    return int(body["id"])


def source(small: dict[str, Any], **arguments: Any) -> dict[str, Any]:
    """Training arguments reading the test table ``small`` (see the civisml conftest)."""
    return {"TABLE_NAME": small["table"], "DB": {"database": small["db"]}, **arguments}
