"""Every declared operation, hit with hostile input, answers a Civis error, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from platform_helpers import Api, make_settings

from civis_platform.app import RESOURCES
from civis_platform.testing import ThreadedServer

OPERATIONS = [
    (op.verb, op.path, op)
    for resource in RESOURCES
    for op in resource.operations
    if not op.wants_request
]

HOSTILE_VALUES: list[Any] = [{"nested": [1]}, "x" * 3000, -(2**40), 1.5]
PATH_VALUES = ("1", "2147483648", "%20", "me")


@pytest.fixture(scope="module")
def server(engine_url: str | None, tmp_path_factory: pytest.TempPathFactory):
    # Thousands of requests: lift the rate limit, or most would be answered by a 429
    # before reaching the handlers this test is about.
    settings = make_settings(tmp_path_factory.mktemp("home"), engine_url, rate_limit=10**9)
    with ThreadedServer(settings) as running:
        yield running


def _plausible(annotation: Any) -> Any:
    text = str(annotation)
    if "list" in text:
        return [2**31 - 1]
    if "dict" in text:
        return {"a_b": None, "C": {"d": 1}}
    if "bool" in text:
        return True
    if "int" in text:
        return 2**31 - 1
    return "2024-01-01T00:00:00Z"


def _url(path: str, value: str) -> str:
    filled = path
    for name in ("id", "user_id", "group_id", "project_id", "key_id", "object_type", "alias"):
        filled = filled.replace("{" + name + "}", value)
    return filled.strip("/")


@pytest.mark.parametrize(
    ("verb", "path", "op"), OPERATIONS, ids=[f"{v} {p}" for v, p, _ in OPERATIONS]
)
def test_hostile_input_never_breaks_an_operation(
    server: ThreadedServer, new_user, verb: str, path: str, op: Any
) -> None:
    _user, api = new_user()
    admin = Api(server.base_url, server.admin_api_key)
    for caller in (api, admin):
        for path_value in PATH_VALUES:
            url = _url(path, path_value)
            responses = [caller.request(verb.upper(), url, json={})]
            if op.body is not None:
                fields = [info.alias or name for name, info in op.body.model_fields.items()]
                for value in HOSTILE_VALUES:
                    responses.append(
                        caller.request(verb.upper(), url, json=dict.fromkeys(fields, value))
                    )
            if op.body is not None and path_value in ("1", "me"):
                # One plausible value per field, alone: catches values that pass the
                # model but that the store cannot take.
                for name, info in op.body.model_fields.items():
                    sample = _plausible(info.annotation)
                    responses.append(
                        caller.request(verb.upper(), url, json={info.alias or name: sample})
                    )
            if op.query is not None:
                for name in op.query.model_fields:
                    responses.append(
                        caller.request(verb.upper(), url, params={name: "%%", f"{name}[]": "x"})
                    )
            for response in responses:
                assert response.status_code not in (429,) and response.status_code < 500, (
                    verb,
                    url,
                    response.text,
                )
                if response.status_code >= 400:
                    assert set(response.json()) == {"error", "errorDescription", "code"}
