"""``/imports/files/csv`` over loopback: loads into DuckDB and PostgreSQL warehouses in
every ``existing_table_rows`` mode, and bad input that fails the run with a clear error
and leaves the table absent or as it was."""

from __future__ import annotations

import gzip
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from import_helpers import (
    DEFAULT_DATABASE,
    database_id,
    default_credential,
    remote_host_id,
    rows,
    unique_table,
    upload,
    wait,
)
from platform_helpers import Api, assert_civis_error

import support
from civis_platform.testing import ThreadedServer

PG_WAREHOUSE = "Import Test Warehouse"
PEOPLE = b"id,name,score\n1,ann,1.5\n2,bob,\n"


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def warehouse(request: pytest.FixtureRequest, server: ThreadedServer) -> Iterator[str]:
    """The name of the database each test loads into: DuckDB, then PostgreSQL."""
    if request.param == "duckdb":
        yield DEFAULT_DATABASE
        return
    with support.temporary_pg_database("civis_import_wh") as url:
        server.register_postgres(PG_WAREHOUSE, url)
        yield PG_WAREHOUSE
        server.close_warehouses()


@dataclass
class Loader:
    """One user importing into one warehouse."""

    server: ThreadedServer
    api: Api
    database: str

    @property
    def host(self) -> int:
        return remote_host_id(self.api, self.database)

    def body(self, file_ids: list[int], table: str, **options: Any) -> dict[str, Any]:
        destination = {
            "schema": "imports",
            "table": table,
            "remote_host_id": self.host,
            "credential_id": default_credential(self.api),
            **options.pop("destination", {}),
        }
        return {
            "source": {"file_ids": file_ids},
            "destination": destination,
            "first_row_is_header": options.pop("first_row_is_header", True),
            **options,
        }

    def create(self, file_ids: list[int], table: str, **options: Any) -> dict[str, Any]:
        response = self.api.post("imports/files/csv", json=self.body(file_ids, table, **options))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def run(self, import_id: int) -> dict[str, Any]:
        started = self.api.post(f"imports/files/csv/{import_id}/runs")
        assert started.status_code == 202, started.text
        assert started.json()["csvImportId"] == import_id
        return wait(self.api, f"imports/files/csv/{import_id}/runs/{started.json()['id']}")

    def load(self, data: list[bytes] | bytes, table: str, **options: Any) -> dict[str, Any]:
        files = [data] if isinstance(data, bytes) else data
        ids = [upload(self.api, d) for d in files]
        return self.run(self.create(ids, table, **options)["id"])

    def table(self, table: str, order: str = "1") -> list[list[str | None]] | None:
        db = database_id(self.api, self.database)
        return rows(self.server, db, f'SELECT * FROM "imports"."{table}" ORDER BY {order}')

    def columns(self, table: str) -> list[tuple[str, str]]:
        assert self.server.app is not None
        wh = self.server.app.state.platform.warehouses.get(database_id(self.api, self.database))
        return [(c.name, c.sql_type) for c in wh.describe_table("imports", table).columns]


@pytest.fixture
def loader(server: ThreadedServer, warehouse: str, new_user: Any) -> Loader:
    _user, api = new_user()
    return Loader(server, api, warehouse)


def succeeded(run: dict[str, Any]) -> None:
    assert run["state"] == "succeeded", run["error"]


def failed(run: dict[str, Any], *needles: str) -> str:
    assert run["state"] == "failed", run
    error: str = run["error"]
    assert error and all(n in error for n in needles), error
    return error


def test_create_show_patch_put_and_the_run_routes(loader: Loader) -> None:
    file_id = upload(loader.api, PEOPLE)
    table = unique_table()
    created = loader.create([file_id], table, max_errors=2, hidden=True)
    assert created["name"] == f"CSV import to imports.{table}"
    assert created["source"] == {"fileIds": [file_id], "storagePath": None}
    assert created["destination"]["schema"] == "imports" and created["existingTableRows"] == "fail"
    assert created["columnDelimiter"] == "comma" and created["maxErrors"] == 2
    assert created["myPermissionLevel"] == "manage" and created["hidden"] is True
    path = f"imports/files/csv/{created['id']}"
    assert loader.api.get(path).json() == created
    patched = loader.api.patch(path, json={"existing_table_rows": "append", "name": "n"}).json()
    assert (patched["existingTableRows"], patched["name"], patched["maxErrors"]) == (
        "append",
        "n",
        2,
    )
    assert patched["destination"]["table"] == table
    put = loader.api.put(path, json=loader.body([file_id], table)).json()
    assert put["existingTableRows"] == "fail" and put["maxErrors"] is None
    run = loader.run(created["id"])
    succeeded(run)
    listed = loader.api.get(f"{path}/runs").json()
    assert [r["id"] for r in listed] == [run["id"]]
    logs = loader.api.get(f"{path}/runs/{run['id']}/logs").json()
    assert any("Loaded 2 row(s)" in line["message"] for line in logs)
    anyimport = loader.api.get(f"imports/files/{created['id']}/runs/{run['id']}").json()
    assert anyimport["importId"] == created["id"] and anyimport["state"] == "succeeded"
    [output] = loader.api.get(f"jobs/{created['id']}/runs/{run['id']}/outputs").json()
    assert output["objectType"] == "Table" and output["name"] == f"imports.{table}"
    assert isinstance(output["objectId"], int) and output["link"].endswith(f"/{output['objectId']}")
    assert loader.api.get(f"jobs/{created['id']}").json()["type"] == "JobTypes::CsvImport"
    archived = loader.api.put(f"{path}/archive", json={"status": True})
    assert archived.status_code == 200 and archived.json()["id"] == created["id"]
    assert loader.api.get(f"jobs/{created['id']}").json()["archived"] == "true"
    assert loader.api.delete(path).status_code == 204
    assert_civis_error(loader.api.put(f"imports/files/csv/{file_id}/archive", json={}), 400)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"source": {"file_ids": []}}, "source.fileIds"),
        ({"source": {}}, "source.fileIds"),
        ({"destination": {"table": ""}}, "destination.table"),
        ({"column_delimiter": "semicolon"}, "columnDelimiter"),
        ({"compression": "zip"}, "compression"),
        ({"existing_table_rows": "merge"}, "existingTableRows"),
        ({"existing_table_rows": "upsert"}, "destination.primaryKeys"),
        ({"max_errors": -1}, "maxErrors"),
        ({"table_columns": [{"name": "a", "sql_type": "int"}, {"name": "b"}]}, "tableColumns[1]"),
        ({"first_row_is_header": None}, "firstRowIsHeader"),
        ({"destination": {"remote_host_id": "x"}}, "destination.remote_host_id"),
    ],
)
def test_bad_fields_are_400s_naming_the_field(
    loader: Loader, change: dict[str, Any], field: str
) -> None:
    body = loader.body([1], "t")
    for key, value in change.items():
        if key == "destination":
            body["destination"] = {**body["destination"], **value}
        else:
            body[key] = value
    error = assert_civis_error(loader.api.post("imports/files/csv", json=body), 400)
    assert field in error["errorDescription"], error


def test_types_are_inferred_and_nulls_kept(loader: Loader) -> None:
    table = unique_table()
    data = (
        b"id,zip,day,at,ok,x,word\n"
        b"1,02134,2024-01-02,2024-01-02 03:04:05,true,1.5,caf\xc3\xa9\n"
        b"2,,,,,,\n"
    )
    succeeded(loader.load(data, table))
    assert loader.table(table) == [
        ["1", "02134", "2024-01-02", "2024-01-02 03:04:05", "t", "1.5", "café"],
        ["2", None, None, None, None, None, None],
    ]
    types = dict(loader.columns(table))
    assert types["id"] in ("integer", "bigint") and types["zip"].startswith("character varying")
    assert types["day"] == "date" and types["ok"] == "boolean"


def test_given_columns_types_and_loosening(loader: Loader) -> None:
    table = unique_table()
    columns = [
        {"name": "key", "sql_type": "VARCHAR(2)"},
        {"name": "label", "sql_type": "varchar(1)"},
        {"name": "amount", "sql_type": "numeric(10,2)"},
    ]
    run = loader.load(
        b"k,l,a\n007,long text,1.25\n", table, table_columns=columns, loosen_types=True
    )
    succeeded(run)
    assert loader.table(table) == [["007", "long text", "1.25"]]
    assert [name for name, _ in loader.columns(table)] == ["key", "label", "amount"]


@pytest.mark.parametrize(
    "delimiter, char, header", [("tab", b"\t", True), ("pipe", b"|", False), ("comma", b",", False)]
)
def test_delimiters_and_headers(loader: Loader, delimiter: str, char: bytes, header: bool) -> None:
    table = unique_table()
    body = char.join([b"1", b"a b", b"x"]) + b"\n"
    data = (char.join([b"n", b"t", b"u"]) + b"\n" + body) if header else body
    run = loader.load(data, table, column_delimiter=delimiter, first_row_is_header=header)
    succeeded(run)
    assert loader.table(table) == [["1", "a b", "x"]]
    names = [n for n, _ in loader.columns(table)]
    assert names == (["n", "t", "u"] if header else ["column_1", "column_2", "column_3"])


def test_gzip_and_several_files_load_together(loader: Loader) -> None:
    table = unique_table()
    parts = [gzip.compress(b"id,v\n1,a\n2,b\n"), gzip.compress(b"id,v\n3,c\n")]
    succeeded(loader.load(parts, table, compression="gzip"))
    assert loader.table(table) == [["1", "a"], ["2", "b"], ["3", "c"]]


@pytest.mark.parametrize("compression", ["none", "gzip"])
def test_backslash_escaped_quotes(loader: Loader, compression: str) -> None:
    table = unique_table()
    data = b'id,quote\n1,"she said \\"hi\\""\n2,"back\\\\slash"\n'
    if compression == "gzip":
        data = gzip.compress(data)
    succeeded(loader.load(data, table, escaped=True, compression=compression))
    assert loader.table(table) == [["1", 'she said "hi"'], ["2", "back\\slash"]]


def test_every_existing_table_rows_mode(loader: Loader) -> None:
    table = unique_table()
    succeeded(loader.load(b"id,v\n1,a\n2,b\n", table))
    error = failed(loader.load(b"id,v\n9,z\n", table), table, "exists")
    assert "CSV import into" in error
    assert loader.table(table) == [["1", "a"], ["2", "b"]]
    succeeded(loader.load(b"id,v\n3,c\n", table, existing_table_rows="append"))
    assert loader.table(table) == [["1", "a"], ["2", "b"], ["3", "c"]]
    upsert = {"existing_table_rows": "upsert", "destination": {"primary_keys": ["id"]}}
    succeeded(loader.load(b"id,v\n2,B\n4,d\n", table, **upsert))
    assert loader.table(table) == [["1", "a"], ["2", "B"], ["3", "c"], ["4", "d"]]
    succeeded(loader.load(b"id,v\n5,e\n", table, existing_table_rows="truncate"))
    assert loader.table(table) == [["5", "e"]]
    succeeded(loader.load(b"x,y,z\nq,r,s\n", table, existing_table_rows="drop"))
    assert loader.table(table) == [["q", "r", "s"]]


def test_max_errors_skips_bad_rows_up_to_the_limit(loader: Loader) -> None:
    columns = [{"name": "id", "sql_type": "integer"}, {"name": "v", "sql_type": "varchar(10)"}]
    data = b"id,v\n1,a\nnope,b\n3,c\nbad,d\n"
    table = unique_table()
    failed(loader.load(data, table, table_columns=columns, max_errors=1))
    assert loader.table(table) is None
    succeeded(loader.load(data, table, table_columns=columns, max_errors=2))
    assert loader.table(table) == [["1", "a"], ["3", "c"]]


def test_malformed_and_mismatched_csvs_leave_no_table(loader: Loader) -> None:
    table = unique_table()
    failed(loader.load(b'id,v\n1,"unterminated\n', table))
    assert loader.table(table) is None
    failed(loader.load([b"id,v\n1,a\n", b"id,v,w\n2,b,c\n"], table))
    assert loader.table(table) is None
    columns = [{"name": "id", "sql_type": "integer"}]
    failed(loader.load(b"id,v\n1,a\n", table, table_columns=columns), "1 columns")
    assert loader.table(table) is None


def test_a_failed_append_leaves_the_table_as_it_was(loader: Loader) -> None:
    table = unique_table()
    succeeded(loader.load(b"id,v\n1,a\n", table))
    failed(loader.load(b"id,v,w\n2,b,c\n", table, existing_table_rows="append"))
    assert loader.table(table) == [["1", "a"]]


def test_files_credentials_and_hosts_the_owner_cannot_see_are_refused(
    loader: Loader, new_user: Any
) -> None:
    _other, other_api = new_user()
    table = unique_table()
    foreign = upload(other_api, PEOPLE)
    mine = upload(loader.api, PEOPLE)
    other_cred = default_credential(other_api)
    private_host = other_api.post(
        "remote_hosts", json={"name": "h", "type": "RemoteHostTypes::Postgres", "url": "x"}
    ).json()["id"]
    for body, field in [
        (loader.body([mine, foreign], table), "source.fileIds[1]"),
        (loader.body([mine], table, destination={"credential_id": other_cred}), "credentialId"),
        (loader.body([mine], table, destination={"remote_host_id": 999999}), "remoteHostId"),
        (loader.body([mine], table, destination={"remote_host_id": private_host}), "remoteHostId"),
    ]:
        refused = assert_civis_error(loader.api.post("imports/files/csv", json=body), 400)
        assert field in refused["errorDescription"]
    made = loader.create([mine], table)
    patched = loader.api.patch(
        f"imports/files/csv/{made['id']}", json={"source": {"file_ids": [foreign]}}
    )
    assert "source.fileIds[0]" in assert_civis_error(patched, 400)["errorDescription"]
    assert loader.api.get(f"imports/files/csv/{made['id']}").json()["source"]["fileIds"] == [mine]


def test_a_file_unshared_after_the_import_was_made_fails_the_run(
    loader: Loader, new_user: Any
) -> None:
    _other, other_api = new_user()
    table = unique_table()
    me = loader.api.get("users/me").json()["id"]
    lent = upload(other_api, PEOPLE)
    grant = {"userIds": [me], "permissionLevel": "read"}
    assert other_api.put(f"files/{lent}/shares/users", json=grant).status_code == 200
    made = loader.create([lent], table)
    assert other_api.delete(f"files/{lent}/shares/users/{me}").status_code == 204
    failed(loader.run(made["id"]), f"File {lent} was not found")


def test_an_expired_file_fails_the_run(loader: Loader) -> None:
    table = unique_table()
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    created = loader.api.post("files", json={"name": "x.csv", "expires_at": soon}).json()
    fields = dict(created["uploadFields"])
    form: dict[str, Any] = {"key": fields.pop("key"), **fields, "file": io.BytesIO(PEOPLE)}
    assert requests.post(created["uploadUrl"], files=form, timeout=30).status_code == 204
    time.sleep(1.2)
    failed(loader.run(loader.create([created["id"]], table)["id"]), "expired")
    assert loader.table(table) is None


def test_a_file_bigger_than_the_detection_sample(loader: Loader) -> None:
    """Preprocess (types from the first MiB) then import as the official client does:
    later values that outgrow the detected types still load, thanks to loosen_types."""
    lines = [b"id,word"] + [b"%d,w%d" % (i, i) for i in range(150_000)]
    lines.append(b"3000000000,%s" % (b"x" * 500))  # past the sample: wider than detected
    file_id = upload(loader.api, gzip.compress(b"\n".join(lines) + b"\n"))
    job = loader.api.post(
        "files/preprocess/csv",
        json={"file_id": file_id, "in_place": False, "detect_table_columns": True},
    ).json()
    started = loader.api.post(f"jobs/{job['id']}/runs").json()
    assert wait(loader.api, f"jobs/{job['id']}/runs/{started['id']}")["state"] == "succeeded"
    [output] = loader.api.get(f"jobs/{job['id']}/runs/{started['id']}/outputs").json()
    info = loader.api.get(f"files/{output['objectId']}").json()["detectedInfo"]
    assert info["compression"] == "gzip" and info["includeHeader"] is True
    columns = [{"name": c["name"], "sql_type": c["sqlType"]} for c in info["tableColumns"]]
    assert [c["sql_type"] for c in columns] == ["integer", "character varying(16)"]
    table = unique_table()
    created = loader.create(
        [output["objectId"]], table, compression="gzip", table_columns=columns, loosen_types=True
    )
    succeeded(loader.run(created["id"]))
    assert loader.table(table, order="1 DESC LIMIT 1") == [["3000000000", "x" * 500]]
    db = database_id(loader.api, loader.database)
    assert rows(loader.server, db, f'SELECT count(*) FROM "imports"."{table}"') == [["150001"]]


def _query(api: Api, database: int, sql: str) -> dict[str, Any]:
    body = {"database": database, "sql": sql, "preview_rows": 10}
    created = api.post("queries", json=body)
    assert created.status_code == 200, created.text
    return wait(api, f"queries/{created.json()['id']}")


def test_imported_tables_share_a_schema_but_stay_their_importers(
    loader: Loader, server: ThreadedServer, new_user: Any
) -> None:
    _user, other_api = new_user()
    other = Loader(server, other_api, loader.database)
    mine, theirs = unique_table(), unique_table()
    succeeded(loader.load(b"x\n1\n", mine))
    succeeded(other.load(b"x\n2\n", theirs))  # the same schema, another user
    db = database_id(loader.api, loader.database)
    read = _query(other.api, db, f"select x from imports.{mine}")
    if loader.database == PG_WAREHOUSE:  # each table is its importer's until granted
        assert read["state"] == "failed" and "permission denied" in read["error"], read
        assert _query(loader.api, db, f"select x from imports.{mine}")["resultRows"] == [["1"]]
    else:  # DuckDB: everyone granted the database shares its tables
        assert read["resultRows"] == [["1"]], read
