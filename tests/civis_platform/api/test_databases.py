"""``/databases`` over loopback."""

from __future__ import annotations

from platform_helpers import assert_civis_error


def test_seeded_database_is_listed(new_user) -> None:
    _user, api = new_user()
    [database] = api.get("databases", json={}).json()
    assert database["name"] == "Civis Database"
    assert database["adapter"] == "duckdb"
    assert list(database) == [
        "id",
        "name",
        "adapter",
        "clusterIdentifier",
        "host",
        "port",
        "databaseName",
        "managed",
    ]
    assert api.get(f"databases/{database['id']}").json() == database
    assert_civis_error(api.get("databases/999"), 404)
