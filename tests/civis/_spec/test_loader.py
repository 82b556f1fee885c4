"""Spec loading and the disk caches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from civis._spec import loader


def test_cache_dir_precedence(monkeypatch: Any, tmp_path: Path) -> None:
    monkeypatch.setenv("CIVIS_SPEC_CACHE_DIR", str(tmp_path / "explicit"))
    assert loader.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("CIVIS_SPEC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert loader.cache_dir() == tmp_path / "xdg" / "civis-platform"


def test_ttl_depends_on_interactivity_host_and_override(monkeypatch: Any) -> None:
    import sys

    remote = "https://api.civisanalytics.com/"
    monkeypatch.delattr(sys, "ps1", raising=False)
    assert loader.spec_ttl_seconds(remote) == 24 * 3600
    monkeypatch.setattr(sys, "ps1", ">>> ", raising=False)
    assert loader.spec_ttl_seconds(remote) == 15 * 60
    for local in ("http://127.0.0.1:8000/", "http://localhost/api/", "http://[::1]:9/"):
        assert loader.spec_ttl_seconds(local) == 0
    monkeypatch.setenv("CIVIS_SPEC_CACHE_TTL", "60")
    assert loader.spec_ttl_seconds("http://127.0.0.1:8000/") == 60


def _spec(summary: str) -> dict[str, Any]:
    return {
        "paths": {
            "/users/me": {
                "get": {
                    "summary": summary,
                    "parameters": [],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        }
    }


def test_file_model_is_cached_on_disk_by_content(tmp_path: Path, _isolated_cache: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec("Who am I")))
    model = loader.load_spec_file(path)
    (cached,) = (_isolated_cache / "models").glob("*.marshal")
    assert cached.stem == model.key
    # Same content elsewhere: the same model, without digesting again.
    other = tmp_path / "copy.json"
    other.write_bytes(path.read_bytes())
    assert loader.load_spec_file(other) is model
    # Changed content: a new model.
    path.write_text(json.dumps(_spec("Changed")))
    assert loader.load_spec_file(path).operations("users")[0].summary == "Changed"


def test_a_corrupt_disk_cache_is_rebuilt(tmp_path: Path, _isolated_cache: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec("Corrupt me")))
    key = loader.load_spec_file(path).key
    loader._MODELS.pop(key)
    loader._FILE_KEYS.clear()
    (_isolated_cache / "models" / f"{key}.marshal").write_bytes(b"garbage")
    assert loader.load_spec_file(path).operations("users")[0].summary == "Corrupt me"


def test_the_platform_extension_survives_the_disk_cache(
    tmp_path: Path, _isolated_cache: Path
) -> None:
    spec = {**_spec("Extended"), "x-civis-platform": {"tableFormats": ["csv", "parquet"]}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    key = loader.load_spec_file(path).key
    loader._MODELS.pop(key)  # the next load reads the marshalled model from disk
    loader._FILE_KEYS.clear()
    assert loader.load_spec_file(path).platform == {"tableFormats": ["csv", "parquet"]}
    assert loader.load_spec_mapping(spec).platform == {"tableFormats": ["csv", "parquet"]}
    assert loader.load_spec_mapping(_spec("Civis")).platform == {}


def test_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CIVIS_SPEC_CACHE_DIR", str(blocker / "sub"))
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(_spec("No cache")))
    assert loader.load_spec_file(path).operations("users")[0].name == "get_me"


def test_download_refuses_non_json(_isolated_cache: Path) -> None:
    with pytest.raises(ValueError):
        loader.load_downloaded_spec(
            lambda: b"<html>", base_url="http://h/", api_key="k", api_version="1.0"
        )
    assert not list((_isolated_cache / "endpoints").glob("*.json"))
