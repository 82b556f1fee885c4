"""Files on Civis Platform: upload, download, JSON, and files among a run's outputs.

Upload protocol (see the module docs of `civis.io`): up to `MULTIPART_THRESHOLD` bytes,
one form POST to the presigned ``uploadUrl``; above it, ``POST /files/multipart``, parallel
raw PUTs of the parts, then ``POST /files/multipart/{id}/complete``.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import IO, Any

from civis.base import EmptyResultError
from civis.client import client_or_default
from civis.io._progress import Progress
from civis.io._transfer import (
    ByteRange,
    FormBody,
    MemoryRange,
    raise_for_transfer,
    send_with_retries,
    session_of,
    transfer_kwargs,
)

__all__ = [
    "MIN_PART_SIZE",
    "MULTIPART_THRESHOLD",
    "civis_to_file",
    "file_id_from_run_output",
    "file_to_civis",
    "file_to_json",
    "json_to_file",
]

MULTIPART_THRESHOLD = 50 * 2**20
MIN_PART_SIZE = 5 * 2**20
_MAX_FILE_SIZE = 5 * 2**40
_MAX_DESCRIPTION = 512
# Parts uploading at once; each streams from the file, so memory does not grow with it.
_PART_WORKERS = 8
_DOWNLOAD_CHUNK = 1 << 20


def part_layout(size: int, min_part_size: int = MIN_PART_SIZE) -> tuple[int, int]:
    """``(part_size, num_parts)`` for a multipart upload, as the official client splits.

    Examples
    --------
    >>> part_layout(100 * 2**20)
    (23446872, 5)
    """
    part_size = max(int(math.sqrt(min_part_size) * math.sqrt(size)), min_part_size)
    return part_size, max(1, math.ceil(size / part_size))


class _Source:
    """The bytes to upload: their size, a default name, and readers of any byte range."""

    def __init__(self, name: str, size: int, fd: int = -1, view: memoryview | None = None) -> None:
        self.name, self.size, self._fd, self._view = name, size, fd, view

    def part(
        self, offset: int, length: int, moved: Callable[[int], None] | None = None
    ) -> ByteRange | MemoryRange:
        if self._view is not None:
            return MemoryRange(self._view, offset, length, moved)
        return ByteRange(self._fd, offset, length, moved)


@contextmanager
def _readable_source(buf: Any) -> Iterator[_Source]:
    """Yield a `_Source` for ``buf`` without copying it when possible.

    Paths and regular files at position 0 are read in place, a BytesIO through its
    buffer; anything else (text, pipes, files read part-way) is spooled to a temporary
    file first.
    """
    if isinstance(buf, (str, os.PathLike)):
        with open(buf, "rb") as fh:
            fd = fh.fileno()
            yield _Source(os.path.basename(os.fspath(buf)), os.fstat(fd).st_size, fd)
        return
    name = os.path.basename(str(getattr(buf, "name", "") or "")) or "file"
    if isinstance(buf, io.BytesIO):
        view = buf.getbuffer()[buf.tell() :]
        try:
            yield _Source(name, len(view), view=view)
        finally:
            view.release()  # the BytesIO may be resized again
        return
    raw = buf.buffer if isinstance(buf, io.TextIOWrapper) else buf
    try:
        fd = raw.fileno()
        # Only a regular file has a size and can be read by offset (pipes cannot).
        at_start = (
            stat.S_ISREG(os.fstat(fd).st_mode)
            and raw.tell() == 0
            and os.lseek(fd, 0, os.SEEK_CUR) == 0
        )
    except (AttributeError, OSError, io.UnsupportedOperation):
        fd, at_start = -1, False
    if fd >= 0 and at_start and not isinstance(buf, io.TextIOWrapper):
        yield _Source(name, os.fstat(fd).st_size, fd)
        return
    with tempfile.TemporaryFile() as tmp:
        if isinstance(buf, io.TextIOBase):
            while chunk := buf.read(_DOWNLOAD_CHUNK):
                tmp.write(chunk.encode("utf-8"))
        else:
            shutil.copyfileobj(buf, tmp, _DOWNLOAD_CHUNK)
        tmp.flush()
        yield _Source(name, os.fstat(tmp.fileno()).st_size, tmp.fileno())


def _file_options(expires_at: Any, description: str | None) -> dict[str, Any]:
    if description is not None and len(description) > _MAX_DESCRIPTION:
        raise ValueError(
            f"description must be at most {_MAX_DESCRIPTION} characters, got {len(description)}"
        )
    options: dict[str, Any] = {}
    if expires_at != "DEFAULT":
        # None means "never expires" and is sent as null; a string passes through.
        options["expires_at"] = expires_at
    if description is not None:
        options["description"] = description
    return options


def file_to_civis(
    buf: Any,
    name: str | None = None,
    expires_at: Any = "DEFAULT",
    description: str | None = None,
    client: Any = None,
) -> int:
    """Upload a file or buffer to Civis and return the new file's id.

    Parameters
    ----------
    buf : file object or path-like
        Binary (or text, sent as UTF-8) contents, or a path to open.
    name : str, optional
        The file's name on Civis; defaults to the path's or buffer's name.
    expires_at : str or None
        ISO 8601 expiry; ``None`` never expires; ``"DEFAULT"`` lets the server decide
        (30 days on Civis Platform).
    description : str, optional
        At most 512 characters.
    client : APIClient, optional

    Returns
    -------
    int
        The file id.

    Raises
    ------
    ValueError
        ``description`` is too long, or the file is larger than 5 TiB.
    requests.HTTPError
        The upload failed after retries.

    Examples
    --------
    >>> file_id = file_to_civis("data.csv", expires_at=None)  # doctest: +SKIP
    >>> import io
    >>> file_id = file_to_civis(io.BytesIO(b"a,b\\n1,2\\n"), "data.csv")  # doctest: +SKIP
    """
    options = _file_options(expires_at, description)
    client = client_or_default(client)
    with _readable_source(buf) as source:
        size = source.size
        name = name or source.name
        if size > _MAX_FILE_SIZE:
            raise ValueError(f"Files larger than 5 TiB cannot be uploaded ({size} bytes).")
        # Module globals read at call time, so tests can lower them.
        with Progress(f"Uploading {name}", size) as bar:
            if size <= MULTIPART_THRESHOLD:
                return _single_upload(client, source, name, options, bar)
            return _multipart_upload(client, source, name, options, MIN_PART_SIZE, bar)


def _single_upload(
    client: Any, source: _Source, name: str, options: dict[str, Any], bar: Progress
) -> int:
    created = client.files.post(name, **options)
    fields = dict(
        created.upload_fields.json()
        if hasattr(created.upload_fields, "json")
        else created.upload_fields
    )
    # S3 requires the key first and the file last.
    form = {"key": fields.pop("key"), **fields}
    session = session_of(client)

    def send() -> None:
        # The file part's filename is the source's, as requests' form encoding names it
        # (S3 substitutes it for ${filename} in the key).
        body = FormBody(
            form, source.part(0, source.size, bar.track(0)), source.size, filename=source.name
        )
        kwargs = transfer_kwargs()
        kwargs["headers"]["Content-Type"] = body.content_type
        response = session.post(created.upload_url, data=body, **kwargs)
        raise_for_transfer(response, f"Upload of file {created.id}")
        response.close()

    send_with_retries(send)
    return int(created.id)


def _multipart_upload(
    client: Any,
    source: _Source,
    name: str,
    options: dict[str, Any],
    min_part_size: int,
    bar: Progress,
) -> int:
    size = source.size
    part_size, num_parts = part_layout(size, min_part_size)
    created = client.files.post_multipart(name, num_parts, **options)
    urls = list(created.upload_urls)
    if len(urls) != num_parts:
        raise ValueError(f"Asked for {num_parts} upload URLs, got {len(urls)}.")
    session = session_of(client)
    failed = threading.Event()

    def put_part(index: int) -> None:
        offset = index * part_size
        length = min(part_size, size - offset)

        def send() -> None:
            if failed.is_set():
                raise RuntimeError("another part failed")  # stop retrying: we abort anyway
            response = session.put(
                urls[index], data=source.part(offset, length, bar.track(index)), **transfer_kwargs()
            )
            raise_for_transfer(response, f"Upload of part {index + 1}/{num_parts}")
            response.close()

        try:
            send_with_retries(send)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(
        max_workers=min(_PART_WORKERS, num_parts), thread_name_prefix="civis-upload"
    ) as pool:
        parts: list[Future[None]] = [pool.submit(put_part, i) for i in range(num_parts)]
        done, _ = wait(parts, return_when=FIRST_EXCEPTION)
        for part in parts:
            part.cancel()
        errors = [p.exception() for p in done if not p.cancelled() and p.exception()]
    if errors:
        # Unlike the official client, a lost part is an error, never a corrupt file.
        raise errors[0]  # type: ignore[misc]
    client.files.post_multipart_complete(created.id)
    return int(created.id)


def _file_url(client: Any, file_id: int) -> tuple[str, Any]:
    meta = client.files.get(file_id)
    url = meta.get("file_url")
    if not url:
        raise EmptyResultError(
            f"Unable to locate file {file_id}. If it previously existed, it may have expired."
        )
    return str(url), meta


def civis_to_file(file_id: int, buf: Any, client: Any = None) -> None:
    """Download a Civis file into a binary buffer or a path.

    A dropped connection resumes with an HTTP Range request when the server supports it,
    and otherwise restarts from the buffer's original position.

    Parameters
    ----------
    file_id : int
    buf : binary file object or path-like
    client : APIClient, optional

    Raises
    ------
    EmptyResultError
        The file has no download URL (it may have expired).

    Examples
    --------
    >>> civis_to_file(123, "local.csv")  # doctest: +SKIP
    >>> import io
    >>> buf = io.BytesIO()
    >>> civis_to_file(123, buf)  # doctest: +SKIP
    """
    client = client_or_default(client)
    url, meta = _file_url(client, file_id)
    label = f"Downloading {meta.get('name') or f'file {file_id}'}"
    if isinstance(buf, (str, os.PathLike)):
        with open(buf, "wb") as fh:
            _download(client, url, fh, label)
        return
    _download(client, url, buf, label)


def _download(client: Any, url: str, buf: IO[bytes], label: str) -> None:
    session = session_of(client)
    bar: Progress | None = None  # made at the first answer, which says the size
    try:
        start = buf.tell()
    except (OSError, AttributeError, io.UnsupportedOperation):
        start = None
    written = 0
    rewound = False
    # Range offsets count stored bytes; with a Content-Encoding we see decoded ones.
    resumable = True

    def fetch() -> None:
        nonlocal written, rewound, resumable, bar
        kwargs = transfer_kwargs()
        if written and resumable:
            kwargs["headers"]["Range"] = f"bytes={written}-"
        with session.get(url, stream=True, **kwargs) as response:
            raise_for_transfer(response, "Download")
            if response.headers.get("Content-Encoding", "identity") != "identity":
                resumable = False
            if written and response.status_code != 206:
                if start is None:
                    raise OSError("download failed and the buffer cannot be rewound")
                buf.seek(start)  # no partial answer: start over
                written, rewound = 0, True
            if bar is None:
                length = response.headers.get("Content-Length")
                bar = Progress(label, int(length) + written if length else None)
            moved = bar.track(0)
            for chunk in response.iter_content(_DOWNLOAD_CHUNK):
                buf.write(chunk)
                written += len(chunk)
                moved(written)
        if rewound:
            buf.truncate()  # a shorter second copy must not leave old bytes behind

    try:
        send_with_retries(fetch)
    finally:
        if bar is not None:
            bar.close()


def file_to_json(file_id: int, client: Any = None, **json_kwargs: Any) -> Any:
    """Download a Civis file and parse it as JSON.

    Examples
    --------
    >>> file_to_json(123)  # doctest: +SKIP
    {'a': 1}
    """
    buf = io.BytesIO()
    civis_to_file(file_id, buf, client=client)
    buf.seek(0)
    return json.load(io.TextIOWrapper(buf, encoding="utf-8"), **json_kwargs)


def json_to_file(
    obj: Any,
    name: str = "file.json",
    expires_at: Any = "DEFAULT",
    description: str | None = None,
    client: Any = None,
    **json_kwargs: Any,
) -> int:
    """Upload ``obj`` as a JSON file and return its id.

    Examples
    --------
    >>> json_to_file({"a": 1}, "a.json")  # doctest: +SKIP
    124
    """
    payload = json.dumps(obj, **json_kwargs).encode("utf-8")
    return file_to_civis(
        io.BytesIO(payload),
        name=name,
        expires_at=expires_at,
        description=description,
        client=client,
    )


def file_id_from_run_output(
    name: str, job_id: int, run_id: int, regex: bool = False, client: Any = None
) -> int:
    """Find a File among a run's outputs by name (or by ``re.search`` with ``regex``).

    Raises
    ------
    OSError
        The job or run does not exist.
    FileNotFoundError
        No output File matches.

    Examples
    --------
    >>> file_id_from_run_output("result.csv", 42, 7)  # doctest: +SKIP
    991
    """
    from civis.base import CivisAPIError

    client = client_or_default(client)
    try:
        outputs = client.jobs.list_runs_outputs(job_id, run_id)
    except CivisAPIError as err:
        if err.status_code == 404:
            raise OSError(f"Could not find job/run ID {job_id}/{run_id}") from err
        raise
    for output in outputs:
        if output.object_type != "File":
            continue
        if re.search(name, output.name) if regex else output.name == name:
            return int(output.object_id)
    raise FileNotFoundError(f'Unable to find file "{name}" in job {job_id}/run {run_id}.')
