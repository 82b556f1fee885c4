"""Files: metadata in the store, contents in the blob store, moved over presigned URLs.

Lifecycle of a file row::

    POST /files            -> state "pending", upload_kind "single"; one signed upload URL
    POST /files/multipart  -> state "pending", upload_kind "multipart"; one URL per part
    (contents arrive over the storage routes in ``api/files.py``, which call
     ``finish_single_upload`` or ``check_part_upload`` here)
    POST /files/multipart/{id}/complete -> parts assembled; state "complete"
    GET /files/{id}        -> fileUrl: a signed download URL while complete and unexpired

A file becomes "complete" exactly once; a later upload to the same URL is a conflict.
Every blob of a file has a fresh key (``files/<id>/<random>``), so a losing concurrent
upload never overwrites the contents of the winner.

URL tokens (``storage/signing.py``) bind a method, the key ``files/<id>`` (uploads) or
the blob key (downloads), an expiry, and the file id (claim ``f``) and part (``p``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from sqlalchemy import Connection, Row, select, update

from civis_platform.clock import aware
from civis_platform.errors import BadRequestError, ConflictError, NotFoundError
from civis_platform.services import _generic as g
from civis_platform.services.context import Context, iso, utcnow
from civis_platform.storage import BlobInfo, BlobStore, MultipartError, sign
from civis_platform.store import tables as t
from civis_platform.store.db import Store

if TYPE_CHECKING:
    from civis_platform.services.platform import Platform

KIND = g.Kind(name="file", table=t.files, label="File")

DEFAULT_FILE_LIFETIME = timedelta(days=30)
UPLOAD_URL_LIFETIME = timedelta(hours=12)
DEFAULT_LINK_LIFETIME = timedelta(minutes=30)
MAX_LINK_LIFETIME = timedelta(hours=36)
MAX_DESCRIPTION = 512
MAX_PARTS = 10_000

# Paths of the storage routes, under the external base URL (outside the Civis API).
STORAGE_PREFIX = "storage/"
UPLOAD_PATH = STORAGE_PREFIX + "upload/"
PART_PATH = STORAGE_PREFIX + "part/"
DOWNLOAD_PATH = STORAGE_PREFIX + "download/"

PENDING, COMPLETE = "pending", "complete"
SINGLE, MULTIPART = "single", "multipart"


def upload_key(file_id: int) -> str:
    """The key an upload token grants (and the ``key`` form field carries)."""
    return f"files/{file_id}"


def parse_time(value: Any, field: str) -> datetime:
    """An ISO 8601 timestamp; naive ones are UTC.

    Examples:
        >>> parse_time("2030-01-02T03:04:05Z", "expiresAt").isoformat()
        '2030-01-02T03:04:05+00:00'
        >>> parse_time("2030-01-02 03:04", "expiresAt").isoformat()
        '2030-01-02T03:04:00+00:00'
    """
    if not isinstance(value, str):
        raise BadRequestError(f"{field} must be an ISO 8601 date-time string.", field=field)
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequestError(
            f"{field} is not an ISO 8601 date-time: {value[:64]!r}.", field=field
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadRequestError(f"{field} is out of range: {value[:64]!r}.", field=field) from None


def _expiry(body: Mapping[str, Any], *, default: datetime | None) -> datetime | None:
    """``expires_at`` of a body: absent -> ``default``, null -> never, past -> 400."""
    if "expires_at" not in body:
        return default
    if body["expires_at"] is None:
        return None
    when = parse_time(body["expires_at"], "expiresAt")
    if when <= utcnow():
        raise BadRequestError("expiresAt must be in the future.", field="expiresAt")
    return when


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequestError("name must not be empty.", field="name")
    return name


def _check_description(description: Any) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise BadRequestError(
            f"description must be at most {MAX_DESCRIPTION} characters (got {len(description)}).",
            field="description",
        )


def _new_row(ctx: Context, body: Mapping[str, Any], kind: str) -> dict[str, Any]:
    _check_description(body.get("description"))
    return {
        "owner_id": ctx.user.id,
        "name": _check_name(body.get("name")),
        "description": body.get("description"),
        "expires_at": _expiry(body, default=utcnow() + DEFAULT_FILE_LIFETIME),
        "upload_kind": kind,
        "state": PENDING,
    }


def _summary(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": iso(row.created_at),
        "file_size": row.size,
        "expires_at": iso(row.expires_at),
        "description": row.description,
    }


def is_expired(row: Any, now: datetime | None = None) -> bool:
    """Whether the file's expiry has passed (files without one never expire)."""
    expires = aware(row.expires_at)
    return expires is not None and expires <= (now or utcnow())


# ----------------------------------------------------------------------------- API


def create_file(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /files``: a pending file and the signed form upload for its contents."""
    values = _new_row(ctx, body, SINGLE)
    with ctx.store.transaction() as conn:
        file_id = g.insert_row(conn, t.files, values)
        row = g.fetch(conn, ctx, KIND, file_id)
    token = sign(
        ctx.signing_secret,
        "POST",
        upload_key(file_id),
        utcnow() + UPLOAD_URL_LIFETIME,
        {"f": file_id},
    )
    base = ctx.settings.resolved_external_url()
    return {
        **_summary(row),
        "upload_url": f"{base}{UPLOAD_PATH}{token}",
        # Lowercase names only: the official client snake-cases these keys.
        "upload_fields": {"key": upload_key(file_id)},
        "my_permission_level": "manage",
    }


def create_multipart(ctx: Context, *, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /files/multipart``: a pending file and one signed PUT URL per part."""
    num_parts = body.get("num_parts")
    if not isinstance(num_parts, int) or not 1 <= num_parts <= MAX_PARTS:
        raise BadRequestError(f"numParts must be between 1 and {MAX_PARTS}.", field="numParts")
    values = _new_row(ctx, body, MULTIPART)
    blobs = ctx.blobs
    with ctx.store.transaction() as conn:
        file_id = g.insert_row(conn, t.files, {**values, "num_parts": num_parts})
        upload_id = blobs.create_multipart(f"files/{file_id}/{uuid.uuid4().hex}", num_parts)
        g.update_row(conn, t.files, file_id, {"multipart_upload_id": upload_id})
        row = g.fetch(conn, ctx, KIND, file_id)
    secret = ctx.signing_secret
    expires = utcnow() + UPLOAD_URL_LIFETIME
    base = ctx.settings.resolved_external_url()
    key = upload_key(file_id)
    urls = [
        f"{base}{PART_PATH}{sign(secret, 'PUT', key, expires, {'f': file_id, 'p': n})}"
        for n in range(1, num_parts + 1)
    ]
    return {**_summary(row), "upload_urls": urls}


def complete_multipart(ctx: Context, *, id: int) -> None:
    """``POST /files/multipart/{id}/complete``: assemble the parts (400 names a bad part).

    Completing an already complete file is a no-op (the official client may retry).
    """
    with ctx.store.transaction() as conn:
        row = g.fetch(conn, ctx, KIND, id, need="write")
    if row.upload_kind != MULTIPART:
        raise BadRequestError(f"File {id} is not a multipart upload.", field="id")
    if row.state == COMPLETE:
        return
    try:
        info = ctx.blobs.complete_multipart(row.multipart_upload_id)
    except MultipartError as error:
        with ctx.store.transaction() as conn:
            again = conn.execute(select(t.files.c.state).where(t.files.c.id == id)).scalar()
        if again == COMPLETE:  # a concurrent complete won
            return
        raise BadRequestError(
            f"File {id} cannot be completed: {_part_message(str(error))}", field="id"
        ) from None
    with ctx.store.transaction() as conn:
        _mark_complete(conn, id, info)


def _part_message(message: str) -> str:
    # "upload <hex>: part 2 of 3 is missing" -> "part 2 of 3 is missing"
    return message.split(": ", 1)[1] if message.startswith("upload ") else message


def _mark_complete(conn: Connection, file_id: int, info: BlobInfo) -> bool:
    now = utcnow()
    result = conn.execute(
        update(t.files)
        .where(t.files.c.id == file_id, t.files.c.state == PENDING)
        .values(
            state=COMPLETE,
            blob_key=info.key,
            size=info.size,
            md5=info.md5,
            completed_at=now,
            updated_at=now,
        )
    )
    return bool(result.rowcount)


def _download_url(
    platform: Platform, row: Row[Any], *, until: datetime | None, inline: bool
) -> str | None:
    now = utcnow()
    if row.state != COMPLETE or row.blob_key is None or is_expired(row, now):
        return None
    expires = until or now + DEFAULT_LINK_LIFETIME
    file_expiry = aware(row.expires_at)
    if file_expiry is not None:
        expires = min(expires, file_expiry)
    claims: dict[str, Any] = {"f": row.id}
    if inline:
        claims["i"] = 1
    token = sign(platform.signing_secret, "GET", row.blob_key, expires, claims)
    base = platform.settings.resolved_external_url()
    return f"{base}{DOWNLOAD_PATH}{token}/{quote(row.name, safe='')}"


def _view(
    ctx: Context,
    conn: Connection,
    row: Row[Any],
    *,
    until: datetime | None = None,
    inline: bool = False,
) -> dict[str, Any]:
    url = _download_url(ctx.platform, row, until=until, inline=inline)
    return {
        **_summary(row),
        "author": g.user_summary(conn, row.owner_id),
        "download_url": url,
        "file_url": url,
        "detected_info": json.loads(row.detected_info) if row.detected_info else None,
        "my_permission_level": g.access_level(conn, ctx, KIND, row),
    }


def get_file(ctx: Context, *, id: int, query: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``GET /files/{id}``: metadata, and ``fileUrl`` while the contents can be fetched."""
    query = query or {}
    until = None
    if query.get("link_expires_at") is not None:
        until = parse_time(query["link_expires_at"], "link_expires_at")
        now = utcnow()
        if not now < until <= now + MAX_LINK_LIFETIME:
            raise BadRequestError(
                "link_expires_at must be between now and 36 hours from now.",
                field="link_expires_at",
            )
    with ctx.store.transaction() as conn:
        row = g.fetch(conn, ctx, KIND, id)
        return _view(ctx, conn, row, until=until, inline=bool(query.get("inline")))


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def update_file(ctx: Context, *, id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT``/``PATCH /files/{id}``: name (same extension), expiry, description."""
    values: dict[str, Any] = {}
    with ctx.store.transaction() as conn:
        row = g.fetch(conn, ctx, KIND, id, need="write")
        if "name" in body:
            name = _check_name(body["name"])
            if _extension(name) != _extension(row.name):
                raise BadRequestError(
                    f"name must keep the extension {_extension(row.name) or '(none)'!r}.",
                    field="name",
                )
            values["name"] = name
        if "description" in body:
            _check_description(body["description"])
            values["description"] = body["description"]
        if "expires_at" in body:
            values["expires_at"] = _expiry(body, default=None)
        g.update_row(conn, t.files, id, values)
        return _view(ctx, conn, g.fetch(conn, ctx, KIND, id))


def list_dependencies(
    ctx: Context, *, id: int, query: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """``GET /files/{id}/dependencies``: a file depends on no other object."""
    with ctx.store.transaction() as conn:
        g.fetch(conn, ctx, KIND, id)
    return []


# -------------------------------------------------------------------- housekeeping

STALE_UPLOAD_AGE = timedelta(days=7)


def housekeeping(platform: Platform) -> int:
    """Free disk: drop the contents of expired files (their metadata stays, as on
    Civis: GET answers with fileUrl null) and multipart uploads abandoned for
    ``STALE_UPLOAD_AGE`` (their URLs expired long before). Returns the blobs removed.
    """
    blobs, store = platform.blobs, platform.store
    purge = getattr(blobs, "purge_stale", None)
    if purge is not None:
        purge(STALE_UPLOAD_AGE)
    now = utcnow()
    with store.transaction() as conn:
        rows = conn.execute(
            select(t.files.c.id, t.files.c.blob_key, t.files.c.expires_at).where(
                t.files.c.blob_key.is_not(None), t.files.c.expires_at.is_not(None)
            )
        ).all()
    removed = 0
    for row in rows:
        if is_expired(row, now):
            blobs.delete(row.blob_key)
            with store.transaction() as conn:
                conn.execute(
                    update(t.files)
                    .where(t.files.c.id == row.id, t.files.c.blob_key == row.blob_key)
                    .values(blob_key=None)
                )
            removed += 1
    return removed


# ------------------------------------------------------------------ storage routes
# Called by the unauthenticated storage routes after a token was verified: the token
# is the authority, so these take the store, not a Context.


def file_row(store: Store, file_id: Any) -> Row[Any]:
    """The file a token names; NotFoundError when it is gone."""
    if not isinstance(file_id, int):
        raise NotFoundError("The file of this URL does not exist.")
    with store.transaction() as conn:
        row = conn.execute(select(t.files).where(t.files.c.id == file_id)).first()
    if row is None:
        raise NotFoundError(f"File {file_id} does not exist.")
    return row


def check_single_upload(store: Store, file_id: Any) -> Row[Any]:
    """The pending single-upload file a form upload may fill; 409 once it is complete."""
    row = file_row(store, file_id)
    if row.upload_kind != SINGLE:
        raise BadRequestError(f"File {row.id} is a multipart upload.")
    if row.state == COMPLETE:
        raise ConflictError(f"File {row.id} was already uploaded.")
    return row


def new_blob_key(file_id: int) -> str:
    """A fresh key for one upload attempt of a file."""
    return f"files/{file_id}/{uuid.uuid4().hex}"


def finish_single_upload(store: Store, blobs: BlobStore, file_id: int, info: BlobInfo) -> None:
    """Mark a file complete with a stored blob; 409 (blob removed) if another won."""
    with store.transaction() as conn:
        won = _mark_complete(conn, file_id, info)
    if not won:
        blobs.delete(info.key)
        raise ConflictError(f"File {file_id} was already uploaded.")


def check_part_upload(store: Store, file_id: Any, part: Any) -> tuple[Row[Any], int]:
    """The multipart file and part number a part token names; 409 once complete."""
    row = file_row(store, file_id)
    if row.upload_kind != MULTIPART or not isinstance(part, int):
        raise BadRequestError(f"File {row.id} is not a multipart upload.")
    if row.state == COMPLETE:
        raise ConflictError(f"File {row.id} was already completed.")
    if not 1 <= part <= (row.num_parts or 0):
        raise BadRequestError(f"Part {part} is not in 1..{row.num_parts}.")
    return row, part


# ------------------------------------------------------------------------ programs
# Programs (SQL exports, CSV preprocessing and imports) make and read files on behalf
# of the run's owner.


def store_file(
    platform: Platform,
    *,
    owner_id: int,
    name: str,
    source: BinaryIO | Path,
    detected_info: Mapping[str, Any] | None = None,
    lifetime: timedelta = DEFAULT_FILE_LIFETIME,
) -> int:
    """A new complete file owned by ``owner_id`` holding ``source``'s bytes; its id.

    A ``Path`` is a file the server wrote in the blob store's `staging_dir`: it is
    adopted (moved into place, no copy, no checksum), which is how exports are stored.
    The row is inserted first so that the blob key carries the file id; a failed
    write leaves no complete row behind (the pending one is purged by housekeeping).
    """
    now = utcnow()
    with platform.store.transaction() as conn:
        file_id = g.insert_row(
            conn,
            t.files,
            {
                "owner_id": owner_id,
                "name": _check_name(name),
                "expires_at": now + lifetime,
                "upload_kind": SINGLE,
                "state": PENDING,
                "detected_info": json.dumps(detected_info) if detected_info else None,
            },
        )
    blobs = platform.blobs
    key = new_blob_key(file_id)
    info = blobs.adopt(key, source) if isinstance(source, Path) else blobs.put(key, source)
    with platform.store.transaction() as conn:
        _mark_complete(conn, file_id, info)
    return file_id


def readable_file(ctx: Context, file_id: Any, field: str) -> Row[Any]:
    """A complete, unexpired file the caller may read (400 naming ``field`` otherwise)."""
    if isinstance(file_id, bool) or not isinstance(file_id, int):
        raise BadRequestError(f"{field} must hold file ids (integers).", field=field)
    with ctx.store.transaction() as conn:
        try:
            row = g.fetch(conn, ctx, KIND, file_id)
        except NotFoundError:
            raise BadRequestError(f"File {file_id} was not found.", field=field) from None
    if is_expired(row):
        raise BadRequestError(f"File {file_id} has expired.", field=field)
    if row.state != COMPLETE or row.blob_key is None:
        raise BadRequestError(f"File {file_id} has not been uploaded yet.", field=field)
    return row


def open_contents(blobs: BlobStore, row: Row[Any]) -> BinaryIO:
    """A binary stream of a complete file's contents (from `readable_file`)."""
    return blobs.open(row.blob_key)


def etag(row: Row[Any]) -> str:
    """The ETag of a file's contents: its md5, or for adopted blobs (no md5) its blob
    key's hash, which is as good: a blob under a key never changes."""
    if row.md5:
        return f'"{row.md5}"'
    return f'"k{hashlib.sha256(str(row.blob_key).encode()).hexdigest()[:32]}"'


def signed_url(platform: Platform, row: Row[Any]) -> str | None:
    """The unauthenticated download URL of a file row (None unless it can be fetched)."""
    return _download_url(platform, row, until=None, inline=False)


def set_detected_info(store: Store, file_id: int, detected_info: Mapping[str, Any]) -> None:
    """Record what preprocessing found out about a file (served as ``detectedInfo``)."""
    with store.transaction() as conn:
        g.update_row(conn, t.files, file_id, {"detected_info": json.dumps(detected_info)})
