"""Users' SQL cannot leave the embedded DuckDB warehouse.

The warehouse lives in a platform home laid out as the server's (``signing.key``, the
metadata database, ``blobs/objects``); every way out a user's SQL could try (file
functions, ``COPY`` to or from a path, ``ATTACH``, ``INSTALL``/``LOAD``, ``SET`` and
``PRAGMA`` of settings) is refused with `SqlError` saying it is not allowed here, through
every entry point that takes users' SQL (`execute`, in and out of a session; the exports;
`read_arrow`), and no file of the home changes. The platform's own native loads and
exports still work, through DuckDBs that reach only their operation's files.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from civis_platform.warehouse import Column, CsvFormat, DuckDBWarehouse, SqlError, _duckdb_files
from civis_platform.warehouse.duckdb import REFUSED

SECRET = "0123456789abcdef-signing-secret"
BLOB = b"another user's uploaded file\n"

# Each way out, as a user would write it; {home} is the platform home, {blob} a blob's path.
HOSTILE = {
    "read_text the signing key": "select * from read_text('{home}/signing.key')",
    "read_blob other users' blobs": "select * from read_blob('{home}/blobs/objects/*/*.data')",
    "read_blob one blob by path": "select content from read_blob('{blob}')",
    "read_csv a server file": "select * from read_csv('{home}/signing.key', header = false)",
    "read_csv_auto": "select * from read_csv_auto('{home}/signing.key')",
    "read_json": "select * from read_json('{home}/signing.key')",
    "read_parquet": "select * from read_parquet('{home}/blobs/objects/*/*.data')",
    "parquet_metadata": "select * from parquet_metadata('{blob}')",
    "sniff_csv": "select * from sniff_csv('{home}/signing.key')",
    "a path as a table": "select * from '{home}/signing.key'",
    "glob the home": "select * from glob('{home}/*')",
    "glob the blobs": "select * from glob('{home}/blobs/**')",
    "relative glob": "select * from glob('*')",
    "proc environ": "select * from read_text('/proc/self/environ')",
    "copy to the home": "copy (select 1 as x) to '{home}/x.csv'",
    "copy over the key": "copy (select 'forged' as x) to '{home}/signing.key' (header false)",
    "copy parquet to the home": "copy (select 1 as x) to '{home}/x.parquet' (format parquet)",
    "copy from a server file": "copy lock_t from '{home}/signing.key'",
    "export database": "export database '{home}/dump'",
    "import database": "import database '{home}'",
    "attach the metadata database": "attach '{home}/metadata.sqlite' as meta",
    "attach it as sqlite": "attach 'sqlite:{home}/metadata.sqlite' as meta",
    "attach it with a type": "attach '{home}/metadata.sqlite' as meta (type sqlite)",
    "attach a new file": "attach '{home}/new.duckdb' as n",
    "attach the warehouse again": "attach '{home}/warehouse.duckdb' as again (read_only)",
    "install an extension": "install sqlite",
    "force install": "force install httpfs",
    "load an extension": "load sqlite",
    "load a file": "load '{home}/evil.duckdb_extension'",
    "read over http": "select * from read_csv('http://127.0.0.1:9/x.csv')",
    "persistent secret": "create persistent secret s (type s3, key_id 'k', secret 'v')",
    "enable external access": "set enable_external_access = true",
    "unlock configuration": "set lock_configuration = false",
    "reset the lock": "reset lock_configuration",
    "allow a directory": "set allowed_directories = ['/']",
    "allow a path": "set allowed_paths = ['{home}/signing.key']",
    "spill into the home": "set temp_directory = '{home}'",
    "change threads": "set threads = 1",
    "change memory": "set memory_limit = '100GB'",
    "global set": "set global threads = 1",
    "pragma a setting": "pragma threads = 1",
    "profile into a file": "set profiling_output = '{home}/profile.json'",
    "pragma profiling": "pragma enable_profiling",
    "query log": "set log_query_path = '{home}/queries.log'",
    "enable logging": "call enable_logging()",
    "extension directory": "set extension_directory = '{home}'",
    "unsigned extensions": "set allow_unsigned_extensions = true",
    "autoload": "set autoload_known_extensions = true",
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A platform home as the server lays it out, with a secret, metadata and a blob."""
    root = tmp_path / "home"
    (root / "blobs" / "objects" / "ab").mkdir(parents=True)
    (root / "signing.key").write_text(SECRET)
    (root / "blobs" / "objects" / "ab" / "ab12.data").write_bytes(BLOB)
    with sqlite3.connect(root / "metadata.sqlite") as db:
        db.execute("create table api_keys (hash text)")
        db.execute("insert into api_keys values ('argon2-hash')")
    return root


@pytest.fixture
def wh(home: Path) -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(home / "warehouse.duckdb")
    warehouse.execute("create table lock_t (x varchar)")
    yield warehouse
    warehouse.close()


def _checksums(root: Path) -> dict[str, str]:
    """Every file under ``root`` but the warehouse's own, with its SHA-256."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith("warehouse.duckdb")
    }


def _sql(name: str, home: Path) -> str:
    blob = home / "blobs" / "objects" / "ab" / "ab12.data"
    return HOSTILE[name].format(home=home, blob=blob)


def _refused(call: Callable[[], object]) -> str:
    with pytest.raises(SqlError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(REFUSED), message
    return message


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_way_out_is_refused_and_the_home_is_untouched(
    wh: DuckDBWarehouse, home: Path, name: str
) -> None:
    before = _checksums(home)
    sql = _sql(name, home)
    message = _refused(lambda: wh.execute(sql))
    assert SECRET not in message and BLOB.decode().strip() not in message
    with wh.session():  # a SQL script's run: one session for all its statements
        _refused(lambda: wh.execute(f"select 1;\n{sql}"))
    assert _checksums(home) == before
    assert sorted(p.name for p in home.iterdir()) == sorted(
        ["blobs", "metadata.sqlite", "signing.key", *(p.name for p in home.glob("warehouse*"))]
    )
    # The configuration is as locked as before, and the warehouse still works.
    rows = wh.execute(
        "select name, value from duckdb_settings() where name in "
        "('enable_external_access', 'lock_configuration', 'allowed_directories', "
        "'allowed_paths', 'temp_directory')"
    ).rows
    settings = {str(name): str(value) for name, value in rows}
    allowed = settings.pop("allowed_paths").strip("[]").split(", ")
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "allowed_directories": "[]",
        "temp_directory": "",
    }
    # DuckDB always lets SQL reach its own database file and WAL (see below), nothing else.
    assert all(Path(p).name.startswith("warehouse.duckdb") for p in allowed), allowed
    assert all(Path(p).parent == home for p in allowed)
    assert wh.execute("select count(*) from lock_t").rows == [["0"]]


@pytest.mark.parametrize(
    "name", ["read_text the signing key", "read_blob other users' blobs", "copy to the home"]
)
def test_exports_and_arrow_reads_of_hostile_sql_are_refused(
    wh: DuckDBWarehouse, home: Path, name: str
) -> None:
    """SQL given to exports (CSV, parts, Parquet, Arrow) is users' SQL too."""
    before = _checksums(home)
    sql = _sql(name, home)
    sink = io.BytesIO()
    _refused(lambda: wh.export_csv(sql, sink, CsvFormat(compression="none")))
    _refused(lambda: wh.export_csv(sql, sink, CsvFormat(compression="gzip")))
    _refused(lambda: wh.export_csv_parts(sql, lambda i: io.BytesIO(), CsvFormat(), 1 << 20))
    _refused(lambda: wh.export_parquet(sql, sink))
    _refused(lambda: wh.export_arrow(sql, sink))
    _refused(lambda: wh.read_arrow(sql).read_all())
    assert SECRET.encode() not in sink.getvalue()
    assert _checksums(home) == before


def test_a_transaction_of_the_users_own_cannot_unlock(wh: DuckDBWarehouse, home: Path) -> None:
    with wh.session():
        wh.execute("begin")
        _refused(lambda: wh.execute("set lock_configuration = false"))
        wh.execute("rollback")
        _refused(lambda: wh.execute(_sql("read_text the signing key", home)))


def test_session_settings_users_rely_on_still_work(wh: DuckDBWarehouse) -> None:
    """``SET search_path`` (Redshift scripts start with it) is the session's own."""
    wh.execute("create schema s1")
    wh.execute("create table s1.only_here (v integer)")
    with wh.session():
        wh.execute("set search_path = 's1'")
        assert wh.execute("select count(*) from only_here").rows == [["0"]]


def test_the_database_path_shows_but_opens_nothing(wh: DuckDBWarehouse, home: Path) -> None:
    """``duckdb_databases()`` names the file (DuckDB offers no way to hide it); knowing it
    opens nothing beside it. (DuckDB lets SQL read its own database file, which holds
    the tables that SQL reads anyway, and never write it: see above.)"""
    (path,) = [r[0] for r in wh.execute("select path from duckdb_databases()").rows if r[0]]
    assert Path(path) == home / "warehouse.duckdb"
    folder = Path(path).parent
    _refused(lambda: wh.execute(f"select * from glob('{folder}/*')"))
    _refused(lambda: wh.execute(f"select * from read_text('{folder}/signing.key')"))
    _refused(lambda: wh.execute(f"select * from read_text('{path}/../signing.key')"))
    _refused(lambda: wh.execute(f"attach '{path}' as again (read_only)"))


@pytest.mark.parametrize("suffix", ["", ".wal", ".wal.recovery", ".wal.checkpoint"])
def test_the_warehouse_files_cannot_be_overwritten(
    wh: DuckDBWarehouse, home: Path, suffix: str
) -> None:
    """DuckDB keeps its own files readable by SQL (they hold only the tables everyone
    granted the database can read anyway), and refuses to write over them."""
    wh.execute("insert into lock_t values ('kept')")
    target = home / f"warehouse.duckdb{suffix}"
    with pytest.raises(SqlError, match="belongs to an attached database"):
        wh.execute(f"copy (select 'x' as x) to '{target}'")
    wh.execute("checkpoint")
    wh.close()
    reopened = DuckDBWarehouse(home / "warehouse.duckdb")
    try:
        assert reopened.execute("select x from lock_t").rows == [["kept"]]
    finally:
        reopened.close()
    wh._conn = reopened._conn  # the fixture closes it again: harmless


def test_a_caller_config_cannot_loosen_the_lockdown(home: Path) -> None:
    loose = {"enable_external_access": "true", "temp_directory": str(home)}
    wh = DuckDBWarehouse(home / "loose.duckdb", config={"threads": "1", **loose})
    try:
        _refused(lambda: wh.execute(_sql("read_text the signing key", home)))
        _refused(lambda: wh.execute(f"copy (select 1) to '{home}/loose.csv'"))
        assert wh.execute("select current_setting('threads')").rows == [["1"]]
    finally:
        wh.close()
    assert not (home / "loose.csv").exists()


# -- the platform's own file paths ------------------------------------------------------


def test_native_loads_and_copy_exports_still_work(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("n,t\n1,a\n2,\n")
    table = pa.table({"n": [1, 2, 3], "t": ["x", None, "z"]})
    pq.write_table(table, tmp_path / "in.parquet")
    with open(csv_path, "rb") as source:
        loaded = wh.import_csv(
            "s", "c", [source], columns=[Column("n", "integer"), Column("t", "varchar")]
        )
    assert loaded.rows_inserted == 2
    with open(tmp_path / "in.parquet", "rb") as source:
        assert wh.import_parquet("s", "p", [source]).rows_inserted == 3
    with open(tmp_path / "in.parquet", "rb") as source:  # upsert reads the rows twice
        again = wh.import_parquet(
            "s", "p", [source], existing_table_rows="upsert", primary_keys=["n"]
        )
    assert again.rows_inserted == 3
    assert wh.execute("select count(*) from s.p").rows == [["3"]]
    sink = io.BytesIO()
    wh.export_csv("select * from s.c order by n", sink, CsvFormat(compression="none"))
    assert sink.getvalue() == b"n,t\n1,a\n2,\n"
    sink = io.BytesIO()
    assert wh.export_parquet("select * from s.p order by n", sink).row_count == 3
    assert pq.read_table(io.BytesIO(sink.getvalue())).to_pylist() == table.to_pylist()


def test_an_internal_reader_reaches_only_its_files(tmp_path: Path, home: Path) -> None:
    mine = tmp_path / "mine.csv"
    mine.write_text("x\n1\n")
    with _duckdb_files.reading([str(mine)], f"SELECT * FROM read_csv('{mine}')") as rows:
        assert rows.read_all().to_pylist() == [{"x": 1}]
    other = f"SELECT * FROM read_text('{home}/signing.key')"
    with pytest.raises(duckdb.PermissionException), _duckdb_files.reading([str(mine)], other):
        pass
    widen = "SELECT 1; SET allowed_paths = ['/']"  # nor can its SQL widen what it reaches
    with pytest.raises(duckdb.Error), _duckdb_files.reading([str(mine)], widen):
        pass


def test_an_internal_writer_writes_only_into_its_folder(home: Path) -> None:
    before = _checksums(home)
    rows = pa.table({"x": [1]})
    with _duckdb_files.writing() as out:
        assert out.copy(rows.to_reader(), "ok.csv", "FORMAT csv") == 1
        assert (out.folder / "ok.csv").read_text() == "x\n1\n"
        for bad in ("../escape.csv", f"{home}/x.csv", ""):
            with pytest.raises(ValueError):
                out.copy(rows.to_reader(), bad, "FORMAT csv")
        folder = out.folder
    assert not folder.exists()
    assert _checksums(home) == before
