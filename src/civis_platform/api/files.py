"""``/files`` (declared routes) and the storage routes that move file contents.

The storage routes live outside the Civis API namespace and outside ``/endpoints``.
They take no API key: each URL carries a signed token (``storage/signing.py``) minted
by ``services/files.py``. :class:`StorageRoutes` is installed as the outermost
middleware, so these requests never reach authentication or rate limiting::

    POST     /storage/upload/{token}          multipart/form-data, ``key`` then ``file``
                                              (as S3 presigned POSTs): 204
    PUT      /storage/part/{token}            raw part body with Content-Length: 200
    GET|HEAD /storage/download/{token}/{name} the contents; ``Range: bytes=a-b``: 206

Bodies stream: uploads go straight from the socket to the blob store (the form is
parsed incrementally), downloads are read in chunks. Errors are Civis-shaped JSON.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

import anyio
import anyio.from_thread
import anyio.to_thread
from pydantic import model_validator
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from civis_platform.api._generic import Resource
from civis_platform.api._models import QueryModel, RequestModel, ResponseModel
from civis_platform.api._subresources import UserSummary
from civis_platform.api.errors import error_response, render_domain_error
from civis_platform.errors import (
    BadRequestError,
    DomainError,
    ForbiddenError,
    NotFoundError,
)
from civis_platform.services import files as svc
from civis_platform.storage import (
    BlobStore,
    ExpiredSignatureError,
    IncompleteUploadError,
    InvalidRangeError,
    MultipartError,
    SignatureError,
    StorageError,
    verify,
)

# ------------------------------------------------------------------------- models


class _FileBody(RequestModel):
    """Bodies where ``expiresAt: null`` means "never expires", not "not given"."""

    @model_validator(mode="before")
    @classmethod
    def _nulls_mean_not_given(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kept = {k: v for k, v in data.items() if v is not None}
        for key in ("expires_at", "expiresAt"):
            if key in data and data[key] is None:
                kept["expires_at"] = None
                kept.pop("expiresAt", None)
        return kept


class FileCreate(_FileBody):
    """Body of ``POST /files``."""

    name: str
    expires_at: str | None = None
    description: str | None = None


class MultipartCreate(_FileBody):
    """Body of ``POST /files/multipart``."""

    name: str
    expires_at: str | None = None
    description: str | None = None
    num_parts: int


class FileReplace(_FileBody):
    """Body of ``PUT /files/{id}`` (``expiresAt`` may be null: never expires)."""

    name: str
    expires_at: str | None
    description: str | None = None


class FilePatch(_FileBody):
    """Body of ``PATCH /files/{id}``."""

    name: str | None = None
    expires_at: str | None = None
    description: str | None = None


class _FileBase(ResponseModel):
    """The leading properties every file answer shares, in the reference's order."""

    id: int | None = None
    name: str | None = None
    created_at: str | None = None
    file_size: int | None = None
    expires_at: str | None = None
    description: str | None = None


class FilePost(_FileBase):
    """Answer of ``POST /files``: where and how to upload the contents."""

    upload_url: str | None = None
    upload_fields: dict[str, Any] | None = None
    my_permission_level: str | None = None


class MultipartPost(_FileBase):
    """Answer of ``POST /files/multipart``: one upload URL per part."""

    upload_urls: list[str] | None = None


class File(_FileBase):
    """A file; ``fileUrl`` is null until uploaded and once expired."""

    author: UserSummary | None = None
    download_url: str | None = None
    file_url: str | None = None
    detected_info: dict[str, Any] | None = None
    my_permission_level: str | None = None


class FileQuery(QueryModel):
    """Query of ``GET /files/{id}``."""

    link_expires_at: str | None = None
    inline: bool | None = None


class DependenciesQuery(QueryModel):
    """Query of ``GET /files/{id}/dependencies``."""

    user_id: int | None = None


class Dependency(ResponseModel):
    """An object this one depends on (files depend on nothing)."""

    object_type: str | None = None
    fco_type: str | None = None
    id: int | None = None
    name: str | None = None
    permission_level: str | None = None
    description: str | None = None
    shareable: bool | None = None


files = Resource("files")
files.op(
    "post",
    "/files/",
    "Initiate an upload of a file into the platform",
    svc.create_file,
    body=FileCreate,
    body_name="FileCreate",
    response=FilePost,
    status=201,
)
files.op(
    "post",
    "/files/multipart",
    "Initiate a multipart upload",
    svc.create_multipart,
    body=MultipartCreate,
    body_name="FileMultipartCreate",
    response=MultipartPost,
    status=201,
)
files.op(
    "post",
    "/files/multipart/{id}/complete",
    "Complete a multipart upload",
    svc.complete_multipart,
    status=204,
)
files.op(
    "get",
    "/files/{id}",
    "Get details about a file",
    svc.get_file,
    query=FileQuery,
    response=File,
)
files.op(
    "put",
    "/files/{id}",
    "Update details about a file",
    svc.update_file,
    body=FileReplace,
    body_name="FileReplace",
    response=File,
)
files.op(
    "patch",
    "/files/{id}",
    "Update details about a file",
    svc.update_file,
    body=FilePatch,
    body_name="FilePatch",
    body_required=False,
    response=File,
)
files.op(
    "get",
    "/files/{id}/dependencies",
    "List dependent objects for this object",
    svc.list_dependencies,
    query=DependenciesQuery,
    response=Dependency,
    array=True,
)
files.shares(svc.KIND, level_noun="a file")
files.transfer(svc.KIND)
files.projects(svc.KIND)


# ------------------------------------------------------------------ storage routes

log = logging.getLogger("civis_platform")
CHUNK_BYTES = 1 << 20
MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
SPOOL_MEMORY_BYTES = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class FormError(Exception):
    """The multipart/form-data body is malformed or ends early."""


def iter_form(chunks: Iterator[bytes], boundary: bytes) -> Iterator[tuple[str, Any]]:
    """Parse multipart/form-data incrementally: events ``("part", (name, filename))``,
    ``("data", bytes)``, ``("end_part", None)``; a body that ends before the closing
    boundary raises `FormError`.

    Examples:
        >>> head = b'--B\\r\\nContent-Disposition: form-data; name="key"\\r\\n\\r\\n'
        >>> body = head + b"k\\r\\n--B--\\r\\n"
        >>> [e for e in iter_form(iter([body[:7], body[7:]]), b"B") if e[0] != "data"]
        [('part', ('key', None)), ('end_part', None)]
    """
    buf = bytearray()
    source = iter(chunks)

    def more() -> bool:
        chunk = next(source, None)
        if chunk is None:
            return False
        buf.extend(chunk)
        return True

    first = b"--" + boundary
    # Preamble: up to the first boundary line.
    while True:
        at = buf.find(first)
        if at >= 0:
            del buf[: at + len(first)]
            break
        if len(buf) > MAX_HEADER_BYTES or not more():
            raise FormError("the form has no opening boundary")
    delimiter = b"\r\n--" + boundary
    keep = len(delimiter) - 1
    while True:
        while len(buf) < 2:
            if not more():
                raise FormError("the form ends after a boundary")
        if buf[:2] == b"--":
            # The closing boundary: read the epilogue too, so a body shorter than its
            # Content-Length (the client hung up) fails here, before anything is kept.
            for _ in source:
                pass
            return
        # Headers of the next part.
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(buf) > MAX_HEADER_BYTES:
                raise FormError("a part's headers are too long")
            if not more():
                raise FormError("the form ends inside a part's headers")
        head = bytes(buf[:end]).decode("latin-1")
        del buf[: end + 4]
        yield "part", _disposition(head)
        # Data up to the next delimiter.
        while True:
            at = buf.find(delimiter)
            if at >= 0:
                if at:
                    yield "data", bytes(buf[:at])
                del buf[: at + len(delimiter)]
                yield "end_part", None
                break
            if len(buf) > keep:
                cut = len(buf) - keep
                yield "data", bytes(buf[:cut])
                del buf[:cut]
            if not more():
                raise FormError("the form ends inside a part (the upload was truncated)")


def _disposition(head: str) -> tuple[str | None, str | None]:
    name = filename = None
    for line in head.split("\r\n"):
        field, _, value = line.partition(":")
        if field.strip().lower() != "content-disposition":
            continue
        for param in value.split(";")[1:]:
            key, _, raw = param.strip().partition("=")
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if key.lower() == "name":
                name = raw
            elif key.lower() == "filename":
                filename = raw
    return name, filename


class _ChunkReader(io.RawIOBase):
    """Byte chunks as a readable stream (ends when the chunks do)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending = chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _part_data(events: Iterator[tuple[str, Any]]) -> Iterator[bytes]:
    for kind, value in events:
        if kind == "end_part":
            return
        if kind != "data":
            break
        yield value
    raise FormError("the form ends inside the file (the upload was truncated)")


class _PartReader(_ChunkReader):
    """The ``data`` events of one part, as a readable stream (ends at ``end_part``)."""

    def __init__(self, events: Iterator[tuple[str, Any]]) -> None:
        super().__init__(_part_data(events))


BATCH_BYTES = 1 << 20


def _sync_body(request: Request) -> Iterator[bytes]:
    """The request body, from a worker thread, as it arrives (in batches of up to
    ``BATCH_BYTES``, so the thread hops to the event loop once per batch, not per
    socket read)."""
    stream = request.stream()

    async def batch() -> tuple[bytes, bool]:
        parts: list[bytes] = []
        size = 0
        while size < BATCH_BYTES:
            try:
                chunk = await stream.__anext__()
            except StopAsyncIteration:
                return b"".join(parts), True
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts), False

    while True:
        try:
            data, done = anyio.from_thread.run(batch)
        except ClientDisconnect:
            raise IncompleteUploadError(
                "the client disconnected before the body was complete"
            ) from None
        if data:
            yield data
        if done:
            return


def _boundary(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        raise BadRequestError("The upload must be multipart/form-data.")
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value.strip('"'):
            return value.strip('"').encode("latin-1")
    raise BadRequestError("The multipart/form-data upload has no boundary.")


def _drain_field(events: Iterator[tuple[str, Any]]) -> bytes:
    out = bytearray()
    for kind, value in events:
        if kind == "end_part":
            return bytes(out)
        out.extend(value)
        if len(out) > MAX_FIELD_BYTES:
            raise BadRequestError("A form field other than file is too large.")
    raise FormError("the form ends inside a field")


def receive_form_upload(request: Request, blobs: BlobStore, file_id: int, expected_key: str) -> Any:
    """Parse the form from a worker thread and store its ``file`` (returns BlobInfo).

    ``key`` must equal the token's key. When ``file`` comes before ``key`` its bytes are
    spooled until ``key`` has been checked; otherwise they stream into the blob store.
    """
    events = iter_form(_sync_body(request), _boundary(request))
    fields: dict[str, str] = {}
    info: Any = None
    spool: Any = None
    blob_key = svc.new_blob_key(file_id)
    try:
        for kind, value in events:
            if kind != "part":
                continue
            name, _filename = value
            if name == "file":
                if info is not None or spool is not None:
                    raise BadRequestError("The form has more than one file field.")
                if "key" in fields:
                    _check_key(fields["key"], expected_key)
                    info = blobs.put(blob_key, _PartReader(events))  # type: ignore[arg-type]
                else:
                    spool = tempfile.SpooledTemporaryFile(SPOOL_MEMORY_BYTES)  # noqa: SIM115
                    reader = _PartReader(events)
                    while data := reader.read(CHUNK_BYTES):
                        spool.write(data)
                    spool.seek(0)
            elif name is not None:
                fields[name.lower()] = _drain_field(events).decode("utf-8", "replace")
            else:
                _drain_field(events)
        if info is None and spool is None:
            raise BadRequestError("The form has no file field.")
        if "key" not in fields:
            raise BadRequestError("The form has no key field.")
        _check_key(fields["key"], expected_key)
        if info is None:
            info = blobs.put(blob_key, spool)
        return info
    except BaseException:
        if info is not None:
            blobs.delete(blob_key)
        raise
    finally:
        if spool is not None:
            spool.close()


def _check_key(given: str, expected: str) -> None:
    if given != expected:
        raise ForbiddenError("The key field does not match the upload URL.")


def _forbidden(error: SignatureError, what: str) -> DomainError:
    if isinstance(error, ExpiredSignatureError):
        return ForbiddenError(f"The {what} URL has expired ({error}).")
    return ForbiddenError(f"The {what} URL is not valid ({error}).")


class StorageRoutes:
    """Outermost ASGI middleware: serves ``/storage/...``, passes everything else on."""

    def __init__(self, app: ASGIApp, *, state: Any) -> None:
        self.app = app
        self.state = state  # the app's state: settings and store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/" + svc.STORAGE_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request)
        except DomainError as error:
            response = render_domain_error(error)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, scope["path"][:80])
            response = error_response(500, "internal_server_error", "An unexpected error occurred.")
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        parts = request.url.path.strip("/").split("/")
        method = request.method
        if len(parts) >= 3 and parts[1] == "download" and method in ("GET", "HEAD"):
            return await self._download(request, parts[2], head=method == "HEAD")
        if len(parts) == 3 and parts[1] == "upload" and method == "POST":
            return await self._upload(request, parts[2])
        if len(parts) == 3 and parts[1] == "part" and method == "PUT":
            return await self._part(request, parts[2])
        if len(parts) >= 3 and parts[1] in ("download", "upload", "part"):
            return error_response(405, "method_not_allowed", f"{method} is not allowed here.")
        return error_response(404, "not_found", "The requested endpoint could not be found.")

    def _verify(self, token: str, method: str, what: str) -> Any:
        try:
            return verify(svc.signing_secret(self.state.settings), token, method)
        except SignatureError as error:
            raise _forbidden(error, what) from None

    def _blobs(self) -> BlobStore:
        return svc.blob_store(self.state.settings)

    async def _upload(self, request: Request, token: str) -> Response:
        grant = self._verify(token, "POST", "upload")
        store = self.state.store
        row = await anyio.to_thread.run_sync(svc.check_single_upload, store, grant.extra.get("f"))
        blobs = self._blobs()
        try:
            info = await anyio.to_thread.run_sync(
                receive_form_upload, request, blobs, row.id, grant.key
            )
        except (FormError, IncompleteUploadError) as error:
            raise BadRequestError(f"The upload of file {row.id} is incomplete: {error}.") from None
        await anyio.to_thread.run_sync(svc.finish_single_upload, store, blobs, row.id, info)
        return Response(status_code=204, headers={"ETag": f'"{info.md5}"'})

    async def _part(self, request: Request, token: str) -> Response:
        grant = self._verify(token, "PUT", "upload")
        row, number = await anyio.to_thread.run_sync(
            svc.check_part_upload, self.state.store, grant.extra.get("f"), grant.extra.get("p")
        )
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return error_response(411, "length_required", "A part upload needs Content-Length.")
        blobs = self._blobs()

        def store_part() -> Any:
            return blobs.put_part(
                row.multipart_upload_id,
                number,
                _ChunkReader(_sync_body(request)),  # type: ignore[arg-type]
                expected_size=int(length),
            )

        try:
            part = await anyio.to_thread.run_sync(store_part)
        except IncompleteUploadError as error:
            raise BadRequestError(
                f"Part {number} of file {row.id} is incomplete: {error}."
            ) from None
        except MultipartError as error:
            # The upload is gone: completed (or aborted) meanwhile.
            raise BadRequestError(f"Part {number} of file {row.id}: {error}.") from None
        return Response(status_code=200, headers={"ETag": f'"{part.md5}"'})

    async def _download(self, request: Request, token: str, *, head: bool) -> Response:
        grant = self._verify(token, "GET", "download")
        row = await anyio.to_thread.run_sync(svc.file_row, self.state.store, grant.extra.get("f"))
        if row.blob_key != grant.key or row.state != svc.COMPLETE:
            raise ForbiddenError("The download URL is not valid for this file.")
        if svc.is_expired(row):
            raise ForbiddenError(f"File {row.id} has expired.")
        size = int(row.size or 0)
        start, end = 0, size - 1
        status = 200
        headers = {
            "Accept-Ranges": "bytes",
            "ETag": svc.etag(row),
            "Content-Type": _content_type(row.name),
            "Content-Disposition": _disposition_header(row.name, bool(grant.extra.get("i"))),
            "Cache-Control": "private, max-age=0",
        }
        wanted = request.headers.get("range")
        if wanted is not None:
            parsed = _parse_range(wanted, size)
            if parsed is None:
                return error_response(
                    416,
                    "range_not_satisfiable",
                    f"The range {wanted!r} is not satisfiable for {size} bytes.",
                    headers={"Content-Range": f"bytes */{size}"},
                )
            if parsed != (-1, -1):
                start, end = parsed
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(end - start + 1, 0)
        headers["Content-Length"] = str(length)
        if head:
            return _HeadResponse(status, headers)
        blobs = self._blobs()
        try:
            stream = await anyio.to_thread.run_sync(
                blobs.open_range, row.blob_key, start, end if length else None
            )
        except InvalidRangeError:
            return error_response(416, "range_not_satisfiable", "The range is not satisfiable.")
        except StorageError:
            raise NotFoundError(f"The contents of file {row.id} are missing.") from None
        return _BlobResponse(stream, status, headers)


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` of a single ``bytes=`` range; ``(-1, -1)`` to ignore the header
    (other units, several ranges); None when unsatisfiable or malformed.

    Examples:
        >>> _parse_range("bytes=0-9", 100), _parse_range("bytes=-10", 100)
        ((0, 9), (90, 99))
        >>> _parse_range("bytes=5-", 100), _parse_range("bytes=200-", 100)
        ((5, 99), None)
    """
    value = value.strip()
    if not value.lower().startswith("bytes=") or "," in value:
        return (-1, -1)
    match = _RANGE.match(value.replace(" ", "").lower())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return None
        return max(size - count, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


def _content_type(name: str) -> str:
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding:  # a.csv.gz is a gzip file: no Content-Encoding, or clients would unzip it
        return {
            "gzip": "application/gzip",
            "bzip2": "application/x-bzip2",
            "xz": "application/x-xz",
        }.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def _disposition_header(name: str, inline: bool) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class _HeadResponse(Response):
    """Headers only, with the Content-Length of the body a GET would send."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.background = None
        self.body = b""
        self.raw_headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _BlobResponse(Response):
    """Streams an open blob in chunks read off the event loop; always closes it."""

    def __init__(self, stream: BinaryIO, status: int, headers: dict[str, str]) -> None:
        self.stream = stream
        self.status_code = status
        self.background = None
        self.raw_headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            while True:
                chunk = await anyio.to_thread.run_sync(self.stream.read, CHUNK_BYTES)
                if not chunk:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-download
        finally:
            await anyio.to_thread.run_sync(self.stream.close)
