"""``/imports/files/csv``: CSV imports, jobs whose run loads Civis files into a table.

The configuration is checked for shape here (a 400 naming the field); whether the
files, credential and remote host may be used is checked by the run, as its owner,
so a run started later sees the world as it is then (`programs.imports`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row

from civis_platform.errors import BadRequestError
from civis_platform.programs.imports import DELIMITER_CHARS
from civis_platform.services import _generic as g
from civis_platform.services import jobs
from civis_platform.services import references as refs
from civis_platform.services._job_config import edit_job
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context

__all__ = ["ANY_IMPORT", "KIND", "JobKind", "create_import", "get_import"]

CSV_IMPORT_KEY = "csv_import"
KIND = JobKind.of(CSV_IMPORT_KEY)
# ``/imports/files/{id}/runs``: the official transfer_table polls a Dbsync's run there.
ANY_IMPORT = JobKind.of(CSV_IMPORT_KEY, "dbsync", label="Import", parent_field="import_id")
MODES = ("fail", "truncate", "append", "drop", "upsert")
COMPRESSIONS = ("gzip", "none")
EXECUTIONS = ("immediate", "delayed")
DEFAULTS: dict[str, Any] = {
    "column_delimiter": "comma",
    "escaped": False,
    "compression": "none",
    "existing_table_rows": "fail",
    "max_errors": None,
    "table_columns": [],
    "loosen_types": False,
    "execution": "immediate",
    "redshift_destination_options": {},
}
FIELDS = ("source", "destination", "first_row_is_header", *DEFAULTS)


def _choice(config: Mapping[str, Any], name: str, field: str, allowed: tuple[str, ...]) -> None:
    if config.get(name) not in allowed:
        raise BadRequestError(f"{field} must be one of {', '.join(allowed)}.", field)


def validate(config: Mapping[str, Any]) -> None:
    """A 400 naming the first field that cannot work, whatever the files hold.

    Examples:
        >>> validate({**DEFAULTS, "source": {"file_ids": []}})
        Traceback (most recent call last):
        ...
        civis_platform.errors.BadRequestError: source.fileIds must name at least one file.
    """
    source = config.get("source") or {}
    if source.get("storage_path"):
        raise BadRequestError(
            "Importing from a storage host is not supported here; give source.fileIds.",
            "source.storagePath",
        )
    if not source.get("file_ids"):
        raise BadRequestError("source.fileIds must name at least one file.", "source.fileIds")
    destination = config.get("destination") or {}
    for name, field in (("schema_", "destination.schema"), ("table", "destination.table")):
        if not str(destination.get(name) or "").strip():
            raise BadRequestError(f"{field} must not be empty.", field)
    _choice(config, "column_delimiter", "columnDelimiter", tuple(DELIMITER_CHARS))
    _choice(config, "compression", "compression", COMPRESSIONS)
    _choice(config, "existing_table_rows", "existingTableRows", MODES)
    _choice(config, "execution", "execution", EXECUTIONS)
    if config["existing_table_rows"] == "upsert" and not destination.get("primary_keys"):
        raise BadRequestError(
            "existingTableRows upsert needs destination.primaryKeys.", "destination.primaryKeys"
        )
    if (config.get("max_errors") or 0) < 0:
        raise BadRequestError("maxErrors must not be negative.", "maxErrors")
    columns = config.get("table_columns") or []
    typed = [bool(c.get("sql_type")) for c in columns]
    if any(typed) and not all(typed):
        index = typed.index(False)
        field = f"tableColumns[{index}].sqlType"
        raise BadRequestError(
            f"{field} is missing: give a sqlType for every column or for none.", field
        )
    if any(not c.get("name") for c in columns):
        raise BadRequestError("Every column of tableColumns needs a name.", "tableColumns")


def _stored(body: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """The job config: ``base`` overlaid with the given fields (nested objects merged)."""
    config = {**DEFAULTS, **base}
    for name in FIELDS:
        if name not in body:
            continue
        value = body[name]
        if name in ("source", "destination") and isinstance(base.get(name), dict):
            value = {**base[name], **value}
        config[name] = value
    return config


def check_references(conn: Connection, ctx: Context, config: Mapping[str, Any]) -> None:
    """The source files, destination host and credential must be the caller's to see."""
    refs.files(conn, ctx, (config.get("source") or {}).get("file_ids"), "source.fileIds")
    destination = config.get("destination") or {}
    refs.optional(
        conn, ctx, refs.remote_host, destination, "remote_host_id", "destination.remoteHostId"
    )
    refs.optional(
        conn, ctx, refs.credential, destination, "credential_id", "destination.credentialId"
    )


def _redshift_view(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Redshift options as given, less the null sort keys the official client sends."""
    options = dict(options or {})
    options["sortkeys"] = [k for k in options.get("sortkeys") or [] if k]
    return options


def _view(conn: Connection, ctx: Context, row: Row[Any]) -> dict[str, Any]:
    config = {**DEFAULTS, **json.loads(row.config or "{}")}
    source = config.get("source") or {}
    destination = config.get("destination") or {}
    return {
        "id": row.id,
        "name": row.name,
        "source": {"file_ids": source.get("file_ids", []), "storage_path": None},
        "destination": {
            "schema_": destination.get("schema_"),
            "table": destination.get("table"),
            "remote_host_id": destination.get("remote_host_id"),
            "credential_id": destination.get("credential_id"),
            "primary_keys": destination.get("primary_keys") or [],
            "last_modified_keys": destination.get("last_modified_keys") or [],
        },
        "first_row_is_header": config.get("first_row_is_header"),
        **{name: config[name] for name in DEFAULTS},
        "redshift_destination_options": _redshift_view(config["redshift_destination_options"]),
        "hidden": row.hidden,
        "my_permission_level": g.access_level(conn, ctx, jobs.KIND, row),
    }


def create_import(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /imports/files/csv``: a CSV import job owned by the caller.

    Raises `BadRequestError` naming the field (see `validate`).
    """
    config = _stored(body, {})
    validate(config)
    destination = config["destination"]
    name = body.get("name") or f"CSV import to {destination['schema_']}.{destination['table']}"
    with ctx.store.transaction() as conn:
        check_references(conn, ctx, config)
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=name,
            type=CSV_IMPORT_KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(conn, ctx, KIND.row(conn, ctx, job_id))


def get_import(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /imports/files/csv/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(conn, ctx, KIND.row(conn, ctx, id))


def _update(ctx: Context, id: int, body: Mapping[str, Any], *, replace: bool) -> dict[str, Any]:
    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        config = _stored(body, {} if replace else old)
        validate(config)
        check_references(conn, ctx, config)
        return {"config": config, **({"name": body["name"]} if body.get("name") else {})}

    return edit_job(ctx, KIND, id, change, lambda conn, row: _view(conn, ctx, row))


def replace_import(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /imports/files/csv/{id}``: every attribute (omitted ones to defaults)."""
    return _update(ctx, id, body, replace=True)


def update_import(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /imports/files/csv/{id}``: the attributes given."""
    return _update(ctx, id, body, replace=False)


def archive_import(ctx: Context, *, id: int) -> None:
    """``DELETE /imports/files/csv/{id}``: archive it (deprecated in Civis)."""
    KIND.archive(ctx, id=id)


def set_archived(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /imports/files/csv/{id}/archive``."""
    return dict(KIND.set_archived(ctx, id=id, body=body, view=get_import))
