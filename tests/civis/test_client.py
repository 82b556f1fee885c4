"""APIClient construction rules and the wire format of generated methods, against a real
HTTP server on loopback."""

from __future__ import annotations

import base64
import inspect
import pickle
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
import requests
import tenacity
from scripted_server import TINY_SPEC, Reply, ScriptedServer

from civis._http import RetryPolicy
from civis.base import CivisAPIError, CivisAPIKeyError
from civis.client import APIClient
from civis.response import ListResponse, PaginatedResponse, Response


@pytest.fixture
def client(server: ScriptedServer, monkeypatch: Any) -> APIClient:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    return APIClient(api_key="secret-key")


# -- construction --------------------------------------------------------------------------


def test_return_type_is_validated() -> None:
    with pytest.raises(ValueError):
        APIClient(api_key="k", return_type="pandas", local_api_spec=TINY_SPEC)


def test_api_key_required_even_with_local_spec() -> None:
    with pytest.raises(EnvironmentError):
        APIClient(local_api_spec=TINY_SPEC)


def test_api_key_from_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_KEY", "from-env")
    assert APIClient(local_api_spec=TINY_SPEC)._api_key == "from-env"


def test_retries_must_be_tenacity() -> None:
    with pytest.raises(TypeError):
        APIClient(api_key="k", local_api_spec=TINY_SPEC, retries=3)  # type: ignore[arg-type]


def test_local_spec_and_force_refresh_conflict() -> None:
    with pytest.raises(TypeError):
        APIClient(api_key="k", local_api_spec=TINY_SPEC, force_refresh_api_spec=True)


def test_only_api_version_1_0(server: ScriptedServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    with pytest.raises(ValueError):
        APIClient(api_key="k", api_version="2.0")


def test_local_spec_as_ordered_dict_and_file(tmp_path: Path) -> None:
    import json

    path = tmp_path / "spec.json"
    path.write_text(json.dumps(TINY_SPEC))
    for spec in (OrderedDict(TINY_SPEC), str(path)):
        client = APIClient(api_key="k", local_api_spec=spec)  # type: ignore[arg-type]
        assert "files" in dir(client)
        assert client.files.post.__name__ == "post"


def test_client_is_not_picklable() -> None:
    client = APIClient(api_key="k", local_api_spec=TINY_SPEC)
    with pytest.raises(RuntimeError, match="can't be pickled"):
        pickle.dumps(client)


def test_resources_are_class_attributes_visible_to_autospec() -> None:
    from civis.tests import create_client_mock

    client = APIClient(api_key="k", local_api_spec=TINY_SPEC)
    assert type(client).__name__ == "APIClient" and isinstance(client, APIClient)
    mocked = create_client_mock(TINY_SPEC)
    mocked.files.post("a.csv", expires_at=None)
    with pytest.raises(TypeError):
        mocked.files.post("a.csv", expire_at=None)
    with pytest.raises(AttributeError):
        mocked.nothing_here  # noqa: B018


def test_excluded_and_deprecated_operations() -> None:
    spec = {
        "paths": {
            "/feature_flags/": {
                "get": {
                    "summary": "Flags",
                    "parameters": [],
                    "responses": {"200": {"description": "ok"}},
                }
            },
            "/groups/{id}": {
                "delete": {
                    "summary": "Delete a group (deprecated)",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "type": "integer"}
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
                "get": {
                    "summary": "Get a group",
                    "x-deprecation-warning": "going away",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "type": "integer"}
                    ],
                    "responses": {"200": {"description": "ok"}},
                },
            },
        }
    }
    client = APIClient(api_key="k", local_api_spec=spec)
    # feature_flags is no resource; the name is the deprecated property of the official API.
    assert "feature_flags" not in client._model.client_resource_names()
    assert isinstance(inspect.getattr_static(client, "feature_flags"), property)
    assert not hasattr(client.groups, "delete")
    client._call_operation = lambda op, arguments: arguments  # type: ignore[method-assign]
    with pytest.warns(FutureWarning, match="going away"):
        assert client.groups.get(5) == {"id": 5}


# -- spec download --------------------------------------------------------------------------


def test_spec_download_401_says_key_may_be_expired(
    server: ScriptedServer, monkeypatch: Any
) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url.rstrip("/"))
    server.script("GET", "/endpoints", Reply(status=401, headers={"WWW-Authenticate": "x"}))
    with pytest.raises(requests.HTTPError, match="API key may be expired"):
        APIClient(api_key="expired")


def test_spec_is_cached_on_disk_and_refreshed_on_demand(
    server: ScriptedServer, monkeypatch: Any, _isolated_cache: Path
) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    monkeypatch.setenv("CIVIS_SPEC_CACHE_TTL", str(24 * 3600))
    APIClient(api_key="k")
    APIClient(api_key="k")
    assert len(server.requests_to("GET", "/endpoints")) == 1
    cached = list((_isolated_cache / "endpoints").glob("*.json"))
    assert len(cached) == 1 and b"k" not in cached[0].name.encode()
    APIClient(api_key="k", force_refresh_api_spec=True)
    assert len(server.requests_to("GET", "/endpoints")) == 2
    APIClient(api_key="other-key")  # another key may see another spec
    assert len(server.requests_to("GET", "/endpoints")) == 3


def test_spec_cache_expires_after_ttl(
    server: ScriptedServer, monkeypatch: Any, _isolated_cache: Path
) -> None:
    import os
    import time

    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    monkeypatch.setenv("CIVIS_SPEC_CACHE_TTL", str(24 * 3600))
    APIClient(api_key="k")
    (cached,) = (_isolated_cache / "endpoints").glob("*.json")
    stale = time.time() - 25 * 3600
    os.utime(cached, (stale, stale))
    APIClient(api_key="k")
    assert len(server.requests_to("GET", "/endpoints")) == 2


# -- wire format ------------------------------------------------------------------------------


def test_basic_auth_user_agent_and_path(client: APIClient, server: ScriptedServer) -> None:
    server.script("GET", "/files/7", Reply(body={"id": 7, "fileUrl": "http://x"}))
    result = client.files.get(7)
    (seen,) = server.requests_to("GET", "/files/7")
    expected = "Basic " + base64.b64encode(b"secret-key:").decode()
    assert seen.headers["Authorization"] == expected
    assert seen.headers["User-Agent"].startswith("civis-python (Python ")
    assert isinstance(result, Response) and result.file_url == "http://x"
    assert client.last_response is result


def test_job_headers_from_environment(server: ScriptedServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    monkeypatch.setenv("CIVIS_JOB_ID", "12")
    monkeypatch.setenv("CIVIS_RUN_ID", "34")
    client = APIClient(api_key="k", user_agent="my-app")
    server.script("GET", "/users/me", Reply(body={"id": 1}))
    client.users.get_me()
    (seen,) = server.requests_to("GET", "/users/me")
    assert (seen.headers["X-Civis-Job-ID"], seen.headers["X-Civis-Run-ID"]) == ("12", "34")
    assert seen.headers["User-Agent"].startswith("my-app (")


def test_body_keys_are_snake_case_and_only_passed_params(
    client: APIClient, server: ScriptedServer
) -> None:
    server.script("POST", "/files", Reply(body={"id": 1}))
    client.files.post("a.csv", expires_at=None)
    (seen,) = server.requests_to("POST", "/files")
    assert seen.json() == {"name": "a.csv", "expires_at": None}
    assert seen.headers["Content-Type"] == "application/json"


def test_query_encoding(client: APIClient, server: ScriptedServer) -> None:
    server.script("GET", "/credentials", Reply(body=[{"id": 3}]))
    result = client.credentials.list(type="Database", default=True, remote_host_id=None, ids=[1, 2])
    (seen,) = server.requests_to("GET", "/credentials")
    assert seen.query == [("type", "Database"), ("default", "True"), ("ids[]", "1"), ("ids[]", "2")]
    assert isinstance(result, ListResponse) and result[0].id == 3


def test_unknown_and_missing_arguments_raise_type_error(client: APIClient) -> None:
    with pytest.raises(TypeError, match="unexpected keyword"):
        client.files.get(1, nme="x")
    with pytest.raises(TypeError, match="missing"):
        client.files.post()
    with pytest.raises(TypeError):
        client.files.post("a", "b")  # optional params are keyword-only


def test_empty_body_gives_empty_response(client: APIClient, server: ScriptedServer) -> None:
    server.script("DELETE", "/files/3", Reply(status=204, body=None))
    result = client.files.delete(3)
    assert isinstance(result, Response) and len(result) == 0 and result.json() == {}


def test_raw_return_type(server: ScriptedServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    client = APIClient(api_key="k", return_type="raw")
    server.script("GET", "/files/7", Reply(body={"id": 7}))
    response = client.files.get(7)
    assert isinstance(response, requests.Response) and response.json() == {"id": 7}


def test_401_raises_api_key_error(client: APIClient, server: ScriptedServer) -> None:
    server.script(
        "GET",
        "/files/1",
        Reply(
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="civis"'},
            body={"error": "unauthorized"},
        ),
    )
    with pytest.raises(CivisAPIKeyError, match='realm="civis"') as info:
        client.files.get(1)
    assert isinstance(info.value.__cause__, CivisAPIError)


def test_error_message_format(client: APIClient, server: ScriptedServer) -> None:
    server.script(
        "GET",
        "/files/99",
        Reply(
            status=404,
            body={
                "error": "not_found",
                "errorDescription": "The requested resource could not be found.",
                "code": 404,
            },
        ),
    )
    with pytest.raises(CivisAPIError) as info:
        client.files.get(99)
    assert info.value.status_code == 404
    assert str(info.value) == ("(404) The requested resource could not be found. (GET /files/99)")


@pytest.mark.parametrize(
    "reply, message",
    [
        (Reply(status=400, body={"error": "bad_request"}), "No Error Message Available"),
        (Reply(status=400, raw=b"<html>oops</html>"), "No Response Content from Civis API"),
        (Reply(status=400, raw=b'{"a": 1} trailing'), 'Response Content: {"a": 1} trailing'),
        (Reply(status=400, raw=b""), "Bad Request"),
    ],
)
def test_error_message_fallbacks(
    client: APIClient, server: ScriptedServer, reply: Reply, message: str
) -> None:
    server.script("GET", "/files/5", reply)
    with pytest.raises(CivisAPIError) as info:
        client.files.get(5)
    assert info.value.error_message == message


def test_paginated_response_stops_at_empty_page(client: APIClient, server: ScriptedServer) -> None:
    pages = {1: [{"id": 1}, {"id": 2}], 2: [{"id": 3}], 3: []}

    def reply_for_page() -> None:
        server.script("GET", "/credentials", *[Reply(body=pages[n]) for n in (1, 2, 3)])

    reply_for_page()
    result = client.credentials.list(limit=2, iterator=True)
    assert isinstance(result, PaginatedResponse) and client.last_response is result
    assert [r.id for r in result] == [1, 2, 3]
    seen = server.requests_to("GET", "/credentials")
    assert [dict(s.query) for s in seen] == [{"limit": "2", "page_num": str(n)} for n in (1, 2, 3)]
    assert all(not s.body for s in seen)


def test_lookups(client: APIClient, server: ScriptedServer) -> None:
    server.script("GET", "/databases", Reply(body=[{"id": 4, "name": "warehouse"}]))
    server.script("GET", "/tables", Reply(body=[{"id": 40}]))
    server.script("GET", "/credentials", Reply(body=[{"id": 9}]))
    server.script("GET", "/users/me", Reply(body={"username": "ada"}))
    assert client.get_database_id("warehouse") == 4
    assert client.get_database_id("warehouse") == 4
    assert len(server.requests_to("GET", "/databases")) == 1  # cached per client
    assert client.get_database_id(17) == 17
    with pytest.raises(ValueError):
        client.get_database_id("nope")
    assert client.get_table_id("sch.tbl", "warehouse") == 40
    assert dict(server.requests_to("GET", "/tables")[0].query) == {
        "database_id": "4",
        "schema": "sch",
        "name": "tbl",
    }
    assert client.default_database_credential_id == 9
    assert dict(server.requests_to("GET", "/credentials")[0].query) == {
        "default": "True",
        "type": "Database",
    }
    assert client.username == "ada"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert client.get_database_credential_id(5, "warehouse") == 5
    assert caught and caught[0].category is FutureWarning


def test_user_retrying_keeps_its_stop(server: ScriptedServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(2))
    client = APIClient(api_key="k", retries=retrying)
    client.retry_policy = RetryPolicy(backoff_base=0.001)
    server.script(
        "GET",
        "/files/1",
        Reply(status=503, headers={"Retry-After": "0.01"}, body={"errorDescription": "busy"}),
    )
    with pytest.raises(CivisAPIError, match="busy"):
        client.files.get(1)
    assert len(server.requests_to("GET", "/files/1")) == 2


def test_deprecated_properties(client: APIClient, server: ScriptedServer) -> None:
    server.script("GET", "/users/me", Reply(body={"featureFlags": {"a": True, "b": False}}))
    server.script("GET", "/credentials", Reply(body=[{"id": 9}]))
    with pytest.warns(FutureWarning):
        assert client.feature_flags == ("a",)
    with pytest.warns(FutureWarning):
        assert client.default_credential == 9


def test_paginated_response_raises_errors_in_the_consumer(
    client: APIClient, server: ScriptedServer
) -> None:
    server.script(
        "GET",
        "/credentials",
        Reply(body=[{"id": 1}]),
        Reply(status=400, body={"errorDescription": "bad page"}),
    )
    items = client.credentials.list(iterator=True)
    assert next(items).id == 1
    with pytest.raises(CivisAPIError, match="bad page"):
        next(items)


def test_paginated_raw_yields_dicts(server: ScriptedServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    client = APIClient(api_key="k", return_type="raw")
    server.script("GET", "/credentials", Reply(body=[{"fileId": 1}]), Reply(body=[]))
    assert list(client.credentials.list(iterator=True)) == [{"fileId": 1}]


def test_user_subclasses_keep_their_class_and_methods() -> None:
    class MyClient(APIClient):
        def hello(self) -> str:
            return "hi"

    client = MyClient(api_key="k", local_api_spec=TINY_SPEC)
    again = MyClient(api_key="k", local_api_spec=TINY_SPEC)
    assert isinstance(client, MyClient) and client.hello() == "hi"
    assert type(client).__name__ == "MyClient" and hasattr(client, "files")
    assert type(APIClient(api_key="k", local_api_spec=TINY_SPEC)).__name__ == "APIClient"
    assert isinstance(again.files.get, type(client.files.get))


def test_constructing_from_a_specialised_class_does_not_stack_specs() -> None:
    first = APIClient(api_key="k", local_api_spec=TINY_SPEC)
    other_spec = {
        "paths": {
            "/jobs/{id}": {"get": {"summary": "Get a job", "parameters": [], "responses": {}}}
        }
    }
    second = type(first)(api_key="k", local_api_spec=other_spec)
    assert type(second).__mro__[1] is APIClient
    assert hasattr(second, "jobs") and not hasattr(second, "files")


def test_loopback_servers_are_asked_every_time_but_not_redigested(
    server: ScriptedServer, monkeypatch: Any
) -> None:
    from civis._spec import loader

    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    first = APIClient(api_key="k")
    second = APIClient(api_key="k")
    assert len(server.requests_to("GET", "/endpoints")) == 2
    assert first._model is second._model
    server.spec = {
        "paths": {"/jobs/{id}": {"get": {"summary": "Get", "parameters": [], "responses": {}}}}
    }
    third = APIClient(api_key="k")
    assert hasattr(third, "jobs") and not hasattr(third, "files")
    assert len(loader._MODELS) >= 2
