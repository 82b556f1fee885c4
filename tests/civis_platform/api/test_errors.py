"""Error rendering: the Civis body everywhere, never a 500 for bad input."""

from __future__ import annotations

import asyncio
import json

import pytest
import requests
from platform_helpers import Api, assert_civis_error
from starlette.requests import Request

from civis_platform.api.errors import _on_unexpected, render_domain_error
from civis_platform.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
)


@pytest.mark.parametrize(
    "error, status, word",
    [
        (BadRequestError("bad", field="x"), 400, "bad_request"),
        (UnauthorizedError("who"), 401, "unauthorized"),
        (ForbiddenError("no"), 403, "forbidden"),
        (NotFoundError(), 404, "not_found"),
        (ConflictError("dup"), 409, "conflict"),
        (RateLimitedError("slow down", retry_after=5), 429, "rate_limit_exceeded"),
    ],
)
def test_domain_errors_render_as_civis_errors(error, status: int, word: str) -> None:
    response = render_domain_error(error)
    body = json.loads(bytes(response.body))
    assert response.status_code == status
    assert body == {"error": word, "errorDescription": error.message, "code": status}
    assert ("www-authenticate" in response.headers) == (status == 401)
    assert ("retry-after" in response.headers) == (status == 429)


def test_unexpected_errors_become_a_civis_500() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    response = asyncio.run(_on_unexpected(request, RuntimeError("boom")))
    body = json.loads(bytes(response.body))
    assert response.status_code == 500
    assert body["code"] == 500 and "boom" not in body["errorDescription"]


def test_unknown_route_and_wrong_verb(admin: Api) -> None:
    assert_civis_error(admin.get("no_such_resource/1"), 404)
    assert admin.patch("credentials/types").status_code in (404, 405)
    assert set(admin.patch("credentials/types").json()) == {"error", "errorDescription", "code"}


@pytest.mark.parametrize(
    "verb, path, kwargs, status",
    [
        ("get", "credentials/99999999999999999999", {}, 404),
        ("post", "aliases", {"json": {"objectId": 2**40, "objectType": "x", "alias": "y"}}, 400),
        ("get", "credentials", {"params": {"page_num": str(2**70)}}, 400),
        ("post", "aliases", {"json": ["not", "an", "object"]}, 400),
        ("get", "groups", {"params": {"user_ids[]": ["a"]}}, 400),
        ("get", "credentials", {"params": {"default": "maybe"}}, 400),
        (
            "post",
            "credentials",
            {"json": {"type": "Custom", "username": "a\x00", "password": "p"}},
            400,
        ),
        ("get", "credentials", {"params": {"name": "a\x00b"}}, 400),
        ("get", "aliases/project/a%00b", {}, 400),
        (
            "post",
            "aliases",
            {"data": "[" * 100000, "headers": {"Content-Type": "application/json"}},
            400,
        ),
    ],
)
def test_hostile_input_is_never_a_500(
    admin: Api, verb: str, path: str, kwargs: dict, status: int
) -> None:
    assert_civis_error(admin.request(verb.upper(), path, **kwargs), status)


def test_long_strings_are_stored_not_rejected_by_the_database(admin: Api) -> None:
    name = "n" * 5000
    body = {"type": "Custom", "username": "u" * 300, "password": "p", "name": name}
    created = admin.post("credentials", json=body)
    assert created.status_code == 201, created.text
    assert admin.get(f"credentials/{created.json()['id']}").json()["name"] == name


def test_racing_duplicates_are_409_not_500(new_user) -> None:
    import concurrent.futures

    _user, api = new_user()
    project = api.post("projects", json={"name": "p", "description": "d"}).json()["id"]
    body = {"objectId": project, "objectType": "project", "alias": "raced"}

    def post(_: int) -> int:
        # One connection per thread: requests sessions are not meant to be shared.
        return requests.post(api.base_url + "aliases", json=body, auth=api.session.auth).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(post, range(8)))
    assert codes == [201] + [409] * 7
