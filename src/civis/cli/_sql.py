"""``civis sql -d DB (-c SQL | -f FILE) [-o OUTPUT] [-n N] [-q]``."""

from __future__ import annotations

import click

from civis.cli._support import api_errors, client_of

__all__ = ["sql"]


def _table(columns: list[str], rows: list[list[object]]) -> str:
    """A plain text table: a header, a rule, then the rows, columns padded."""
    cells = [[str(c) for c in columns], *[["" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(len(columns))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@click.command("sql")
@click.option("--dbname", "-d", required=True, help="The database's name (or id).")
@click.option("--command", "-c", help="The SQL to run.")
@click.option(
    "--filename",
    "-f",
    type=click.Path(exists=True, dir_okay=False),
    help="A file holding the SQL to run.",
)
@click.option("--output", "-o", help="Write all the rows to this CSV file instead.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the rows, no header or summary.")
@click.option("-n", default=100, show_default=True, help="Rows to print (without -o).")
@click.pass_context
@api_errors
def sql(
    ctx: click.Context,
    dbname: str,
    command: str | None,
    filename: str | None,
    output: str | None,
    quiet: bool,
    n: int,
) -> None:
    """Run SQL on a Civis database and print the first rows, or save them all as CSV."""
    if (command is None) == (filename is None):
        raise click.UsageError("give exactly one of -c/--command and -f/--filename")
    if filename is not None:
        with open(filename) as fh:
            command = fh.read()
    assert command is not None
    database: str | int = int(dbname) if dbname.isdigit() else dbname
    client = client_of(ctx)
    if output:
        from civis.io import civis_to_csv

        civis_to_csv(output, command, database=database, client=client).result()
        if not quiet:
            click.echo(f"Saved the results to {output}.", err=True)
        return
    from civis.io import query_civis

    result = query_civis(command, database, client=client, preview_rows=n).result()
    columns = list(result.get("result_columns") or [])
    rows = [list(row) for row in result.get("result_rows") or []]
    if not columns:
        if not quiet:
            click.echo("Query completed (no rows returned).", err=True)
        return
    text = _table(columns, rows)
    click.echo("\n".join(text.splitlines()[2:]) if quiet else text)
