"""`LocalBlobStore`: whole objects, ranges, multipart uploads, keys, durability."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest

from civis_platform.storage import (
    BlobNotFoundError,
    BlobStore,
    IncompleteUploadError,
    InvalidKeyError,
    InvalidRangeError,
    LocalBlobStore,
    MultipartError,
)

MIN_PART = 1024


class _Trickle(io.RawIOBase):
    """A stream that hands out a few bytes per read and can die midway."""

    def __init__(self, data: bytes, fail_after: int | None = None) -> None:
        self.data, self.pos, self.fail_after = data, 0, fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.fail_after is not None and self.pos >= self.fail_after:
            raise ConnectionResetError("client went away")
        chunk = self.data[self.pos : self.pos + min(len(buffer), 7)]
        buffer[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def test_is_a_blob_store(store: LocalBlobStore) -> None:
    assert isinstance(store, BlobStore)


def test_put_open_stat_delete(store: LocalBlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # spans several chunks
    info = store.put("files/1/data.bin", io.BytesIO(data), expected_size=len(data))
    assert (info.key, info.size, info.md5) == (
        "files/1/data.bin",
        len(data),
        hashlib.md5(data).hexdigest(),
    )
    with store.open("files/1/data.bin") as fh:
        assert fh.read() == data
    assert store.stat("files/1/data.bin") == info
    assert store.exists("files/1/data.bin")
    store.delete("files/1/data.bin")
    store.delete("files/1/data.bin")  # idempotent, as in S3
    assert not store.exists("files/1/data.bin")
    with pytest.raises(BlobNotFoundError):
        store.stat("files/1/data.bin")
    with pytest.raises(BlobNotFoundError):
        store.open("files/1/data.bin")


def test_put_replaces(store: LocalBlobStore) -> None:
    store.put("k", io.BytesIO(b"old"))
    store.put("k", io.BytesIO(b"new!"))
    assert store.open("k").read() == b"new!" and store.stat("k").size == 4


def test_short_upload_stores_nothing(store: LocalBlobStore) -> None:
    store.put("k", io.BytesIO(b"previous"))
    with pytest.raises(IncompleteUploadError, match="5 of the expected 10"):
        store.put("k", io.BytesIO(b"12345"), expected_size=10)
    with pytest.raises(IncompleteUploadError, match="more than"):
        store.put("k", io.BytesIO(b"12345"), expected_size=3)
    assert store.open("k").read() == b"previous"
    assert list((store.root / "tmp").iterdir()) == []


def test_broken_stream_stores_nothing(store: LocalBlobStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.put("k", _Trickle(b"x" * 100, fail_after=50))  # type: ignore[arg-type]
    assert not store.exists("k")
    assert list((store.root / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (0, 0, b"0"),
        (2, 5, b"2345"),
        (7, None, b"789"),
        (8, 100, b"89"),  # clipped to the end, as HTTP does
        (0, 9, b"0123456789"),
    ],
)
def test_open_range(store: LocalBlobStore, start: int, end: int | None, expected: bytes) -> None:
    store.put("r", io.BytesIO(b"0123456789"))
    with store.open_range("r", start, end) as fh:
        assert fh.read() == expected


@pytest.mark.parametrize("start, end", [(10, 12), (5, 4), (-1, 3)])
def test_open_range_rejects(store: LocalBlobStore, start: int, end: int) -> None:
    store.put("r", io.BytesIO(b"0123456789"))
    with pytest.raises(InvalidRangeError):
        store.open_range("r", start, end)


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "a\\b", "nul\x00", "x" * 2000],
)
def test_rejects_bad_keys(store: LocalBlobStore, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        store.put(key, io.BytesIO(b"x"))
    with pytest.raises(InvalidKeyError):
        store.open(key)


def test_keys_stay_under_root(store: LocalBlobStore, tmp_path: Path) -> None:
    store.put("a/b/c.csv", io.BytesIO(b"x"))
    store.put("a", io.BytesIO(b"y"))  # a key and a "folder" of the same name coexist
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(store.root in p.parents for p in files)
    assert store.open("a").read() == b"y" and store.open("a/b/c.csv").read() == b"x"


def test_durable_across_instances(store: LocalBlobStore) -> None:
    info = store.put("keep/me", io.BytesIO(b"data"))
    upload = store.create_multipart("later", 2)
    store.put_part(upload, 1, io.BytesIO(b"a" * MIN_PART))
    again = LocalBlobStore(store.root, min_part_size=MIN_PART)
    assert again.stat("keep/me") == info
    again.put_part(upload, 2, io.BytesIO(b"b"))
    assert again.complete_multipart(upload).size == MIN_PART + 1


def test_stat_rebuilds_missing_metadata(store: LocalBlobStore) -> None:
    info = store.put("k", io.BytesIO(b"abc"))
    for meta in store.root.rglob("*.json"):
        meta.unlink()
    assert store.stat("k").md5 == info.md5


def test_multipart_assembles_in_order(store: LocalBlobStore) -> None:
    parts = [os.urandom(MIN_PART + 5), os.urandom(MIN_PART), b"tail"]
    upload = store.create_multipart("big.bin", 3)
    for number in (3, 1, 2):  # arrival order does not matter
        info = store.put_part(upload, number, io.BytesIO(parts[number - 1]))
        assert (info.number, info.size) == (number, len(parts[number - 1]))
    store.put_part(upload, 2, io.BytesIO(parts[1]))  # a retried part replaces the first try
    whole = b"".join(parts)
    blob = store.complete_multipart(upload)
    composite = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    assert (blob.size, blob.md5) == (len(whole), composite)
    assert store.open("big.bin").read() == whole
    assert store.stat("big.bin") == blob
    assert list((store.root / "uploads").iterdir()) == []
    with pytest.raises(MultipartError, match="no multipart upload"):
        store.put_part(upload, 1, io.BytesIO(b"late"))


def _completed(store: LocalBlobStore, key: str, parts: list[bytes]) -> bytes:
    upload = store.create_multipart(key, len(parts))
    for number, part in enumerate(parts, start=1):
        store.put_part(upload, number, io.BytesIO(part))
    store.complete_multipart(upload)
    return b"".join(parts)


@pytest.mark.parametrize(
    ("start", "end"), [(0, None), (0, 0), (3, MIN_PART + 2), (MIN_PART, None), (7, 7), (5, 10**9)]
)
def test_ranges_of_a_multipart_object_cross_part_boundaries(
    store: LocalBlobStore, start: int, end: int | None
) -> None:
    whole = _completed(store, "m", [os.urandom(MIN_PART), os.urandom(MIN_PART), b"xyz"])
    expected = whole[start : None if end is None else end + 1]
    assert store.open_range("m", start, end).read() == expected
    with pytest.raises(InvalidRangeError):
        store.open_range("m", len(whole), None)


def test_a_completed_upload_is_one_plain_file(store: LocalBlobStore) -> None:
    """Engines (DuckDB's CSV reader) read objects by path, so parts must not survive."""
    whole = _completed(store, "m", [os.urandom(MIN_PART), b"end"])
    with store.open("m") as fh:
        assert isinstance(fh, io.BufferedReader) and Path(fh.name).read_bytes() == whole
    assert list(store.root.rglob("*.part")) == []
    store.put("m", io.BytesIO(b"plain"))  # replaced like any other object
    assert store.open("m").read() == b"plain" and store.stat("m").size == 5
    store.delete("m")
    assert not store.exists("m")


def test_complete_rejects_missing_part(store: LocalBlobStore) -> None:
    upload = store.create_multipart("k", 3)
    store.put_part(upload, 1, io.BytesIO(b"a" * MIN_PART))
    store.put_part(upload, 3, io.BytesIO(b"c"))
    with pytest.raises(MultipartError, match="part 2 of 3 is missing"):
        store.complete_multipart(upload)
    assert not store.exists("k")
    store.put_part(upload, 2, io.BytesIO(b"b" * MIN_PART))  # the upload is still open
    assert store.complete_multipart(upload).size == 2 * MIN_PART + 1


def test_complete_rejects_short_part(store: LocalBlobStore) -> None:
    upload = store.create_multipart("k", 2)
    store.put_part(upload, 1, io.BytesIO(b"a" * (MIN_PART - 1)))
    store.put_part(upload, 2, io.BytesIO(b"b"))
    with pytest.raises(MultipartError, match=f"part 1 of 2 is {MIN_PART - 1} bytes"):
        store.complete_multipart(upload)
    assert not store.exists("k")


def test_part_numbers_and_sizes_are_checked(store: LocalBlobStore) -> None:
    upload = store.create_multipart("k", 2)
    for bad in (0, 3):
        with pytest.raises(MultipartError, match=f"part number {bad}"):
            store.put_part(upload, bad, io.BytesIO(b"x"))
    with pytest.raises(IncompleteUploadError):
        store.put_part(upload, 1, io.BytesIO(b"x"), expected_size=2)
    with pytest.raises(MultipartError):
        store.create_multipart("k", 0)
    with pytest.raises(MultipartError, match="no multipart upload"):
        store.complete_multipart("../../etc")


def test_abort(store: LocalBlobStore) -> None:
    upload = store.create_multipart("k", 1)
    store.put_part(upload, 1, io.BytesIO(b"x"))
    store.abort_multipart(upload)
    store.abort_multipart(upload)  # unknown ids are ignored
    with pytest.raises(MultipartError):
        store.complete_multipart(upload)
    assert not store.exists("k")


def test_concurrent_puts_and_parts(store: LocalBlobStore) -> None:
    upload = store.create_multipart("multi", 8)
    payloads = {n: bytes([n]) * (MIN_PART + n) for n in range(1, 9)}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            store.put(f"obj/{n}", io.BytesIO(payloads[n]))
            store.put_part(upload, n, io.BytesIO(payloads[n]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.complete_multipart(upload).size == sum(len(p) for p in payloads.values())
    assert all(store.open(f"obj/{n}").read() == payloads[n] for n in payloads)


def test_purge_stale(store: LocalBlobStore) -> None:
    from datetime import timedelta

    stale = store.create_multipart("old", 1)
    fresh = store.create_multipart("new", 1)
    leftover = store.root / "tmp" / "crashed.tmp"
    leftover.write_bytes(b"partial")
    old = os.stat(leftover).st_mtime - 7200
    upload_dir = store.root / "uploads" / stale
    for path in [leftover, upload_dir, *upload_dir.iterdir()]:
        os.utime(path, (old, old))
    assert store.purge_stale(timedelta(hours=1)) == 2
    assert not leftover.exists()
    with pytest.raises(MultipartError):
        store.put_part(stale, 1, io.BytesIO(b"x"))
    store.put_part(fresh, 1, io.BytesIO(b"x"))
    store.put("keep", io.BytesIO(b"x"))
    assert store.purge_stale(timedelta(0)) >= 1 and store.exists("keep")


def test_adopt_moves_a_staged_file_into_place(store: LocalBlobStore) -> None:
    staged = store.staging_dir() / "export.csv"
    staged.write_bytes(b"a,b\n1,2\n")
    info = store.adopt("files/9/export.csv", staged)
    assert (info.size, info.md5) == (8, "")  # no checksum pass over server-made files
    assert not staged.exists()
    assert store.open("files/9/export.csv").read() == b"a,b\n1,2\n"
    assert store.open_range("files/9/export.csv", 4, None).read() == b"1,2\n"
    assert store.stat("files/9/export.csv").size == 8


def test_adopt_from_another_folder_copies_and_consumes(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.bin"
    elsewhere.write_bytes(b"xyz")
    store.adopt("k", elsewhere)
    assert store.open("k").read() == b"xyz" and not elsewhere.exists()
