"""``/databases/{id}/schemas`` and tables by name, on both metadata and warehouse engines."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from platform_helpers import Api, assert_civis_error
from table_helpers import (
    WarehouseUnderTest,
    api,
    warehouse,
)

__all__ = ["api", "warehouse"]  # fixtures used by name


def base(wh: WarehouseUnderTest) -> str:
    return f"databases/{wh.database_id}"


def test_schemas_list_and_name_filter(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema()
    response = api.get(f"{base(warehouse)}/schemas")
    assert response.status_code == 200, response.text
    listed = [row["schema"] for row in response.json()]
    assert schema in listed and listed == sorted(listed)
    assert all(list(row) == ["schema"] for row in response.json())
    assert "information_schema" not in listed and "pg_catalog" not in listed
    filtered = api.get(f"{base(warehouse)}/schemas", params={"name": schema.upper()}).json()
    assert [row["schema"] for row in filtered] == [schema]
    assert api.get(f"{base(warehouse)}/schemas", params={"name": "no-such-x"}).json() == []


def test_schema_tables(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("b_table", "a_table")
    warehouse.run(f'CREATE VIEW "{schema}".c_view AS SELECT a FROM "{schema}".a_table')
    response = api.get(f"{base(warehouse)}/schemas/{schema}/tables")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"name": "a_table", "schema": schema, "isView": False, "databaseId": warehouse.database_id},
        {"name": "b_table", "schema": schema, "isView": False, "databaseId": warehouse.database_id},
        {"name": "c_view", "schema": schema, "isView": True, "databaseId": warehouse.database_id},
    ]
    empty = warehouse.new_schema()
    assert api.get(f"{base(warehouse)}/schemas/{empty}/tables").json() == []


def test_table_by_name(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("things")
    warehouse.run(f"INSERT INTO \"{schema}\".things VALUES (1, 'x'), (2, 'y')")
    response = api.get(f"{base(warehouse)}/schemas/{schema}/tables/things")
    assert response.status_code == 200, response.text
    table = response.json()
    assert (table["databaseId"], table["schema"], table["name"]) == (
        warehouse.database_id,
        schema,
        "things",
    )
    assert table["rowCount"] == 2 and table["isView"] is False
    assert [(c["name"], c["sqlType"]) for c in table["columns"]] == [
        ("a", "integer"),
        ("b", "character varying"),
    ]
    # The same id as GET /tables gives, and the same again on the next call.
    [listed] = api.get(
        "tables", params={"database_id": warehouse.database_id, "schema": schema}
    ).json()
    again = api.get(f"{base(warehouse)}/schemas/{schema}/tables/things").json()
    assert table["id"] == listed["id"] == again["id"]
    assert api.get(f"tables/{table['id']}").json() == table


def test_table_by_name_first_seen_there(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("unlisted")
    table = api.get(f"{base(warehouse)}/schemas/{schema}/tables/unlisted").json()
    assert api.get(f"tables/{table['id']}").json()["name"] == "unlisted"


def test_names_needing_quotes(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("My Table", "we'ird")
    for name in ("My Table", "we'ird"):
        path = f"{base(warehouse)}/schemas/{quote(schema)}/tables/{quote(name)}"
        response = api.get(path)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == name


def test_missing_table_is_a_civis_404(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("present")
    body = assert_civis_error(api.get(f"{base(warehouse)}/schemas/{schema}/tables/absent"), 404)
    assert body["error"] == "not_found"
    assert_civis_error(api.get(f"{base(warehouse)}/schemas/no_such_schema_x/tables/present"), 404)
    assert_civis_error(api.get(f"{base(warehouse)}/schemas/no_such_schema_x/tables"), 404)


def test_dropped_table_by_name_is_404_and_loses_its_id(
    api: Api, warehouse: WarehouseUnderTest
) -> None:
    schema = warehouse.new_schema("doomed")
    path = f"{base(warehouse)}/schemas/{schema}/tables/doomed"
    doomed = api.get(path).json()["id"]
    warehouse.run(f'DROP TABLE "{schema}".doomed')
    assert_civis_error(api.get(path), 404)
    # Found gone by name: its id row is gone too, without any listing.
    assert_civis_error(api.get(f"tables/{doomed}"), 404)


def test_unknown_database_is_404(api: Api) -> None:
    for path in (
        "databases/987654/schemas",
        "databases/987654/schemas/public/tables",
        "databases/987654/schemas/public/tables/t",
        "databases/987654/tables",
        "databases/x/schemas",
    ):
        assert_civis_error(api.get(path), 404)


def test_deprecated_database_tables_list(api: Api, warehouse: WarehouseUnderTest) -> None:
    schema = warehouse.new_schema("zz_alpha", "zz_beta", "zz_gamma")
    path = f"{base(warehouse)}/tables"
    found = api.get(path, params={"name": "zz_", "limit": 2})
    assert found.status_code == 200, found.text
    assert int(found.headers["X-Pagination-Total-Entries"]) >= 3
    rows = [
        r
        for r in api.get(path, params={"name": "zz_", "limit": 1000}).json()
        if r["schema"] == schema
    ]
    assert [r["name"] for r in rows] == ["zz_alpha", "zz_beta", "zz_gamma"]
    assert_civis_error(api.get(path, params={"order": "schema"}), 400)


@pytest.mark.parametrize(
    "query", ["credential_id=abc", f"name={chr(0)}", "credential_id=99999999999"]
)
def test_bad_schema_query_is_400(api: Api, warehouse: WarehouseUnderTest, query: str) -> None:
    assert_civis_error(api.get(f"{base(warehouse)}/schemas?{query}"), 400)


def test_every_user_sees_the_schemas_granted(new_user: Any, warehouse: WarehouseUnderTest) -> None:
    _user, someone = new_user()
    schema = warehouse.new_schema("seen")
    if warehouse.engine == "postgres":  # nothing granted on it yet: not there for them
        assert_civis_error(someone.get(f"{base(warehouse)}/schemas/{schema}/tables"), 404)
        names = [r["schema"] for r in someone.get(f"{base(warehouse)}/schemas").json()]
        assert schema not in names and "public" in names
    warehouse.grant_to_everyone(schema, "seen")
    listed = someone.get(f"{base(warehouse)}/schemas/{schema}/tables").json()
    assert [r["name"] for r in listed] == ["seen"]
