"""Run a real server in-process for tests: ``ThreadedServer``.

Examples:
    >>> with ThreadedServer() as server:                      # doctest: +SKIP
    ...     requests.get(server.base_url + "users/me", auth=(server.admin_api_key, ""))
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from sqlalchemy import Connection, Row, select

from civis_platform.app import create_app
from civis_platform.config import SHUTDOWN_DRAIN_SECONDS, Settings
from civis_platform.runner.jobtypes import JOB_TYPES, JobTypes
from civis_platform.services.bootstrap import initialise, is_initialised
from civis_platform.services.users import insert_user, mint_key_for
from civis_platform.store import tables as t
from civis_platform.store.db import Store
from civis_platform.store.migrate import upgrade_to_head

STARTUP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class CreatedUser:
    """A user made by ``ThreadedServer.create_user``, with their API key."""

    id: int
    username: str
    api_key: str


def _first_admin(conn: Connection) -> Row[Any, Any] | None:
    """The admin created first (the seeded one), or None."""
    return conn.execute(
        select(t.users.c.id, t.users.c.username)
        .where(t.users.c.is_admin.is_(True))
        .order_by(t.users.c.id)
        .limit(1)
    ).first()


def prepare_home(settings: Settings) -> str:
    """Initialise ``settings.home`` if needed; return a fresh admin API key.

    On an already initialised home (e.g. a restart) a new key is minted for the
    first admin, since clear-text keys are never stored.
    """
    store = Store.from_url(settings.resolved_metadata_url())
    try:
        upgrade_to_head(store.engine)
        if not is_initialised(store):
            return initialise(store, settings).admin_key.token
        with store.transaction() as conn:
            admin = _first_admin(conn)
            if admin is None:
                raise RuntimeError(f"{settings.home} has no admin user")
            return mint_key_for(conn, admin.username, name="testing", expires_in=None).token
    finally:
        store.dispose()


class ThreadedServer:
    """uvicorn serving ``create_app(settings)`` in a daemon thread.

    ``settings=None`` uses a fresh temporary home. ``port=0`` picks a free port;
    ``base_url`` reports the real one (with a trailing slash). ``job_types`` extends
    or replaces the job-type table (tests declare throwaway job types).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        job_types: JobTypes = JOB_TYPES,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if settings is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="civis-platform-")
            settings = Settings(home=Path(self._tmp.name), testing=True)
        self._requested = (host, port)
        self._job_types = job_types
        self.settings = settings
        self.admin_api_key: str = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._store: Store | None = None
        self.app: Any = None

    @property
    def base_url(self) -> str:
        """``http://host:port/`` of the running server."""
        return self.settings.resolved_external_url()

    def start(self) -> ThreadedServer:
        """Initialise the home, bind, serve in a thread, and wait until ready."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        host, port = self._requested
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        self._socket = sock
        bound = sock.getsockname()[1]
        update: dict[str, Any] = {"host": host, "port": bound}
        if self.settings.external_url is None or self.settings.port != bound:
            update["external_url"] = f"http://{host}:{bound}/"
        self.settings = self.settings.model_copy(update=update)
        self.admin_api_key = prepare_home(self.settings)
        self.app = create_app(self.settings, job_types=self._job_types)
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=SHUTDOWN_DRAIN_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"civis-platform:{bound}",
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        self._store = Store.from_url(self.settings.resolved_metadata_url())
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for the thread, release the home."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        if self._store is not None:
            self._store.dispose()
        self._server = self._thread = self._socket = self._store = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def create_user(self, username: str, *, admin: bool = False) -> CreatedUser:
        """Create a user (in the default group, with a default credential) and a key."""
        if self._store is None:
            raise RuntimeError("server not started")
        with self._store.transaction() as conn:
            user_id = insert_user(conn, username=username, admin=admin)
            key = mint_key_for(conn, username, name="testing", expires_in=None)
        return CreatedUser(id=user_id, username=username, api_key=key.token)

    def register_postgres(self, name: str, url: str) -> int:
        """Register a PostgreSQL warehouse (by SQLAlchemy or libpq URL); its database id."""
        from civis_platform.services.databases import register_postgres

        if self._store is None:
            raise RuntimeError("server not started")
        with self._store.transaction() as conn:
            admin = _first_admin(conn)
            if admin is None:
                raise RuntimeError(f"{self.settings.home} has no admin user")
            return register_postgres(conn, name=name, url=url, owner_id=admin.id)

    def close_warehouses(self) -> None:
        """Close the server's open warehouse connections (before dropping a database)."""
        if self.app is not None:
            self.app.state.platform.warehouses.close()

    def reset(self) -> None:
        """Delete everything but the seed (admin, default group, databases).

        Needs ``settings.testing`` (the default when ``settings`` is None). Users made by
        ``create_user`` and their keys are gone afterwards; ``admin_api_key`` stays valid.
        """
        import requests

        response = requests.post(
            self.base_url + "testing/reset", auth=(self.admin_api_key, ""), timeout=60
        )
        if response.status_code != 204:
            raise RuntimeError(f"reset failed ({response.status_code}): {response.text}")

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
