"""Migrations produce exactly the schema in ``store/tables.py``, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import support
from civis_platform.store.db import create_metadata_engine
from civis_platform.store.migrate import upgrade_to_head
from civis_platform.store.tables import metadata


def _assert_schema_matches(url: str) -> None:
    engine = create_metadata_engine(url)
    try:
        upgrade_to_head(engine)
        upgrade_to_head(engine)  # idempotent: a second run changes nothing
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            assert diff == []
            assert set(metadata.tables) <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_migrations_match_tables(tmp_path: Path) -> None:
    _assert_schema_matches(f"sqlite:///{tmp_path / 'meta.sqlite'}")


@pytest.mark.postgres
def test_postgres_migrations_match_tables() -> None:
    with support.temporary_pg_database("civis_platform_migrations") as url:
        _assert_schema_matches(url)


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_metadata_engine(f"sqlite:///{tmp_path / 'meta.sqlite'}")
    try:
        # Migrations switch foreign keys off while they run; pooled connections must
        # come back with them on.
        upgrade_to_head(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() > 0
    finally:
        engine.dispose()
