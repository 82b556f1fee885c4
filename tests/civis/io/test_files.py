"""file_to_civis / civis_to_file and friends.

Outcomes (round trips, names, reading from paths, buffers and pipes, JSON, another user's
files staying unreadable, multipart over 50 MiB) run against the real server
(`real_client`). The fake (`srv`/`client`) keeps the
differential tests: the exact requests sent (no Authorization on presigned URLs, form
field order, what ``expires_at`` sends, part PUTs, parts smaller than the real server
allows), and Civis conditions our server does not produce (failing or lost parts, dropped
or range-ignoring downloads, expired files, run outputs scripted per test), plus the
memory bound, which must not count an in-process server's buffers.
"""

from __future__ import annotations

import gc
import io
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import requests
from files_server import FilesServer
from io_helpers import download, file_name

import civis.io._files as files
from civis.base import EmptyResultError
from civis.io import (
    civis_to_file,
    file_id_from_run_output,
    file_to_civis,
    file_to_json,
    json_to_file,
    split_schema_tablename,
)


def _round_trip(client: Any, data: bytes) -> bytes:
    file_id = file_to_civis(io.BytesIO(data), "blob.bin", client=client)
    out = io.BytesIO()
    civis_to_file(file_id, out, client=client)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 1_000_000])
def test_single_upload_round_trip(real_client: Any, size: int) -> None:
    data = os.urandom(size)
    assert _round_trip(real_client, data) == data


def test_single_upload_requests(srv: FilesServer, client: Any) -> None:
    data = os.urandom(1000)
    assert _round_trip(client, data) == data
    (upload,) = srv.requests_to("POST", r"/upload/\d+")
    assert "Authorization" not in upload
    file_id = max(srv.files)
    fields = srv.files[file_id].form_fields
    assert [n for n, _ in fields] == ["key", "policy", "x-amz-signature", "file"]
    assert all(filename for _, filename in fields)
    (fetch,) = srv.requests_to("GET", r"/download/\d+")
    assert "Authorization" not in fetch
    # The API calls themselves are authenticated.
    assert srv.requests_to("POST", r"/files")[0]["Authorization"].startswith("Basic ")


def test_upload_from_path_name_options(srv: FilesServer, client: Any, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    file_id = file_to_civis(path, client=client, expires_at=None, description="d")
    stored = srv.files[file_id]
    assert stored.name == "report.csv" and stored.expires_at is None
    assert stored.description == "d"
    other = file_to_civis(str(path), "x.csv", expires_at="2030-01-01T00:00:00", client=client)
    assert srv.files[other].expires_at == "2030-01-01T00:00:00"
    default = file_to_civis(io.BytesIO(b""), "e", client=client)
    assert srv.files[default].expires_at == "absent"  # DEFAULT sends nothing
    with pytest.raises(ValueError, match="512"):
        file_to_civis(path, description="x" * 513, client=client)


def test_upload_text_and_partly_read_buffers(real_client: Any, tmp_path: Path) -> None:
    client = real_client
    text_id = file_to_civis(io.StringIO("héllo"), "t.txt", client=client)
    assert download(client, text_id) == "héllo".encode()
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as fh:
        fh.read(4)
        partial = file_to_civis(fh, client=client)  # from the current position on
    assert download(client, partial) == b"456789"
    assert file_name(client, partial) == "f.bin"
    memory = io.BytesIO(b"0123456789")
    memory.seek(3)
    assert download(client, file_to_civis(memory, "m", client=client)) == b"3456789"
    memory.write(b"still writable")  # the upload released the BytesIO's buffer


def test_another_user_cannot_read_or_find_a_file(
    real_client: Any, real_server: Any, other_user: Any
) -> None:
    import civis
    from civis.base import CivisAPIError

    file_id = file_to_civis(io.BytesIO(b"secret"), "mine.txt", client=real_client)
    other = civis.APIClient(api_key=other_user.api_key)
    with pytest.raises(CivisAPIError) as info:
        civis_to_file(file_id, io.BytesIO(), client=other)
    assert info.value.status_code == 404  # not even told that the file exists
    with pytest.raises(CivisAPIError):
        file_to_json(file_id, client=other)
    assert download(real_client, file_id) == b"secret"  # the owner still can


def test_upload_from_a_pipe(real_client: Any) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"through a pipe")
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        file_id = file_to_civis(pipe, "p.txt", client=real_client)
    assert download(real_client, file_id) == b"through a pipe"
    assert file_name(real_client, file_id) == "p.txt"


@pytest.mark.usefixtures("small_parts")
def test_multipart_round_trip(srv: FilesServer, client: Any) -> None:
    # Parts below S3's 5 MiB minimum: only the fake accepts them (the real server, like
    # S3, refuses to complete; test_real_multipart_over_50_mib is the real round trip).
    data = os.urandom(300_000)
    assert _round_trip(client, data) == data
    file_id = max(srv.files)
    _, num_parts = files.part_layout(len(data), files.MIN_PART_SIZE)
    assert srv.files[file_id].num_parts == num_parts > 1
    puts = srv.requests_to("PUT", rf"/parts/{file_id}/\d+")
    assert len(puts) == num_parts and not any("Authorization" in h for h in puts)
    assert srv.requests_to("POST", rf"/files/multipart/{file_id}/complete")


@pytest.mark.usefixtures("small_parts")
def test_part_failures_are_retried(
    srv: FilesServer, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: None)
    srv.part_failures = {1: 2}
    data = os.urandom(200_000)
    file_id = file_to_civis(io.BytesIO(data), "b", client=client)
    assert srv.file_bytes(file_id) == data


@pytest.mark.usefixtures("small_parts")
def test_a_lost_part_is_an_error_not_a_corrupt_file(
    srv: FilesServer, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: None)
    srv.part_failures = {2: -1}
    with pytest.raises(requests.HTTPError, match="part 3"):
        file_to_civis(io.BytesIO(os.urandom(200_000)), "b", client=client)
    assert not srv.requests_to("POST", r"/files/multipart/\d+/complete")


def test_upload_form_failure_raises(
    srv: FilesServer, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: None)

    def deny(self: FilesServer, h: Any, file_id: int, **kw: Any) -> None:
        h.body_bytes()  # read the upload first: the connection is kept alive
        h.reply(403, {"error": "denied"})

    monkeypatch.setattr(FilesServer, "upload_form", deny)
    with pytest.raises(requests.HTTPError, match="AWS Content"):
        file_to_civis(io.BytesIO(b"x"), "x", client=client)


def test_large_upload_memory_stays_bounded(
    srv: FilesServer, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MULTIPART_THRESHOLD", 8 * 2**20)
    monkeypatch.setattr(files, "MIN_PART_SIZE", 4 * 2**20)
    path = tmp_path / "big.bin"
    size = 64 * 2**20
    with open(path, "wb") as fh:
        for _ in range(size // 2**20):
            fh.write(os.urandom(2**20))
    gc.collect()
    tracemalloc.start()
    try:
        file_id = file_to_civis(path, client=client)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Parts stream from the file: the peak is a few read blocks (server included; ~1 MiB
    # measured), far below one part (16 MiB) and the file (64 MiB).
    assert peak < 4 * 2**20, peak
    assert srv.files[file_id].path.stat().st_size == size  # type: ignore[union-attr]


def test_real_multipart_over_50_mib(real_client: Any, tmp_path: Path) -> None:
    size = 60 * 2**20
    path = tmp_path / "big.bin"
    block = os.urandom(2**20)
    path.write_bytes(block * (size // 2**20))
    assert files.part_layout(size)[1] > 1  # this size is sent in parts
    started = time.monotonic()
    file_id = file_to_civis(path, client=real_client)
    up = time.monotonic() - started
    assert real_client.files.get(file_id).file_size == size
    out = tmp_path / "copy.bin"
    started = time.monotonic()
    civis_to_file(file_id, out, client=real_client)
    down = time.monotonic() - started
    print(f"60 MiB: upload {size / up / 2**20:.0f} MiB/s, download {size / down / 2**20:.0f} MiB/s")
    assert out.stat().st_size == size and out.read_bytes()[-(2**20) :] == block


def test_download_resumes_after_a_dropped_connection(
    srv: FilesServer, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: None)
    data = os.urandom(3 * 2**20)
    file_id = file_to_civis(io.BytesIO(data), "d", client=client)
    srv.drop_download_after = 2**20 + 17
    out = io.BytesIO(b"prefix")
    out.seek(6)
    civis_to_file(file_id, out, client=client)
    assert out.getvalue() == b"prefix" + data
    ranges = [h.get("Range") for h in srv.requests_to("GET", r"/download/\d+")]
    assert ranges[0] is None and len(ranges) == 2 and ranges[1].startswith("bytes=")


def test_download_restarts_when_range_is_ignored(
    srv: FilesServer, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda s: None)
    data = os.urandom(3 * 2**20)
    file_id = file_to_civis(io.BytesIO(data), "d", client=client)
    srv.drop_download_after, srv.ignore_range = 2**20 + 17, True
    out = io.BytesIO(b"prefix" + b"x" * (4 * 2**20))  # old bytes past the start
    out.seek(6)
    civis_to_file(file_id, out, client=client)
    assert out.getvalue() == b"prefix" + data


def test_expired_or_missing_file(srv: FilesServer, client: Any) -> None:
    file_id = file_to_civis(io.BytesIO(b"x"), "x", client=client)
    srv.files[file_id].expired = True
    with pytest.raises(EmptyResultError, match="expired"):
        civis_to_file(file_id, io.BytesIO(), client=client)


def test_json_round_trip(real_client: Any) -> None:
    obj = {"a": [1, 2.5, None], "ü": "ß"}
    file_id = json_to_file(obj, client=real_client)
    assert file_name(real_client, file_id) == "file.json"
    assert file_to_json(file_id, client=real_client) == obj
    assert json_to_file(obj, name="x.json", client=real_client) != file_id


def test_file_id_from_run_output(srv: FilesServer, client: Any) -> None:
    run = srv.new_run(30, "succeeded")
    run.outputs.extend(
        [
            {"objectType": "JSONValue", "objectId": 1, "name": "report.csv"},
            {"objectType": "File", "objectId": 2, "name": "report.csv"},
            {"objectType": "File", "objectId": 3, "name": "part_007.csv"},
        ]
    )
    assert file_id_from_run_output("report.csv", 30, run.id, client=client) == 2
    assert file_id_from_run_output(r"part_\d+", 30, run.id, regex=True, client=client) == 3
    with pytest.raises(FileNotFoundError):
        file_id_from_run_output("nope", 30, run.id, client=client)
    with pytest.raises(OSError):
        file_id_from_run_output("x", 30, 99999, client=client)


@pytest.mark.parametrize(
    "table, expected",
    [
        ("a.b", ("a", "b")),
        ("b", (None, "b")),
        ('"a.b".c', ("a.b", "c")),
    ],
)
def test_split_schema_tablename(table: str, expected: tuple[str | None, str]) -> None:
    assert split_schema_tablename(table) == expected


def test_split_schema_tablename_rejects_three_parts() -> None:
    with pytest.raises(ValueError):
        split_schema_tablename("a.b.c")
