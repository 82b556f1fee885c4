"""The storage routes: the data plane that moves file contents, outside the Civis API.

They live outside the Civis API namespace and outside ``/endpoints``, and take no API
key: each URL carries a signed token (``storage/signing.py``) minted by
``services/files.py``. :class:`StorageRoutes` is installed as the outermost
middleware, so these requests never reach authentication or rate limiting::

    POST     /storage/upload/{token}          multipart/form-data, ``key`` then ``file``
                                              (as S3 presigned POSTs): 204
    PUT      /storage/part/{token}            raw part body with Content-Length: 200
    GET|HEAD /storage/download/{token}/{name} the contents; ``Range: bytes=a-b``: 206

Bodies stream: uploads go straight from the socket to the blob store (the form is
parsed incrementally, `api.forms`), downloads are read in chunks. Errors are
Civis-shaped JSON.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from typing import Any, BinaryIO

import anyio
import anyio.from_thread
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from civis_platform.api.errors import error_response, render_domain_error
from civis_platform.api.forms import (
    CHUNK_BYTES,
    ChunkReader,
    FormError,
    receive_form_upload,
    request_chunks,
)
from civis_platform.errors import (
    BadRequestError,
    DomainError,
    ForbiddenError,
    NotFoundError,
)
from civis_platform.services import files as svc
from civis_platform.services.platform import Platform
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

log = logging.getLogger("civis_platform")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _forbidden(error: SignatureError, what: str) -> DomainError:
    if isinstance(error, ExpiredSignatureError):
        return ForbiddenError(f"The {what} URL has expired ({error}).")
    return ForbiddenError(f"The {what} URL is not valid ({error}).")


class StorageRoutes:
    """Outermost ASGI middleware: serves ``/storage/...``, passes everything else on."""

    def __init__(self, app: ASGIApp, *, platform: Platform) -> None:
        self.app = app
        self.platform = platform

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
            return verify(self.platform.signing_secret, token, method)
        except SignatureError as error:
            raise _forbidden(error, what) from None

    def _blobs(self) -> BlobStore:
        return self.platform.blobs

    async def _upload(self, request: Request, token: str) -> Response:
        grant = self._verify(token, "POST", "upload")
        store = self.platform.store
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
            svc.check_part_upload, self.platform.store, grant.extra.get("f"), grant.extra.get("p")
        )
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():
            return error_response(411, "length_required", "A part upload needs Content-Length.")
        blobs = self._blobs()

        def store_part() -> Any:
            return blobs.put_part(
                row.multipart_upload_id,
                number,
                ChunkReader(request_chunks(request)),  # type: ignore[arg-type]
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
        row = await anyio.to_thread.run_sync(
            svc.file_row, self.platform.store, grant.extra.get("f")
        )
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
