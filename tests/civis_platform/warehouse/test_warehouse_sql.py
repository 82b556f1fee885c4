"""Statements, previews, errors and the catalogue."""

from __future__ import annotations

import io

import pytest

from civis_platform.warehouse import (
    CsvFormat,
    SqlError,
    TableNotFoundError,
    Warehouse,
    WarehouseError,
)


def test_execute_previews_and_counts(warehouse: Warehouse) -> None:
    preview = warehouse.execute(
        "select i, i * 0.5 as half, 'x' || cast(i as varchar) as s, i % 2 = 0 as even,"
        " cast(null as integer) as nothing from generate_series(1, 2500) as g(i)",
        preview_rows=3,
    )
    assert preview.columns == ["i", "half", "s", "even", "nothing"]
    assert preview.rows == [
        ["1", "0.5", "x1", "f", None],
        ["2", "1.0", "x2", "t", None],
        ["3", "1.5", "x3", "f", None],
    ]
    assert preview.row_count == 2500


def test_execute_statements(warehouse: Warehouse, schema: str) -> None:
    assert warehouse.execute(f"create schema {schema}").rows == []
    warehouse.execute(f"create table {schema}.t (a integer)")
    warehouse.execute(f"insert into {schema}.t values (1), (2)")
    script = f"insert into {schema}.t values (3); select count(*) as n from {schema}.t"
    assert warehouse.execute(script).rows == [["3"]]


def test_params(warehouse: Warehouse) -> None:
    placeholder = "%s" if warehouse.__class__.__name__ == "PostgresWarehouse" else "?"
    preview = warehouse.execute(f"select {placeholder} as v", ["hi"])
    assert preview.rows == [["hi"]]


@pytest.mark.parametrize(
    "sql, fragment",
    [
        ("selec 1", "syntax error"),
        ("select nope from (select 1 as a) as q", "nope"),
    ],
)
def test_bad_sql_raises_sql_error_with_engine_message(
    warehouse: Warehouse, sql: str, fragment: str
) -> None:
    with pytest.raises(SqlError, match=fragment):
        warehouse.execute(sql)
    with pytest.raises(SqlError, match=fragment):
        warehouse.export_csv(sql, io.BytesIO(), _fmt())
    with pytest.raises(SqlError, match=fragment):
        warehouse.read_arrow(sql).read_all()


def _fmt():
    from civis_platform.warehouse import CsvFormat

    return CsvFormat(compression="none")


def test_missing_table(warehouse: Warehouse, schema: str) -> None:
    with pytest.raises(TableNotFoundError):
        warehouse.describe_table(schema, "missing")
    with pytest.raises(TableNotFoundError):
        warehouse.drop_table(schema, "missing")
    warehouse.drop_table(schema, "missing", missing_ok=True)
    with pytest.raises(TableNotFoundError):
        warehouse.execute(f"select * from {schema}.missing")
    with pytest.raises(TableNotFoundError):
        warehouse.export_csv(f"select * from {schema}.missing", io.BytesIO(), _fmt())


def test_errors_are_domain_errors_only(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError) as info:
        warehouse.execute("select cast('x' as integer) as v")
    assert type(info.value).__module__ == "civis_platform.warehouse.base"


def test_catalogue(warehouse: Warehouse, schema: str) -> None:
    warehouse.import_csv(schema, "b", [io.BytesIO(b"x\n1\n2\n")])
    warehouse.import_csv(schema, "a", [io.BytesIO(b"y,z\nq,2024-01-01\n")])
    assert schema in warehouse.list_schemas()
    tables = warehouse.list_tables(schema)
    assert [(t.name, t.row_count) for t in tables] == [("a", 1), ("b", 2)]
    assert [c.sql_type for c in tables[0].columns][1] == "date"
    assert any(t.schema == schema for t in warehouse.list_tables())
    warehouse.drop_table(schema, "a")
    assert [t.name for t in warehouse.list_tables(schema)] == ["b"]


def test_declared_type_names_are_reported_canonically(warehouse: Warehouse, schema: str) -> None:
    warehouse.execute(f"create schema {schema}")
    warehouse.execute(
        f"create table {schema}.t (a INT, b BIGINT, c DOUBLE PRECISION, d VARCHAR(256),"
        " e TIMESTAMP, f BOOLEAN, g DATE, h NUMERIC(10,2), i SMALLINT, j REAL)"
    )
    types = [c.sql_type for c in warehouse.describe_table(schema, "t").columns]
    expected = [
        "integer",
        "bigint",
        "double precision",
        "character varying(256)",
        "timestamp without time zone",
        "boolean",
        "date",
        "numeric(10,2)",
        "smallint",
        "real",
    ]
    if warehouse.__class__.__name__ == "DuckDBWarehouse":
        expected[3] = "character varying"  # DuckDB keeps no VARCHAR length
    assert types == expected


def test_statement_row_counts(warehouse: Warehouse, schema: str) -> None:
    warehouse.execute(f"create schema {schema}")
    created = warehouse.execute(f"create table {schema}.t (a integer)")
    assert (created.columns, created.row_count) == ([], None)
    inserted = warehouse.execute(f"insert into {schema}.t values (1), (2)")
    assert (inserted.columns, inserted.rows, inserted.row_count) == ([], [], 2)
    updated = warehouse.execute(f"update {schema}.t set a = a + 1")
    assert updated.row_count == 2
    counted = warehouse.execute(f'select count(*) as "Count" from {schema}.t')
    assert (counted.columns, counted.rows) == (["Count"], [["2"]])


def test_a_session_keeps_temporary_tables_between_calls(warehouse: Warehouse) -> None:
    with warehouse.session():
        warehouse.execute("CREATE TEMPORARY TABLE scratch_pad AS SELECT 1 AS n")
        warehouse.execute("INSERT INTO scratch_pad VALUES (2)")
        assert warehouse.execute("SELECT sum(n) FROM scratch_pad").rows == [["3"]]
        reader = warehouse.read_arrow("SELECT n FROM scratch_pad ORDER BY n")
        assert reader.read_all().column("n").to_pylist() == [1, 2]
        sink = io.BytesIO()
        assert warehouse.export_parquet("SELECT * FROM scratch_pad", sink).row_count == 2
        out = io.BytesIO()
        warehouse.export_csv(
            "SELECT n FROM scratch_pad ORDER BY n", out, CsvFormat(compression="none")
        )
        assert out.getvalue() == b"n\n1\n2\n"
        with pytest.raises(SqlError):  # a failed statement leaves the session usable
            warehouse.execute("SELECT nope FROM scratch_pad")
        assert warehouse.execute("SELECT count(*) FROM scratch_pad").rows == [["2"]]
        with warehouse.session():  # nested: the same session
            assert warehouse.execute("SELECT count(*) FROM scratch_pad").rows == [["2"]]
    # Outside the session, and after it, the temporary table is gone.
    with pytest.raises((SqlError, TableNotFoundError)):
        warehouse.execute("SELECT * FROM scratch_pad")
    with warehouse.session(), pytest.raises((SqlError, TableNotFoundError)):
        warehouse.execute("SELECT * FROM scratch_pad")


def test_sessions_are_per_thread(warehouse: Warehouse) -> None:
    import threading

    seen: list[object] = []
    with warehouse.session():
        warehouse.execute("CREATE TEMPORARY TABLE mine AS SELECT 1 AS n")

        def other() -> None:
            try:
                warehouse.execute("SELECT * FROM mine")
            except (SqlError, TableNotFoundError) as exc:
                seen.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert warehouse.execute("SELECT * FROM mine").rows == [["1"]]
    assert len(seen) == 1  # another thread is not in this session


def test_interrupt_stops_a_long_statement_and_the_rest_of_the_session(warehouse: Warehouse) -> None:
    import threading
    import time

    endless = (
        "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"
        if type(warehouse).__name__ == "DuckDBWarehouse"
        else "SELECT pg_sleep(300)"
    )
    with warehouse.session() as session:
        # The statement runs here, in the session; another thread interrupts it.
        timer = threading.Timer(0.5, session.interrupt)
        timer.start()
        started = time.monotonic()
        with pytest.raises(WarehouseError):
            warehouse.execute(endless)
        assert time.monotonic() - started < 15
        timer.join()
        with pytest.raises(WarehouseError, match="interrupted"):  # the interrupt sticks
            warehouse.execute("SELECT 1")
    assert warehouse.execute("SELECT 1").rows == [["1"]]  # the warehouse goes on


def test_an_interrupt_sticks_so_a_cancel_between_statements_is_not_lost(
    warehouse: Warehouse, schema: str
) -> None:
    warehouse.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    with warehouse.session() as session:
        session.interrupt()  # nothing runs yet: the next calls must refuse
        with pytest.raises(WarehouseError, match="interrupted"):
            warehouse.execute(f'CREATE TABLE "{schema}".late AS SELECT 1 AS a')
        with pytest.raises(WarehouseError, match="interrupted"):
            warehouse.import_csv(schema, "loaded", [io.BytesIO(b"a\n1\n")])
    assert warehouse.execute(
        f"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{schema}'"
    ).rows == [["0"]]


def test_a_session_keeps_a_transaction_its_sql_opened(warehouse: Warehouse, schema: str) -> None:
    warehouse.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    with warehouse.session():
        warehouse.execute("BEGIN")
        warehouse.execute(f'CREATE TABLE "{schema}".t AS SELECT 1 AS a')
        out = io.BytesIO()  # the export's own transaction joins the open one
        warehouse.export_csv(f'SELECT a FROM "{schema}".t', out, CsvFormat(compression="none"))
        assert out.getvalue() == b"a\n1\n"
        warehouse.execute("COMMIT")
    assert warehouse.execute(f'SELECT a FROM "{schema}".t').rows == [["1"]]


def test_postgres_types_without_an_arrow_match_come_as_their_text(pg: Warehouse) -> None:
    sql = (
        "SELECT array[1, 2] AS ints, array['a', 'b'] AS texts, '{\"a\": 1}'::jsonb AS doc, "
        "interval '1 day 2 hours' AS span, '\\x01'::bytea AS raw"
    )
    sink = io.BytesIO()
    pg.export_arrow(sql, sink)
    sink.seek(0)
    import pyarrow as pa

    assert pa.ipc.open_stream(sink).read_all().to_pylist() == [
        {
            "ints": "{1,2}",
            "texts": "{a,b}",
            "doc": '{"a": 1}',
            "span": "1 day 02:00:00",
            "raw": "\\x01",
        }
    ]
