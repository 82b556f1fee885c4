"""``civis-platform``: initialise a home, serve it, manage users and keys, run the demo.

Commands that print a new API key print it alone on the last line of stdout, so
scripts can take ``tail -n 1``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from civis_platform.config import SHUTDOWN_DRAIN_SECONDS, Settings
from civis_platform.errors import DomainError
from civis_platform.services.bootstrap import (
    AlreadyInitialisedError,
    initialise,
    is_initialised,
    upgrade,
)
from civis_platform.services.users import insert_user, mint_key_for, revoke_key_row
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head

DEMO_USERNAME = "demo"


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _open_store(settings: Settings, *, require_init: bool = True) -> Store:
    store = Store.from_url(settings.resolved_metadata_url())
    upgrade_to_head(store.engine)
    if require_init and not is_initialised(store):
        store.dispose()
        raise click.ClickException(
            f"{settings.home} is not initialised: run `civis-platform init` first."
        )
    return store


@click.group()
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    default=None,
    help="Server home directory (default: $CIVIS_PLATFORM_HOME or ~/.civis-platform).",
)
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """A self-hostable server for the Civis Data Science API."""
    ctx.obj = Settings(home=home) if home is not None else Settings()


@main.command()
@click.option(
    "--admin",
    "admin_username",
    default="admin",
    show_default=True,
    help="Username of the first admin.",
)
@click.pass_context
def init(ctx: click.Context, admin_username: str) -> None:
    """Create the home, migrate it, seed it, and print the admin's API key once."""
    settings = _settings(ctx)
    store = Store.from_url(settings.resolved_metadata_url())
    try:
        created = initialise(store, settings, admin_username=admin_username)
    except AlreadyInitialisedError:
        # An existing home: migrate it and bring the template library up to date.
        changes = upgrade(store)
        click.echo(f"{settings.home} is already initialised; upgraded it.")
        for name, change in changes.items():
            click.echo(f"Template {name!r}: {change}")
        return
    finally:
        store.dispose()
    click.echo(f"Initialised {settings.home}")
    click.echo(f"Metadata: {settings.resolved_metadata_url()}")
    click.echo(f"Admin user: {created.admin_username} (id {created.admin_id})")
    click.echo("Admin API key (shown once; store it safely):")
    click.echo(created.admin_key.token)


@main.command()
@click.option("--host", default=None, help="Interface to bind (default: settings host).")
@click.option("--port", type=int, default=None, help="Port to bind (default: settings port).")
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Run a worker in this process (default: on, unless CIVIS_PLATFORM_EMBEDDED_WORKER "
    "is false). With --no-worker, `civis-platform worker` processes run the jobs.",
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, worker: bool | None) -> None:
    """Serve the API until SIGTERM or Ctrl-C."""
    import uvicorn

    from civis_platform.app import create_app

    settings = _settings(ctx)
    update: dict[str, Any] = {}
    if host is not None:
        update["host"] = host
    if port is not None:
        update["port"] = port
    if worker is not None:
        update["embedded_worker"] = worker
    settings = settings.model_copy(update=update)
    store = _open_store(settings, require_init=False)
    if not is_initialised(store):
        click.echo("warning: no users yet; run `civis-platform init`.", err=True)
    store.dispose()
    click.echo(f"Serving {settings.home} on {settings.resolved_external_url()}", err=True)
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown, then re-raises the signal
    # against the handlers that were installed before it started. Installing no-op
    # handlers first makes a requested shutdown end the process normally (exit 0).
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: None)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_graceful_shutdown=SHUTDOWN_DRAIN_SECONDS,
    )
    click.echo("Server stopped.", err=True)


@main.command("worker")
@click.option(
    "--slots", type=int, default=None, help="Runs at once (default: CIVIS_PLATFORM_RUNNER_WORKERS)."
)
@click.option(
    "--types",
    "job_types",
    default=None,
    help="Comma-separated job types to take: keys (sql, container, ...), user-code, platform "
    "or all (default: CIVIS_PLATFORM_WORKER_JOB_TYPES, all).",
)
@click.pass_context
def worker_command(ctx: click.Context, slots: int | None, job_types: str | None) -> None:
    """Claim and run queued runs from the metadata store until SIGTERM or Ctrl-C.

    Any number of workers (and `serve --no-worker` API processes) share one metadata
    store; on PostgreSQL they hear of new runs at once. A DuckDB warehouse file can be
    open in one process only: give workers of other processes `--types user-code` (or
    use a PostgreSQL warehouse).
    """
    import threading

    from civis_platform.engine import build_worker
    from civis_platform.services.platform import Platform

    settings = _settings(ctx)
    store = _open_store(settings)
    platform = Platform.open(settings, store)
    names = [n.strip() for n in job_types.split(",") if n.strip()] if job_types else None
    try:
        worker = build_worker(platform, slots=slots, takes=names)
    except ValueError as error:
        platform.close()
        raise click.UsageError(str(error)) from None
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda _signum, _frame: stopping.set())
    worker.start()
    takes = ", ".join(sorted(worker.takes)) if worker.takes is not None else "all job types"
    click.echo(f"Worker {worker.worker_id}: {worker.slots} slot(s), {takes}", err=True)
    try:
        stopping.wait()
    finally:
        worker.stop()
        platform.close()
    click.echo("Worker stopped.", err=True)


@main.group()
def images() -> None:
    """Runtime images: the environments users' code runs in."""


@images.command("list")
@click.pass_context
def images_list(ctx: click.Context) -> None:
    """Show the catalog and which images are built."""
    from civis_platform.services.platform import image_store

    store = image_store(_settings(ctx.find_root()))
    click.echo(f"Images folder: {store.root}")
    click.echo("name\ttags\tpython\tbuilt\tpackages")
    for n, (entry, image) in enumerate(store.list()):
        built = image.built_at[:19] if image is not None else "not built"
        default = " (default)" if n == 0 else ""
        click.echo(
            f"{entry.name}{default}\t{entry.tags}\t{entry.python}\t{built}\t"
            f"{', '.join(entry.packages)}"
        )


@images.command("build")
@click.argument("names", nargs=-1)
@click.pass_context
def images_build(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Build the images NAMES (default: every catalog entry) unless already built."""
    import time

    from civis_platform.runner.images import ImageBuildError
    from civis_platform.services.platform import image_store

    store = image_store(_settings(ctx.find_root()))
    try:
        entries = [store.entry_named(n) for n in names] if names else list(store.catalog)
    except KeyError as error:
        raise click.ClickException(f"no image named {error.args[0]} in the catalog") from None
    for entry in entries:
        started = time.perf_counter()
        try:
            image = store.ensure(entry)
        except ImageBuildError as error:
            raise click.ClickException(f"building {entry.name} failed: {error}") from None
        click.echo(f"{entry.name}: {image.path} ({time.perf_counter() - started:.1f} s)")


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@click.option("--name", default=None, help="Display name (default: the username).")
@click.pass_context
def users_create(ctx: click.Context, username: str, admin: bool, name: str | None) -> None:
    """Create a user and print their first API key (last line)."""
    settings = _settings(ctx.find_root())
    store = _open_store(settings)
    try:
        with store.transaction() as conn:
            user_id = insert_user(conn, username=username, name=name, admin=admin)
            key = mint_key_for(conn, username, name="cli", expires_in=settings.key_expiry_seconds)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        store.dispose()
    click.echo(f"Created user {username} (id {user_id}{', admin' if admin else ''})")
    click.echo("API key (shown once):")
    click.echo(key.token)


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="A label for the key.")
@click.option(
    "--expires-in",
    type=int,
    default=None,
    help="Lifetime in seconds (default: the configured key expiry).",
)
@click.pass_context
def keys_create(ctx: click.Context, username: str, name: str, expires_in: int | None) -> None:
    """Mint a key for USERNAME and print it (last line)."""
    settings = _settings(ctx.find_root())
    store = _open_store(settings)
    try:
        with store.transaction() as conn:
            key = mint_key_for(
                conn, username, name=name, expires_in=expires_in or settings.key_expiry_seconds
            )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        store.dispose()
    click.echo(f"Created key {key.id} for {username} (shown once):")
    click.echo(key.token)


@keys.command("list")
@click.argument("username")
@click.pass_context
def keys_list(ctx: click.Context, username: str) -> None:
    """List USERNAME's keys (ids, names, dates; never tokens)."""
    store = _open_store(_settings(ctx.find_root()))
    try:
        with store.transaction() as conn:
            user_id = conn.execute(
                select(t.users.c.id).where(t.users.c.username == username)
            ).scalar()
            if user_id is None:
                raise click.ClickException(f"No user named {username!r}.")
            rows = conn.execute(
                select(t.api_keys).where(t.api_keys.c.user_id == user_id).order_by(t.api_keys.c.id)
            ).all()
    finally:
        store.dispose()
    click.echo("id\tname\tcreated\texpires\trevoked")
    for row in rows:
        click.echo(
            f"{row.id}\t{row.name}\t{row.created_at:%Y-%m-%d %H:%M}\t"
            f"{row.expires_at or '-'}\t{row.revoked_at or '-'}"
        )


@keys.command("revoke")
@click.argument("key_id", type=int)
@click.pass_context
def keys_revoke(ctx: click.Context, key_id: int) -> None:
    """Revoke key KEY_ID (running servers stop accepting it within their cache time)."""
    settings = _settings(ctx.find_root())
    store = _open_store(settings)
    try:
        with store.transaction() as conn:
            revoke_key_row(conn, user_id=None, key_id=key_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        store.dispose()
    click.echo(f"Revoked key {key_id}.")


@main.group()
def databases() -> None:
    """Register and list warehouses."""


@databases.command("add")
@click.argument("name")
@click.option(
    "--duckdb",
    "duckdb_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A DuckDB database file (created if missing).",
)
@click.option(
    "--postgres", "postgres_url", default=None, help="A postgresql:// URL the server connects to."
)
@click.pass_context
def databases_add(
    ctx: click.Context, name: str, duckdb_path: Path | None, postgres_url: str | None
) -> None:
    """Register warehouse NAME (exactly one of --duckdb or --postgres); owned by the admin."""
    from civis_platform.services.bootstrap import create_warehouse_file
    from civis_platform.services.databases import register_duckdb, register_postgres

    if (duckdb_path is None) == (postgres_url is None):
        raise click.UsageError("give exactly one of --duckdb or --postgres")
    store = _open_store(_settings(ctx.find_root()))
    try:
        with store.transaction() as conn:
            admin_id = conn.execute(
                select(t.users.c.id).where(t.users.c.is_admin.is_(True)).order_by(t.users.c.id)
            ).scalar_one()
            if duckdb_path is not None:
                database_id = register_duckdb(
                    conn, name=name, path=duckdb_path.resolve(), owner_id=admin_id
                )
                # After registering (still inside the transaction): a name clash must
                # not leave a stray file behind, and a failed create rolls back.
                create_warehouse_file(duckdb_path.resolve())
            else:
                assert postgres_url is not None
                database_id = register_postgres(
                    conn, name=name, url=postgres_url, owner_id=admin_id
                )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        store.dispose()
    click.echo(f"Registered database {name} (id {database_id})")


@databases.command("list")
@click.pass_context
def databases_list(ctx: click.Context) -> None:
    """List registered warehouses."""
    store = _open_store(_settings(ctx.find_root()))
    try:
        with store.transaction() as conn:
            rows = conn.execute(select(t.databases).order_by(t.databases.c.id)).all()
    finally:
        store.dispose()
    click.echo("id\tname\tadapter\tdatabase")
    for row in rows:
        click.echo(f"{row.id}\t{row.name}\t{row.adapter}\t{row.database_name}")


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show the home, the metadata store, the user count and whether a server answers."""
    import requests

    settings = _settings(ctx)
    click.echo(f"Home: {settings.home}")
    click.echo(f"Metadata: {settings.resolved_metadata_url()}")
    store = Store.from_url(settings.resolved_metadata_url())
    try:
        if is_initialised(store):
            with store.transaction() as conn:
                count = conn.execute(select(func.count()).select_from(t.users)).scalar_one()
            click.echo(f"Users: {count}")
        else:
            click.echo("Users: none (not initialised)")
    finally:
        store.dispose()
    url = settings.resolved_external_url()
    try:
        # Any HTTP answer (a 401 without a key) means a server is listening.
        requests.get(url + "endpoints", timeout=2)
        click.echo(f"Server: answering at {url}")
    except requests.RequestException:
        click.echo(f"Server: not answering at {url}")


@main.command()
@click.option(
    "--examples",
    "examples_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("examples"),
    show_default=True,
    help="Directory whose [0-9]*.py scripts are run in order.",
)
def demo(examples_dir: Path) -> None:
    """Start a throwaway server, seed the demo tables, and run every example against it."""
    from civis_platform.testing import ThreadedServer

    scripts = sorted(examples_dir.glob("[0-9]*.py"))
    if not scripts:
        raise click.ClickException(f"no [0-9]*.py scripts in {examples_dir}")
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="civis-platform-demo-") as home:
        settings = Settings(home=Path(home))
        # Seed before the server starts: once it runs, it holds the DuckDB file open.
        _seed_demo(f"duckdb://{settings.warehouse_path()}")
        with ThreadedServer(settings) as server:
            user = server.create_user(DEMO_USERNAME)
            click.echo(f"Demo server at {server.base_url} (home {home}, user {user.username})")
            env = {
                **os.environ,
                "CIVIS_API_ENDPOINT": server.base_url,
                "CIVIS_API_KEY": user.api_key,
                "CIVIS_PLATFORM_HOME": home,
            }
            for script in scripts:
                click.echo(f"\n===== {script.name} =====", nl=True)
                sys.stdout.flush()
                result = subprocess.run([sys.executable, str(script)], env=env, check=False)
                if result.returncode != 0:
                    failures.append(script.name)
                    click.echo(f"----- {script.name} failed (exit {result.returncode})")
    if failures:
        raise click.ClickException(f"{len(failures)} example(s) failed: {', '.join(failures)}")
    click.echo(f"\nAll {len(scripts)} example(s) succeeded.")


def _seed_demo(warehouse_url: str) -> None:
    """Write the demo tables (`civis_platform.demo_data`) into a warehouse and say so."""
    import time

    from civis_platform.demo_data import DEMO_SCHEMA, seed_demo_data
    from civis_platform.warehouse import WarehouseError, open_warehouse

    started = time.perf_counter()
    try:
        warehouse = open_warehouse(warehouse_url)
    except Exception as error:  # DuckDB's lock error when a server holds the file
        raise click.ClickException(f"cannot open {warehouse_url}: {error}") from None
    try:
        written = seed_demo_data(warehouse)
    except WarehouseError as error:
        raise click.ClickException(f"seeding {warehouse_url} failed: {error}") from None
    finally:
        warehouse.close()
    tables = ", ".join(f"{DEMO_SCHEMA}.{name} ({rows:,} rows)" for name, rows in written.items())
    click.echo(f"Seeded {tables} in {time.perf_counter() - started:.1f} s.")


@main.command("seed-demo")
@click.option(
    "--warehouse",
    "warehouse_url",
    default=None,
    help="Warehouse URL (duckdb:///path or postgresql://...; default: the home's "
    "Civis Database file).",
)
@click.pass_context
def seed_demo(ctx: click.Context, warehouse_url: str | None) -> None:
    """Write the tour's demo tables (public.cta_ridership_daily, ...), replacing them.

    A DuckDB file can be open in one process only: stop a server using it first.
    """
    settings = _settings(ctx)
    if warehouse_url is None:
        path = settings.warehouse_path()
        if not path.exists():
            raise click.ClickException(f"{path} does not exist: run `civis-platform init` first.")
        warehouse_url = f"duckdb://{path}"
    _seed_demo(warehouse_url)
