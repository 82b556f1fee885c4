"""Server settings: the only place that reads environment variables.

Every knob has a named default; tests build ``Settings(...)`` directly and pass it down.
Environment variables use the ``CIVIS_PLATFORM_`` prefix (``CIVIS_PLATFORM_HOME``,
``CIVIS_PLATFORM_PORT``, ...).

Examples:
    >>> s = Settings(home="/tmp/example-home")
    >>> s.resolved_metadata_url().startswith("sqlite:///")
    True
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = "~/.civis-platform"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_RATE_LIMIT = 1000
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 300
DEFAULT_KEY_EXPIRY_SECONDS = 365 * 24 * 3600
DEFAULT_KEY_CACHE_SECONDS = 30.0
METADATA_FILENAME = "metadata.sqlite"


def _default_home() -> Path:
    return Path(DEFAULT_HOME).expanduser()


class Settings(BaseSettings):
    """Configuration of one server instance (one home directory, one metadata store)."""

    model_config = SettingsConfigDict(env_prefix="CIVIS_PLATFORM_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    metadata_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    external_url: str | None = None
    rate_limit: int = DEFAULT_RATE_LIMIT
    rate_limit_window_seconds: int = DEFAULT_RATE_LIMIT_WINDOW_SECONDS
    key_expiry_seconds: int = DEFAULT_KEY_EXPIRY_SECONDS
    key_cache_seconds: float = DEFAULT_KEY_CACHE_SECONDS
    testing: bool = False

    def resolved_metadata_url(self) -> str:
        """The metadata database URL: the configured one, else a SQLite file under home."""
        if self.metadata_url:
            return self.metadata_url
        return f"sqlite:///{Path(self.home).expanduser() / METADATA_FILENAME}"

    def resolved_external_url(self) -> str:
        """The base URL clients use to reach this server, always with a trailing slash."""
        url = self.external_url or f"http://{self.host}:{self.port}/"
        return url if url.endswith("/") else url + "/"

    def warehouse_path(self) -> Path:
        """Where the default DuckDB warehouse file lives."""
        return Path(self.home).expanduser() / "warehouse.duckdb"
