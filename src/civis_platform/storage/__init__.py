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
    "sign",
    "verify",
]
