"""Blob storage for file contents: the `BlobStore` protocol, `LocalBlobStore`, and our
presigned URL tokens (`signing`)."""

from __future__ import annotations

from .base import (
    DEFAULT_MIN_PART_SIZE,
    BlobInfo,
    BlobNotFoundError,
    BlobStore,
    IncompleteUploadError,
    InvalidKeyError,
    InvalidRangeError,
    MultipartError,
    PartInfo,
    StorageError,
)
from .local import LocalBlobStore
from .signing import (
    ExpiredSignatureError,
    InvalidSignatureError,
    SignatureError,
    SignedGrant,
    sign,
    verify,
)

__all__ = [
    "DEFAULT_MIN_PART_SIZE",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "ExpiredSignatureError",
    "IncompleteUploadError",
    "InvalidKeyError",
    "InvalidRangeError",
    "InvalidSignatureError",
    "LocalBlobStore",
    "MultipartError",
    "PartInfo",
    "SignatureError",
    "SignedGrant",
    "StorageError",
    "open_blob_store",
    "sign",
    "verify",
]


def open_blob_store(url: str, *, min_part_size: int = DEFAULT_MIN_PART_SIZE) -> BlobStore:
    """The blob store a URL names: ``file:///abs/folder`` or a plain folder path.

    Examples:
        >>> import tempfile
        >>> open_blob_store(f"file://{tempfile.mkdtemp()}").exists("nothing")
        False
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return LocalBlobStore(url, min_part_size=min_part_size)
    if scheme == "file":
        return LocalBlobStore(rest, min_part_size=min_part_size)
    raise ValueError(f"unsupported blob store URL scheme {scheme!r} (use file://)")
