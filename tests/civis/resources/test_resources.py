"""civis.resources: the official helper names, against a loopback server."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
import requests
from scripted_server import TINY_SPEC, Reply, ScriptedServer

import civis
from civis.resources import (
    cache_api_spec,
    generate_classes,
    generate_classes_maybe_cached,
    get_api_spec,
)


@pytest.fixture
def endpoint(server: ScriptedServer, monkeypatch: Any) -> ScriptedServer:
    monkeypatch.setenv("CIVIS_API_ENDPOINT", server.url)
    return server


def test_get_api_spec_keeps_order(endpoint: ScriptedServer) -> None:
    spec = get_api_spec("k")
    assert isinstance(spec, OrderedDict) and list(spec["paths"]) == list(TINY_SPEC["paths"])
    with pytest.raises(ValueError):
        get_api_spec("k", api_version="2.0")


def test_get_api_spec_expired_key(endpoint: ScriptedServer) -> None:
    endpoint.script("GET", "/endpoints", Reply(status=403, body={}))
    with pytest.raises(requests.HTTPError, match="may be expired"):
        get_api_spec("k")


def test_cache_api_spec_then_build_a_client(endpoint: ScriptedServer, tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    cache_api_spec(str(path), api_key="k")
    assert json.loads(path.read_text()) == TINY_SPEC
    client = civis.APIClient(api_key="k", local_api_spec=str(path))
    assert client.files.post.__name__ == "post"


def test_generate_classes(endpoint: ScriptedServer) -> None:
    classes = generate_classes("k")
    assert {"files", "users", "credentials"} <= set(classes)
    assert hasattr(classes["users"], "get_me") and hasattr(classes["users"], "list_me")
    cached = generate_classes_maybe_cached(TINY_SPEC, "k", "1.0")
    assert set(cached) == set(classes)
    with pytest.raises(TypeError):
        generate_classes_maybe_cached(TINY_SPEC, "k", "1.0", force_refresh_api_spec=True)
