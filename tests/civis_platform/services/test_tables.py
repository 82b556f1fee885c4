"""Table ids (`sync_ids`) on both metadata engines, and the pure naming rules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

import support
from civis_platform.config import Settings
from civis_platform.services.bootstrap import initialise
from civis_platform.services.tables import (
    civis_data_type,
    ensure_table_id,
    like_pattern,
    sync_ids,
)
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, seeded store (it holds the default DuckDB database)."""
    if request.param == "sqlite":
        settings = Settings(home=tmp_path)
        url = settings.resolved_metadata_url()
        made = Store.from_url(url)
        initialise(made, settings)
        yield made
        made.dispose()
        return
    with support.temporary_pg_database("civis_tables_svc") as pg_url:
        settings = Settings(home=tmp_path, metadata_url=pg_url)
        made = Store.from_url(pg_url)
        initialise(made, settings)
        yield made
        made.dispose()


def database_id(store: Store) -> int:
    with store.transaction() as conn:
        return int(conn.execute(select(t.databases.c.id)).scalars().first())


def test_ids_are_made_kept_and_dropped(store: Store) -> None:
    db = database_id(store)
    with store.transaction() as conn:
        first = sync_ids(conn, db, [("s", "a"), ("s", "b"), ("u", "c")], None)
    assert sorted(first) == [("s", "a"), ("s", "b"), ("u", "c")]
    with store.transaction() as conn:
        # Scanning schema "s" alone forgets only the missing table of "s".
        second = sync_ids(conn, db, [("s", "a"), ("s", "new")], "s")
        everything = sync_ids(conn, db, [("s", "a"), ("s", "new"), ("u", "c")], None)
    assert second[("s", "a")] == first[("s", "a")]
    assert ("s", "b") not in second and second[("s", "new")] not in first.values()
    assert everything[("u", "c")] == first[("u", "c")]
    with store.transaction() as conn:
        assert ensure_table_id(conn, db, "u", "c") == first[("u", "c")]
        made = ensure_table_id(conn, db, "u", "loaded")
        assert ensure_table_id(conn, db, "u", "loaded") == made
    with store.transaction() as conn:
        assert sync_ids(conn, db, [], None) == {}
        left = conn.execute(
            select(t.warehouse_tables).where(t.warehouse_tables.c.database_id == db)
        )
        assert left.all() == []


def test_concurrent_first_sightings_agree_on_one_id(store: Store) -> None:
    db = database_id(store)
    seen = [(f"s{i % 3}", f"t{i}") for i in range(30)]
    results: list[dict[tuple[str, str], int]] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            with store.transaction() as conn:
                results.append(sync_ids(conn, db, seen, None))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=scan) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert all(r == results[0] for r in results) and len(results[0]) == 30


@pytest.mark.parametrize(
    "value, substring, expected",
    [
        ("people", False, "people"),
        ("My_Table", False, "my\\_table"),
        ("cen*", False, "cen%"),
        ("%cen%", False, "%cen%"),
        ("a\\b", False, "a\\\\b"),
        ("x", True, "%x%"),
    ],
)
def test_like_pattern(value: str, substring: bool, expected: str) -> None:
    assert like_pattern(value, substring=substring) == expected


@pytest.mark.parametrize(
    "sql_type, expected",
    [
        ("integer", "integer"),
        ("bigint", "integer"),
        ("double precision", "float"),
        ("numeric(12,2)", "float"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp with time zone", "datetime"),
        ("character varying(30)", "string"),
        ("character varying", "string"),
    ],
)
def test_civis_data_type(sql_type: str, expected: str) -> None:
    assert civis_data_type(sql_type) == expected


def test_a_dropped_tables_id_is_never_handed_out_again(store: Store) -> None:
    db = database_id(store)
    with store.transaction() as conn:
        old = ensure_table_id(conn, db, "s", "newest")
    with store.transaction() as conn:
        sync_ids(conn, db, [], "s")  # the table is gone
    with store.transaction() as conn:
        assert ensure_table_id(conn, db, "s", "other") > old
