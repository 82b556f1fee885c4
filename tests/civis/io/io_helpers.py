"""Helpers of the civis.io tests against the real server (conftest puts us on sys.path)."""

from __future__ import annotations

import io
from typing import Any

from civis.io import civis_to_file


def download(client: Any, file_id: int) -> bytes:
    """The bytes of a Civis file, fetched with `civis_to_file`."""
    out = io.BytesIO()
    civis_to_file(file_id, out, client=client)
    return out.getvalue()


def file_name(client: Any, file_id: int) -> str:
    """The name the server stored for a file."""
    name: str = client.files.get(file_id).name
    return name
