"""``/files/preprocess/csv``: a job that inspects a CSV file and reports ``detectedInfo``.

The object's id is a job id: it runs through ``POST /jobs/{id}/runs`` (as the official
``civis_file_to_table`` does). What a run does is `programs.imports.run_preprocess`.
The configuration is the job's JSON config; nothing else is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row

from civis_platform.errors import BadRequestError
from civis_platform.services import jobs
from civis_platform.services import references as refs
from civis_platform.services._job_config import edit_job
from civis_platform.services._typed_runs import JobKind
from civis_platform.services.context import Context

PREPROCESS_KEY = "csv_preprocess"
KIND = JobKind.of(PREPROCESS_KEY)
DELIMITERS = ("comma", "tab", "pipe")
# Defaults as the reference documents them (inPlace defaults to true).
DEFAULTS: dict[str, Any] = {
    "in_place": True,
    "detect_table_columns": False,
    "force_character_set_conversion": False,
    "include_header": None,
    "column_delimiter": None,
}
FIELDS = ("file_id", *DEFAULTS)


def _check(conn: Connection, ctx: Context, config: Mapping[str, Any]) -> None:
    delimiter = config.get("column_delimiter")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise BadRequestError(
            f"columnDelimiter must be one of {', '.join(DELIMITERS)}.", "columnDelimiter"
        )
    # The file must be one the caller can read now; the run reads it again as the
    # job's owner when it runs (the file may have expired or been unshared since).
    refs.file(conn, ctx, config.get("file_id"), "fileId")


def _view(row: Row[Any]) -> dict[str, Any]:
    config = {**DEFAULTS, **json.loads(row.config or "{}")}
    return {
        "id": row.id,
        "file_id": config.get("file_id"),
        **{name: config[name] for name in DEFAULTS},
        "hidden": row.hidden,
    }


def create_preprocess(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /files/preprocess/csv``: a preprocess job over one of the caller's files.

    Raises `BadRequestError` for a delimiter other than comma, tab or pipe, or a file
    the caller cannot read (naming ``fileId``).
    """
    config = {**DEFAULTS, **{k: body[k] for k in FIELDS if k in body}}
    with ctx.store.transaction() as conn:
        _check(conn, ctx, config)
        job_id = jobs.insert_job(
            conn,
            owner_id=ctx.user.id,
            name=f"Preprocess CSV file {config['file_id']}",
            type=PREPROCESS_KEY,
            config=config,
            hidden=bool(body.get("hidden", False)),
        )
        return _view(KIND.row(conn, ctx, job_id))


def get_preprocess(ctx: Context, *, id: int) -> dict[str, Any]:
    """``GET /files/preprocess/csv/{id}``."""
    with ctx.store.transaction() as conn:
        return _view(KIND.row(conn, ctx, id))


def _update(ctx: Context, id: int, body: Mapping[str, Any], *, replace: bool) -> dict[str, Any]:
    def change(conn: Connection, old: dict[str, Any]) -> dict[str, Any]:
        given = {k: body[k] for k in FIELDS if k in body}
        config = {**DEFAULTS, **given} if replace else {**old, **given}
        _check(conn, ctx, config)
        return {"config": config}

    return edit_job(ctx, KIND, id, change, lambda _conn, row: _view(row))


def replace_preprocess(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /files/preprocess/csv/{id}``: every attribute (omitted ones to defaults)."""
    return _update(ctx, id, body, replace=True)


def update_preprocess(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH /files/preprocess/csv/{id}``: the attributes given."""
    return _update(ctx, id, body, replace=False)


def archive_preprocess(ctx: Context, *, id: int) -> None:
    """``DELETE /files/preprocess/csv/{id}``: archive it (deprecated in Civis)."""
    KIND.archive(ctx, id=id)


def set_archived(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /files/preprocess/csv/{id}/archive``."""
    return dict(KIND.set_archived(ctx, id=id, body=body, view=get_preprocess))
