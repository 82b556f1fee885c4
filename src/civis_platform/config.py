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

import contextlib
import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = "~/.civis-platform"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_RATE_LIMIT = 1000
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 300
DEFAULT_KEY_EXPIRY_SECONDS = 365 * 24 * 3600
DEFAULT_KEY_CACHE_SECONDS = 30.0
DEFAULT_MAX_JSON_BODY_BYTES = 16 * 1024 * 1024
METADATA_FILENAME = "metadata.sqlite"
BLOBS_DIRNAME = "blobs"
SIGNING_KEY_FILENAME = "signing.key"
DEFAULT_BLOB_MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for all parts but the last
DEFAULT_RUNNER_WORKERS = 2
DEFAULT_RUNNER_POLL_SECONDS = 1.0
DEFAULT_RUNNER_HEARTBEAT_SECONDS = 2.0
DEFAULT_RUNNER_STALE_SECONDS = 20.0
DEFAULT_RUNNER_GRACE_SECONDS = 5.0
DEFAULT_RUNNER_TIME_LIMIT_SECONDS = 24 * 3600.0
DEFAULT_SANDBOX_UID_BASE = 200_000
DEFAULT_SANDBOX_TMP_MB = 1024
DEFAULT_HOUSEKEEPING_SECONDS = 3600.0
IMAGES_DIRNAME = "images"
SANDBOXES_DIRNAME = "sandboxes"
# On shutdown, requests still in flight (long polls hold theirs up to 30 s) get this long
# to finish before uvicorn cancels them; clients retry idempotent reads elsewhere.
SHUTDOWN_DRAIN_SECONDS = 5


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
    # Largest JSON request body accepted (413 beyond); file bytes have their own limits.
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES
    # File contents: ``file:///abs/folder`` or a folder path; default ``<home>/blobs``.
    blob_url: str | None = None
    blob_min_part_size: int = DEFAULT_BLOB_MIN_PART_SIZE
    # Secret for presigned file URLs; default: generated once into ``<home>/signing.key``
    # so URLs handed out stay valid across restarts.
    signing_secret: str | None = None
    # The run engine: worker threads per process; how often idle workers look for runs
    # queued by other processes; heartbeat period; a running run whose heartbeat is
    # older than ``runner_stale_seconds`` is failed; shutdown grace for running programs.
    runner_workers: int = DEFAULT_RUNNER_WORKERS
    runner_poll_seconds: float = DEFAULT_RUNNER_POLL_SECONDS
    runner_heartbeat_seconds: float = DEFAULT_RUNNER_HEARTBEAT_SECONDS
    runner_stale_seconds: float = DEFAULT_RUNNER_STALE_SECONDS
    runner_grace_seconds: float = DEFAULT_RUNNER_GRACE_SECONDS
    # A run of users' code is stopped after this long (its API key expires with it).
    runner_time_limit_seconds: float = DEFAULT_RUNNER_TIME_LIMIT_SECONDS
    # `serve` runs a worker in the API process unless this is off (`serve --no-worker`);
    # which job types a worker takes: keys, "user-code", "platform" or "all".
    embedded_worker: bool = True
    worker_job_types: list[str] = Field(default_factory=lambda: ["all"])
    # Users' code: "bwrap" (the sandbox; refuses to run without bubblewrap) or "none"
    # (plain processes: only for a single trusted user). Sandboxed runs get uids from
    # ``sandbox_uid_base`` on (when the server runs as root), a private /tmp of
    # ``sandbox_tmp_mb``, and live in ``sandboxes_dir`` (default ``<home>/sandboxes``).
    sandbox: Literal["bwrap", "none"] = "bwrap"
    sandbox_uid_base: int = DEFAULT_SANDBOX_UID_BASE
    sandbox_tmp_mb: int = DEFAULT_SANDBOX_TMP_MB
    sandboxes_dir: Path | None = None
    # Runtime images: the catalog (a list of {name, python, packages, tags}; the first
    # is the default image; empty: the built-in catalog) and where images are built
    # (default ``<home>/images``; several homes may share one folder).
    images: list[dict[str, Any]] = Field(default_factory=list)
    images_dir: Path | None = None
    # A dask.distributed scheduler (``tcp://host:8786``): users' code runs there.
    dask_scheduler: str | None = None
    # How runs on Dask workers reach the API (default: the external URL).
    dask_api_url: str | None = None
    # How often expired file contents and abandoned uploads are purged (0: start-up only).
    housekeeping_seconds: float = DEFAULT_HOUSEKEEPING_SECONDS

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

    def resolved_images_dir(self) -> Path:
        """Where runtime images are built and cached."""
        return Path(self.images_dir or Path(self.home).expanduser() / IMAGES_DIRNAME)

    def resolved_sandboxes_dir(self) -> Path:
        """Where the working folders of sandboxed runs are made."""
        return Path(self.sandboxes_dir or Path(self.home).expanduser() / SANDBOXES_DIRNAME)

    def resolved_blob_url(self) -> str:
        """Where file contents live: the configured URL, else ``<home>/blobs``."""
        return self.blob_url or str(Path(self.home).expanduser() / BLOBS_DIRNAME)

    def resolved_signing_secret(self) -> bytes:
        """The secret that signs file URLs; created under home on first use.

        Examples:
            >>> Settings(home="/tmp/x", signing_secret="abc").resolved_signing_secret()
            b'abc'
        """
        if self.signing_secret:
            return self.signing_secret.encode()
        path = Path(self.home).expanduser() / SIGNING_KEY_FILENAME
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{SIGNING_KEY_FILENAME}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode())
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # atomic and never overwrites: a concurrent creator wins
        except FileExistsError:
            pass
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return path.read_bytes().strip()
