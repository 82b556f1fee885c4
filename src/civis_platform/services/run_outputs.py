"""Outputs a client attaches to a run (``POST .../runs/{run_id}/outputs``).

An output names an object of one of the types below; the caller must be able to see
it (404 otherwise, as for the object itself), so a run cannot point its readers at
someone else's file. A JSONValue output carries the value as it was when attached,
and File and JSONValue outputs take their object's name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.runner import runs
from civis_platform.services import _generic as g
from civis_platform.services import files, jobs
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context
from civis_platform.store import tables as t

JSON_VALUE = g.Kind(name="json_value", table=t.json_values, label="JSON value")
# objectType -> what it names (None: a warehouse table, visible with its database).
OUTPUT_KINDS: dict[str, g.Kind | None] = {
    "File": files.KIND,
    "JSONValue": JSON_VALUE,
    "Project": g.PROJECT,
    "Script": jobs.KIND,
    "Table": None,
}


def _named(conn: Connection, ctx: Context, object_type: str, object_id: int) -> tuple[Any, Any]:
    """(name, value) of the object an output names, after checking the caller sees it."""
    if object_type not in OUTPUT_KINDS:
        raise BadRequestError(
            f"objectType must be one of {', '.join(OUTPUT_KINDS)}.", field="objectType"
        )
    kind = OUTPUT_KINDS[object_type]
    if kind is None:
        table = conn.execute(
            select(t.warehouse_tables).where(t.warehouse_tables.c.id == object_id)
        ).first()
        if table is None:
            raise NotFoundError(f"Table {object_id} was not found.")
        return f"{table.schema_name}.{table.table_name}", None
    row = g.fetch(conn, ctx, kind, object_id)
    if object_type == "JSONValue":
        return row.name, json.loads(row.value)
    return row.name, None


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
