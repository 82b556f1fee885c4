"""SQL runs: SQL scripts (``/scripts/sql``, ``JobTypes::SqlRunner``) and queries
(``/queries``, ``JobTypes::Query``), executed on a registered warehouse as the job's
owner with the job's database credential.

A SQL script's SQL is first filled from its params and arguments (``sql_text``), then
split into statements that run in order in one warehouse session (`Warehouse.session`),
each committed on its own: a temporary table made by one statement is there for the
next, as on Civis. When the last statement returns rows its result is exported as CSV
(or Parquet) files (``sql_export``); otherwise the script just runs.

A query runs its whole SQL in one session and keeps a preview of the last statement's
result: at most ``preview_rows`` rows, every value as text, in a ``JSONValue`` run
output named `QUERY_RESULT` that ``GET /queries/{id}`` shows.

Failures (bad SQL, a missing table, a credential the owner may not use, an argument
missing) fail the run with the engine's or our message as its ``error``.

Cancelling a run makes it ``cancelled`` at once and interrupts the statement under way
(`Session.interrupt`: it rolls back); nothing runs after it and no output is recorded.
"""

from __future__ import annotations

from typing import Any

from civis_platform.errors import DomainError
from civis_platform.programs.sql_export import SqlExport, parse_csv_settings
from civis_platform.programs.sql_text import (
    TemplateError,
    render_sql,
    returns_rows,
    split_statements,
)
from civis_platform.runner.host import Host, ProgramError
from civis_platform.services.warehouses import Target
from civis_platform.warehouse import WarehouseError

QUERY_RESULT = "query_result"
MAX_PREVIEW_ROWS = 1000
DEFAULT_PREVIEW_ROWS = 100


def _target(run: Host, **where: Any) -> Target:
    """The warehouse and credential, checked as the owner (a 400 becomes the error)."""
    try:
        target: Target = run.owner.target(**where)
    except DomainError as error:
        raise ProgramError(error.message) from None
    return target


def run_sql_script(run: Host) -> None:
    """Run a SQL script's statements; export the last one's rows (module docstring)."""
    config = run.config
    try:
        sql = render_sql(
            str(config.get("sql") or ""), config.get("params") or [], config.get("arguments") or {}
        )
        settings = parse_csv_settings(config.get("csv_settings"))
    except (TemplateError, ValueError) as error:
        raise ProgramError(str(error)) from None
    statements = split_statements(sql)
    if not statements:
        raise ProgramError("The script has no SQL to run.")
    target = _target(
        run,
        remote_host_id=config.get("remote_host_id"),
        credential_id=config.get("credential_id"),
    )
    warehouse = target.warehouse
    run.log(f"Running {len(statements)} statement(s) on database {target.database_name}.")
    # One session for the whole script, as on Civis: a temporary table made by one
    # statement is there for the next (each statement still commits on its own). A
    # cancellation interrupts the statement under way.
    with run.warehouse_session(warehouse):
        for number, statement in enumerate(statements, start=1):
            if run.is_cancel_requested():
                return
            where = f"Statement {number} of {len(statements)}: " if len(statements) > 1 else ""
            try:
                if number == len(statements) and returns_rows(statement):
                    SqlExport(run, warehouse, settings).export(statement)
                else:
                    preview = warehouse.execute(statement, preview_rows=0)
                    if preview.row_count is not None and not preview.columns:
                        run.log(f"{where}{preview.row_count} row(s) affected.")
            except WarehouseError as error:  # the engine's own message, fit for the user
                raise ProgramError(f"{where}{error}") from error


def run_query(run: Host) -> None:
    """Run a query and keep a preview of its result (module docstring)."""
    config = run.config
    target = _target(
        run,
        database_id=config.get("database"),
        credential_id=config.get("credential"),
        database_field="database",
        credential_field="credential",
    )
    limit = int(config.get("preview_rows", DEFAULT_PREVIEW_ROWS))
    run.log(f"Running the query on database {target.database_name}.")
    try:
        preview = target.warehouse.execute(str(config.get("sql") or ""), preview_rows=limit)
    except WarehouseError as error:
        raise ProgramError(str(error)) from error
    if run.is_cancel_requested():
        return
    rows = preview.rows[:limit]
    run.add_output(
        "JSONValue",
        None,
        QUERY_RESULT,
        {"columns": preview.columns, "rows": rows, "row_count": preview.row_count},
    )
    if preview.columns:
        run.log(f"The query returned {preview.row_count} row(s); {len(rows)} kept as preview.")
    elif preview.row_count is not None:
        run.log(f"{preview.row_count} row(s) affected.")
