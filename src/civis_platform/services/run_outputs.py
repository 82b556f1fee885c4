"""Outputs a client attaches to a run (``POST .../runs/{run_id}/outputs``).

An output names an object of one of the types below; the caller must be able to see
it (a 400 naming the field otherwise, `references`), so a run cannot point its readers at
someone else's file. A JSONValue output carries the value as it was when attached,
and File and JSONValue outputs take their object's name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from civis_platform.runner import runs
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services import references as refs
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context
from civis_platform.store import tables as t


def _named(conn: Connection, ctx: Context, object_type: Any, object_id: Any) -> tuple[Any, Any]:
    """(name, value) of the object an output names, after checking the caller sees it
    (`references.OUTPUT_TYPES`: a 400 naming the field otherwise)."""
    row = refs.typed(conn, ctx, refs.OUTPUT_TYPES, object_type, object_id)
    if object_type == "Table":
        return f"{row.schema_name}.{row.table_name}", None
    if object_type == "JSONValue":
        return row.name, json.loads(row.value)
    return getattr(row, "name", None), None


def post_output(
    ctx: Context, kind: JobKind, *, id: int, run_id: int, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Attach an output to a run of a job of ``kind`` (needs write on the job), checked
    and written in one transaction."""
    with ctx.store.transaction() as conn:
        jobs.run_row(conn, ctx, id, run_id, need="write", check=kind.check_type)
        name, value = _named(conn, ctx, body["object_type"], body["object_id"])
        output_id = runs.add_output(conn, run_id, body["object_type"], body["object_id"], name)
        if value is not None:
            g.update_row(conn, t.run_outputs, output_id, {"value": json.dumps(value)})
        row = conn.execute(select(t.run_outputs).where(t.run_outputs.c.id == output_id)).one()
        return jobs.output_view(ctx, row)
