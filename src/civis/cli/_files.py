"""``civis files upload PATH`` and ``civis files download FILE_ID PATH``."""

from __future__ import annotations

import click

from civis.cli._support import api_errors, client_of

__all__ = ["COMMANDS"]


@click.command("upload")
@click.argument("path")
@click.option("--name", help="The file's name on Civis (default: the path's base name).")
@click.option("--expires-at", help="ISO 8601 expiry, or 'never' (default: the server's).")
@click.option("--description", help="A description of at most 512 characters.")
@click.pass_context
@api_errors
def upload(
    ctx: click.Context, path: str, name: str | None, expires_at: str | None, description: str | None
) -> None:
    """Upload a local file to Civis and print its id."""
    from civis.io import file_to_civis

    expiry: str | None = "DEFAULT" if expires_at is None else expires_at
    if expires_at is not None and expires_at.lower() == "never":
        expiry = None
    with open(path, "rb") as fh:
        file_id = file_to_civis(
            fh,
            name=name or path.rsplit("/", 1)[-1],
            expires_at=expiry,
            description=description,
            client=client_of(ctx),
        )
    click.echo(file_id)


@click.command("download")
@click.argument("file_id", type=int)
@click.argument("path")
@click.pass_context
@api_errors
def download(ctx: click.Context, file_id: int, path: str) -> None:
    """Download Civis file FILE_ID to the local PATH."""
    from civis.io import civis_to_file

    civis_to_file(file_id, path, client=client_of(ctx))


COMMANDS = [upload, download]
