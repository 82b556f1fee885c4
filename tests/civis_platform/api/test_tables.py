"""``/tables`` over loopback, on both metadata engines and both warehouse engines."""

from __future__ import annotations

from typing import Any

import pytest
from platform_helpers import Api, assert_civis_error
from table_helpers import (
    TYPED_COLUMNS,
    WarehouseUnderTest,
    api,
    warehouse,
)

__all__ = ["api", "warehouse"]  # fixtures used by name


def find(api: Api, wh: WarehouseUnderTest, schema: str, **params: Any) -> list[dict[str, Any]]:
    """``GET /tables`` filtered to one database and schema."""
    response = api.get("tables", params={"database_id": wh.database_id, "schema": schema, **params})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def table_id(api: Api, wh: WarehouseUnderTest, schema: str, name: str) -> int:
    """What the official client's ``get_table_id`` does: the first row's id."""
    [row] = find(api, wh, schema, name=name)
    return int(row["id"])


def test_lookup_by_name_then_get_by_id(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("people", "people_2")
    warehouse.run(f"INSERT INTO \"{schema}\".people VALUES (1, 'a'), (2, 'b'), (3, NULL)")
    [row] = find(api, warehouse, schema, name="people")  # exact: not people_2
    assert row["databaseId"] == warehouse.database_id
    assert (row["schema"], row["name"], row["isView"], row["columnCount"]) == (
        schema,
        "people",
        False,
        2,
    )
    table = api.get(f"tables/{row['id']}").json()
    assert (table["id"], table["name"], table["schema"]) == (row["id"], "people", schema)
    assert table["rowCount"] == 3 and table["columnCount"] == 2
    assert [(c["name"], c["sqlType"], c["order"]) for c in table["columns"]] == [
        ("a", "integer", 1),
        ("b", "character varying", 2),
    ]
    assert table["columns"][0]["civisDataType"] == "integer"
    assert list(table)[:4] == ["id", "databaseId", "schema", "name"]


def test_column_sql_types(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema()
    ddl = ", ".join(f"{name} {sql}" for name, sql, _ in TYPED_COLUMNS)
    warehouse.run(f'CREATE TABLE "{schema}".typed ({ddl})')
    table = api.get(f"tables/{table_id(api, warehouse, schema, 'typed')}").json()
    assert [(c["name"], c["sqlType"]) for c in table["columns"]] == [
        (name, reported) for name, _, reported in TYPED_COLUMNS
    ]
    kinds = {c["name"]: c["civisDataType"] for c in table["columns"]}
    assert (kinds["b"], kinds["f"], kinds["ok"], kinds["d"], kinds["x"]) == (
        "integer",
        "float",
        "boolean",
        "date",
        "string",
    )


def test_ids_are_stable_across_calls(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("a", "b")
    first = {r["name"]: r["id"] for r in find(api, warehouse, schema)}
    assert sorted(first) == ["a", "b"]
    again = {r["name"]: r["id"] for r in find(api, warehouse, schema)}
    everywhere = {
        r["name"]: r["id"]
        for r in api.get("tables", params={"search": schema, "limit": 1000}).json()
        if r["schema"] == schema
    }
    by_name = api.get(f"databases/{warehouse.database_id}/schemas/{schema}/tables/a").json()
    assert first == again == everywhere
    assert by_name["id"] == first["a"]
    assert api.get(f"tables/{first['b']}").json()["id"] == first["b"]


def test_new_tables_appear_and_dropped_ones_go(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("old")
    [old] = find(api, warehouse, schema)
    warehouse.run(f'CREATE TABLE "{schema}".fresh (x integer)')
    rows = {r["name"]: r["id"] for r in find(api, warehouse, schema)}
    assert rows["old"] == old["id"] and rows["fresh"] not in (None, old["id"])

    warehouse.run(f'DROP TABLE "{schema}".fresh')
    assert [r["name"] for r in find(api, warehouse, schema)] == ["old"]
    assert_civis_error(api.get(f"tables/{rows['fresh']}"), 404)

    # Seen gone, then created again: a fresh row. (PostgreSQL never reuses the old id;
    # SQLite without AUTOINCREMENT may hand the newest id out again.)
    warehouse.run(f'CREATE TABLE "{schema}".fresh (y text)')
    again = table_id(api, warehouse, schema, "fresh")
    assert [c["name"] for c in api.get(f"tables/{again}").json()["columns"]] == ["y"]
    assert table_id(api, warehouse, schema, "old") == old["id"]


def test_get_by_id_of_a_dropped_table_is_404(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("gone")
    gone = table_id(api, warehouse, schema, "gone")
    warehouse.run(f'DROP TABLE "{schema}".gone')
    assert_civis_error(api.get(f"tables/{gone}"), 404)
    assert_civis_error(api.get(f"tables/{gone}/columns"), 404)
    assert_civis_error(api.post(f"tables/{gone}/refresh"), 404)
    assert find(api, warehouse, schema) == []


def test_views_are_listed_as_views(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("base")
    warehouse.run(f'CREATE VIEW "{schema}".v AS SELECT a FROM "{schema}".base')
    rows = {r["name"]: r for r in find(api, warehouse, schema)}
    assert (rows["base"]["isView"], rows["v"]["isView"]) == (False, True)
    assert api.get(f"tables/{rows['v']['id']}").json()["isView"] is True


def test_name_and_schema_filters(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("census_2010", "census_2020", "census-x", "my census", "other")
    names = lambda **p: sorted(r["name"] for r in find(api, warehouse, schema, **p))  # noqa: E731
    assert names(name="census_2010") == ["census_2010"]
    assert names(name="census") == []  # no wildcard: the whole name
    assert names(name="census%") == ["census-x", "census_2010", "census_2020"]
    assert names(name="*census*") == ["census-x", "census_2010", "census_2020", "my census"]
    assert names(name="census_20%") == ["census_2010", "census_2020"]  # "_" is literal
    assert names(name="CENSUS_2010") == ["census_2010"]  # case-insensitive
    assert names(name="%nothing%") == []

    pattern = schema[:-1] + "*"  # a schema pattern scans every schema
    rows = api.get(
        "tables", params={"database_id": warehouse.database_id, "schema": pattern, "limit": 1000}
    ).json()
    assert {r["name"] for r in rows if r["schema"] == schema} >= {"other", "my census"}
    searched = api.get("tables", params={"search": f"{schema}.census-"}).json()
    assert [r["name"] for r in searched] == ["census-x"]
    tagged = api.get("tables", params={"schema": schema, "table_tag_ids[]": [1]}).json()
    assert tagged == []


def test_paging_and_order(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("t1", "t2", "t3", "t4", "t5")
    params = {"database_id": warehouse.database_id, "schema": schema, "limit": 2}
    first = api.get("tables", params=params)
    assert first.headers["X-Pagination-Total-Entries"] == "5"
    assert first.headers["X-Pagination-Total-Pages"] == "3"
    assert first.headers["X-Pagination-Per-Page"] == "2"
    assert first.headers["X-Pagination-Current-Page"] == "1"
    pages = [
        [r["name"] for r in api.get("tables", params={**params, "page_num": n}).json()]
        for n in (1, 2, 3, 4)
    ]
    assert pages == [["t1", "t2"], ["t3", "t4"], ["t5"], []]
    desc = api.get("tables", params={**params, "order": "name", "order_dir": "desc"}).json()
    assert [r["name"] for r in desc] == ["t5", "t4"]


def test_columns_endpoint(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema()
    warehouse.run(f'CREATE TABLE "{schema}".wide (zeta integer, alpha text, mid_a date)')
    tid = table_id(api, warehouse, schema, "wide")
    by_name = api.get(f"tables/{tid}/columns")
    assert by_name.headers["X-Pagination-Total-Entries"] == "3"
    assert [c["name"] for c in by_name.json()] == ["alpha", "mid_a", "zeta"]
    by_order = api.get(f"tables/{tid}/columns", params={"order": "order"}).json()
    assert [(c["name"], c["order"], c["sqlType"]) for c in by_order] == [
        ("zeta", 1, "integer"),
        ("alpha", 2, "character varying"),
        ("mid_a", 3, "date"),
    ]
    assert [c["name"] for c in api.get(f"tables/{tid}/columns?name=AL").json()] == ["alpha"]
    page = api.get(f"tables/{tid}/columns", params={"limit": 1, "page_num": 3}).json()
    assert [c["name"] for c in page] == ["zeta"]


def test_refresh_sees_an_altered_table(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("grows")
    tid = table_id(api, warehouse, schema, "grows")
    before = api.get(f"tables/{tid}").json()
    assert before["lastRefresh"] is None and before["columnCount"] == 2
    warehouse.run(f'ALTER TABLE "{schema}".grows ADD COLUMN added_at timestamp')
    refreshed = api.post(f"tables/{tid}/refresh")
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["id"] == tid and body["lastRefresh"] and body["columnCount"] == 3
    assert body["columns"][-1] == {**body["columns"][-1], "name": "added_at", "order": 3}
    assert body["columns"][-1]["sqlType"] == "timestamp without time zone"
    assert api.get(f"tables/{tid}").json()["lastRefresh"] == body["lastRefresh"]


def test_other_users_see_the_tables_the_warehouse_grants_them(
    api: Api, new_user: Any, warehouse: WarehouseUnderTest
) -> None:
    _user, someone = new_user()
    schema = warehouse.new_schema("shared")
    if warehouse.engine == "postgres":
        # The admin login's table in a schema of its own: no grant, so not seen.
        hidden = table_id(api, warehouse, schema, "shared")
        assert find(someone, warehouse, schema, name="shared") == []
        assert_civis_error(someone.get(f"tables/{hidden}"), 404)
        assert_civis_error(someone.get(f"tables/{hidden}/columns"), 404)
        assert_civis_error(someone.post(f"tables/{hidden}/refresh"), 404)
        # The look did not cost the table its id.
        assert table_id(api, warehouse, schema, "shared") == hidden
    # DuckDB: everyone granted the database reads every table.
    warehouse.grant_to_everyone(schema, "shared")
    tid = table_id(someone, warehouse, schema, "shared")
    assert someone.get(f"tables/{tid}").json()["name"] == "shared"


def test_unknown_ids_are_404(api: Api, warehouse: WarehouseUnderTest) -> None:
    assert_civis_error(api.get("tables/987654"), 404)
    assert_civis_error(api.get("tables/987654/columns"), 404)
    assert_civis_error(api.post("tables/987654/refresh"), 404)
    assert_civis_error(api.get("tables/not-an-id"), 404)
    assert_civis_error(api.get("tables", params={"database_id": 987654}), 404)


@pytest.mark.parametrize(
    "path",
    [
        "tables?limit=1001",
        "tables?limit=abc",
        "tables?page_num=-2",
        "tables?order=rowCount",
        "tables?order_dir=sideways",
        "tables?database_id=abc",
        "tables?database_id=99999999999",
        "tables?table_tag_ids[]=x",
        f"tables?name={chr(0)}",
    ],
)
def test_bad_list_parameters_are_400(api: Api, path: str) -> None:
    assert_civis_error(api.get(path), 400)


@pytest.mark.parametrize(
    "query", ["order=size", "order_dir=up", "limit=1001", "limit=x", "page_num=-1"]
)
def test_bad_column_parameters_are_400(api: Api, warehouse: WarehouseUnderTest, query: str) -> None:
    schema = warehouse.new_schema("q")
    tid = table_id(api, warehouse, schema, "q")
    assert_civis_error(api.get(f"tables/{tid}/columns?{query}"), 400)


def test_schema_filter_ignores_case(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = "Mixed" + warehouse.new_schema()
    warehouse.run(f'CREATE SCHEMA "{schema}"', f'CREATE TABLE "{schema}".t (x integer)')
    for spelled in (schema.lower(), schema, schema.upper()):
        assert [(r["schema"], r["name"]) for r in find(api, warehouse, spelled)] == [(schema, "t")]


SUMMARY_WITH_ONTOLOGY = [
    "id",
    "databaseId",
    "schema",
    "name",
    "description",
    "isView",
    "rowCount",
    "columnCount",
    "sizeMb",
    "owner",
    "distkey",
    "sortkeys",
    "refreshStatus",
    "lastRefresh",
    "dataUpdatedAt",
    "schemaUpdatedAt",
    "refreshId",
    "lastRun",
    "primaryKeys",
    "lastModifiedKeys",
    "tableTags",
    "ontologyMapping",
]


def test_patch_stores_what_users_say_about_a_table(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("described")
    warehouse.run(f"INSERT INTO \"{schema}\".described VALUES (1, 'x')")
    tid = table_id(api, warehouse, schema, "described")
    body = {
        "description": "People, one a row.",
        "primaryKeys": ["a"],
        "lastModifiedKeys": ["b"],
        "ontologyMapping": {"primary_key": "a"},
    }
    patched = api.patch(f"tables/{tid}", json=body)
    assert patched.status_code == 200, patched.text
    shown = patched.json()
    assert list(shown) == SUMMARY_WITH_ONTOLOGY
    assert {k: shown[k] for k in body} == body
    assert (shown["id"], shown["schema"], shown["name"], shown["rowCount"]) == (
        tid,
        schema,
        "described",
        1,
    )
    got = api.get(f"tables/{tid}").json()
    assert {k: got[k] for k in body} == body
    assert [r["description"] for r in find(api, warehouse, schema)] == [body["description"]]
    # A PATCH changes only what it names; "" clears the description, [] the keys.
    again = api.patch(f"tables/{tid}", json={"description": "", "primaryKeys": []}).json()
    assert (again["description"], again["primaryKeys"]) == (None, [])
    assert (again["lastModifiedKeys"], again["ontologyMapping"]) == (["b"], {"primary_key": "a"})
    # An empty body changes nothing.
    assert api.patch(f"tables/{tid}").json()["lastModifiedKeys"] == ["b"]


def test_patch_of_an_unknown_table_is_404(api: Api, warehouse: WarehouseUnderTest) -> None:
    assert_civis_error(api.patch("tables/987654", json={"description": "d"}), 404)
    schema = warehouse.new_schema("gone")
    tid = table_id(api, warehouse, schema, "gone")
    warehouse.run(f'DROP TABLE "{schema}".gone')
    assert_civis_error(api.patch(f"tables/{tid}", json={"description": "d"}), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"description": 5}, "description"),
        ({"primaryKeys": "a"}, "primaryKeys"),
        ({"lastModifiedKeys": [1]}, "lastModifiedKeys"),
        ({"ontologyMapping": ["a"]}, "ontologyMapping"),
        ({"ontologyMapping": {"primary_key": 3}}, "ontologyMapping"),
        ({"primaryKeys": ["a", "nope"]}, "primaryKeys"),
        ({"lastModifiedKeys": ["nope"]}, "lastModifiedKeys"),
        ({"ontologyMapping": {"primary_key": "nope"}}, "ontologyMapping"),
    ],
)
def test_bad_patches_are_400_naming_the_field(
    api: Api, warehouse: WarehouseUnderTest, body: dict[str, Any], field: str
) -> None:
    schema = warehouse.new_schema("bad")
    tid = table_id(api, warehouse, schema, "bad")
    error = assert_civis_error(api.patch(f"tables/{tid}", json=body), 400)
    assert field in error["errorDescription"]
    assert api.get(f"tables/{tid}").json()["primaryKeys"] == []


def test_only_writers_of_the_database_patch_its_tables(
    api: Api, new_user: Any, warehouse: WarehouseUnderTest
) -> None:
    user, someone = new_user()
    schema = warehouse.new_schema("guarded")
    warehouse.grant_to_everyone(schema, "guarded")
    tid = table_id(api, warehouse, schema, "guarded")
    api.patch(f"tables/{tid}", json={"description": "by the owner"})
    # Everyone reads every table, but another user cannot change it (a reader: 403).
    assert_civis_error(someone.patch(f"tables/{tid}", json={"description": "mine"}), 403)
    assert someone.get(f"tables/{tid}").json()["description"] == "by the owner"
    assert_civis_error(someone.patch("tables/987654", json={"description": "mine"}), 404)
    # Write permission on the database (its remote host, same id) lets them.
    shared = api.put(
        f"remote_hosts/{warehouse.database_id}/shares/users",
        json={"userIds": [user.id], "permissionLevel": "write"},
    )
    assert shared.status_code == 200, shared.text
    patched = someone.patch(f"tables/{tid}", json={"description": "mine"})
    assert patched.status_code == 200, patched.text
    assert api.get(f"tables/{tid}").json()["description"] == "mine"
