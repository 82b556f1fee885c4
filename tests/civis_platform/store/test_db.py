"""The metadata engine factory and Store: SQLite pragmas, and which reads may skip threads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

import support  # tests/support.py, on the path through tests/civis_platform/conftest.py
from civis_platform.store.db import Store


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    with store.transaction() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
    store.dispose()


def test_sqlite_reads_never_wait_but_postgres_reads_do(tmp_path: Path) -> None:
    # Routes run GETs on the event loop only when the store says reads cannot block.
    assert Store.from_url(f"sqlite:///{tmp_path / 'meta.sqlite'}").reads_never_wait is True
    with support.temporary_pg_database() as url:
        store = Store.from_url(url)
        assert store.reads_never_wait is False
        store.dispose()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    with store.transaction() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        with store.transaction() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with store.transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    store.dispose()
