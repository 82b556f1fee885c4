"""Metadata store: tables, engine factory and Alembic migrations."""
