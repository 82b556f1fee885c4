"""The catalogue without reading tables: `list_table_summaries`, and views in `describe_table`."""

from __future__ import annotations

from civis_platform.warehouse import Warehouse
from civis_platform.warehouse.base import TableSummary


def test_summaries_list_tables_and_views_without_reading_them(
    warehouse: Warehouse, schema: str
) -> None:
    warehouse.execute(f"CREATE SCHEMA {schema}")
    warehouse.execute(f"CREATE TABLE {schema}.b (x integer, y text, z date)")
    warehouse.execute(f"CREATE TABLE {schema}.a (x integer)")
    warehouse.execute(f"CREATE VIEW {schema}.v AS SELECT x FROM {schema}.b")
    assert warehouse.list_table_summaries(schema) == [
        TableSummary(schema, "a", False, 1),
        TableSummary(schema, "b", False, 3),
        TableSummary(schema, "v", True, 1),
    ]
    everything = warehouse.list_table_summaries()
    assert [s for s in everything if s.schema == schema] == warehouse.list_table_summaries(schema)
    assert not {s.schema for s in everything} & {"information_schema", "pg_catalog"}
    assert [(s.schema, s.name) for s in everything] == sorted(
        (s.schema, s.name) for s in everything
    )
    assert warehouse.list_table_summaries(f"{schema}_absent") == []


def test_describe_says_whether_a_table_is_a_view(warehouse: Warehouse, schema: str) -> None:
    warehouse.execute(f"CREATE SCHEMA {schema}")
    warehouse.execute(f"CREATE TABLE {schema}.t (x integer)")
    warehouse.execute(f"INSERT INTO {schema}.t VALUES (1), (2)")
    warehouse.execute(f"CREATE VIEW {schema}.v AS SELECT x FROM {schema}.t WHERE x > 1")
    table, view = warehouse.describe_table(schema, "t"), warehouse.describe_table(schema, "v")
    assert (table.is_view, table.row_count) == (False, 2)
    assert (view.is_view, view.row_count, [c.name for c in view.columns]) == (True, 1, ["x"])
