"""Errors and constants of civis.base."""

from __future__ import annotations

from typing import Any

import pytest

from civis import base


def test_constants() -> None:
    assert base.DONE == ["success", "succeeded", "failed", "cancelled"]
    assert set(base.STATE_TRANS) == {*base.DONE, *base.NOT_FINISHED}
    assert base.DEFAULT_API_ENDPOINT == "https://api.civisanalytics.com/"


@pytest.mark.parametrize(
    "env, expected",
    [
        (None, "https://api.civisanalytics.com/"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/"),
        ("http://h/api/", "http://h/api/"),
    ],
)
def test_get_base_url(monkeypatch: Any, env: str | None, expected: str) -> None:
    if env is not None:
        monkeypatch.setenv("CIVIS_API_ENDPOINT", env)
    assert base.get_base_url() == expected


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"job_id": 1, "run_id": 2}, "(From job 1 / run 2) boom"),
        ({"job_id": 1}, "(From job 1) boom"),
        ({}, "boom"),
    ],
)
def test_job_failure_message(kwargs: dict[str, Any], expected: str) -> None:
    err = base.CivisJobFailure("boom", **kwargs)
    assert str(err) == expected and err._original_err_msg == "boom"


def test_api_error_without_request_still_formats() -> None:
    class Fake:
        status_code = 500
        content = b'{"errorDescription": "bad"}'
        reason = "Server Error"

        def json(self) -> Any:
            return {"errorDescription": "bad"}

    err = base.CivisAPIError(Fake())
    assert str(err) == "(500) bad" and err.status_code == 500


def test_endpoint_is_the_resource_base_class() -> None:
    from scripted_server import TINY_SPEC

    from civis.client import APIClient

    client = APIClient(api_key="k", local_api_spec=TINY_SPEC)
    assert isinstance(client.files, base.Endpoint)
    with pytest.raises(AttributeError):
        base.NoSuchThing  # noqa: B018
