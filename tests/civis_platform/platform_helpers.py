"""Helpers shared by the server tests (imported by name; conftest puts us on sys.path)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import requests

from civis_platform.config import Settings

_names = itertools.count(1)


def unique(prefix: str = "user") -> str:
    """A name no other test in this process uses."""
    return f"{prefix}{next(_names)}"


class Api:
    """A tiny requests wrapper: one user's key, Basic auth like the official client."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.auth = (key, "")

    def request(self, verb: str, path: str, **kwargs: Any) -> requests.Response:
        """Send ``verb`` to ``path`` (relative to the base URL, no leading slash)."""
        return self.session.request(verb, self.base_url + path.lstrip("/"), timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def assert_civis_error(response: requests.Response, status: int) -> dict[str, Any]:
    """Check the Civis error shape and status; return the body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "errorDescription", "code"}
    assert body["code"] == status
    assert body["errorDescription"]
    return body


def make_settings(home: Path, engine_url: str | None, **overrides: Any) -> Settings:
    """Settings for a test server on ``home`` (testing mode on)."""
    return Settings(home=home, metadata_url=engine_url, testing=True, **overrides)
