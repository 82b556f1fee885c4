"""The `BlobStore` protocol: where file contents live, addressed by key.

A blob store keeps immutable objects (put whole, or assembled from numbered parts) and
reads them back whole or by byte range. `LocalBlobStore` (`storage/local.py`) keeps
them in a folder; an S3 store will follow the same protocol. Presigned URLs for
them are minted by `storage/signing.py`.

Errors. Callers see only this tree::

    StorageError
     ├── InvalidKeyError           a key that is empty, absolute, or climbs out ("..")
     ├── BlobNotFoundError         no object under that key
     ├── InvalidRangeError         a byte range outside the object (HTTP 416)
     ├── IncompleteUploadError     fewer bytes arrived than the declared size
     └── MultipartError            unknown upload, bad part number, missing or short part
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

__all__ = [
    "DEFAULT_MIN_PART_SIZE",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "IncompleteUploadError",
    "InvalidKeyError",
    "InvalidRangeError",
    "MultipartError",
    "PartInfo",
    "StorageError",
]

DEFAULT_MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's minimum size for every part of a multipart upload but the last."""


class StorageError(Exception):
    """Base of every error a blob store raises."""


class InvalidKeyError(StorageError, ValueError):
    """The key cannot name an object (empty, absolute, ``..``, control characters)."""


class BlobNotFoundError(StorageError, KeyError):
    """No object is stored under the key."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "blob not found"


class InvalidRangeError(StorageError, ValueError):
    """The requested byte range does not overlap the object."""


class IncompleteUploadError(StorageError):
    """The stream ended before ``expected_size`` bytes arrived; nothing was stored."""


class MultipartError(StorageError):
    """A multipart upload cannot go on: the message names the upload and the part."""


@dataclass(frozen=True)
class BlobInfo:
    """A stored object: its key, size in bytes, hex MD5 and when it was stored (UTC).

    As with S3 ETags, the MD5 of an object made by a multipart upload is the MD5 of its
    parts' binary MD5s, not of its bytes; an adopted object has none (``""``).
    """

    key: str
    size: int
    md5: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class PartInfo:
    """One received part of a multipart upload (1-based number, bytes, hex MD5)."""

    number: int
    size: int
    md5: str = ""


@runtime_checkable
class BlobStore(Protocol):
    """Immutable objects by key, written atomically and read as streams.

    Implementations are safe to share between threads and processes. Writes are
    atomic: a reader sees the old object or the new one, never a partial one.

    Examples:
        >>> import io, tempfile
        >>> from civis_platform.storage import LocalBlobStore
        >>> store = LocalBlobStore(tempfile.mkdtemp())
        >>> store.put("files/1/data.csv", io.BytesIO(b"a,b\\n")).size
        4
        >>> store.open_range("files/1/data.csv", 2, 3).read()
        b'b\\n'
        >>> upload = store.create_multipart("files/2/big.csv", 2)
        >>> store.put_part(upload, 2, io.BytesIO(b"tail")).size
        4
        >>> store.put_part(upload, 1, io.BytesIO(b"head-")).number
        1
        >>> try:
        ...     store.complete_multipart(upload)  # part 1 is below the 5 MiB minimum
        ... except MultipartError as exc:
        ...     print(str(exc).split(": ")[1])
        part 1 of 2 is 5 bytes, below the minimum part size of 5242880 bytes
    """

    def put(self, key: str, stream: BinaryIO, *, expected_size: int | None = None) -> BlobInfo:
        """Store ``stream``'s bytes under ``key``, replacing any object there.

        Reads in chunks. Raises `IncompleteUploadError` (storing nothing) when
        ``expected_size`` is given and fewer bytes arrive, or more do.
        """
        ...

    def staging_dir(self) -> Path:
        """A local folder for files meant for `adopt` (on the store's own filesystem
        where it has one, so that adopting is a rename)."""
        ...

    def adopt(self, key: str, path: Path) -> BlobInfo:
        """Make the complete local file ``path`` the object under ``key``; the file is
        consumed (moved, or uploaded and deleted).

        For files the server wrote itself (exports): nothing is copied through Python
        and no checksum is computed, so the md5 is ``""``.
        """
        ...

    def open(self, key: str) -> BinaryIO:
        """A stream of the whole object; the caller closes it. `BlobNotFoundError`."""
        ...

    def open_range(self, key: str, start: int, end_inclusive: int | None) -> BinaryIO:
        """A stream of bytes ``start..end_inclusive`` (clipped to the object), as HTTP Range.

        ``end_inclusive=None`` reads to the end. Raises `InvalidRangeError` when
        ``start`` is past the end of a non-empty object or the range is reversed.
        """
        ...

    def stat(self, key: str) -> BlobInfo:
        """Size, MD5 and time of an object; raises `BlobNotFoundError`."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object; removing a missing one is not an error (as in S3)."""
        ...

    def create_multipart(self, key: str, num_parts: int) -> str:
        """Start an upload of ``num_parts`` parts to ``key``; return its upload id."""
        ...

    def put_part(
        self,
        upload_id: str,
        part_number: int,
        stream: BinaryIO,
        *,
        expected_size: int | None = None,
    ) -> PartInfo:
        """Store part ``part_number`` (1-based) of an upload; a retry replaces it."""
        ...

    def complete_multipart(self, upload_id: str) -> BlobInfo:
        """Assemble the parts in order into the object and forget the upload.

        Raises `MultipartError` naming the first missing part, or the first part other
        than the last that is smaller than the store's minimum part size; the upload
        stays open so the client can send the part again.
        """
        ...

    def abort_multipart(self, upload_id: str) -> None:
        """Discard an upload and its parts (unknown ids are ignored)."""
        ...
