"""Settings: defaults, the environment prefix, derived URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from civis_platform.config import Settings


def test_environment_variables_use_the_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIVIS_PLATFORM_HOME", str(tmp_path))
    monkeypatch.setenv("CIVIS_PLATFORM_RATE_LIMIT", "7")
    settings = Settings()
    assert settings.home == tmp_path
    assert settings.rate_limit == 7
    assert settings.resolved_metadata_url() == f"sqlite:///{tmp_path / 'metadata.sqlite'}"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIVIS_PLATFORM_HOME", raising=False)
    settings = Settings()
    assert settings.home == Path("~/.civis-platform").expanduser()
    assert (settings.rate_limit, settings.rate_limit_window_seconds) == (1000, 300)
    assert settings.testing is False


@pytest.mark.parametrize(
    "external, expected",
    [(None, "http://h:9/"), ("https://civis.example/api", "https://civis.example/api/")],
)
def test_external_url_has_a_trailing_slash(external: str | None, expected: str) -> None:
    assert Settings(host="h", port=9, external_url=external).resolved_external_url() == expected


def test_explicit_metadata_url_wins(tmp_path: Path) -> None:
    url = "postgresql+psycopg://u@h/db"
    assert Settings(home=tmp_path, metadata_url=url).resolved_metadata_url() == url
