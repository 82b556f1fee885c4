"""Helpers for the import tests: upload a file, find a database's host and credential,
wait for a run, read a warehouse table directly."""

from __future__ import annotations

import io
import time
from typing import Any

import requests
from platform_helpers import Api

from civis_platform.testing import ThreadedServer

DEFAULT_DATABASE = "Civis Database"
ACTIVE = ("queued", "running")


def upload(api: Api, data: bytes, name: str = "data.csv") -> int:
    """A complete file holding ``data``, uploaded as the official client does."""
    created = api.post("files", json={"name": name}).json()
    fields = dict(created["uploadFields"])
    form: dict[str, Any] = {"key": fields.pop("key"), **fields, "file": io.BytesIO(data)}
    response = requests.post(created["uploadUrl"], files=form, timeout=60)
    assert response.status_code == 204, response.text
    return int(created["id"])


def remote_host_id(api: Api, database: str = DEFAULT_DATABASE) -> int:
    """The remote host a database is registered on."""
    hosts = api.get("remote_hosts").json()
    return int(next(h["id"] for h in hosts if h["name"] == database))


def database_id(api: Api, database: str = DEFAULT_DATABASE) -> int:
    """A database's id by name."""
    return int(next(d["id"] for d in api.get("databases").json() if d["name"] == database))


def default_credential(api: Api) -> int:
    """The caller's default Database credential."""
    found = api.get("credentials", params={"default": "True", "type": "Database"}).json()
    return int(found[0]["id"])


def wait(api: Api, path: str, timeout: float = 30.0) -> dict[str, Any]:
    """GET ``path`` until its ``state`` is final; the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] not in ACTIVE:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.02)


def run_job(api: Api, job_id: int) -> dict[str, Any]:
    """Start a run through ``/jobs`` and wait for it to finish."""
    started = api.post(f"jobs/{job_id}/runs")
    assert started.status_code == 201, started.text
    return wait(api, f"jobs/{job_id}/runs/{started.json()['id']}")


def rows(server: ThreadedServer, database: int, sql: str) -> list[list[str | None]] | None:
    """The rows of a query on a warehouse, as text; None when the table is missing."""
    from civis_platform.warehouse import SqlError, TableNotFoundError

    assert server.app is not None
    warehouse = server.app.state.platform.warehouses.get(database)
    try:
        return warehouse.execute(sql, preview_rows=10_000).rows
    except (SqlError, TableNotFoundError):
        return None


def unique_table(prefix: str = "t") -> str:
    """A table name no other test uses."""
    return f"{prefix}_{time.time_ns() % 10**12}"
