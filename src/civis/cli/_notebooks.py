"""``civis notebooks download|new|up|down|open``: notebook records and deployments.

Where the official commands open a web browser, these print the notebook's URL instead
(a job or an SSH session has no browser).
"""

from __future__ import annotations

from typing import Any

import click

from civis.cli._support import api_errors, client_of

__all__ = ["COMMANDS"]

_FRONTEND = "https://platform.civisanalytics.com/spa/#/notebooks/{}"


def _notebooks(ctx: click.Context) -> Any:
    """The client's notebooks resource, or a clear error if the server has none."""
    try:
        return client_of(ctx).notebooks
    except AttributeError:
        raise click.ClickException("this server's API has no notebooks") from None


def _deploy(notebooks: Any, notebook_id: int) -> None:
    deployment = notebooks.post_deployments(notebook_id)
    click.echo(
        f"Notebook {notebook_id}: deployment {deployment.get('deployment_id')} "
        f"is {deployment.get('state')}."
    )


def _resources(mem: int | None, cpu: int | None) -> dict[str, int]:
    return {k: v for k, v in (("memory", mem), ("cpu", cpu)) if v is not None}


@click.command("download")
@click.argument("notebook_id", type=int)
@click.argument("path")
@click.pass_context
@api_errors
def download(ctx: click.Context, notebook_id: int, path: str) -> None:
    """Download notebook NOTEBOOK_ID's .ipynb file to PATH."""
    from civis.io._transfer import raise_for_transfer, session_of, transfer_kwargs

    notebooks = _notebooks(ctx)
    url = notebooks.get(notebook_id).get("notebook_url")
    if not url:
        raise click.ClickException(f"notebook {notebook_id} has no file to download")
    with session_of(client_of(ctx)).get(url, stream=True, **transfer_kwargs()) as response:
        raise_for_transfer(response, "Downloading the notebook")
        with open(path, "wb") as out:
            for chunk in response.iter_content(1 << 16):
                out.write(chunk)


@click.command("new")
@click.argument("language", type=click.Choice(["python3", "r"]), default="python3")
@click.option("--mem", type=int, help="Memory in MiB.")
@click.option("--cpu", type=int, help="CPU shares (1000 = one core).")
@click.pass_context
@api_errors
def new(ctx: click.Context, language: str, mem: int | None, cpu: int | None) -> None:
    """Create a notebook in LANGUAGE and deploy it; print its id and URL."""
    notebooks = _notebooks(ctx)
    notebook = notebooks.post(language=language, **_resources(mem, cpu))
    click.echo(f"Created notebook {notebook.id}: {_FRONTEND.format(notebook.id)}")
    _deploy(notebooks, notebook.id)


@click.command("up")
@click.argument("notebook_id", type=int)
@click.option("--mem", type=int, help="Memory in MiB.")
@click.option("--cpu", type=int, help="CPU shares (1000 = one core).")
@click.pass_context
@api_errors
def up(ctx: click.Context, notebook_id: int, mem: int | None, cpu: int | None) -> None:
    """Start (deploy) notebook NOTEBOOK_ID, optionally with new resources."""
    notebooks = _notebooks(ctx)
    resources = _resources(mem, cpu)
    if resources:
        notebooks.patch(notebook_id, **resources)
    _deploy(notebooks, notebook_id)


@click.command("down")
@click.argument("notebook_id", type=int)
@click.pass_context
@api_errors
def down(ctx: click.Context, notebook_id: int) -> None:
    """Stop notebook NOTEBOOK_ID's running deployment."""
    notebooks = _notebooks(ctx)
    deployment = notebooks.get(notebook_id).get("most_recent_deployment") or {}
    state = deployment.get("state")
    if state not in ("running", "pending"):
        click.echo(f"Notebook {notebook_id} is not running.")
        return
    notebooks.delete_deployments(notebook_id, deployment.get("deployment_id"))
    click.echo(f"Stopped notebook {notebook_id}.")


@click.command("open")
@click.argument("notebook_id", type=int)
def open_(notebook_id: int) -> None:
    """Print the URL of notebook NOTEBOOK_ID."""
    click.echo(_FRONTEND.format(notebook_id))


COMMANDS = [download, new, up, down, open_]
