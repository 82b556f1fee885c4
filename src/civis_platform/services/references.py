"""Every field that names another object is checked when the reference is made.

A service that stores a reference (a run output's file, a script's ``parentId``, an
alias target, the files a preprocess job or an import reads, a credential, a remote
host, a database) calls one of these inside the transaction that writes it. The named
object must exist and be one the caller can see (for some, write or use); otherwise
the answer is a 400 naming the field and saying the object "was not found", the same
words whether it is missing or someone else's, so nothing about others' objects leaks.

The object types a polymorphic reference may name are declared here once:
:data:`OUTPUT_TYPES` (run outputs) and :data:`ALIAS_TYPES` (aliases). A type whose
objects this server does not host names nothing, and is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Row, select

from civis_platform.errors import BadRequestError, ForbiddenError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services import credentials as _credentials
from civis_platform.services import databases as _databases
from civis_platform.services import files as _files
from civis_platform.services import jobs as _jobs
from civis_platform.services import json_values as _json_values
from civis_platform.services import remote_hosts as _remote_hosts
from civis_platform.services import templates as _templates
from civis_platform.services.context import Context
from civis_platform.store import tables as t

# (conn, ctx, object id, field) -> the row named.
Check = Callable[[Connection, Context, Any, str], Row[Any]]


def object_id(value: Any, field: str) -> int:
    """``value`` as an object id (a positive 32-bit integer), else a 400 naming ``field``.

    Examples:
        >>> object_id(7, "fileId")
        7
        >>> object_id("7", "fileId")
        Traceback (most recent call last):
        ...
        civis_platform.errors.BadRequestError: fileId must be an object id.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise BadRequestError(f"{field} must be an object id.", field=field)
    return value


def _not_found(label: str, value: Any, field: str) -> BadRequestError:
    return BadRequestError(f"{field}: {label} {value} was not found.", field=field)


def visible(
    conn: Connection, ctx: Context, kind: g.Kind, value: Any, field: str, need: str = "read"
) -> Row[Any]:
    """The row of ``kind`` that ``value`` names, if the caller holds ``need`` on it.

    Lacking ``need`` on an object they can see is a 400 too (naming the permission).
    """
    number = object_id(value, field)
    try:
        return g.fetch(conn, ctx, kind, number, need=need)
    except NotFoundError:
        raise _not_found(kind.label, number, field) from None
    except ForbiddenError:
        raise BadRequestError(
            f"{field}: you need {need} permission on {kind.label} {number}.", field=field
        ) from None


def file(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A file the caller can read."""
    return visible(conn, ctx, _files.KIND, value, field)


def files(conn: Connection, ctx: Context, values: Any, field: str) -> list[Row[Any]]:
    """Files the caller can read (``field[i]`` names the first that is not)."""
    if not isinstance(values, list):
        raise BadRequestError(f"{field} must be a list of file ids.", field=field)
    return [file(conn, ctx, value, f"{field}[{i}]") for i, value in enumerate(values)]


def project(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A project the caller can read."""
    return visible(conn, ctx, g.PROJECT, value, field)


def job(
    conn: Connection, ctx: Context, value: Any, field: str, types: Iterable[str] | None = None
) -> Row[Any]:
    """A job (script, import...) the caller can read, of one of ``types`` if given."""
    row = visible(conn, ctx, _jobs.KIND, value, field)
    if types is not None and row.type not in tuple(types):
        raise _not_found(_jobs.KIND.label, row.id, field)
    return row


def credential(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A credential the caller can read (secrets stay the owner's: runs use them only
    as their owner, see `services.credentials.credential_secret`)."""
    return visible(conn, ctx, _credentials.KIND, value, field)


def remote_host(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A remote host the caller can read (owned, or shared with them or their groups)."""
    return visible(conn, ctx, _remote_hosts.KIND, value, field)


def database(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A registered database the caller can reach (`databases.visible_clause`)."""
    number = object_id(value, field)
    try:
        return _databases.database_row(conn, ctx, number)
    except NotFoundError:
        raise _not_found("Database", number, field) from None


def json_value(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A JSON value the caller can read."""
    return visible(conn, ctx, _json_values.KIND, value, field)


def template(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A script template the caller can read (`templates.readable_template`, which
    custom scripts and their runs check too)."""
    return _templates.readable_template(conn, ctx, value, field)


def table(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    """A table (by its stable id) in a database the caller can reach."""
    number = object_id(value, field)
    row = conn.execute(select(t.warehouse_tables).where(t.warehouse_tables.c.id == number)).first()
    if row is None:
        raise _not_found("Table", number, field)
    try:
        database(conn, ctx, row.database_id, field)
    except BadRequestError:
        raise _not_found("Table", number, field) from None
    return row


def _jobs_of(*types: str) -> Check:
    def check(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
        return job(conn, ctx, value, field, types)

    return check


def _any_job(conn: Connection, ctx: Context, value: Any, field: str) -> Row[Any]:
    return job(conn, ctx, value, field)


# What a run output may name (``objectType`` -> check of ``objectId``).
OUTPUT_TYPES: Mapping[str, Check] = {
    "File": file,
    "JSONValue": json_value,
    "Table": table,
    "Project": project,
    "Job": _any_job,
    "Script": _any_job,
}

# What an alias may name: the reference's object types whose objects live here.
ALIAS_TYPES: Mapping[str, Check] = {
    "project": project,
    "container_script": _jobs_of("container"),
    "sql_script": _jobs_of("sql"),
    "python_script": _jobs_of("python3"),
    "custom_script": _jobs_of("custom"),
    "template_script": template,
}


def typed(
    conn: Connection,
    ctx: Context,
    types: Mapping[str, Check],
    object_type: Any,
    value: Any,
    *,
    type_field: str = "objectType",
    id_field: str = "objectId",
) -> Row[Any]:
    """The object a (type, id) pair names, checked by the type's entry in ``types``."""
    check = types.get(object_type) if isinstance(object_type, str) else None
    if check is None:
        raise BadRequestError(
            f"{type_field} must be one of {', '.join(types)}, not {str(object_type)[:100]!r}.",
            field=type_field,
        )
    return check(conn, ctx, value, id_field)


def optional(
    conn: Connection, ctx: Context, check: Check, config: Mapping[str, Any], key: str, field: str
) -> None:
    """Apply ``check`` to ``config[key]`` when it is given (not None)."""
    if config.get(key) is not None:
        check(conn, ctx, config[key], field)
