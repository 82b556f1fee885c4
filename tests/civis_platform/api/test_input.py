"""Input hardening on every JSON operation: body limits, content types, text the store
cannot hold, ASCII integers, and ``Allow`` on 405s; through the real server, as a
second, non-admin user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from platform_helpers import Api, assert_civis_error, make_settings

from civis_platform.app import RESOURCES
from civis_platform.config import DEFAULT_MAX_JSON_BODY_BYTES
from civis_platform.testing import ThreadedServer

JSON = {"Content-Type": "application/json"}
SMALL_LIMIT = 4096

# The creating operations the issue found answering 500 on a lone surrogate.
CREATES = [
    "files",
    "projects",
    "credentials",
    "scripts/sql",
    "aliases",
    "remote_hosts",
    "imports/files/csv",
    "scripts/containers",
]


@pytest.fixture(scope="module")
def small_server(
    engine_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """A server whose JSON body limit is a few kilobytes."""
    settings = make_settings(
        tmp_path_factory.mktemp("home"), engine_url, max_json_body_bytes=SMALL_LIMIT
    )
    with ThreadedServer(settings) as running:
        yield running


@pytest.mark.parametrize("path", CREATES)
@pytest.mark.parametrize(
    ("raw", "problem"),
    [('"\\ud800"', "surrogate"), ('"a\\udfffb"', "surrogate"), ('"a\\u0000b"', "NUL")],
)
def test_text_the_store_cannot_hold_is_a_400_naming_the_field(
    server: ThreadedServer, new_user, path: str, raw: str, problem: str
) -> None:
    _user, api = new_user()
    before = api.get(path)
    response = api.post(path, data=f'{{"name": {raw}}}', headers=JSON)
    body = assert_civis_error(response, 400)
    assert "name" in body["errorDescription"] and problem in body["errorDescription"]
    if before.status_code == 200:  # nothing was stored on the way
        assert api.get(path).json() == before.json()


def test_nested_and_key_text_is_checked_too(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    nested = '{"name": "ok", "arguments": {"x": ["fine", "\\ud800"]}}'
    body = assert_civis_error(api.post("scripts/containers", data=nested, headers=JSON), 400)
    assert "arguments.x[1]" in body["errorDescription"]
    key = '{"name": "ok", "params": [{"\\u0000": 1}]}'
    body = assert_civis_error(api.post("scripts/sql", data=key, headers=JSON), 400)
    assert "key" in body["errorDescription"]
    # Characters outside the BMP, written as a proper surrogate pair, are fine.
    made = api.post(
        "projects", data='{"name": "p \\ud83d\\ude00", "description": "d"}', headers=JSON
    )
    assert made.status_code == 200, made.text
    assert api.get(f"projects/{made.json()['id']}").json()["name"] == "p \U0001f600"


def test_default_json_limit_is_16_mib(server: ThreadedServer, new_user) -> None:
    assert DEFAULT_MAX_JSON_BODY_BYTES == 16 * 1024 * 1024
    _user, api = new_user()
    big = api.post("projects", json={"name": "p", "description": "d" * (17 * 1024 * 1024)})
    body = assert_civis_error(big, 413)
    assert "max_json_body_bytes" in body["errorDescription"]
    assert api.get("projects").json() == []
    # A large body under the limit is taken whole.
    sql = "select 1 -- " + "x" * (2 * 1024 * 1024)
    made = api.post("scripts/sql", json={"name": "s", "sql": sql, "remoteHostId": 1})
    assert made.status_code in (200, 201, 400, 404), made.text
    assert made.status_code != 413


def test_the_limit_is_configurable_and_counts_unannounced_bodies(
    small_server: ThreadedServer,
) -> None:
    user = small_server.create_user("limited")
    api = Api(small_server.base_url, user.api_key)
    assert (
        api.post(
            "projects", json={"name": "n" * (SMALL_LIMIT // 2), "description": "d"}
        ).status_code
        == 200
    )
    assert_civis_error(api.post("projects", json={"name": "n" * SMALL_LIMIT}), 413)
    # Chunked, with no Content-Length: counted as it arrives.
    chunks = iter([b'{"name": "', b"n" * SMALL_LIMIT, b'"}'])
    chunked = requests.post(
        small_server.base_url + "projects",
        data=chunks,
        headers=JSON,
        auth=(user.api_key, ""),
        timeout=30,
    )
    assert_civis_error(chunked, 413)
    assert [p["name"] for p in api.get("projects").json()] == ["n" * (SMALL_LIMIT // 2)]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_non_json_body_is_a_415(server: ThreadedServer, new_user, content_type: str) -> None:
    _user, api = new_user()
    response = api.post("projects", data='{"name": "p"}', headers={"Content-Type": content_type})
    assert_civis_error(response, 415)
    assert api.get("projects").json() == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
def test_json_content_types_are_taken(server: ThreadedServer, new_user, content_type: str) -> None:
    _user, api = new_user()
    response = api.post(
        "projects", data='{"name": "p", "description": "d"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("projects", {"author": "\u00b9"}),
        ("projects", {"author": "1_0"}),
        ("jobs", {"author": "\u0661"}),
        ("credentials", {"users": "\u00b2"}),
        ("projects", {"limit": "1_0"}),
        ("projects", {"limit": " 5"}),
        ("credentials", {"page_num": "\uff11"}),
        ("groups", {"user_ids[]": ["1", "\u00b9"]}),
    ],
)
def test_integer_query_parameters_are_ascii(
    server: ThreadedServer, new_user, path: str, params: dict
) -> None:
    _user, api = new_user()
    body = assert_civis_error(api.get(path, params=params), 400)
    name = next(iter(params)).removesuffix("[]")
    assert name in body["errorDescription"]


def test_integer_path_parameters_are_ascii(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    made = [
        api.post("projects", json={"name": f"p{i}", "description": "d"}).json()["id"]
        for i in range(12)
    ]
    target = made[-1]
    assert api.get(f"projects/{target}").status_code == 200
    spelled = str(target)
    for odd in [f"{spelled[0]}_{spelled[1:]}", f"+{spelled}", f"%20{spelled}", "%C2%B9"]:
        if "_" in odd and len(spelled) < 2:
            continue
        assert_civis_error(api.get(f"projects/{odd}"), 404)
    assert api.get("projects", params={"author": f"{_user.id}, {_user.id}"}).status_code == 200


def _routes() -> list[tuple[str, set[str]]]:
    verbs: dict[str, set[str]] = {}
    for resource in RESOURCES:
        for op in resource.operations:
            verbs.setdefault(op.path.rstrip("/") or "/", set()).add(op.verb.upper())
    return sorted(verbs.items())


def _filled(path: str) -> str:
    for name in ("id", "user_id", "group_id", "project_id", "run_id", "key_id"):
        path = path.replace("{" + name + "}", "1")
    return path.replace("{", "").replace("}", "").strip("/")


def test_every_405_says_what_is_allowed(server: ThreadedServer, new_user) -> None:
    _user, api = new_user()
    checked = 0
    for path, declared in _routes():
        missing = [v for v in ("PATCH", "PUT", "POST", "DELETE") if v not in declared]
        if not missing:
            continue
        response = api.request(missing[0], _filled(path), json={})
        if response.status_code != 405:
            # Another declared path with placeholders answers this URL and verb.
            continue
        assert_civis_error(response, 405)
        allowed = {v.strip() for v in response.headers["Allow"].split(",")}
        expected = declared | ({"HEAD"} if "GET" in declared else set())
        assert allowed >= declared and allowed <= expected, (path, allowed, declared)
        checked += 1
    assert checked > 40
