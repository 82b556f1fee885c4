"""Script templates (``/templates/scripts``): a published script others run as custom
scripts (`scripts_custom`) with their own arguments.

A template points at its backing script (a container or Python script, a job); a
custom script made from it runs that script's code as it is when the run starts. Who
may see a template is the template's own shares: its users need not see the backing
script. The built-in library (`template_library`) is a set of templates owned by the
first admin and readable by every user.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Integer, Row, cast, func, select
from sqlalchemy.dialects import postgresql

from civis_platform.errors import BadRequestError, NotFoundError
from civis_platform.runner.jobtypes import JOB_TYPES
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services.context import Context, iso
from civis_platform.store import tables as t

KIND = g.Kind(name="template_script", table=t.templates, label="Template")
# Job types a template may publish (their programs take a configuration and arguments).
BACKING_TYPES = ("container", "python3")


def config_template_id(dialect: str) -> Any:
    """SQL for ``from_template_id`` in a job's JSON configuration (an integer or NULL)."""
    if dialect == "postgresql":
        return cast(cast(t.jobs.c.config, postgresql.JSONB)["from_template_id"].astext, Integer)
    return cast(func.json_extract(t.jobs.c.config, "$.from_template_id"), Integer)


def _use_count(conn: Connection, template_id: int) -> int:
    expr = config_template_id(conn.dialect.name)
    return int(
        conn.execute(
            select(func.count()).where(t.jobs.c.type == "custom", expr == template_id)
        ).scalar_one()
    )


def publication(conn: Connection, job_id: int) -> dict[str, Any]:
    """How a script is published: ``is_template``, ``published_as_template_id`` (its
    newest template) and ``template_dependents_count`` (custom scripts made from it)."""
    ids = list(
        conn.execute(
            select(t.templates.c.id)
            .where(t.templates.c.script_id == job_id)
            .order_by(t.templates.c.id)
        ).scalars()
    )
    return {
        "is_template": bool(ids),
        "published_as_template_id": ids[-1] if ids else None,
        "template_dependents_count": sum(_use_count(conn, i) for i in ids),
    }


def backing_of(conn: Connection, template_id: Any) -> tuple[str, dict[str, Any]] | None:
    """(job type, configuration) of a template's backing script, without permission
    checks (callers check the template); None when there is no such template."""
    if not isinstance(template_id, int) or isinstance(template_id, bool):
        return None
    row = conn.execute(
        select(t.jobs.c.type, t.jobs.c.config)
        .join(t.templates, t.templates.c.script_id == t.jobs.c.id)
        .where(t.templates.c.id == template_id)
    ).first()
    if row is None:
        return None
    return row.type, json.loads(row.config or "{}")


def readable_template(conn: Connection, ctx: Context, template_id: Any, field: str) -> Row[Any]:
    """A template the caller may read, named by ``field`` (400 naming it otherwise)."""
    if not isinstance(template_id, int) or isinstance(template_id, bool):
        raise BadRequestError(f"{field} must be a template id.", field=field)
    try:
        return g.fetch(conn, ctx, KIND, template_id)
    except NotFoundError:
        raise BadRequestError(
            f"{field} {template_id} names no template you can use.", field=field
        ) from None


def template_name(conn: Connection, template_id: Any) -> tuple[str | None, str | None]:
    """(name, note) of a template, or (None, None)."""
    if not isinstance(template_id, int):
        return None, None
    row = conn.execute(
        select(t.templates.c.name, t.templates.c.note).where(t.templates.c.id == template_id)
    ).first()
    return (row.name, row.note) if row is not None else (None, None)


def _summary(conn: Connection, row: Row[Any]) -> dict[str, Any]:
    script_type = str(
        conn.execute(select(t.jobs.c.type).where(t.jobs.c.id == row.script_id)).scalar() or ""
    )
    return {
        "id": row.id,
        "public": False,
        "script_id": row.script_id,
        "script_type": JOB_TYPES[script_type].script_type if script_type in JOB_TYPES else None,
        "user_context": "runner",
        "name": row.name,
        "category": row.category or "script",
        "note": row.note,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "use_count": _use_count(conn, row.id),
        "ui_report_id": row.ui_report_id,
        "tech_reviewed": row.library_key is not None,
        "archived": row.archived,
        "hidden": row.hidden,
        "author": g.user_summary(conn, row.owner_id),
    }


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    backing = backing_of(conn, row.id)
    return {
        **_summary(conn, row),
        "params": (backing[1].get("params") if backing else None) or [],
        "my_permission_level": g.access_level(conn, ctx, KIND, row),
    }


def _check_script(conn: Connection, ctx: Context, script_id: Any) -> None:
    try:
        job = g.fetch(conn, ctx, jobs.KIND, script_id, need="write")
    except NotFoundError:
        raise BadRequestError(
            f"scriptId {script_id} names no script you can edit.", field="scriptId"
        ) from None
    if job.type not in BACKING_TYPES:
        raise BadRequestError(
            f"scriptId {script_id} is a {JOB_TYPES.civis_type(job.type)}; templates publish "
            "container and Python scripts.",
            field="scriptId",
        )


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise BadRequestError("name must not be empty.", field="name")


def create_template(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /templates/scripts``: publish a script the caller may edit."""
    _check_name(body.get("name"))
    with ctx.store.transaction() as conn:
        _check_script(conn, ctx, body["script_id"])
        new_id = g.insert_row(
            conn,
            t.templates,
            {
                "owner_id": ctx.user.id,
                "script_id": body["script_id"],
                "name": body["name"],
                "note": body.get("note"),
                "ui_report_id": body.get("ui_report_id"),
                "hidden": bool(body.get("hidden", False)),
                "archived": bool(body.get("archived", False)),
            },
        )
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, new_id))


def get_template(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /templates/scripts/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, id))


def list_templates(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /templates/scripts``: templates the caller can use (not archived), by name."""
    stmt = select(t.templates).where(
        g.visible_clause(ctx, KIND),
        t.templates.c.archived.is_(False),
        t.templates.c.hidden.is_(bool(query.get("hidden"))),
    )
    if query.get("author"):
        try:
            authors = [int(x) for x in str(query["author"]).split(",")]
        except ValueError:
            raise BadRequestError(
                "author must be a comma-separated list of ids.", "author"
            ) from None
        stmt = stmt.where(t.templates.c.owner_id.in_(authors))
    if query.get("category"):
        wanted = [x.strip() for x in str(query["category"]).split(",")]
        stmt = stmt.where(func.coalesce(t.templates.c.category, "script").in_(wanted))
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.page_request(query),
            orderable={
                "name": t.templates.c.name,
                "id": t.templates.c.id,
                "created_at": t.templates.c.created_at,
                "updated_at": t.templates.c.updated_at,
            },
            default_order="name",
        )
        return g.Page([_summary(conn, r) for r in rows], total, page_num, per_page)


_EDITABLE = ("name", "note", "ui_report_id", "archived")


def _edit(ctx: Context, template_id: int, body: Mapping[str, Any], *, replace: bool) -> Any:
    values = {k: body.get(k) for k in _EDITABLE} if replace else dict(body)
    values = {k: v for k, v in values.items() if k in _EDITABLE}
    if replace or "name" in values:
        _check_name(values.get("name"))
    if replace:
        values["archived"] = bool(values.get("archived"))
    with g.locked(ctx, t.templates, template_id) as conn:
        g.fetch(conn, ctx, KIND, template_id, need="write")
        g.update_row(conn, t.templates, template_id, values)
        return _view(conn, ctx, g.fetch(conn, ctx, KIND, template_id))


def replace_template(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /templates/scripts/{id}``."""
    return dict(_edit(ctx, id, body, replace=True))


def update_template(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /templates/scripts/{id}``."""
    return dict(_edit(ctx, id, body, replace=False))


def archive_template(ctx: Context, *, id: int) -> None:
    """``DELETE /templates/scripts/{id}``: archive it (custom scripts made from it keep
    working; it is no longer listed)."""
    with g.locked(ctx, t.templates, id) as conn:
        g.fetch(conn, ctx, KIND, id, need="write")
        g.update_row(conn, t.templates, id, {"archived": True})


def backing_for_run(conn: Connection, ctx: Context, template_id: Any) -> tuple[str, dict[str, Any]]:
    """(job type, configuration) a custom script of ``ctx``'s user runs: its template's
    backing script, if the user may still use the template (DomainError otherwise)."""
    readable_template(conn, ctx, template_id, "fromTemplateId")
    backing = backing_of(conn, template_id)
    if backing is None:  # the template was just deleted
        raise NotFoundError(f"Template {template_id} was not found.")
    return backing


def published_to(conn: Connection, ctx: Context, job_id: int) -> bool:
    """True when the caller may read a template whose backing script is ``job_id``
    (its readers may read the script, as a custom script's ``codePreview`` shows it;
    they may not change or run it)."""
    stmt = select(t.templates.c.id).where(
        t.templates.c.script_id == job_id, g.visible_clause(ctx, KIND)
    )
    return conn.execute(stmt.limit(1)).first() is not None


def backing_row(conn: Connection, ctx: Context, job_id: int, kind: Any) -> Row[Any]:
    """The job row of a script the caller reads through a template it backs
    (`published_to`); 404 as for any unreadable script otherwise. ``kind`` (a
    ``JobKind``) checks the script's type."""
    row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).first()
    if row is None or not published_to(conn, ctx, job_id):
        raise NotFoundError(f"{kind.label} {job_id} was not found.")
    kind.check_type(row)
    return row
