"""Files scenario: the upload and download protocol, through `import civis` and raw HTTP.

Runs unchanged under the official client and under ours. Uploads are sent exactly as
the official client's io functions send them: a form POST to ``uploadUrl`` with ``key``
first and ``file`` last (no auth), and above 50 MiB raw PUTs to ``uploadUrls`` followed
by ``post_multipart_complete``. Under the official client (and under ours once it has
``civis.io.file_to_civis``) the io round trips run too. Environment: CIVIS_API_ENDPOINT,
CIVIS_API_KEY.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _checks import check, expect_raises, finish

import civis

MiB = 1 << 20
OFFICIAL = hasattr(civis, "__version__") and not civis.__version__.startswith("0.")
HAS_IO = hasattr(civis, "io") and hasattr(civis.io, "file_to_civis")
client = civis.APIClient()


def fields_of(created: Any) -> dict[str, Any]:
    fields = created.upload_fields
    return dict(fields.json() if hasattr(fields, "json") else fields)


def single_upload(name: str, data: bytes, **options: Any) -> int:
    created = client.files.post(name, **options)
    fields = fields_of(created)
    form: dict[str, Any] = {"key": fields.pop("key"), **fields, "file": io.BytesIO(data)}
    response = requests.post(created.upload_url, files=form, timeout=60)
    assert response.status_code == 204, (response.status_code, response.text)
    return int(created.id)


def multipart_upload(name: str, path: str, size: int) -> int:
    part_size = max(int(math.sqrt(5 * MiB) * math.sqrt(size)), 5 * MiB)
    num_parts = math.ceil(size / part_size)
    created = client.files.post_multipart(name, num_parts)
    urls = list(created.upload_urls)
    assert len(urls) == num_parts, (len(urls), num_parts)

    def put(index: int) -> int:
        with open(path, "rb") as fh:
            fh.seek(index * part_size)
            data = fh.read(part_size)
        return requests.put(urls[index], data=data, timeout=60).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(put, range(num_parts)))
    assert all(200 <= s < 300 for s in statuses), statuses
    client.files.post_multipart_complete(created.id)
    return int(created.id)


def fetched_digest(file_id: int) -> tuple[str, int]:
    url = client.files.get(file_id).file_url
    assert url, "no file_url"
    md5 = hashlib.md5()
    size = 0
    with requests.get(url, stream=True, timeout=60) as response:
        assert response.status_code == 200, response.status_code
        for chunk in response.iter_content(1 << 20):
            md5.update(chunk)
            size += len(chunk)
    return md5.hexdigest(), size


def random_file(size: int) -> str:
    block = os.urandom(min(size, MiB)) or b""
    left = size
    with tempfile.NamedTemporaryFile(delete=False, suffix=".bin") as fh:
        while left > 0:
            fh.write(block[:left])
            left -= min(left, len(block))
    return fh.name


def digest_of(path: str) -> str:
    md5 = hashlib.md5()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            md5.update(chunk)
    return md5.hexdigest()


@check("files.post answers uploadUrl and lowercase uploadFields with key")
def _() -> None:
    created = client.files.post("fields.csv")
    fields = fields_of(created)
    assert "key" in fields and all(k == k.lower() for k in fields), fields
    assert created.upload_url.startswith(os.environ["CIVIS_API_ENDPOINT"].rstrip("/"))
    assert client.files.get(created.id).file_url is None
    assert created.expires_at and created.name == "fields.csv"


@check("single upload round trips: 0 B and 1 MB")
def _() -> None:
    for size in (0, MiB):
        data = os.urandom(size)
        file_id = single_upload(f"round-{size}.bin", data)
        meta = client.files.get(file_id)
        assert meta.file_size == size, meta
        assert meta.name == f"round-{size}.bin"
        assert requests.get(meta.file_url, timeout=60).content == data


@check("multipart upload above 50 MiB round trips")
def _() -> None:
    size = 60 * MiB + 12345
    path = random_file(size)
    try:
        file_id = multipart_upload("big.bin", path, size)
        assert fetched_digest(file_id) == (digest_of(path), size)
        assert client.files.get(file_id).file_size == size
    finally:
        os.unlink(path)


@check("pandas reads a CSV file_url directly (plain and gzip)")
def _() -> None:
    import pandas as pd

    text = b"a,b\n1,x\n2,y\n"
    frame = pd.read_csv(client.files.get(single_upload("plain.csv", text)).file_url)
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}, frame
    gz_url = client.files.get(single_upload("zipped.csv.gz", gzip.compress(text))).file_url
    assert pd.read_csv(gz_url).to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}


@check("polars reads a CSV file_url directly")
def _() -> None:
    import polars as pl

    url = client.files.get(single_upload("polars.csv", b"a,b\n1,x\n2,y\n")).file_url
    assert pl.read_csv(url).to_dict(as_series=False) == {"a": [1, 2], "b": ["x", "y"]}


@check("expires_at: null never expires, a past date is a 400")
def _() -> None:
    assert client.files.post("forever.txt", expires_at=None).expires_at is None
    err = expect_raises(
        civis.base.CivisAPIError,
        lambda: client.files.post("old.txt", expires_at="2001-01-01T00:00:00Z"),
    )
    assert err.status_code == 400 and "expiresAt" in err.error_message, err


@check("unknown file and incomplete multipart are clear errors")
def _() -> None:
    err = expect_raises(civis.base.CivisAPIError, lambda: client.files.get(987654321))
    assert err.status_code == 404
    created = client.files.post_multipart("never.bin", 2)
    err = expect_raises(
        civis.base.CivisAPIError, lambda: client.files.post_multipart_complete(created.id)
    )
    assert err.status_code == 400 and "part 1 of 2 is missing" in err.error_message, err


@check("patch a file's description and name")
def _() -> None:
    file_id = single_upload("named.csv", b"x\n1\n", description="first")
    patched = client.files.patch(file_id, description="second", name="renamed.csv")
    assert patched.description == "second" and patched.name == "renamed.csv"
    assert patched.file_url.endswith("/renamed.csv")


if HAS_IO:

    @check("civis.io file_to_civis / civis_to_file: 0 B, 1 MB, 120 MB")
    def _() -> None:
        for size in (0, MiB, 120 * 1000 * 1000):
            path = random_file(size)
            out = path + ".out"
            try:
                file_id = civis.io.file_to_civis(path, f"io-{size}.bin", client=client)
                assert client.files.get(file_id).file_size == size
                civis.io.civis_to_file(file_id, out, client=client)
                assert os.path.getsize(out) == size
                assert digest_of(out) == digest_of(path), size
            finally:
                for p in (path, out):
                    if os.path.exists(p):
                        os.unlink(p)

    @check("civis.io buffers and never-expiring files")
    def _() -> None:
        file_id = civis.io.file_to_civis(
            io.BytesIO(b"a,b\n1,2\n"), "buf.csv", expires_at=None, client=client
        )
        assert client.files.get(file_id).expires_at is None
        buf = io.BytesIO()
        civis.io.civis_to_file(file_id, buf, client=client)
        assert buf.getvalue() == b"a,b\n1,2\n"
        if hasattr(civis.io, "file_to_dataframe"):
            frame = civis.io.file_to_dataframe(file_id, client=client)
            assert frame.to_dict("list") == {"a": [1], "b": [2]}, frame


if OFFICIAL:

    @check("official client: io functions are present")
    def _() -> None:
        assert HAS_IO


finish()
