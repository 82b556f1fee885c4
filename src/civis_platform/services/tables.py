"""Tables: what the registered warehouses hold, with ids that stay put.

The warehouse is the truth about which tables exist; the ``warehouse_tables`` rows only
give them stable ids. A row is made the first time a table is seen (a listing or a get
by name) and removed when the table is found gone (a listing of its schema or database,
a get by id or by name); while a table exists its id never changes. A table dropped and
created again between two looks keeps its id; one seen gone in between gets a new one.

Listing never reads a table: one catalogue query per database gives names, kinds and
column counts (so ``rowCount`` is null in lists, as for a table Civis has not scanned).
Getting one table describes it live (columns, exact row count), so every answer is
current and a refresh is just a look that also stamps ``lastRefresh``.

A caller sees the tables of the databases they may reach (`databases.database_row`);
other database ids, and their tables' ids, are 404s. On a PostgreSQL warehouse a
non-admin caller sees only the schemas and tables their own role has some privilege on
(PostgreSQL's ``information_schema`` decides); the ids are still kept from the
registered login's full catalogue, so one user's look never drops another's table id.
What users say about a table
(``PATCH /tables/{id}``: description, primary and last-modified keys, ontology mapping)
is kept on its id row, so it lives exactly as long as the id; changing it needs write
permission on the table's database (its remote host: the registrant manages it, other
users read it through the default group), so a mere reader is answered 403.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from civis_platform.errors import BadRequestError, ForbiddenError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services import databases
from civis_platform.services.context import Context, iso, utcnow
from civis_platform.services.remote_hosts import KIND as REMOTE_HOST
from civis_platform.services.warehouses import user_row
from civis_platform.store import tables as t
from civis_platform.warehouse import Warehouse
from civis_platform.warehouse.base import (
    Column,
    TableInfo,
    TableNotFoundError,
    TableSummary,
    WarehouseError,
)

log = logging.getLogger("civis_platform")

WT = t.warehouse_tables
TableKey = tuple[int, str, str]  # (database id, schema, table)

# Civis's database-agnostic column types, from our reported sql types (base.py table).
_CIVIS_TYPES = {
    "smallint": "integer",
    "integer": "integer",
    "bigint": "integer",
    "real": "float",
    "double precision": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp without time zone": "datetime",
    "timestamp with time zone": "datetime",
    "time without time zone": "time",
}
# Columns of these types could key rows; floats cannot (equality is unreliable).
_KEY_TYPES = {"integer", "string", "date", "datetime"}

COLUMNS_PAGE_SIZE = 50


def civis_data_type(sql_type: str) -> str:
    """The generic type Civis shows beside a column's SQL type.

    Examples:
        >>> [civis_data_type(x) for x in ("bigint", "numeric(10,2)", "character varying(5)")]
        ['integer', 'float', 'string']
    """
    if sql_type.startswith("numeric"):
        return "float"
    return _CIVIS_TYPES.get(sql_type, "string")


def like_pattern(value: str, *, substring: bool) -> str:
    """A LIKE pattern (escape ``\\``) for a Civis name filter, lower-cased.

    ``%`` and ``*`` are wildcards; ``_`` is literal (it is common in names). Without
    ``substring`` a filter without wildcards matches the whole name.

    Examples:
        >>> like_pattern("my_t*", substring=False)
        'my\\\\_t%'
        >>> like_pattern("Abc", substring=True)
        '%abc%'
    """
    escaped = value.lower().replace("\\", "\\\\").replace("_", "\\_").replace("*", "%")
    return f"%{escaped}%" if substring else escaped


def _matches(column: Any, value: str, *, substring: bool) -> Any:
    return func.lower(column).like(like_pattern(value, substring=substring), escape="\\")


def _has_wildcard(value: str) -> bool:
    return "%" in value or "*" in value


# ---------------------------------------------------------------------------- ids


def _insert_ignoring_duplicates(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert id rows; a row another request inserted first is simply kept."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    now = utcnow()
    stamped = [{"created_at": now, "updated_at": now, **row} for row in rows]
    conn.execute(dialect.insert(WT).on_conflict_do_nothing(), stamped)


def _ids(conn: Connection, database_id: int, schema: str | None) -> dict[tuple[str, str], int]:
    stmt = select(WT.c.id, WT.c.schema_name, WT.c.table_name).where(WT.c.database_id == database_id)
    if schema is not None:
        stmt = stmt.where(WT.c.schema_name == schema)
    return {(r.schema_name, r.table_name): r.id for r in conn.execute(stmt)}


def sync_ids(
    conn: Connection, database_id: int, seen: Iterable[tuple[str, str]], schema: str | None
) -> dict[tuple[str, str], int]:
    """Make the id rows of ``database_id`` (one ``schema`` of it, or all) match ``seen``:
    new tables get ids, tables not seen lose theirs. Returns (schema, table) -> id."""
    wanted = set(seen)
    known = _ids(conn, database_id, schema)
    gone = [table_id for key, table_id in known.items() if key not in wanted]
    if gone:
        conn.execute(delete(WT).where(WT.c.id.in_(gone)))
    missing = wanted - known.keys()
    _insert_ignoring_duplicates(
        conn,
        [
            {"database_id": database_id, "schema_name": s, "table_name": n}
            for s, n in sorted(missing)
        ],
    )
    if missing:
        known = _ids(conn, database_id, schema)
    return {key: table_id for key, table_id in known.items() if key in wanted}


def _ensure_id(conn: Connection, database_id: int, schema: str, table: str) -> Row[Any]:
    where = (
        WT.c.database_id == database_id,
        WT.c.schema_name == schema,
        WT.c.table_name == table,
    )
    row = conn.execute(select(WT).where(*where)).first()
    if row is None:
        _insert_ignoring_duplicates(
            conn, [{"database_id": database_id, "schema_name": schema, "table_name": table}]
        )
        row = conn.execute(select(WT).where(*where)).one()
    return row


def ensure_table_id(conn: Connection, database_id: int, schema: str, table: str) -> int:
    """The stable id of ``schema.table`` in a database, made now if it has none.

    For code that has just created or loaded a table (imports, SQL runs) and wants to
    report its id; the caller knows the table exists, so the warehouse is not asked.
    """
    return int(_ensure_id(conn, database_id, schema, table).id)


def _forget(ctx: Context, database_id: int, schema: str, table: str) -> None:
    with ctx.store.transaction() as conn:
        conn.execute(
            delete(WT).where(
                WT.c.database_id == database_id,
                WT.c.schema_name == schema,
                WT.c.table_name == table,
            )
        )


@dataclass(frozen=True)
class _Access:
    """How the caller sees one database: the registered login's warehouse (the full
    catalogue, for ids and descriptions) and, when the caller's SQL runs as a role of
    their own, that role's (which decides what they see)."""

    full: Warehouse
    mine: Warehouse | None

    @property
    def seen(self) -> Warehouse:
        return self.mine if self.mine is not None else self.full

    def visible(self, schema: str | None) -> set[tuple[str, str]] | None:
        """The (schema, table) pairs the caller's role sees; None when it sees all."""
        if self.mine is None:
            return None
        return {(x.schema, x.name) for x in self.mine.list_table_summaries(schema)}


def _access(ctx: Context, database_id: int) -> _Access:
    """The caller's view of a database (404 when they may not reach it)."""
    pool = ctx.warehouse_pool()
    with ctx.store.transaction() as conn:
        database = databases.database_row(conn, ctx, database_id)
        user = user_row(conn, ctx.user.id)
    full = pool.get(database_id)
    mine = pool.for_user(database, user)
    return _Access(full, None if mine is full else mine)


def _warehouse(ctx: Context, database_id: int) -> Warehouse:
    """The open warehouse of a database as the caller sees it (404 when unreachable)."""
    return _access(ctx, database_id).seen


# ---------------------------------------------------------------------------- views


def _column_view(column: Column, order: int) -> dict[str, Any]:
    kind = civis_data_type(column.sql_type)
    return {
        "name": column.name,
        "civis_data_type": kind,
        "sql_type": column.sql_type,
        "sample_values": [],
        "encoding": None,
        "description": None,
        "order": order,
        "min_value": None,
        "max_value": None,
        "avg_value": None,
        "stddev": None,
        "value_distribution_percent": {},
        "coverage_count": None,
        "null_count": None,
        "possible_dependent_variable_types": [],
        "useable_as_independent_variable": kind in ("integer", "float", "boolean", "string"),
        "useable_as_primary_key": kind in _KEY_TYPES,
        "value_distribution": {},
        "distinct_count": None,
    }


def _json(text: str | None, empty: Any) -> Any:
    return empty if text is None else json.loads(text)


def _summary_view(row: Row[Any], summary: TableSummary | None) -> dict[str, Any]:
    """A list row; ``summary`` is None when the warehouse could not be read just now."""
    return {
        "id": row.id,
        "database_id": row.database_id,
        "schema": row.schema_name,
        "name": row.table_name,
        "description": row.description,
        "is_view": summary.is_view if summary else None,
        "row_count": None,
        "column_count": summary.column_count if summary else None,
        "size_mb": None,
        "owner": None,
        "distkey": None,
        "sortkeys": None,
        "refresh_status": "current",
        "last_refresh": iso(row.refreshed_at),
        "refresh_id": None,
        "last_run": None,
        "table_tags": [],
    }


def _table_view(row: Row[Any], info: TableInfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "database_id": row.database_id,
        "schema": info.schema,
        "name": info.name,
        "description": row.description,
        "is_view": info.is_view,
        "row_count": info.row_count,
        "column_count": len(info.columns),
        "size_mb": None,
        "owner": None,
        "distkey": None,
        "sortkeys": None,
        "refresh_status": "current",
        "last_refresh": iso(row.refreshed_at),
        "data_updated_at": None,
        "schema_updated_at": None,
        "refresh_id": None,
        "last_run": None,
        "primary_keys": _json(row.primary_keys, []),
        "last_modified_keys": _json(row.last_modified_keys, []),
        "table_tags": [],
        "ontology_mapping": _json(row.ontology_mapping, {}),
        "columns": [_column_view(c, i) for i, c in enumerate(info.columns, start=1)],
        "joins": [],
        "multipart_key": [],
        "enhancements": [],
        "view_def": None,
        "table_def": None,
        "outgoing_table_matches": [],
    }


# ---------------------------------------------------------------------------- /databases


def list_schemas(ctx: Context, *, id: int, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``GET /databases/{id}/schemas``: user schemas, ``name`` a case-insensitive substring."""
    needle = query.get("name", "").lower()
    schemas = _warehouse(ctx, id).list_schemas()
    return [{"schema": s} for s in schemas if needle in s.lower()]


def list_schema_tables(
    ctx: Context, *, id: int, schema_name: str, query: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``GET /databases/{id}/schemas/{schema_name}/tables`` (404 for an unknown schema)."""
    access = _access(ctx, id)
    summaries = access.full.list_table_summaries(schema_name)
    if schema_name not in access.seen.list_schemas():
        raise NotFoundError(f"Schema {schema_name} was not found in database {id}.")
    with ctx.store.transaction() as conn:
        sync_ids(conn, id, [(s.schema, s.name) for s in summaries], schema_name)
    visible = access.visible(schema_name)
    return [
        {"name": s.name, "schema": s.schema, "is_view": s.is_view, "database_id": id}
        for s in summaries
        if visible is None or (s.schema, s.name) in visible
    ]


def _describe(ctx: Context, database_id: int, schema: str, table: str) -> TableInfo:
    """Describe a table live; when it is gone, forget its id and answer 404 (as for
    one the caller's role has no privilege on, whose id stays)."""
    access = _access(ctx, database_id)
    visible = access.visible(schema)
    if visible is not None and (schema, table) not in visible:
        raise NotFoundError(f"Table {schema}.{table} was not found.")
    try:
        return access.full.describe_table(schema, table)
    except TableNotFoundError:
        _forget(ctx, database_id, schema, table)
        raise NotFoundError(f"Table {schema}.{table} was not found.") from None


def get_schema_table(
    ctx: Context, *, id: int, schema_name: str, table_name: str, query: Mapping[str, Any]
) -> dict[str, Any]:
    """``GET /databases/{id}/schemas/{schema_name}/tables/{table_name}``: 404 if absent."""
    info = _describe(ctx, id, schema_name, table_name)
    with ctx.store.transaction() as conn:
        return _table_view(_ensure_id(conn, id, schema_name, table_name), info)


def list_database_tables(ctx: Context, *, id: int, query: Mapping[str, Any]) -> g.Page:
    """``GET /databases/{id}/tables`` (deprecated in Civis): ``name`` is a substring."""
    filters: dict[str, Any] = {"database_id": id}
    if query.get("name"):
        filters["name"] = f"%{query['name']}%"
    return _list(ctx, query, filters, default_limit=200, orderable=("name",), default="name")


# ---------------------------------------------------------------------------- /tables


def _database_ids(ctx: Context, database_id: int | None) -> list[int]:
    with ctx.store.transaction() as conn:
        stmt = select(t.databases.c.id).where(databases.visible_clause(ctx))
        stmt = stmt.order_by(t.databases.c.id)
        if database_id is not None:
            stmt = stmt.where(t.databases.c.id == database_id)
        ids = list(conn.execute(stmt).scalars())
    if database_id is not None and not ids:
        raise NotFoundError(f"Database {database_id} was not found.")
    return ids


@dataclass
class _Scan:
    """What a listing found: the tables' summaries, and the databases the caller sees
    only part of (their role's), with the ids of the tables they do see there."""

    summaries: dict[TableKey, TableSummary] = dataclasses.field(default_factory=dict)
    partial: dict[int, list[int]] = dataclasses.field(default_factory=dict)

    def clause(self) -> Any:
        """SQL condition on ``warehouse_tables`` rows: the ones the caller may see."""
        if not self.partial:
            return literal(True)
        seen = [i for ids in self.partial.values() for i in ids]
        return or_(WT.c.database_id.not_in(list(self.partial)), WT.c.id.in_(seen))


def _scan(ctx: Context, database_ids: list[int], schema: str | None) -> _Scan:
    """List tables in each database (one schema, or all) and bring the ids up to date.

    A database named by the caller must answer; in a listing of all databases one whose
    warehouse fails is logged and left as it was (its known tables are still listed).
    """
    scan = _Scan()
    for database_id in database_ids:
        scope = schema
        try:
            access = _access(ctx, database_id)
            found = access.full.list_table_summaries(scope)
            if scope is not None and not found:
                # Nothing under that exact spelling; the filter ignores case, so look at all.
                scope, found = None, access.full.list_table_summaries()
            visible = access.visible(scope)
        except WarehouseError as error:
            if len(database_ids) == 1:
                raise
            log.warning("tables of database %s could not be listed: %s", database_id, error)
            scan.partial.setdefault(database_id, [])  # nothing of it is shown, then
            continue
        with ctx.store.transaction() as conn:
            ids = sync_ids(conn, database_id, [(s.schema, s.name) for s in found], scope)
        if visible is not None:
            found = [s for s in found if (s.schema, s.name) in visible]
            scan.partial[database_id] = [ids[(s.schema, s.name)] for s in found]
        scan.summaries.update({(database_id, s.schema, s.name): s for s in found})
    return scan


def _list(
    ctx: Context,
    query: Mapping[str, Any],
    filters: Mapping[str, Any],
    *,
    default_limit: int,
    orderable: Iterable[str],
    default: str,
) -> g.Page:
    database_id = filters.get("database_id")
    schema = filters.get("schema")
    # An exact schema is all that needs listing; a pattern needs every schema.
    exact_schema = schema if schema is not None and not _has_wildcard(schema) else None
    scan = _scan(ctx, _database_ids(ctx, database_id), exact_schema)
    summaries = scan.summaries
    stmt = select(WT).where(
        WT.c.database_id.in_(select(t.databases.c.id).where(databases.visible_clause(ctx))),
        scan.clause(),
    )
    if database_id is not None:
        stmt = stmt.where(WT.c.database_id == database_id)
    if schema is not None:
        stmt = stmt.where(_matches(WT.c.schema_name, schema, substring=False))
    if filters.get("name") is not None:
        stmt = stmt.where(_matches(WT.c.table_name, filters["name"], substring=False))
    if filters.get("search") is not None:
        full = WT.c.schema_name + literal(".") + WT.c.table_name
        stmt = stmt.where(_matches(full, filters["search"], substring=True))
    if filters.get("table_tag_ids"):
        stmt = stmt.where(literal(False))  # no table carries a tag here
    by_schema = (WT.c.schema_name, WT.c.table_name)
    columns = {"schema": by_schema, "name": (WT.c.table_name, WT.c.schema_name)}
    with ctx.store.transaction() as conn:
        rows, total, page_num, per_page = g.paginate(
            conn,
            stmt,
            g.PageRequest(
                limit=query.get("limit", default_limit),
                page_num=query.get("page_num"),
                order=query.get("order"),
                order_dir=query.get("order_dir"),
            ),
            orderable={name: columns.get(name, by_schema) for name in orderable},
            default_order=default,
        )
    items = [
        _summary_view(r, summaries.get((r.database_id, r.schema_name, r.table_name))) for r in rows
    ]
    return g.Page(items, total, page_num, per_page)


# Civis accepts these as ``order`` for ``GET /tables``; only schema and name mean
# anything without tags or credentials, so the rest order by schema.
TABLE_ORDERS = ("schema", "name", "search", "table_tag_ids", "credential_id")


def list_tables(ctx: Context, *, query: Mapping[str, Any]) -> g.Page:
    """``GET /tables``: filters ``database_id``, ``schema``, ``name`` (``%``/``*``
    wildcards, otherwise exact), ``search`` (substring of ``schema.name``)."""
    filters = {
        key: query[key]
        for key in ("database_id", "schema", "name", "search", "table_tag_ids")
        if key in query
    }
    return _list(
        ctx,
        query,
        filters,
        default_limit=g.DEFAULT_PAGE_SIZE,
        orderable=TABLE_ORDERS,
        default="schema",
    )


def _row(ctx: Context, table_id: int) -> Row[Any]:
    """A table's id row, if its database is one the caller may reach."""
    reachable = select(t.databases.c.id).where(databases.visible_clause(ctx))
    with ctx.store.transaction() as conn:
        row = conn.execute(
            select(WT).where(WT.c.id == table_id, WT.c.database_id.in_(reachable))
        ).first()
    if row is None:
        raise NotFoundError(f"Table {table_id} was not found.")
    return row


def _describe_by_id(ctx: Context, table_id: int) -> tuple[Row[Any], TableInfo]:
    row = _row(ctx, table_id)
    try:
        info = _describe(ctx, row.database_id, row.schema_name, row.table_name)
    except NotFoundError:
        raise NotFoundError(f"Table {table_id} was not found.") from None
    return row, info


def get_table(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /tables/{id}``: the table described now (404 once it is gone)."""
    row, info = _describe_by_id(ctx, id)
    return _table_view(row, info)


def _check_writer(ctx: Context, row: Row[Any]) -> None:
    """Write permission on the table's database (its remote host), or 404/403."""
    with ctx.store.transaction() as conn:
        host_id = conn.execute(
            select(t.databases.c.remote_host_id).where(t.databases.c.id == row.database_id)
        ).scalar()
        try:
            if host_id is None:
                raise NotFoundError("no remote host")
            g.fetch(conn, ctx, REMOTE_HOST, host_id, need="write")
        except NotFoundError:
            raise NotFoundError(f"Table {row.id} was not found.") from None
        except ForbiddenError:
            raise ForbiddenError(
                f"You need write permission on database {row.database_id} to change table {row.id}."
            ) from None


def _check_columns(info: TableInfo, field: str, names: Iterable[str]) -> None:
    known = {c.name for c in info.columns}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadRequestError(
            f"{field} names no column of {info.schema}.{info.name}: {', '.join(unknown)}.",
            field=field,
        )


def update_table(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /tables/{id}``: set the description, primary keys, last-modified keys or
    ontology mapping given (each replaces the stored value; ``""`` clears the
    description, ``[]``/``{}`` the others). Keys and mapped columns must be columns of
    the table as it is now (400 naming the field). Answers the table as ``GET`` does.
    """
    row, info = _describe_by_id(ctx, id)  # 404 for a table the caller does not see
    _check_writer(ctx, row)
    values: dict[str, Any] = {}
    if "description" in body:
        values["description"] = body["description"] or None
    for field, name in (
        ("primaryKeys", "primary_keys"),
        ("lastModifiedKeys", "last_modified_keys"),
    ):
        if name in body:
            _check_columns(info, field, body[name])
            values[name] = json.dumps(list(body[name]))
    if "ontology_mapping" in body:
        mapping = dict(body["ontology_mapping"])
        _check_columns(info, "ontologyMapping", mapping.values())
        values["ontology_mapping"] = json.dumps(mapping)
    with ctx.store.transaction() as conn:
        g.update_row(conn, WT, id, values)
        written = conn.execute(select(WT).where(WT.c.id == id)).first()
    if written is None:  # forgotten meanwhile: the table was found gone
        raise NotFoundError(f"Table {id} was not found.")
    return _table_view(written, info)


def refresh_table(ctx: Context, *, id: int) -> dict[str, Any]:
    """``POST /tables/{id}/refresh``: describe again and stamp ``lastRefresh``.

    Descriptions are always live here, so there is no background scan to wait for.
    """
    _describe_by_id(ctx, id)  # 404 for a table the caller does not see
    with ctx.store.transaction() as conn:
        g.update_row(conn, WT, id, {"refreshed_at": utcnow()})
    return get_table(ctx, id=id)


def list_columns(ctx: Context, *, id: int, query: Mapping[str, Any]) -> g.Page:
    """``GET /tables/{id}/columns``: ``name`` a case-insensitive substring; ordered by
    ``name`` (default) or ``order`` (position in the table)."""
    _, info = _describe_by_id(ctx, id)
    columns = [_column_view(c, i) for i, c in enumerate(info.columns, start=1)]
    needle = query.get("name", "").lower()
    columns = [c for c in columns if needle in c["name"].lower()]
    order = query.get("order", "name")
    if order not in ("name", "order"):
        raise BadRequestError("order must be one of: name, order.", field="order")
    direction = query.get("order_dir", "asc").lower()
    if direction not in ("asc", "desc"):
        raise BadRequestError("order_dir must be asc or desc.", field="order_dir")
    # As in every other list, 0 (or no value) means the default.
    per_page = query.get("limit") or COLUMNS_PAGE_SIZE
    if not 1 <= per_page <= g.MAX_PAGE_SIZE:
        raise BadRequestError(f"limit must be between 1 and {g.MAX_PAGE_SIZE}.", field="limit")
    page_num = query.get("page_num") or 1
    if page_num < 1:
        raise BadRequestError("page_num must be at least 1.", field="page_num")
    columns.sort(key=lambda c: (c[order], c["order"]), reverse=direction == "desc")
    start = (page_num - 1) * per_page
    return g.Page(columns[start : start + per_page], len(columns), page_num, per_page)
