"""Fixtures for blob storage tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from civis_platform.storage import LocalBlobStore

MIN_PART = 1024  # a small minimum part size keeps multipart tests fast


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs", min_part_size=MIN_PART)
