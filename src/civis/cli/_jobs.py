"""``civis jobs follow-log ID`` and ``civis jobs follow-run-log ID RUN_ID``."""

from __future__ import annotations

import click

from civis.cli._support import api_errors, client_of

__all__ = ["COMMANDS"]


def _follow(ctx: click.Context, job_id: int, run_id: int | None) -> None:
    from civis.utils import job_logs

    # job_logs yields snake_case dicts: read "created_at" (the official CLI reads
    # "createdAt" and fails with a KeyError).
    for log in job_logs(job_id, run_id, client=client_of(ctx)):
        click.echo(f"{log['created_at']} {log['message']}")


@click.command("follow-log")
@click.argument("id", type=int)
@click.pass_context
@api_errors
def follow_log(ctx: click.Context, id: int) -> None:
    """Print the logs of job ID's latest run as they come, until the run ends."""
    _follow(ctx, id, None)


@click.command("follow-run-log")
@click.argument("id", type=int)
@click.argument("run_id", type=int)
@click.pass_context
@api_errors
def follow_run_log(ctx: click.Context, id: int, run_id: int) -> None:
    """Print the logs of run RUN_ID of job ID as they come, until the run ends."""
    _follow(ctx, id, run_id)


COMMANDS = [follow_log, follow_run_log]
