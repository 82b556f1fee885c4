"""Reading upload bodies: a streaming multipart/form-data parser, and the request body
as chunks from a worker thread.

``receive_form_upload`` parses the form the official client posts to a presigned upload
URL (fields, then ``file``, as S3 presigned POSTs take them) and streams the file part
straight into the blob store; nothing is held in memory but a chunk.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request

from civis_platform.errors import (
    BadRequestError,
    ForbiddenError,
)
from civis_platform.services import files as svc
from civis_platform.storage import (
    BlobStore,
    IncompleteUploadError,
)

CHUNK_BYTES = 1 << 20
MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
SPOOL_MEMORY_BYTES = 1 << 20


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


class ChunkReader(io.RawIOBase):
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


class _PartReader(ChunkReader):
    """The ``data`` events of one part, as a readable stream (ends at ``end_part``)."""

    def __init__(self, events: Iterator[tuple[str, Any]]) -> None:
        super().__init__(_part_data(events))


BATCH_BYTES = 1 << 20


def request_chunks(request: Request) -> Iterator[bytes]:
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
    events = iter_form(request_chunks(request), _boundary(request))
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
