"""Initialising a home: schema, the first admin, the default group and warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from civis_platform.config import Settings
from civis_platform.errors import ConflictError
from civis_platform.services import template_library
from civis_platform.services.auth import NewKey, mint_key
from civis_platform.services.context import Context
from civis_platform.services.databases import register_duckdb
from civis_platform.services.groups import insert_group
from civis_platform.services.remote_hosts import KIND as REMOTE_HOST
from civis_platform.services.users import (
    DEFAULT_DATABASE_NAME,
    DEFAULT_GROUP_SLUG,
    insert_user,
    require_admin,
)
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head

DEFAULT_ADMIN_USERNAME = "admin"


class AlreadyInitialisedError(ConflictError):
    """The home already has users; ``init`` refuses to seed it twice."""


@dataclass(frozen=True)
class Initialised:
    """What ``initialise`` created: the admin and their only clear-text key."""

    admin_id: int
    admin_username: str
    admin_key: NewKey


def is_initialised(store: Store) -> bool:
    """True once the schema exists and holds at least one user."""
    from sqlalchemy import inspect

    if not inspect(store.engine).has_table("users"):
        return False
    with store.transaction() as conn:
        return bool(conn.execute(select(func.count()).select_from(t.users)).scalar_one())


def create_warehouse_file(path: Path) -> None:
    """Create an empty DuckDB database file (the data plane fills it later)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path)).close()


def initialise(
    store: Store, settings: Settings, *, admin_username: str = DEFAULT_ADMIN_USERNAME
) -> Initialised:
    """Migrate and seed an empty home.

    Seeds: the default group, the admin (with a key), the "Civis Database" DuckDB
    warehouse and its remote host (readable by the default group), and the admin's
    default Database credential.

    Raises:
        AlreadyInitialisedError: the store already has users.
    """
    Path(settings.home).expanduser().mkdir(parents=True, exist_ok=True)
    upgrade_to_head(store.engine)
    if is_initialised(store):
        raise AlreadyInitialisedError(f"{settings.home} is already initialised.")
    warehouse = settings.warehouse_path()
    create_warehouse_file(warehouse)
    with store.transaction() as conn:
        insert_group(
            conn, name="Default", slug=DEFAULT_GROUP_SLUG, description="Every user of this server."
        )
        admin_id = insert_user(conn, username=admin_username, name="Administrator", admin=True)
        database_id = register_duckdb(
            conn, name=DEFAULT_DATABASE_NAME, path=warehouse, owner_id=admin_id
        )
        host_id = conn.execute(
            select(t.databases.c.remote_host_id).where(t.databases.c.id == database_id)
        ).scalar_one()
        # The admin's default credential predates the warehouse: point it there now.
        conn.execute(
            t.credentials.update()
            .where(t.credentials.c.owner_id == admin_id, t.credentials.c.is_default.is_(True))
            .values(remote_host_id=host_id)
        )
        key = mint_key(conn, user_id=admin_id, name="init", expires_in=settings.key_expiry_seconds)
        template_library.install(conn)
    return Initialised(admin_id=admin_id, admin_username=admin_username, admin_key=key)


def upgrade(store: Store) -> dict[str, str]:
    """Bring an initialised home up to date: migrate it and install the template
    library's new and changed entries; ``{template name: "added" | "updated"}``."""
    upgrade_to_head(store.engine)
    with store.transaction() as conn:
        return template_library.install(conn)


def reset(ctx: Context) -> None:
    """Return an initialised store to its just-initialised state (testing mode only).

    Keeps the first admin (and their keys and default credential), the default group,
    the registered databases and their remote hosts; deletes everything else.

    Raises:
        ForbiddenError: the caller is not an admin.
    """
    require_admin(ctx)
    with ctx.store.transaction() as conn:
        admin_id = conn.execute(
            select(t.users.c.id).where(t.users.c.is_admin.is_(True)).order_by(t.users.c.id)
        ).scalar()
        if admin_id is None:
            raise ConflictError("The store is not initialised.")
        group_id = conn.execute(
            select(t.groups.c.id).where(t.groups.c.slug == DEFAULT_GROUP_SLUG)
        ).scalar_one()
        hosts = select(t.databases.c.remote_host_id).where(
            t.databases.c.remote_host_id.is_not(None)
        )
        conn.execute(t.project_objects.delete())
        conn.execute(t.projects.delete())
        conn.execute(t.aliases.delete())
        conn.execute(t.templates.delete())
        conn.execute(t.json_values.delete())
        conn.execute(t.notebooks.delete())
        conn.execute(t.jobs.delete())  # with their runs, logs and outputs
        conn.execute(
            t.shares.delete().where(
                ~((t.shares.c.object_type == REMOTE_HOST.name) & t.shares.c.object_id.in_(hosts))
            )
        )
        conn.execute(
            t.credentials.delete().where(
                ~((t.credentials.c.owner_id == admin_id) & t.credentials.c.is_default.is_(True))
            )
        )
        conn.execute(t.remote_hosts.delete().where(t.remote_hosts.c.id.not_in(hosts)))
        conn.execute(t.api_keys.delete().where(t.api_keys.c.user_id != admin_id))
        conn.execute(
            t.group_members.delete().where(
                (t.group_members.c.user_id != admin_id) | (t.group_members.c.group_id != group_id)
            )
        )
        conn.execute(t.groups.delete().where(t.groups.c.id != group_id))
        conn.execute(t.users.delete().where(t.users.c.id != admin_id))
        template_library.install(conn)
