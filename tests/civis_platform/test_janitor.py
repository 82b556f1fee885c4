"""The janitor: periodic housekeeping in a running server, and failure isolation."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import select

from civis_platform.config import Settings
from civis_platform.janitor import Janitor
from civis_platform.services import files as file_services
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.testing import ThreadedServer


def test_expired_contents_are_purged_while_the_server_runs(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, testing=True, housekeeping_seconds=0.2)
    with ThreadedServer(settings) as server:
        store = Store.from_url(server.settings.resolved_metadata_url())
        try:
            file_id = file_services.store_file(
                server.app.state.platform,
                owner_id=1,
                name="soon.csv",
                source=io.BytesIO(b"x\n"),
                lifetime=timedelta(seconds=0.5),
            )
            with store.transaction() as conn:
                key = conn.execute(
                    select(t.files.c.blob_key).where(t.files.c.id == file_id)
                ).scalar_one()
            blobs = server.app.state.platform.blobs
            assert blobs.exists(key)
            deadline = time.monotonic() + 10
            while blobs.exists(key) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not blobs.exists(key)
            answer = requests.get(
                f"{server.base_url}files/{file_id}", auth=(server.admin_api_key, ""), timeout=10
            ).json()
            assert answer["fileUrl"] is None  # metadata stays, contents are gone
        finally:
            store.dispose()


def test_a_failing_task_does_not_stop_the_others() -> None:
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("disk on fire")

    janitor = Janitor([broken, lambda: calls.append("ok")], interval=0.05).start()
    time.sleep(0.3)
    janitor.stop()
    assert calls.count("ok") >= 2 and calls.count("broken") == calls.count("ok")
