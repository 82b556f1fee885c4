"""Engine factory and the small transaction helper services use.

SQLite gets WAL, foreign keys and a busy timeout on every connection, so several
threads (and processes) can share one metadata file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_metadata_engine(url: str) -> Engine:
    """Build an engine for the metadata store at ``url`` (SQLite file or PostgreSQL).

    Examples:
        >>> engine = create_metadata_engine("sqlite:///:memory:")
        >>> engine.dialect.name
        'sqlite'
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Store:
    """The metadata store of one app: an engine plus transaction scopes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite reads in WAL mode never wait on a lock or a network: they only need the
        # CPU (and the GIL). Callers may run them on the event loop instead of paying a
        # thread hop that costs more than the query. PostgreSQL reads wait on the wire.
        self.reads_never_wait = engine.dialect.name == "sqlite"

    @classmethod
    def from_url(cls, url: str) -> Store:
        """Open (lazily; no connection is made here) the store at ``url``."""
        return cls(create_metadata_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        """A transaction that reads and then writes, safe against concurrent writers.

        On SQLite it takes the write lock up front (``BEGIN IMMEDIATE``): a deferred
        transaction that read first and then wrote would fail at once with "database is
        locked" when another writer got there between (SQLite cannot wait in that case
        without deadlocking), whereas an immediate one waits up to ``busy_timeout``.
        On PostgreSQL it is `transaction` (use ``SELECT ... FOR UPDATE`` to serialise).
        """
        if self.engine.dialect.name != "sqlite":
            with self.transaction() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
