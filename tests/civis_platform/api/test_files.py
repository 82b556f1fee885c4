"""``/files`` and the storage routes over loopback, on both metadata engines.

Uploads are sent exactly as the official client sends them (``requests.post(url,
files=...)`` with ``key`` first and ``file`` last, no auth); downloads are fetched from
``fileUrl`` without auth. Truncated bodies are sent over raw sockets.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from platform_helpers import Api, assert_civis_error

from civis_platform.config import Settings
from civis_platform.services import files as svc
from civis_platform.storage import sign
from civis_platform.testing import ThreadedServer

MiB = 1 << 20


def create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("files", json={"name": "data.csv", **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def upload(created: dict[str, Any], data: bytes, *, file_first: bool = False) -> requests.Response:
    """The official client's form POST: key first, other fields, file last."""
    fields = dict(created["uploadFields"])
    form: dict[str, Any] = {"key": fields.pop("key"), **fields}
    if file_first:
        form = {"file": io.BytesIO(data), **form}
    else:
        form["file"] = io.BytesIO(data)
    return requests.post(created["uploadUrl"], files=form, timeout=60)


def fetch(api: Api, file_id: int) -> dict[str, Any]:
    response = api.get(f"files/{file_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def download(api: Api, file_id: int, **kwargs: Any) -> requests.Response:
    url = fetch(api, file_id)["fileUrl"]
    assert url, "no fileUrl"
    return requests.get(url, timeout=60, **kwargs)


def raw_request(url: str, head: str, body: bytes, *, declared: int) -> bytes:
    """Send a request whose Content-Length is ``declared`` but whose body is ``body``,
    and hang up if that is short; return whatever the server answers (maybe nothing)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"{head} {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n".encode()
            + f"Content-Length: {declared}\r\n".encode()
            + b"Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
            + body
        )
        if declared > len(body):
            sock.shutdown(socket.SHUT_WR)  # hang up before the promised bytes
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
        return b"".join(chunks)


def form_body(key: str, data: bytes, *, close: bool = True) -> bytes:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="key"; filename="key"\r\n\r\n'
        + key.encode()
        + b'\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
        + data
    )
    return body + (b"\r\n--XyZ--\r\n" if close else b"")


# ----------------------------------------------------------------------- creation


def test_post_returns_a_presigned_form_upload(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    created = create(api, description="d")
    assert list(created) == [
        "id",
        "name",
        "createdAt",
        "fileSize",
        "expiresAt",
        "description",
        "uploadUrl",
        "uploadFields",
        "myPermissionLevel",
    ]
    assert created["uploadUrl"].startswith(server.base_url + "storage/upload/")
    assert "key" in created["uploadFields"]
    assert all(name == name.lower() for name in created["uploadFields"])
    assert created["fileSize"] is None and created["myPermissionLevel"] == "manage"
    expires = datetime.fromisoformat(created["expiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    got = fetch(api, created["id"])
    assert got["fileUrl"] is None and got["fileSize"] is None
    assert got["detectedInfo"] is None and got["author"]["id"] == _user.id


@pytest.mark.parametrize("size", [0, 1, MiB])
def test_single_upload_round_trip(new_user, size: int) -> None:
    _user, api = new_user()
    data = os.urandom(size)
    created = create(api, name=f"blob-{size}.bin")
    response = upload(created, data)
    assert response.status_code == 204, response.text
    got = fetch(api, created["id"])
    assert got["fileSize"] == size
    assert got["fileUrl"].endswith(f"/blob-{size}.bin")
    fetched = requests.get(got["fileUrl"], timeout=60)
    assert fetched.status_code == 200
    assert fetched.content == data
    assert fetched.headers["Content-Length"] == str(size)
    assert fetched.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'


def test_download_headers_and_name_in_url(new_user) -> None:
    _user, api = new_user()
    created = create(api, name="my report 100%.csv.gz")
    assert upload(created, b"\x1f\x8b").status_code == 204
    url = fetch(api, created["id"])["fileUrl"]
    assert url.endswith("/my%20report%20100%25.csv.gz")
    response = requests.get(url, timeout=30)
    assert response.headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in response.headers
    assert response.headers["Accept-Ranges"] == "bytes"


def test_names_with_slashes_are_kept(new_user) -> None:
    # The official client names an open file by its full path (buf.name).
    _user, api = new_user()
    created = create(api, name="/tmp/dir/x.csv")
    assert upload(created, b"a\n1\n").status_code == 204
    got = fetch(api, created["id"])
    assert got["name"] == "/tmp/dir/x.csv"
    assert got["fileUrl"].endswith("/%2Ftmp%2Fdir%2Fx.csv")
    assert requests.get(got["fileUrl"], timeout=30).content == b"a\n1\n"


def test_second_upload_to_the_same_url_conflicts(new_user) -> None:
    _user, api = new_user()
    created = create(api)
    assert upload(created, b"first").status_code == 204
    assert_civis_error(upload(created, b"second" * 100_000), 409)
    assert download(api, created["id"]).content == b"first"


def test_file_before_key_is_tolerated(new_user) -> None:
    _user, api = new_user()
    created = create(api)
    response = upload(created, b"x" * 3 * MiB, file_first=True)
    assert response.status_code == 204, response.text
    assert download(api, created["id"]).content == b"x" * 3 * MiB


def test_form_without_file_or_key_or_with_a_wrong_key(new_user) -> None:
    _user, api = new_user()
    created = create(api)
    url = created["uploadUrl"]
    assert_civis_error(requests.post(url, files={"key": created["uploadFields"]["key"]}), 400)
    assert_civis_error(requests.post(url, files={"file": io.BytesIO(b"x")}), 400)
    wrong = requests.post(url, files={"key": "files/999999", "file": io.BytesIO(b"x")})
    assert_civis_error(wrong, 403)
    assert_civis_error(requests.post(url, data=b"raw", timeout=30), 400)
    assert fetch(api, created["id"])["fileUrl"] is None
    assert upload(created, b"ok").status_code == 204


def test_tampered_or_unknown_storage_urls(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    created = create(api)
    payload, _, mac = created["uploadUrl"].rpartition("/")[2].partition(".")
    tampered = server.base_url + f"storage/upload/{payload}.{mac[:-2]}AA"
    body = assert_civis_error(
        requests.post(tampered, files={"key": "k", "file": io.BytesIO(b"x")}), 403
    )
    assert "not valid" in body["errorDescription"]
    assert_civis_error(requests.post(server.base_url + "storage/upload/nonsense"), 403)
    assert_civis_error(requests.get(server.base_url + "storage/download/nonsense/x"), 403)
    assert_civis_error(requests.get(server.base_url + "storage/elsewhere"), 404)
    assert_civis_error(requests.delete(server.base_url + "storage/download/a/b"), 405)
    # The storage routes are not part of the API spec.
    spec = api.get("endpoints").json()
    assert not any(path.startswith("/storage") for path in spec["paths"])


def test_expired_upload_url_is_refused(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    created = create(api)
    secret = server.app.state.platform.signing_secret
    past = datetime.now(UTC) - timedelta(seconds=1)
    token = sign(secret, "POST", svc.upload_key(created["id"]), past, {"f": created["id"]})
    response = requests.post(
        server.base_url + f"storage/upload/{token}",
        files={"key": created["uploadFields"]["key"], "file": io.BytesIO(b"x")},
    )
    assert "expired" in assert_civis_error(response, 403)["errorDescription"]


def test_truncated_upload_is_not_stored(new_user) -> None:
    _user, api = new_user()
    created = create(api)
    key = created["uploadFields"]["key"]
    body = form_body(key, b"y" * 200_000)
    # The client promises more bytes than it sends, then hangs up.
    answer = raw_request(created["uploadUrl"], "POST", body, declared=len(body) + 1000)
    assert not answer.startswith(b"HTTP/1.1 2"), answer[:200]
    assert not answer.startswith(b"HTTP/1.1 5"), answer[:200]
    # A complete body cut before the file's closing boundary.
    short = form_body(key, b"y" * 1000, close=False)
    answer = raw_request(created["uploadUrl"], "POST", short, declared=len(short))
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"incomplete" in answer
    assert fetch(api, created["id"])["fileUrl"] is None
    assert upload(created, b"whole").status_code == 204
    assert download(api, created["id"]).content == b"whole"


# ---------------------------------------------------------------------- multipart


def _multipart(api: Api, num_parts: int, **body: Any) -> dict[str, Any]:
    response = api.post("files/multipart", json={"name": "big.bin", "num_parts": num_parts, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert len(created["uploadUrls"]) == num_parts
    return created


def test_multipart_round_trip(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    created = _multipart(api, 3)
    assert list(created) == [
        "id",
        "name",
        "createdAt",
        "fileSize",
        "expiresAt",
        "description",
        "uploadUrls",
    ]
    assert all(u.startswith(server.base_url + "storage/part/") for u in created["uploadUrls"])
    for url, data in reversed(list(zip(created["uploadUrls"], parts, strict=True))):
        response = requests.put(url, data=data, timeout=60)
        assert response.status_code == 200, response.text
    assert fetch(api, created["id"])["fileUrl"] is None
    done = api.post(f"files/multipart/{created['id']}/complete", json={})
    assert done.status_code == 204, done.text
    assert done.content == b""
    assert download(api, created["id"]).content == b"".join(parts)
    assert fetch(api, created["id"])["fileSize"] == 10 * MiB + 1234
    # Completing again is harmless; uploading a part again is a conflict.
    assert api.post(f"files/multipart/{created['id']}/complete").status_code == 204
    assert_civis_error(requests.put(created["uploadUrls"][0], data=b"x"), 409)


def test_multipart_complete_names_missing_and_short_parts(new_user) -> None:
    _user, api = new_user()
    created = _multipart(api, 3)
    urls = created["uploadUrls"]
    complete = f"files/multipart/{created['id']}/complete"
    assert requests.put(urls[0], data=b"a" * 5 * MiB).status_code == 200
    assert requests.put(urls[2], data=b"c").status_code == 200
    body = assert_civis_error(api.post(complete), 400)
    assert "part 2 of 3 is missing" in body["errorDescription"]
    assert requests.put(urls[1], data=b"b" * 100).status_code == 200
    body = assert_civis_error(api.post(complete), 400)
    assert "part 2 of 3 is 100 bytes" in body["errorDescription"]
    assert fetch(api, created["id"])["fileUrl"] is None
    assert requests.put(urls[1], data=b"b" * 5 * MiB).status_code == 200  # a retry replaces
    assert api.post(complete).status_code == 204
    assert download(api, created["id"]).content == b"a" * 5 * MiB + b"b" * 5 * MiB + b"c"


def test_truncated_part_is_not_stored(new_user) -> None:
    _user, api = new_user()
    created = _multipart(api, 1)
    answer = raw_request(created["uploadUrls"][0], "PUT", b"z" * 5000, declared=9000)
    assert not answer.startswith(b"HTTP/1.1 2") and not answer.startswith(b"HTTP/1.1 5")
    body = assert_civis_error(api.post(f"files/multipart/{created['id']}/complete"), 400)
    assert "part 1 of 1 is missing" in body["errorDescription"]
    chunked = requests.put(created["uploadUrls"][0], data=iter([b"a", b"b"]), timeout=30)
    assert_civis_error(chunked, 411)


def test_multipart_complete_unknown_foreign_or_single(new_user) -> None:
    _owner, owner_api = new_user()
    _other, other_api = new_user()
    created = _multipart(owner_api, 1)
    assert_civis_error(other_api.post(f"files/multipart/{created['id']}/complete"), 404)
    assert_civis_error(owner_api.post("files/multipart/99999999/complete"), 404)
    single = create(owner_api)
    assert_civis_error(owner_api.post(f"files/multipart/{single['id']}/complete"), 400)


@pytest.mark.parametrize("num_parts", [0, -1, 10_001])
def test_multipart_num_parts_range(new_user, num_parts: int) -> None:
    _user, api = new_user()
    response = api.post("files/multipart", json={"name": "x", "num_parts": num_parts})
    assert assert_civis_error(response, 400)["errorDescription"].startswith("numParts")


# -------------------------------------------------------------------------- ranges


def test_range_and_head_requests(new_user) -> None:
    _user, api = new_user()
    data = bytes(range(256)) * 40  # 10240 bytes
    created = create(api, name="r.bin")
    assert upload(created, data).status_code == 204
    url = fetch(api, created["id"])["fileUrl"]

    def get(spec: str) -> requests.Response:
        return requests.get(url, headers={"Range": spec}, timeout=30)

    part = get("bytes=10-19")
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == "bytes 10-19/10240"
    assert part.headers["Content-Length"] == "10"
    assert get("bytes=10000-").content == data[10000:]
    assert get("bytes=-16").content == data[-16:]
    assert get("bytes=10200-99999").content == data[10200:]
    for bad in ("bytes=10240-", "bytes=20-10", "bytes=abc", "bytes=-0"):
        response = get(bad)
        assert_civis_error(response, 416)
        assert response.headers["Content-Range"] == "bytes */10240"
    assert get("bytes=0-1,5-6").status_code == 200  # several ranges: the whole file
    head = requests.head(url, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == "10240"
    head = requests.head(url, headers={"Range": "bytes=0-0"}, timeout=30)
    assert head.status_code == 206 and head.headers["Content-Length"] == "1"


def test_range_on_an_empty_file(new_user) -> None:
    _user, api = new_user()
    created = create(api)
    assert upload(created, b"").status_code == 204
    url = fetch(api, created["id"])["fileUrl"]
    assert requests.get(url, timeout=30).content == b""
    assert_civis_error(requests.get(url, headers={"Range": "bytes=0-"}, timeout=30), 416)


# -------------------------------------------------------------------------- expiry


def test_expires_at_forms(new_user) -> None:
    _user, api = new_user()
    year = datetime.now(UTC).year + 1
    naive = create(api, expires_at=f"{year}-01-02T03:04:05")
    assert naive["expiresAt"] == f"{year}-01-02T03:04:05.000Z"
    aware = create(api, expires_at=f"{year}-01-02T03:04:05+02:00")
    assert aware["expiresAt"] == f"{year}-01-02T01:04:05.000Z"
    zulu = create(api, expiresAt=f"{year}-01-02T03:04:05Z")
    assert zulu["expiresAt"] == f"{year}-01-02T03:04:05.000Z"
    never = create(api, expires_at=None)
    assert never["expiresAt"] is None
    assert fetch(api, never["id"])["expiresAt"] is None
    for bad in ("2001-01-01T00:00:00Z", "soon", "x" * 3000):
        response = api.post("files", json={"name": "a", "expires_at": bad})
        assert "expiresAt" in assert_civis_error(response, 400)["errorDescription"]


def test_expired_file_keeps_metadata_but_has_no_url(new_user) -> None:
    _user, api = new_user()
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    created = create(api, expires_at=soon)
    assert upload(created, b"brief").status_code == 204
    url = fetch(api, created["id"])["fileUrl"]
    assert requests.get(url, timeout=30).content == b"brief"
    time.sleep(2.2)
    got = fetch(api, created["id"])
    assert got["fileUrl"] is None and got["name"] == "data.csv" and got["fileSize"] == 5
    assert_civis_error(requests.get(url, timeout=30), 403)


def test_expired_download_token_is_refused(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    created = create(api)
    assert upload(created, b"abc").status_code == 204
    url = fetch(api, created["id"])["fileUrl"]
    token = url.split("/storage/download/")[1].split("/")[0]
    from civis_platform.storage import verify

    grant = verify(server.app.state.platform.signing_secret, token, "GET")
    past = datetime.now(UTC) - timedelta(seconds=5)
    old = sign(server.app.state.platform.signing_secret, "GET", grant.key, past, grant.extra)
    response = requests.get(server.base_url + f"storage/download/{old}/data.csv", timeout=30)
    assert "expired" in assert_civis_error(response, 403)["errorDescription"]


def test_link_expires_at(new_user) -> None:
    _user, api = new_user()
    created = create(api, expires_at=None)
    assert upload(created, b"abc").status_code == 204
    path = f"files/{created['id']}"
    soon = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = api.get(path, params={"link_expires_at": soon, "inline": "True"}).json()["fileUrl"]
    response = requests.get(url, timeout=30)
    assert response.content == b"abc"
    assert response.headers["Content-Disposition"].startswith("inline")
    late = (datetime.now(UTC) + timedelta(hours=40)).isoformat()
    assert_civis_error(api.get(path, params={"link_expires_at": late}), 400)
    assert_civis_error(api.get(path, params={"link_expires_at": "nope"}), 400)


# ------------------------------------------------------------------ updates, access


def test_patch_and_put(new_user) -> None:
    _user, api = new_user()
    created = create(api, name="a.csv")
    path = f"files/{created['id']}"
    patched = api.patch(path, json={"description": "hello", "name": "b.csv"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "hello" and patched.json()["name"] == "b.csv"
    assert_civis_error(api.patch(path, json={"name": "b.json"}), 400)
    assert_civis_error(api.patch(path, json={"description": "d" * 513}), 400)
    assert_civis_error(api.patch(path, json={"expires_at": "2000-01-01"}), 400)
    assert api.patch(path, json={"expires_at": None}).json()["expiresAt"] is None
    assert_civis_error(api.put(path, json={"name": "c.csv"}), 400)  # expiresAt is required
    year = datetime.now(UTC).year + 2
    put = api.put(path, json={"name": "c.csv", "expires_at": f"{year}-05-05T00:00:00Z"})
    assert put.status_code == 200, put.text
    assert put.json()["expiresAt"] == f"{year}-05-05T00:00:00.000Z"
    assert api.put(path, json={"name": "c.csv", "expiresAt": None}).json()["expiresAt"] is None
    assert_civis_error(api.get("files/99999999"), 404)
    assert_civis_error(api.patch("files/99999999", json={}), 404)


def test_bad_creation_input(new_user) -> None:
    _user, api = new_user()
    assert_civis_error(api.post("files", json={}), 400)
    assert_civis_error(api.post("files", json={"name": ""}), 400)
    long = api.post("files", json={"name": "a", "description": "d" * 513})
    assert "description" in assert_civis_error(long, 400)["errorDescription"]
    assert create(api, description="d" * 512)["description"] == "d" * 512
    multi = api.post(
        "files/multipart", json={"name": "a", "num_parts": 1, "description": "d" * 600}
    )
    assert_civis_error(multi, 400)


def test_files_are_private_until_shared(new_user) -> None:
    _owner, owner_api = new_user()
    reader, reader_api = new_user()
    created = create(owner_api)
    assert upload(created, b"secret").status_code == 204
    path = f"files/{created['id']}"
    assert_civis_error(reader_api.get(path), 404)
    shared = owner_api.put(
        f"{path}/shares/users", json={"user_ids": [reader.id], "permission_level": "read"}
    )
    assert shared.status_code == 200, shared.text
    got = reader_api.get(path).json()
    assert got["myPermissionLevel"] == "read"
    assert requests.get(got["fileUrl"], timeout=30).content == b"secret"
    assert_civis_error(reader_api.patch(path, json={"description": "x"}), 403)
    assert owner_api.get(f"{path}/shares").status_code == 200
    assert reader_api.get(f"{path}/dependencies", params={"user_id": reader.id}).json() == []
    _stranger, stranger_api = new_user()
    assert_civis_error(stranger_api.get(f"{path}/dependencies"), 404)
    project = owner_api.post("projects", json={"name": "P", "description": "d"}).json()
    assert owner_api.put(f"{path}/projects/{project['id']}").status_code == 204
    assert [p["id"] for p in owner_api.get(f"{path}/projects").json()] == [project["id"]]


# ---------------------------------------------------------------------- durability


def test_files_survive_a_restart(engine_url: str | None, tmp_path_factory) -> None:
    home = tmp_path_factory.mktemp("restart")
    settings = Settings(home=home, metadata_url=engine_url, testing=True)
    data = os.urandom(300_000)
    with ThreadedServer(settings) as first:
        api = Api(first.base_url, first.admin_api_key)
        created = create(api, name="keep.bin")
        assert upload(created, data).status_code == 204
        old_url = fetch(api, created["id"])["fileUrl"]
        old_path = urlsplit(old_url).path
    with ThreadedServer(settings) as second:
        api = Api(second.base_url, second.admin_api_key)
        got = fetch(api, created["id"])
        assert got["name"] == "keep.bin" and got["fileSize"] == len(data)
        assert requests.get(got["fileUrl"], timeout=30).content == data
        # URLs handed out before the restart still work (the secret lives in the home).
        assert requests.get(second.base_url + old_path.lstrip("/"), timeout=30).content == data
