"""Tables scenario: finding tables and their columns, through `import civis`.

Runs unchanged under the official client and under ours. The test made the tables
directly in the warehouse beforehand: in schema TABLES_SCHEMA of database
TABLES_DATABASE, ``people(id integer, name text, born date, seen_at timestamp, ok
boolean, score double precision)`` with 3 rows, plus TABLES_EXTRA tables ``extra_NN``
(more than one page of a list). Environment: CIVIS_API_ENDPOINT, CIVIS_API_KEY,
TABLES_DATABASE, TABLES_SCHEMA, TABLES_EXTRA.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

client = civis.APIClient()
DATABASE = os.environ["TABLES_DATABASE"]
SCHEMA = os.environ["TABLES_SCHEMA"]
EXTRA = int(os.environ["TABLES_EXTRA"])
PEOPLE_COLUMNS = [
    ("id", "integer"),
    ("name", "character varying"),
    ("born", "date"),
    ("seen_at", "timestamp without time zone"),
    ("ok", "boolean"),
    ("score", "double precision"),
]
state: dict[str, int] = {}


@check("get_database_id and get_table_id find the table; the id is stable")
def _() -> None:
    db_id = client.get_database_id(DATABASE)
    assert isinstance(db_id, int)
    state["db"] = db_id
    table_id = client.get_table_id(f"{SCHEMA}.people", DATABASE)
    assert isinstance(table_id, int)
    assert client.get_table_id(f"{SCHEMA}.people", db_id) == table_id
    state["people"] = table_id


@check("tables.list filters by database, schema and name")
def _() -> None:
    rows = client.tables.list(database_id=state["db"], schema=SCHEMA, name="people")
    assert [(r.id, r.name, r.schema, r.database_id) for r in rows] == [
        (state["people"], "people", SCHEMA, state["db"])
    ]
    assert rows[0]["isView"] is False and rows[0].column_count == len(PEOPLE_COLUMNS)
    assert client.tables.list(database_id=state["db"], schema=SCHEMA, name="nobody") == []


@check("tables.list(iterator=True) pages through every table of the schema")
def _() -> None:
    names = [
        row.name
        for row in client.tables.list(database_id=state["db"], schema=SCHEMA, iterator=True)
    ]
    expected = sorted(["people"] + [f"extra_{i:02d}" for i in range(EXTRA)])
    assert sorted(names) == expected, names
    assert len(names) == len(set(names))


@check("tables.get gives columns with their SQL types, and the row count")
def _() -> None:
    table = client.tables.get(state["people"])
    assert (table.id, table.name, table.schema) == (state["people"], "people", SCHEMA)
    assert table.row_count == 3
    assert [(c.name, c.sql_type) for c in table.columns] == PEOPLE_COLUMNS
    assert [c.order for c in table.columns] == list(range(1, len(PEOPLE_COLUMNS) + 1))
    columns = client.tables.list_columns(state["people"], order="order")
    assert [c.name for c in columns] == [name for name, _ in PEOPLE_COLUMNS]
    refreshed = client.tables.post_refresh(state["people"])
    assert refreshed.id == state["people"] and refreshed.last_refresh


@check("databases.get_schemas_tables: the table by name, and 404 when absent")
def _() -> None:
    table = client.databases.get_schemas_tables(state["db"], SCHEMA, "people")
    assert table.id == state["people"]
    assert [(c.name, c.sql_type) for c in table.columns] == PEOPLE_COLUMNS
    err = expect_raises(
        civis.base.CivisAPIError,
        lambda: client.databases.get_schemas_tables(state["db"], SCHEMA, "no_such_table"),
    )
    assert err.status_code == 404, err


@check("databases.list_schemas and list_schemas_tables")
def _() -> None:
    schemas = [s.schema for s in client.databases.list_schemas(state["db"], name=SCHEMA)]
    assert schemas == [SCHEMA], schemas
    listed = client.databases.list_schemas_tables(state["db"], SCHEMA)
    assert len(listed) == EXTRA + 1
    assert {(t.name, t.is_view) for t in listed} >= {("people", False)}


@check("databases.list_users, list_groups and the privilege routes describe the caller")
def _() -> None:
    me = client.databases.list_users(state["db"])
    assert me.active is True and me.username, me
    groups = client.databases.list_groups(state["db"])
    assert any(me.username in group.members for group in groups), groups
    schema = client.databases.get_schema_privileges(state["db"], SCHEMA)
    assert (schema.grantee, schema.grantee_type) == (me.username, "user"), schema
    assert "USAGE" in schema.privileges
    table = client.databases.get_table_privileges_schema_name(state["db"], SCHEMA, "people")
    assert table.grantee == me.username and "SELECT" in table.privileges, table
    err = expect_raises(
        civis.base.CivisAPIError,
        lambda: client.databases.get_table_privileges_schema_name(state["db"], SCHEMA, "absent"),
    )
    assert err.status_code == 404, err


@check("unknown table and database ids are 404s")
def _() -> None:
    err = expect_raises(civis.base.CivisAPIError, lambda: client.tables.get(987654321))
    assert err.status_code == 404, err
    err = expect_raises(civis.base.CivisAPIError, lambda: client.databases.list_schemas(987654))
    assert err.status_code == 404, err


finish()
