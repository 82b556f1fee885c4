"""``civis sql`` against a real server's DuckDB warehouse."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from civis.cli import cli

DB = "Civis Database"
QUERY = "select 1 as a, 'x' as b union all select 22, 'yy' order by a"


def test_prints_a_table(live_user: Any) -> None:
    result = CliRunner().invoke(cli, ["sql", "-d", DB, "-c", QUERY])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["a", "b"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split() for line in lines[2:]] == [["1", "x"], ["22", "yy"]]


def test_limits_rows_and_quiet_prints_only_rows(live_user: Any, tmp_path: Path) -> None:
    script = tmp_path / "q.sql"
    script.write_text(QUERY)
    result = CliRunner().invoke(cli, ["sql", "-d", DB, "-f", str(script), "-n", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert [line.split() for line in result.stdout.splitlines()] == [["1", "x"]]


def test_output_writes_every_row_as_csv(live_user: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["sql", "-d", DB, "-c", QUERY, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as fh:
        assert list(csv.reader(fh)) == [["a", "b"], ["1", "x"], ["22", "yy"]]


def test_bad_sql_and_bad_usage_are_clear_errors(live_user: Any) -> None:
    bad = CliRunner().invoke(cli, ["sql", "-d", DB, "-c", "select * from no_such_table"])
    assert bad.exit_code == 1 and "no_such_table" in bad.output
    neither = CliRunner().invoke(cli, ["sql", "-d", DB])
    assert neither.exit_code == 2 and "-c/--command" in neither.output
    unknown = CliRunner().invoke(cli, ["sql", "-d", "No Such DB", "-c", "select 1"])
    assert unknown.exit_code == 1 and "No Such DB" in unknown.output
