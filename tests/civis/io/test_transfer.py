"""The streamed upload body is byte-for-byte what requests' ``files=`` encoding (the
official client's) produces, and the part reader streams exact ranges."""

from __future__ import annotations

import io
import re
import tempfile

import pytest
import requests

from civis.io._transfer import ByteRange, FormBody, send_with_retries


@pytest.mark.parametrize("data", [b"", b"hello world", bytes(range(256)) * 1000])
def test_form_body_matches_requests_encoding(data: bytes) -> None:
    fields = {"key": "files/1/a.csv", "policy": "cG9s", "x-amz-signature": "sig"}
    prepared = requests.Request(
        "POST", "http://example.invalid/", files={**fields, "file": io.BytesIO(data)}
    ).prepare()
    match = re.search(r"boundary=(\S+)", prepared.headers["Content-Type"])
    assert match
    body = FormBody(fields, io.BytesIO(data), len(data), boundary=match.group(1))
    streamed = b"".join(iter(lambda: body.read(7000), b""))
    assert streamed == prepared.body
    assert len(body) == len(streamed)
    assert body.content_type == prepared.headers["Content-Type"]


def test_byte_range_reads_exactly_its_slice() -> None:
    with tempfile.TemporaryFile() as fh:
        fh.write(bytes(range(100)))
        fh.flush()
        part = ByteRange(fh.fileno(), 10, 30)
        chunks = [part.read(7) for _ in range(6)]
    assert b"".join(chunks) == bytes(range(10, 40)) and chunks[-1] == b""


def test_send_with_retries_reraises_the_last_error() -> None:
    attempts: list[int] = []

    def always() -> None:
        attempts.append(1)
        raise OSError(f"attempt {len(attempts)}")

    with pytest.raises(OSError, match="attempt 3"):
        send_with_retries(always, attempts=3, sleep=lambda s: None)
