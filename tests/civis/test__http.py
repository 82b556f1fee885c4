"""The HTTP seam: retry decisions (pure), retries and pooling against a real server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
from scripted_server import Reply, ScriptedServer

from civis._http import HTTPClient, RetryPolicy, Timeouts
from civis.base import CivisAPIError
from civis.client import APIClient

FAST = RetryPolicy(backoff_base=0.001, backoff_max=0.01)


@pytest.mark.parametrize(
    "verb, status, retried",
    [
        ("GET", 429, True),
        ("GET", 502, True),
        ("GET", 503, True),
        ("GET", 504, True),
        ("GET", 500, False),
        ("GET", 404, False),
        ("PUT", 502, True),
        ("DELETE", 504, True),
        ("HEAD", 503, True),
        ("POST", 429, True),
        ("POST", 503, True),
        ("POST", 502, False),
        ("POST", 504, False),
        ("PATCH", 429, False),
        ("PATCH", 503, False),
    ],
)
def test_status_retry_table(verb: str, status: int, retried: bool) -> None:
    assert RetryPolicy().should_retry_status(verb, status) is retried


@pytest.mark.parametrize(
    "verb, error, retried",
    [
        ("GET", requests.ConnectionError(), True),
        ("GET", requests.ReadTimeout(), True),
        ("POST", requests.ConnectionError(), False),
        ("PATCH", requests.ConnectionError(), False),
        ("GET", ValueError(), False),
    ],
)
def test_error_retry_table(verb: str, error: Exception, retried: bool) -> None:
    assert RetryPolicy().should_retry_error(verb, error) is retried


def test_delay_is_max_of_retry_after_and_full_jitter_backoff() -> None:
    policy = RetryPolicy(backoff_base=2, backoff_max=60)
    assert policy.backoff(0, rand=lambda: 1.0) == 2
    assert policy.backoff(3, rand=lambda: 1.0) == 16
    assert policy.backoff(10, rand=lambda: 1.0) == 60
    assert policy.backoff(3, rand=lambda: 0.0) == 0
    assert policy.delay(0, "5", rand=lambda: 1.0) == 5
    assert policy.delay(3, "5", rand=lambda: 1.0) == 16
    assert policy.delay(0, "Wed, 21 Oct 2015 07:28:00 GMT", rand=lambda: 0.5) == 1
    assert policy.delay(0, None, rand=lambda: 0.25) == 0.5


def test_read_timeout_applies(server: ScriptedServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    client = APIClient(api_key="k")
    client.timeouts = Timeouts(connect=1.5, read=0.05)
    server.script("POST", "/files", Reply(body={"id": 1}, delay=0.5))
    with pytest.raises(requests.ReadTimeout):
        client.files.post("slow.csv")
    assert len(server.requests_to("POST", "/files")) == 1  # POST: a timeout is not retried


@pytest.fixture
def client(server: ScriptedServer, monkeypatch: Any) -> APIClient:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    client = APIClient(api_key="k")
    client.retry_policy = FAST
    return client


def test_429_retried_honouring_retry_after(client: APIClient, server: ScriptedServer) -> None:
    server.script(
        "GET",
        "/files/1",
        Reply(status=429, headers={"Retry-After": "0.2"}, body={}),
        Reply(body={"id": 1}),
    )
    started = time.monotonic()
    assert client.files.get(1).id == 1
    assert time.monotonic() - started >= 0.2
    assert len(server.requests_to("GET", "/files/1")) == 2


def test_retries_stop_after_max_attempts(client: APIClient, server: ScriptedServer) -> None:
    client.retry_policy = RetryPolicy(max_attempts=4, backoff_base=0.001)
    server.script("GET", "/files/1", Reply(status=503, body={"errorDescription": "down"}))
    with pytest.raises(CivisAPIError, match=r"\(503\) down"):
        client.files.get(1)
    assert len(server.requests_to("GET", "/files/1")) == 4


def test_post_not_retried_on_502_but_on_503(client: APIClient, server: ScriptedServer) -> None:
    server.script("POST", "/files", Reply(status=502, body={}), Reply(body={"id": 1}))
    with pytest.raises(CivisAPIError):
        client.files.post("a")
    assert len(server.requests_to("POST", "/files")) == 1
    server.script("POST", "/files", Reply(status=503, body={}), Reply(body={"id": 2}))
    assert client.files.post("a").id == 2
    assert len(server.requests_to("POST", "/files")) == 3


def test_patch_never_retried(client: APIClient, server: ScriptedServer) -> None:
    server.script("PATCH", "/files/1", Reply(status=429, body={}), Reply(body={"id": 1}))
    with pytest.raises(CivisAPIError):
        client.files.patch(1, name="x")
    assert len(server.requests_to("PATCH", "/files/1")) == 1


def test_connection_errors_retried_for_get_only() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = HTTPClient("k", base_url=f"http://127.0.0.1:{port}/", retry_policy=FAST)
    calls = []
    original = http.session.request

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return original(*args, **kwargs)

    http.session.request = counting  # type: ignore[method-assign]
    with pytest.raises(requests.ConnectionError) as info:
        http.request("GET", "files/1")
    assert calls == ["GET"] * FAST.max_connection_attempts
    assert f"127.0.0.1:{port}" in " ".join(getattr(info.value, "__notes__", []))
    calls.clear()
    with pytest.raises(requests.ConnectionError):
        http.request("POST", "files", json={}, send_json=True)
    assert calls == ["POST"]


def test_threads_share_one_pool_without_serialising(
    client: APIClient, server: ScriptedServer
) -> None:
    server.script("GET", "/users/me", Reply(body={"id": 1}, delay=0.01))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                assert client.users.get_me().id == 1
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seen = server.requests_to("GET", "/users/me")
    assert len(seen) == 160
    # Keep-alive: far fewer TCP connections than requests, at most one per thread.
    assert len({s.client_port for s in seen}) <= 8
    # No process-wide lock: requests from different threads overlap on the server.
    assert server.max_in_flight > 1
