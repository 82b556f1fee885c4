"""Transfers to and from presigned URLs (S3 or the platform's blob store).

They use the client's pooled session, so connections are reused, but never the API's
auth or job headers: a presigned URL carries its own authorisation, and S3 rejects a
request that has both.  Bodies stream from sources of known length, so memory stays
bounded whatever the file size.  Every transfer is retried, as officially: any error,
including a non-2xx answer, up to `TRANSFER_ATTEMPTS` times.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import requests

__all__ = [
    "TRANSFER_ATTEMPTS",
    "TRANSFER_TIMEOUT",
    "ByteRange",
    "FormBody",
    "MemoryRange",
    "send_with_retries",
]

TRANSFER_TIMEOUT = 60.0
TRANSFER_ATTEMPTS = 5
_READ_CHUNK = 1 << 20
T = TypeVar("T")

# Session headers a presigned URL must not see (None removes a session header).
_STRIP_HEADERS = {"Authorization": None, "X-Civis-Job-ID": None, "X-Civis-Run-ID": None}


def _no_auth(request: Any) -> Any:
    # A request-level auth overrides the session's Basic auth (requests merges them).
    return request


def transfer_kwargs() -> dict[str, Any]:
    """Keyword arguments that keep API credentials off a presigned-URL request."""
    return {"auth": _no_auth, "headers": dict(_STRIP_HEADERS), "timeout": TRANSFER_TIMEOUT}


def session_of(client: Any) -> requests.Session:
    """The client's pooled session (a plain one for clients without our HTTP seam)."""
    http = getattr(client, "_http", None)
    if http is not None:
        session: requests.Session = http.session
        return session
    import requests

    return requests.Session()


def raise_for_transfer(response: requests.Response, what: str) -> None:
    """Raise ``requests.HTTPError`` for a non-2xx answer from a presigned URL."""
    if 200 <= response.status_code < 300:
        return
    import requests

    body = response.text[:500]
    response.close()
    raise requests.HTTPError(
        f"{what} failed with HTTP {response.status_code}. AWS Content: {body}", response=response
    )


def send_with_retries(
    send: Callable[[], T],
    attempts: int = TRANSFER_ATTEMPTS,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Call ``send()`` until it returns, at most ``attempts`` times; re-raise the last error.

    Examples
    --------
    >>> calls = []
    >>> def flaky():
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise OSError("reset")
    ...     return "ok"
    >>> send_with_retries(flaky, sleep=lambda s: None), len(calls)
    ('ok', 3)
    """
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except Exception:
            if attempt >= attempts:
                raise
            (sleep or time.sleep)(random.uniform(0, min(10.0, 0.25 * 2**attempt)))
    raise AssertionError("unreachable")


class ByteRange:
    """A read-only stream over ``length`` bytes of a file from ``offset``, with a length.

    ``requests`` sends it with Content-Length and reads it in small blocks, so only one
    block of each part is in memory.  ``os.pread`` leaves the shared file position
    alone, so many parts of one file can be read concurrently.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryFile() as fh:
    ...     _ = fh.write(b"0123456789")
    ...     fh.flush()  # pread sees the OS file, not Python's write buffer
    ...     part = ByteRange(fh.fileno(), 2, 5)
    ...     len(part), part.read(3), part.read()
    (5, b'234', b'56')
    """

    def __init__(
        self, fd: int, offset: int, length: int, moved: Callable[[int], None] | None = None
    ) -> None:
        self._fd = fd
        self._offset = offset
        self._end = offset + length
        self._pos = offset
        self._moved = moved  # told the bytes read so far (a progress bar)

    def __len__(self) -> int:
        return self._end - self._offset

    def read(self, size: int = -1) -> bytes:
        remaining = self._end - self._pos
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, self._pos)
        self._pos += len(data)
        if self._moved is not None:
            self._moved(self._pos - self._offset)
        return data


class MemoryRange:
    """Like `ByteRange`, over a slice of memory (a BytesIO's buffer): no copy up front.

    Examples
    --------
    >>> part = MemoryRange(memoryview(b"0123456789"), 2, 5)
    >>> len(part), part.read(3), part.read()
    (5, b'234', b'56')
    """

    def __init__(
        self, view: memoryview, offset: int, length: int, moved: Callable[[int], None] | None = None
    ) -> None:
        self._view = view[offset : offset + length]
        self._pos = 0
        self._moved = moved

    def __len__(self) -> int:
        return len(self._view)

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._pos + size
        data = bytes(self._view[self._pos : end])
        self._pos += len(data)
        if self._moved is not None:
            self._moved(self._pos)
        return data


class FormBody:
    """A multipart/form-data body streamed from a file: text fields, then the file.

    Every part carries ``filename=``, as the official client's form does (S3 and our
    server accept both); ``key`` comes first and ``file`` last, as S3 requires.

    Examples
    --------
    >>> import io
    >>> body = FormBody({"key": "k1"}, io.BytesIO(b"data"), 4, boundary="B")
    >>> payload = body.read()
    >>> payload.startswith(b'--B\\r\\nContent-Disposition: form-data; name="key"')
    True
    >>> len(body) == len(payload)
    True
    """

    def __init__(
        self,
        fields: dict[str, Any],
        source: IO[bytes] | ByteRange | MemoryRange,
        size: int,
        boundary: str | None = None,
        filename: str = "file",
    ) -> None:
        self.boundary = boundary or os.urandom(16).hex()
        head = b"".join(self._part(name, str(value).encode()) for name, value in fields.items())
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{_quote(filename)}"\r\n\r\n'
        ).encode()
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._source = source
        self._size = size
        self._stage = 0  # 0 head, 1 file, 2 tail, 3 done
        self._left = size

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def _part(self, name: str, value: bytes) -> bytes:
        return (
            (
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"; '
                f'filename="{_quote(name)}"\r\n\r\n'
            ).encode()
            + value
            + b"\r\n"
        )

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = len(self)
        out: list[bytes] = []
        while size > 0 and self._stage < 3:
            if self._stage == 0:
                out.append(self._head)
                size -= len(self._head)
                self._stage = 1
            elif self._stage == 1:
                chunk = self._source.read(min(size, self._left, _READ_CHUNK)) if self._left else b""
                if not chunk:
                    if self._left:
                        raise OSError(f"file shrank during upload ({self._left} bytes missing)")
                    self._stage = 2
                    continue
                self._left -= len(chunk)
                size -= len(chunk)
                out.append(chunk)
            else:
                out.append(self._tail)
                size -= len(self._tail)
                self._stage = 3
        return b"".join(out)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
