"""The demo tables: shapes, types, determinism, idempotent seeding, and `seed-demo`."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from civis_platform import demo_data
from civis_platform.demo_data import (
    DEMO_SCHEMA,
    DEMO_TABLES,
    cta_ridership_daily,
    demo_tables,
    seed_demo_data,
)
from civis_platform.warehouse import Warehouse, open_warehouse

CLI = str(Path(sys.executable).parent / "civis-platform")


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return demo_tables()


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    wh = open_warehouse(f"duckdb://{tmp_path}/w.duckdb")
    yield wh
    wh.close()


def test_docstring_examples() -> None:
    result = doctest.testmod(demo_data, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_ridership_has_the_tours_shape_and_types(tables: dict[str, pa.Table]) -> None:
    daily = tables["cta_ridership_daily"]
    assert 700_000 < daily.num_rows < 760_000
    assert daily.schema == pa.schema(
        [
            ("station_id", pa.int32()),
            ("stationname", pa.string()),
            ("date", pa.date32()),
            ("daytype", pa.string()),
            ("rides", pa.int32()),
        ]
    )
    assert all(column.null_count == 0 for column in daily.columns)
    assert set(daily["daytype"].unique().to_pylist()) == {"W", "A", "U"}
    assert daily["date"][0].as_py() == demo_data.FIRST_DAY
    assert daily["date"][-1].as_py() == demo_data.LAST_DAY
    assert len(daily["station_id"].unique()) == len(daily["stationname"].unique()) > 140


def test_ridership_looks_like_ridership(tables: dict[str, pa.Table]) -> None:
    df = tables["cta_ridership_daily"].to_pandas()
    by_type = df.groupby("daytype")["rides"].mean()
    assert by_type["W"] > by_type["A"] > by_type["U"] > 0
    # Sundays are 'U'; a public holiday on a weekday is 'U' too (2014-07-04 was a Friday).
    days = df.drop_duplicates("date").set_index("date")["daytype"]
    assert days[date.fromisoformat("2014-07-06")] == "U"
    assert days[date.fromisoformat("2014-07-05")] == "A"
    assert days[date.fromisoformat("2014-07-04")] == "U"
    assert days[date.fromisoformat("2014-07-03")] == "W"
    # A station that opened in the period has no rows before it opened.
    oakton = df[df["stationname"] == "Oakton-Skokie"]["date"].min()
    assert oakton == date.fromisoformat("2012-04-30")


def test_tables_are_deterministic_and_depend_on_the_seed(tables: dict[str, pa.Table]) -> None:
    again = demo_tables()
    for name in DEMO_TABLES:
        assert again[name].equals(tables[name]), name
    assert not cta_ridership_daily(seed=1).equals(tables["cta_ridership_daily"])


def test_neighbours_the_tour_lists(tables: dict[str, pa.Table]) -> None:
    five = sorted(n for n, t in tables.items() if t.num_columns == 5)
    assert five == ["cta_ridership_daily", "cta_ridership_daily_pasttwoyears", "iris"]
    past = tables["cta_ridership_daily_pasttwoyears"]
    assert past["date"][0].as_py().isoformat() == "2013-01-01"
    daily = tables["cta_ridership_daily"]
    assert past.equals(daily.slice(daily.num_rows - past.num_rows))
    iris = tables["iris"]
    assert iris.num_rows == 150
    assert iris["species"].value_counts().to_pylist() == [
        {"values": s, "counts": 50} for s in ("setosa", "versicolor", "virginica")
    ]
    assert tables["cta_stations"].num_rows == len(daily["station_id"].unique())


def test_building_the_tables_is_fast() -> None:
    # Generous bound (the goal is well under 2 s; this machine's cores are shared).
    started = time.perf_counter()
    demo_tables()
    assert time.perf_counter() - started < 10


def test_seeding_twice_leaves_the_same_data(warehouse: Warehouse) -> None:
    first = seed_demo_data(warehouse)
    snapshot = _dump(warehouse)
    second = seed_demo_data(warehouse)
    assert first == second
    again = _dump(warehouse)
    assert all(again[name].equals(snapshot[name]) for name in DEMO_TABLES)
    listed = {t.name: t for t in warehouse.list_tables(DEMO_SCHEMA)}
    assert set(listed) >= set(DEMO_TABLES)
    info = warehouse.describe_table(DEMO_SCHEMA, "cta_ridership_daily")
    assert [(c.name, c.sql_type) for c in info.columns] == [
        ("station_id", "integer"),
        ("stationname", "character varying"),
        ("date", "date"),
        ("daytype", "character varying"),
        ("rides", "integer"),
    ]
    assert info.row_count == first["cta_ridership_daily"]


def test_seeding_replaces_a_table_someone_changed(warehouse: Warehouse) -> None:
    seed_demo_data(warehouse)
    warehouse.execute("DELETE FROM public.iris WHERE species = 'setosa'")
    warehouse.execute("ALTER TABLE public.iris ADD COLUMN extra INTEGER")
    seed_demo_data(warehouse)
    info = warehouse.describe_table(DEMO_SCHEMA, "iris")
    assert info.row_count == 150 and len(info.columns) == 5


def _dump(warehouse: Warehouse) -> dict[str, pa.Table]:
    return {
        name: warehouse.read_arrow(f"SELECT * FROM {DEMO_SCHEMA}.{name}").read_all()
        for name in DEMO_TABLES
    }


def test_seed_demo_command(tmp_path: Path) -> None:
    env = {**os.environ, "CIVIS_PLATFORM_HOME": str(tmp_path)}
    missing = subprocess.run(
        [CLI, "seed-demo"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert missing.returncode != 0 and "civis-platform init" in missing.stderr
    subprocess.run([CLI, "init"], env=env, capture_output=True, check=True, timeout=120)
    seeded = subprocess.run(
        [CLI, "seed-demo"], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert "public.cta_ridership_daily (" in seeded.stdout
    wh = open_warehouse(f"duckdb://{tmp_path / 'warehouse.duckdb'}")
    try:
        assert wh.describe_table("public", "iris").row_count == 150
    finally:
        wh.close()


@pytest.mark.postgres
def test_seeding_a_postgres_warehouse() -> None:
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from support import temporary_pg_database

    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    with temporary_pg_database("demo_seed") as url:
        wh = open_warehouse(url)
        try:
            first = seed_demo_data(wh)
            assert seed_demo_data(wh) == first
            info = wh.describe_table(DEMO_SCHEMA, "cta_ridership_daily")
            assert info.row_count == first["cta_ridership_daily"]
            assert [c.sql_type for c in info.columns] == [
                "integer",
                "character varying",
                "date",
                "character varying",
                "integer",
            ]
        finally:
            wh.close()
