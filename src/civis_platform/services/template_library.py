"""The built-in template library: templates every user of a platform can run.

`LIBRARY` is the declared table of entries. Each names a fixed template id (below
``tables.TEMPLATE_USER_IDS_START``, so users' templates never take it), the template's
name and note, its backing script (a container script's configuration: command, image,
params, resources), and optionally an alias (``GET /aliases?object_type=
template_script`` finds it, as CivisML's template discovery does). Adding a template is
one entry here.

`install` writes the library into a store: at ``init``, again by ``civis-platform init``
on an existing home (entries that changed are updated in place, new ones added, their
ids and the custom scripts made from them kept), and after a testing reset. Templates
and their backing scripts belong to the first admin; the templates and their aliases
are readable by the default group (every user); the backing scripts are hidden.

Examples:
    >>> [entry.name for entry in LIBRARY]
    ['Import from URL']
    >>> len({entry.id for entry in LIBRARY}) == len(LIBRARY)
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select

from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services.aliases import KIND as ALIAS
from civis_platform.services.context import utcnow
from civis_platform.services.templates import KIND as TEMPLATE
from civis_platform.services.users import DEFAULT_GROUP_SLUG
from civis_platform.store import tables as t

DEFAULT_IMAGE = "civisanalytics/datascience-python"


@dataclass(frozen=True)
class LibraryEntry:
    """One built-in template (see the module docstring)."""

    key: str  # stable name of the entry (``templates.library_key``)
    id: int  # the template's fixed id
    name: str
    note: str
    script: Mapping[str, Any]  # the backing container script's configuration
    alias: str | None = None
    category: str = "script"
    script_type: str = "container"
    tags: Sequence[str] = field(default_factory=tuple)


def _param(name: str, label: str, *, required: bool, default: Any = None) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "description": None,
        "type": "string",
        "required": required,
        "value": None,
        "default": default,
        "allowed_values": [],
    }


IMPORT_FROM_URL = LibraryEntry(
    key="import-from-url",
    id=10_001,
    name="Import from URL",
    note=(
        "Import a CSV file at a URL (http, https, or a platform file's URL) into a table. "
        "Arguments: URL, TABLE_NAME (schema.table), IF_EXISTS (fail, append, drop, "
        "truncate) and DATABASE_NAME."
    ),
    alias="civis-import-from-url",
    category="import",
    script={
        "docker_command": "exec python -m civis_platform.programs.import_url",
        "docker_image_name": DEFAULT_IMAGE,
        "docker_image_tag": "latest",
        "required_resources": {"cpu": 500, "memory": 2048, "disk_space": 4},
        "params": [
            _param("URL", "URL of the CSV file", required=True),
            _param("TABLE_NAME", "Table (schema.table)", required=True),
            _param("IF_EXISTS", "If the table exists", required=False, default="fail"),
            _param("DATABASE_NAME", "Database", required=False),
        ],
    },
)

LIBRARY: tuple[LibraryEntry, ...] = (IMPORT_FROM_URL,)


def _first_admin(conn: Connection) -> int | None:
    return conn.execute(
        select(t.users.c.id).where(t.users.c.is_admin.is_(True)).order_by(t.users.c.id)
    ).scalar()


def _default_group(conn: Connection) -> int | None:
    return conn.execute(select(t.groups.c.id).where(t.groups.c.slug == DEFAULT_GROUP_SLUG)).scalar()


def _install_entry(
    conn: Connection, entry: LibraryEntry, owner_id: int, group_id: int | None
) -> str:
    row = conn.execute(select(t.templates).where(t.templates.c.library_key == entry.key)).first()
    job_name = f"{entry.name} (template script)"
    if (
        row is None
        or conn.execute(select(t.jobs.c.id).where(t.jobs.c.id == row.script_id)).first() is None
    ):
        if row is not None:
            conn.execute(t.templates.delete().where(t.templates.c.id == row.id))
        script_id = jobs.insert_job(
            conn,
            owner_id=owner_id,
            name=job_name,
            type=entry.script_type,
            config=dict(entry.script),
            hidden=True,
        )
        now = utcnow()
        conn.execute(
            insert(t.templates).values(
                id=entry.id,
                owner_id=owner_id,
                script_id=script_id,
                name=entry.name,
                note=entry.note,
                category=entry.category,
                library_key=entry.key,
                hidden=False,
                archived=False,
                created_at=now,
                updated_at=now,
            )
        )
        outcome = "added"
    else:
        g.update_row(
            conn,
            t.jobs,
            row.script_id,
            {"name": job_name, "type": entry.script_type, "config": json.dumps(dict(entry.script))},
        )
        g.update_row(
            conn,
            t.templates,
            row.id,
            {"name": entry.name, "note": entry.note, "category": entry.category, "archived": False},
        )
        outcome = "updated"
    if group_id is not None:
        g.grant(conn, TEMPLATE, entry.id, "group", group_id, "read")
    if entry.alias is not None:
        _install_alias(conn, entry, owner_id, group_id)
    return outcome


def _install_alias(
    conn: Connection, entry: LibraryEntry, owner_id: int, group_id: int | None
) -> None:
    assert entry.alias is not None
    alias_id = conn.execute(
        select(t.aliases.c.id).where(
            t.aliases.c.object_type == TEMPLATE.name, t.aliases.c.alias == entry.alias
        )
    ).scalar()
    if alias_id is None:
        alias_id = g.insert_row(
            conn,
            t.aliases,
            {
                "owner_id": owner_id,
                "object_id": entry.id,
                "object_type": TEMPLATE.name,
                "alias": entry.alias,
                "display_name": entry.name,
            },
        )
    else:
        g.update_row(conn, t.aliases, alias_id, {"object_id": entry.id, "display_name": entry.name})
    if group_id is not None:
        g.grant(conn, ALIAS, alias_id, "group", group_id, "read")


def install(conn: Connection, entries: Sequence[LibraryEntry] = LIBRARY) -> dict[str, str]:
    """Add or update every entry; ``{name: "added" | "updated"}`` (nothing without an admin)."""
    owner_id = _first_admin(conn)
    if owner_id is None:
        return {}
    group_id = _default_group(conn)
    return {entry.name: _install_entry(conn, entry, owner_id, group_id) for entry in entries}
