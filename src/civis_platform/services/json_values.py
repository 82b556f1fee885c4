"""JSON values: small named JSON documents (what ``run_template`` returns as JSONValue).

``valueStr`` is JSON text, checked when written (400 naming the field); it is shown
parsed as ``value``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row

from civis_platform.errors import BadRequestError
from civis_platform.services import _generic as g
from civis_platform.services.context import Context
from civis_platform.services.run_outputs import JSON_VALUE as KIND
from civis_platform.store import tables as t

DEFAULT_NAME = "JSON Value"
MAX_VALUE_CHARS = 1_000_000

__all__ = ["KIND", "create_json_value", "get_json_value", "update_json_value"]


def _checked(text: Any) -> str:
    if not isinstance(text, str):
        raise BadRequestError("valueStr must be a string of JSON text.", field="valueStr")
    if len(text) > MAX_VALUE_CHARS:
        raise BadRequestError(
            f"valueStr is at most {MAX_VALUE_CHARS} characters.", field="valueStr"
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequestError("valueStr is not valid JSON.", field="valueStr") from None
    return json.dumps(value)


def _view(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "value": json.loads(row.value)}


def create_json_value(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /json_values``: a value owned by the caller."""
    value = _checked(body.get("value_str"))
    with ctx.store.transaction() as conn:
        new_id = g.insert_row(
            conn,
            t.json_values,
            {"owner_id": ctx.user.id, "name": body.get("name") or DEFAULT_NAME, "value": value},
        )
        return _view(g.fetch(conn, ctx, KIND, new_id))


def get_json_value(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /json_values/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(g.fetch(conn, ctx, KIND, id))


def update_json_value(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /json_values/{id}``: the name and/or the value (write permission)."""
    values: dict[str, Any] = {}
    if "value_str" in body:
        values["value"] = _checked(body["value_str"])
    if body.get("name"):
        values["name"] = body["name"]
    with g.locked(ctx, t.json_values, id) as conn:
        g.fetch(conn, ctx, KIND, id, need="write")
        g.update_row(conn, t.json_values, id, values)
        return _view(g.fetch(conn, ctx, KIND, id))
