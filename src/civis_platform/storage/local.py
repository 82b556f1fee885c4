"""`LocalBlobStore`: objects as files in a folder, durable across restarts.

Layout under ``root``::

    objects/ab/<sha256(key)>.data   the bytes        (a key never becomes a path, so no
    objects/ab/<sha256(key)>.json   key, size, md5    key can climb out of root)
    uploads/<upload id>/upload.json key and number of parts of a multipart upload
    uploads/<upload id>/00001.part  its parts, as they arrive (00001.md5: their md5)
    tmp/                            files being written; renamed into place when whole

Every write goes to ``tmp/`` first, is fsynced, then renamed over its final name, so a
crash or a failed upload never leaves a partial object behind.

Completing a multipart upload concatenates its parts in the kernel
(``os.copy_file_range``: about 0.12 s per 120 MiB here, where a copy through Python
with an md5 pass took 0.58 s), so every object is one plain file that engines such as
DuckDB can read directly. Its md5 is, as on S3, the md5 of the parts' binary md5s,
recorded as each part arrives.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from .base import (
    DEFAULT_MIN_PART_SIZE,
    BlobInfo,
    BlobNotFoundError,
    IncompleteUploadError,
    InvalidKeyError,
    InvalidRangeError,
    MultipartError,
    PartInfo,
)

__all__ = ["LocalBlobStore", "validate_key"]

CHUNK_BYTES = 1 << 20
MAX_KEY_BYTES = 1024
MAX_PARTS = 10_000
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def validate_key(key: str) -> str:
    """Return ``key`` if it can name an object, else raise `InvalidKeyError`.

    Keys are relative, ``/``-separated, without empty, ``.`` or ``..`` segments,
    backslashes or control characters, and at most 1024 UTF-8 bytes.

    Examples:
        >>> validate_key("files/12/report.csv")
        'files/12/report.csv'
        >>> validate_key("../etc/passwd")
        Traceback (most recent call last):
        ...
        civis_platform.storage.base.InvalidKeyError: invalid key '../etc/passwd': ...
    """
    reason = None
    if not isinstance(key, str) or not key:
        reason = "empty"
    elif len(key.encode()) > MAX_KEY_BYTES:
        reason = f"longer than {MAX_KEY_BYTES} bytes"
    elif _CONTROL.search(key):
        reason = "control character or backslash"
    elif key.startswith("/"):
        reason = "absolute"
    elif any(part in ("", ".", "..") for part in key.split("/")):
        reason = "empty, '.' or '..' segment"
    if reason:
        raise InvalidKeyError(f"invalid key {key!r}: {reason}")
    return key


class _RangeReader(io.RawIOBase):
    """Reads at most ``length`` bytes of an open file, then reports end of file."""

    def __init__(self, fh: BinaryIO, length: int) -> None:
        self.fh = fh
        self.remaining = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.remaining <= 0:
            return 0
        data = self.fh.read(min(len(buffer), self.remaining))
        buffer[: len(data)] = data
        self.remaining -= len(data)
        return len(data)

    def close(self) -> None:
        self.fh.close()
        super().close()


class LocalBlobStore:
    """A `BlobStore` in a local folder (created if missing).

    ``min_part_size`` is the smallest part a multipart upload accepts except its last.

    Examples:
        >>> import io, tempfile
        >>> root = tempfile.mkdtemp()
        >>> LocalBlobStore(root).put("a/b.txt", io.BytesIO(b"hello")).md5
        '5d41402abc4b2a76b9719d911017c592'
        >>> LocalBlobStore(root).open("a/b.txt").read()  # a new instance sees it
        b'hello'
    """

    def __init__(self, root: str | Path, *, min_part_size: int = DEFAULT_MIN_PART_SIZE) -> None:
        self.root = Path(root)
        self.min_part_size = min_part_size
        self._objects = self.root / "objects"
        self._uploads = self.root / "uploads"
        self._tmp = self.root / "tmp"
        for folder in (self._objects, self._uploads, self._tmp):
            folder.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # -- paths and atomic writes ------------------------------------------------------

    def _paths(self, key: str) -> tuple[Path, Path]:
        digest = hashlib.sha256(validate_key(key).encode()).hexdigest()
        folder = self._objects / digest[:2]
        return folder / f"{digest}.data", folder / f"{digest}.json"

    @contextlib.contextmanager
    def _atomic(self, final: Path) -> Iterator[BinaryIO]:
        """A temp file that replaces ``final`` only if the block completes."""
        tmp = self._tmp / f"{uuid.uuid4().hex}.tmp"
        try:
            with open(tmp, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)  # the rename itself must survive a power cut
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _write_json(self, final: Path, payload: dict[str, object]) -> None:
        with self._atomic(final) as fh:
            fh.write(json.dumps(payload).encode())

    @staticmethod
    def _copy(
        stream: BinaryIO,
        out: BinaryIO,
        expected_size: int | None,
        what: str,
    ) -> tuple[int, str]:
        """Copy in chunks; return (size, hex md5). Checks ``expected_size`` both ways."""
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        while chunk := stream.read(CHUNK_BYTES):
            out.write(chunk)
            md5.update(chunk)
            size += len(chunk)
            if expected_size is not None and size > expected_size:
                raise IncompleteUploadError(
                    f"{what}: more than the expected {expected_size} bytes arrived"
                )
        if expected_size is not None and size < expected_size:
            raise IncompleteUploadError(
                f"{what}: {size} of the expected {expected_size} bytes arrived"
            )
        return size, md5.hexdigest()

    # -- objects ----------------------------------------------------------------------

    def put(self, key: str, stream: BinaryIO, *, expected_size: int | None = None) -> BlobInfo:
        """See `BlobStore.put`."""
        data_path, meta_path = self._paths(key)
        with self._atomic(data_path) as fh:
            size, md5 = self._copy(stream, fh, expected_size, f"upload of {key!r}")
        return self._record(key, size, md5, meta_path)

    def staging_dir(self) -> Path:
        """See `BlobStore.staging_dir`: the store's own ``tmp/`` (one filesystem)."""
        return self._tmp

    def adopt(self, key: str, path: Path) -> BlobInfo:
        """See `BlobStore.adopt`: an fsync and a rename, whatever the file's size."""
        data_path, meta_path = self._paths(key)
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())  # the bytes must be on disk before the name is
            size = os.fstat(fh.fileno()).st_size
        data_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, data_path)
        except OSError:  # another filesystem after all: copy, then drop the original
            with open(path, "rb") as source, self._atomic(data_path) as out:
                shutil.copyfileobj(source, out, CHUNK_BYTES)
            os.unlink(path)
        _fsync_dir(data_path.parent)
        return self._record(key, size, "", meta_path)

    def _record(self, key: str, size: int, md5: str, meta_path: Path) -> BlobInfo:
        created = datetime.now(UTC)
        self._write_json(
            meta_path, {"key": key, "size": size, "md5": md5, "created_at": created.isoformat()}
        )
        return BlobInfo(key=key, size=size, md5=md5, created_at=created)

    def open(self, key: str) -> BinaryIO:
        """See `BlobStore.open`."""
        data_path, _ = self._paths(key)
        try:
            return open(data_path, "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"no object under key {key!r}") from None

    def open_range(self, key: str, start: int, end_inclusive: int | None) -> BinaryIO:
        """See `BlobStore.open_range`."""
        fh = self.open(key)
        size = os.fstat(fh.fileno()).st_size
        end = size - 1 if end_inclusive is None else min(end_inclusive, size - 1)
        if (
            start < 0
            or (end_inclusive is not None and end_inclusive < start)
            or (start >= size and size > 0)
        ):
            fh.close()
            raise InvalidRangeError(
                f"range {start}-{end_inclusive} is outside {key!r} ({size} bytes)"
            )
        fh.seek(start)
        reader = _RangeReader(fh, max(end - start + 1, 0))
        return io.BufferedReader(reader, buffer_size=CHUNK_BYTES)

    def stat(self, key: str) -> BlobInfo:
        """See `BlobStore.stat`."""
        data_path, meta_path = self._paths(key)
        try:
            size = data_path.stat().st_size
        except FileNotFoundError:
            raise BlobNotFoundError(f"no object under key {key!r}") from None
        try:
            meta = json.loads(meta_path.read_text())
            if meta["size"] == size:
                created = datetime.fromisoformat(meta["created_at"])
                return BlobInfo(key=key, size=size, md5=meta["md5"], created_at=created)
        except (FileNotFoundError, ValueError, KeyError):
            pass
        # The metadata is missing or stale (a crash between the two renames): rebuild it.
        with self.open(key) as fh:
            size, md5 = self._copy(fh, _Discard(), None, key)  # type: ignore[arg-type]
        return self._record(key, size, md5, meta_path)

    def exists(self, key: str) -> bool:
        """See `BlobStore.exists`."""
        return self._paths(key)[0].exists()

    def delete(self, key: str) -> None:
        """See `BlobStore.delete`."""
        for path in self._paths(key):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    # -- multipart --------------------------------------------------------------------

    def _upload_dir(self, upload_id: str) -> Path:
        if not isinstance(upload_id, str) or not _UPLOAD_ID.match(upload_id):
            raise MultipartError(f"no multipart upload {upload_id!r}")
        folder = self._uploads / upload_id
        if not (folder / "upload.json").exists():
            raise MultipartError(f"no multipart upload {upload_id!r}")
        return folder

    def _upload(self, upload_id: str) -> tuple[Path, str, int]:
        folder = self._upload_dir(upload_id)
        meta = json.loads((folder / "upload.json").read_text())
        return folder, str(meta["key"]), int(meta["num_parts"])

    def create_multipart(self, key: str, num_parts: int) -> str:
        """See `BlobStore.create_multipart`."""
        validate_key(key)
        if not 1 <= num_parts <= MAX_PARTS:
            raise MultipartError(f"num_parts must be between 1 and {MAX_PARTS}, not {num_parts}")
        upload_id = uuid.uuid4().hex
        folder = self._uploads / upload_id
        folder.mkdir()
        self._write_json(folder / "upload.json", {"key": key, "num_parts": num_parts})
        return upload_id

    def put_part(
        self,
        upload_id: str,
        part_number: int,
        stream: BinaryIO,
        *,
        expected_size: int | None = None,
    ) -> PartInfo:
        """See `BlobStore.put_part`."""
        folder, _, num_parts = self._upload(upload_id)
        if not 1 <= part_number <= num_parts:
            raise MultipartError(
                f"upload {upload_id}: part number {part_number} is not in 1..{num_parts}"
            )
        part = folder / f"{part_number:05d}.part"
        with self._atomic(part) as fh:
            size, md5 = self._copy(
                stream, fh, expected_size, f"upload {upload_id} part {part_number}"
            )
        # Kept for completion's md5; a stale or missing one is recomputed there.
        part.with_suffix(".md5").write_text(f"{size} {md5}")
        return PartInfo(number=part_number, size=size, md5=md5)

    def complete_multipart(self, upload_id: str) -> BlobInfo:
        """See `BlobStore.complete_multipart`."""
        folder, key, num_parts = self._upload(upload_id)
        parts = [folder / f"{n:05d}.part" for n in range(1, num_parts + 1)]
        for number, part in enumerate(parts, start=1):
            if not part.exists():
                raise MultipartError(f"upload {upload_id}: part {number} of {num_parts} is missing")
            size = part.stat().st_size
            if number < num_parts and size < self.min_part_size:
                raise MultipartError(
                    f"upload {upload_id}: part {number} of {num_parts} is {size} bytes, "
                    f"below the minimum part size of {self.min_part_size} bytes"
                )
        total, md5 = self._composite_md5(parts)
        data_path, meta_path = self._paths(key)
        with self._atomic(data_path) as out:
            for part in parts:
                _append_file(part, out)
        info = self._record(key, total, md5, meta_path)
        shutil.rmtree(folder, ignore_errors=True)
        return info

    def _composite_md5(self, parts: list[Path]) -> tuple[int, str]:
        """(size, md5) of a multipart object: the md5 of its parts' binary md5s."""
        md5 = hashlib.md5(usedforsecurity=False)
        total = 0
        for part in parts:
            size, digest = self._part_md5(part)
            md5.update(bytes.fromhex(digest))
            total += size
        return total, md5.hexdigest()

    def _part_md5(self, part: Path) -> tuple[int, str]:
        size = part.stat().st_size
        with contextlib.suppress(FileNotFoundError, ValueError):
            recorded_size, digest = part.with_suffix(".md5").read_text().split()
            if int(recorded_size) == size and len(digest) == 32:
                return size, digest
        with open(part, "rb") as fh:
            return self._copy(fh, _Discard(), None, str(part))  # type: ignore[arg-type]

    def purge_stale(self, max_age: timedelta) -> int:
        """Remove temp files and multipart uploads untouched for ``max_age``; return how
        many. For a periodic janitor: a crash mid-write leaves a temp file, and clients
        that never complete an upload leave its parts (S3 has lifecycle rules for this).

        Examples:
            >>> import tempfile
            >>> LocalBlobStore(tempfile.mkdtemp()).purge_stale(timedelta(days=1))
            0
        """
        cutoff = datetime.now(UTC).timestamp() - max_age.total_seconds()
        removed = 0
        for entry in [*self._tmp.iterdir(), *self._uploads.iterdir()]:
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                if entry.is_dir():
                    newest = max((p.stat().st_mtime for p in entry.iterdir()), default=0.0)
                    if newest >= cutoff:
                        continue
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()
                removed += 1
            except FileNotFoundError:
                continue  # finished or removed meanwhile
        return removed

    def abort_multipart(self, upload_id: str) -> None:
        """See `BlobStore.abort_multipart`."""
        if isinstance(upload_id, str) and _UPLOAD_ID.match(upload_id):
            shutil.rmtree(self._uploads / upload_id, ignore_errors=True)


def _append_file(source: Path, out: BinaryIO) -> None:
    """Append ``source`` to ``out`` in the kernel (no copy through Python) where it can."""
    out.flush()
    with open(source, "rb") as fh:
        remaining = os.fstat(fh.fileno()).st_size
        try:
            while remaining > 0:
                copied = os.copy_file_range(fh.fileno(), out.fileno(), remaining)
                if copied == 0:
                    break
                remaining -= copied
        except OSError:  # no copy_file_range here (other platform or filesystem)
            pass
        if remaining > 0:
            fh.seek(-remaining, os.SEEK_END)
            shutil.copyfileobj(fh, out, CHUNK_BYTES)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; nothing more to do there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Discard(io.RawIOBase):
    """A sink that drops what it is given (to hash a file without keeping it)."""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return len(data)
