"""File services, the streaming form parser and the range parser, without a server."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from civis_platform.api.forms import FormError, _PartReader, iter_form
from civis_platform.api.storage import _parse_range
from civis_platform.config import Settings
from civis_platform.errors import BadRequestError, ConflictError, NotFoundError
from civis_platform.services import files as svc
from civis_platform.services.auth import load_principal
from civis_platform.services.bootstrap import initialise
from civis_platform.services.context import Context
from civis_platform.services.platform import Platform
from civis_platform.services.users import insert_user
from civis_platform.storage import ExpiredSignatureError, verify
from civis_platform.store import tables as t
from civis_platform.store.db import Store


@pytest.fixture
def contexts(tmp_path: Path) -> Iterator[list[Context]]:
    settings = Settings(home=tmp_path, blob_min_part_size=4)
    store = Store.from_url(settings.resolved_metadata_url())
    initialise(store, settings)
    with store.transaction() as conn:
        ids = [insert_user(conn, username=name) for name in ("ann", "ben")]
        principals = [load_principal(conn, i) for i in ids]
    platform = Platform.open(settings, store)
    yield [Context(user=p, platform=platform) for p in principals if p]
    store.dispose()


# ------------------------------------------------------------------- time parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-02T03:04:05Z", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02T03:04:05", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02T05:04:05+02:00", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2030-01-02T03:04:05.123456z", datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2030-01-02", datetime(2030, 1, 2, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert svc.parse_time(text, "expiresAt") == expected


@pytest.mark.parametrize(
    "bad", ["", "tomorrow", "2030-13-01", 5, None, "9999-12-31T23:59:59-23:00"]
)
def test_parse_time_rejects(bad: Any) -> None:
    with pytest.raises(BadRequestError) as caught:
        svc.parse_time(bad, "expiresAt")
    assert caught.value.field == "expiresAt"


# -------------------------------------------------------------------- form parser

BODY = (
    b"preamble\r\n"
    b'--AaB03x\r\nContent-Disposition: form-data; name="key"; filename="key"\r\n\r\n'
    b"files/7\r\n"
    b'--AaB03x\r\nContent-Disposition: form-data; name="file"; filename="a \\"b\\".csv"\r\n'
    b"Content-Type: text/csv\r\n\r\n"
    b"a,b\r\n--AaB03 not yet\r\n1,2\r\n"
    b"\r\n--AaB03x--\r\nepilogue"
)


def _collect(events: Iterator[tuple[str, Any]]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for kind, value in events:
        if kind == "data" and out and out[-1][0] == "data":
            out[-1] = ("data", out[-1][1] + value)
        else:
            out.append((kind, value))
    return out


def test_form_parser_is_independent_of_chunking() -> None:
    expected = [
        ("part", ("key", "key")),
        ("data", b"files/7"),
        ("end_part", None),
        ("part", ("file", 'a "b".csv')),
        ("data", b"a,b\r\n--AaB03 not yet\r\n1,2\r\n"),
        ("end_part", None),
    ]
    for cut in range(1, len(BODY)):
        chunks = iter([BODY[:cut], BODY[cut:]])
        assert _collect(iter_form(chunks, b"AaB03x")) == expected, cut
    one_by_one = (BODY[i : i + 1] for i in range(len(BODY)))
    assert _collect(iter_form(one_by_one, b"AaB03x")) == expected


@pytest.mark.parametrize("cut", [5, 60, 120, 150, len(BODY) - 20])
def test_form_parser_reports_truncation(cut: int) -> None:
    with pytest.raises(FormError):
        list(iter_form(iter([BODY[:cut]]), b"AaB03x"))


def test_form_parser_needs_a_boundary() -> None:
    with pytest.raises(FormError):
        list(iter_form(iter([b"no boundary here"]), b"AaB03x"))


def test_part_reader_streams_one_part() -> None:
    events = iter_form(iter([BODY[i : i + 7] for i in range(0, len(BODY), 7)]), b"AaB03x")
    assert next(events)[0] == "part"
    assert _PartReader(events).read() == b"files/7"
    assert next(events) == ("part", ("file", 'a "b".csv'))
    assert io.BufferedReader(_PartReader(events)).read() == b"a,b\r\n--AaB03 not yet\r\n1,2\r\n"
    assert list(events) == []


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=0-", 10, (0, 9)),
        ("bytes=3-100", 10, (3, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=10-", 10, None),
        ("bytes=5-4", 10, None),
        ("bytes=-0", 10, None),
        ("bytes=-", 10, None),
        ("bytes=x-1", 10, None),
        ("bytes=0-", 0, None),
        ("items=0-1", 10, (-1, -1)),
        ("bytes=0-1,4-5", 10, (-1, -1)),
    ],
)
def test_parse_range(header: str, size: int, expected: Any) -> None:
    assert _parse_range(header, size) == expected


# -------------------------------------------------------------------------- secrets


def test_signing_secret_is_created_once_and_private(tmp_path: Path) -> None:
    first = Settings(home=tmp_path).resolved_signing_secret()
    assert len(first) == 64
    assert Settings(home=tmp_path).resolved_signing_secret() == first
    mode = stat.S_IMODE((tmp_path / "signing.key").stat().st_mode)
    assert mode == 0o600
    assert Settings(home=tmp_path, signing_secret="given").resolved_signing_secret() == b"given"
    assert Settings(home=tmp_path / "other").resolved_signing_secret() != first


# -------------------------------------------------------------------------- services


def test_create_file_signs_an_upload_for_its_key(contexts: list[Context]) -> None:
    ann, _ben = contexts
    created = svc.create_file(ann, body={"name": "a.csv"})
    token = created["upload_url"].rsplit("/", 1)[1]
    grant = verify(ann.platform.signing_secret, token, "POST")
    assert grant.key == created["upload_fields"]["key"] == f"files/{created['id']}"
    assert grant.extra == {"f": created["id"]}
    lifetime = grant.expires_at - datetime.now(UTC)
    assert timedelta(hours=11) < lifetime <= svc.UPLOAD_URL_LIFETIME


def test_expired_files_have_no_url_and_refuse_tokens(contexts: list[Context]) -> None:
    ann, _ben = contexts
    created = svc.create_file(ann, body={"name": "a.csv", "expires_at": None})
    blobs = ann.platform.blobs
    key = svc.new_blob_key(created["id"])
    svc.finish_single_upload(ann.store, blobs, created["id"], blobs.put(key, io.BytesIO(b"x")))
    url = svc.get_file(ann, id=created["id"])["file_url"]
    token = url.split("/storage/download/")[1].split("/")[0]
    grant = verify(ann.platform.signing_secret, token, "GET")
    assert grant.key == key
    # The link lives 30 minutes by default, never longer than the file.
    assert grant.expires_at - datetime.now(UTC) <= svc.DEFAULT_LINK_LIFETIME
    past = datetime.now(UTC) - timedelta(minutes=1)
    with ann.store.transaction() as conn:
        conn.execute(update(t.files).where(t.files.c.id == created["id"]).values(expires_at=past))
    view = svc.get_file(ann, id=created["id"])
    assert view["file_url"] is None and view["download_url"] is None
    assert view["name"] == "a.csv" and view["file_size"] == 1
    with pytest.raises(ExpiredSignatureError):
        verify(ann.platform.signing_secret, token, "GET", now=datetime(2100, 1, 1, tzinfo=UTC))


def test_housekeeping_drops_contents_of_expired_files_only(contexts: list[Context]) -> None:
    ann, _ben = contexts
    blobs = ann.platform.blobs
    ids = []
    for expires in (None, "2100-01-01T00:00:00Z", "2100-01-01T00:00:00Z"):
        created = svc.create_file(ann, body={"name": "a.csv", "expires_at": expires})
        key = svc.new_blob_key(created["id"])
        svc.finish_single_upload(ann.store, blobs, created["id"], blobs.put(key, io.BytesIO(b"x")))
        ids.append(created["id"])
    past = datetime.now(UTC) - timedelta(minutes=1)
    with ann.store.transaction() as conn:
        conn.execute(update(t.files).where(t.files.c.id == ids[2]).values(expires_at=past))
    keys = {i: svc.file_row(ann.store, i).blob_key for i in ids}
    assert svc.housekeeping(ann.platform) == 1
    assert blobs.exists(keys[ids[0]]) and blobs.exists(keys[ids[1]])
    assert not blobs.exists(keys[ids[2]])
    view = svc.get_file(ann, id=ids[2])
    assert view["file_url"] is None and view["file_size"] == 1
    assert svc.get_file(ann, id=ids[1])["file_url"]
    assert svc.housekeeping(ann.platform) == 0


def test_single_upload_completes_once(contexts: list[Context]) -> None:
    ann, _ben = contexts
    created = svc.create_file(ann, body={"name": "a.csv"})
    blobs = ann.platform.blobs
    first = blobs.put(svc.new_blob_key(created["id"]), io.BytesIO(b"one"))
    second = blobs.put(svc.new_blob_key(created["id"]), io.BytesIO(b"two"))
    svc.finish_single_upload(ann.store, blobs, created["id"], first)
    with pytest.raises(ConflictError):
        svc.finish_single_upload(ann.store, blobs, created["id"], second)
    assert not blobs.exists(second.key)  # the loser's blob is gone
    assert blobs.open(first.key).read() == b"one"
    with pytest.raises(ConflictError):
        svc.check_single_upload(ann.store, created["id"])
    with pytest.raises(NotFoundError):
        svc.check_single_upload(ann.store, 10**6)


def test_multipart_services(contexts: list[Context]) -> None:
    ann, ben = contexts
    created = svc.create_multipart(ann, body={"name": "m.bin", "num_parts": 2})
    assert len(created["upload_urls"]) == 2
    with pytest.raises(NotFoundError):
        svc.complete_multipart(ben, id=created["id"])
    row, number = svc.check_part_upload(ann.store, created["id"], 2)
    blobs = ann.platform.blobs
    blobs.put_part(row.multipart_upload_id, number, io.BytesIO(b"tail"))
    with pytest.raises(BadRequestError, match="part 1 of 2 is missing"):
        svc.complete_multipart(ann, id=created["id"])
    blobs.put_part(row.multipart_upload_id, 1, io.BytesIO(b"head"))
    svc.complete_multipart(ann, id=created["id"])
    svc.complete_multipart(ann, id=created["id"])  # idempotent
    view = svc.get_file(ann, id=created["id"])
    assert view["file_size"] == 8
    with pytest.raises(ConflictError):
        svc.check_part_upload(ann.store, created["id"], 1)
    with pytest.raises(BadRequestError):
        svc.create_multipart(ann, body={"name": "m.bin", "num_parts": 0})


@pytest.mark.parametrize("name", ["civis_platform.api.forms", "civis_platform.services.files"])
def test_docstring_examples(name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
