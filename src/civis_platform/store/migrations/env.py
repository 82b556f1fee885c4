"""Alembic environment: runs online against the engine passed in by ``store.migrate``."""

from __future__ import annotations

from alembic import context

from civis_platform.store.tables import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite batch migrations rebuild tables (copy, drop, rename); with foreign keys
        # on, dropping a referenced table would cascade-delete rows that point at it.
        # The pragma only takes effect outside a transaction, hence before begin().
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
