"""civis.tests: autospec'd client mocks built from a spec, without network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scripted_server import TINY_SPEC

import support
from civis.response import Response
from civis.tests import create_client_mock, create_client_mock_for_container_tests


def test_mock_checks_method_and_parameter_names() -> None:
    client = create_client_mock(support.reference_spec_path())
    client.files.post("a.csv", expires_at=None)
    client.files.post.assert_called_once_with("a.csv", expires_at=None)
    with pytest.raises(TypeError):
        client.files.post("a.csv", expire_at=None)
    with pytest.raises(AttributeError):
        client.files.no_such_method  # noqa: B018
    with pytest.raises(AttributeError):
        client.no_such_resource = 1


def test_mock_uses_the_cached_download_when_no_spec_is_given(
    _isolated_cache: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("HOME", str(_isolated_cache))  # no ~/.civis_api_spec.json either
    with pytest.raises(FileNotFoundError, match="needs an API spec"):
        create_client_mock()
    (_isolated_cache / "endpoints").mkdir()
    (_isolated_cache / "endpoints" / "x.json").write_text(json.dumps(TINY_SPEC))
    client = create_client_mock()
    client.users.get_me.return_value = Response({"id": 1})
    assert client.users.get_me().id == 1


def test_container_mock() -> None:
    client = create_client_mock_for_container_tests(
        3, 4, state="failed", cache=support.reference_spec_path()
    )
    assert client.scripts.post_containers(required_resources={}).id == 3
    run = client.scripts.post_containers_runs(3)
    assert (run.id, run.container_id, run.state) == (4, 3, "queued")
    failed = client.scripts.get_containers_runs(3, 4)
    assert failed.state == "failed" and failed.error
    assert client.jobs.list_runs_outputs(3, 4) == []
