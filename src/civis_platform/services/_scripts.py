"""The fields every script object (``/scripts/sql``, ``/scripts/containers``, ...) shows
on top of its job row: author, state of the last run, params and arguments, schedule...

Runs of scripts are served by ``_typed_runs.JobKind`` (the ``/jobs`` engine behind a
type check); this module only shapes the script itself.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row

from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services.context import Context, iso


def common_view(
    conn: Connection, ctx: Context, row: Row[Any], *, civis_type: str, links: str
) -> dict[str, Any]:
    """The fields every script shows, from its job row and stored configuration.

    ``links`` is the script's path below the API root (``scripts/sql/7``).
    """
    config = json.loads(row.config or "{}")
    last = jobs.last_run(conn, row.id)
    author = g.user_summary(conn, row.owner_id)
    return {
        "id": row.id,
        "from_template_aliases": [],
        "name": row.name,
        "type": civis_type,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "author": author,
        "state": last.state if last is not None else "idle",
        "finished_at": iso(last.finished_at) if last is not None else None,
        "category": "script",
        "projects": [],
        "parent_id": config.get("parent_id"),
        "user_context": config.get("user_context", "runner"),
        "params": config.get("params", []),
        "arguments": config.get("arguments", {}),
        "is_template": False,
        "template_dependents_count": 0,
        "published_as_template_id": None,
        "from_template_id": None,
        "template_script_name": None,
        "links": {"details": links, "runs": f"{links}/runs"},
        "schedule": config.get("schedule") or jobs.NO_SCHEDULE,
        "notifications": config.get("notifications", {}),
        "running_as": author,
        "next_run_at": None,
        "time_zone": config.get("time_zone", "America/Chicago"),
        "last_run": jobs.run_view(last) if last is not None else None,
        "my_permission_level": g.access_level(conn, ctx, jobs.KIND, row),
        "hidden": row.hidden,
        "archived": str(row.archived).lower(),
        "target_project_id": config.get("target_project_id"),
        "running_as_id": row.owner_id,
    }
