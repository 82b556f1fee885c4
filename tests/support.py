"""Test support shared by every test package: where the reference material and the
official client live, and throwaway PostgreSQL databases.

Nothing here is a mock: the reference spec is the official wheel's own file, the official
client is the real package in its own virtual environment (`make official`), and the
databases are created on the real PostgreSQL server and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OFFICIAL_VENV = REPO / ".venv-official"
OFFICIAL_PYTHON = OFFICIAL_VENV / "bin" / "python"
PG_ADMIN_DSN = os.environ.get("CIVIS_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def reference_spec_path() -> Path:
    """The official API spec: the copy bundled in the pinned official wheel, or shared/'s."""
    bundled = glob.glob(
        str(
            OFFICIAL_VENV
            / "lib"
            / "python*"
            / "site-packages"
            / "civis"
            / "resources"
            / "civis_api_spec.json"
        )
    )
    if bundled:
        return Path(bundled[0])
    shared = REPO.parent / "shared" / "reference" / "civis_api_spec.json"
    if shared.exists():
        return shared
    raise FileNotFoundError(
        "no reference spec: run `make official` (installs civis==2.10.1 into .venv-official)"
    )


@cache
def reference_spec() -> dict[str, Any]:
    """The reference spec, parsed once per test process (treat it as read-only)."""
    with open(reference_spec_path()) as fh:
        return json.load(fh)


def official_python() -> Path:
    """The interpreter of the venv holding the official client; fails loudly if missing."""
    if not OFFICIAL_PYTHON.exists():
        raise FileNotFoundError("the official client is missing: run `make official`")
    return OFFICIAL_PYTHON


@contextlib.contextmanager
def temporary_pg_database(prefix: str = "civis_test") -> Iterator[str]:
    """Create an empty database on the local PostgreSQL server; yield its SQLAlchemy URL.

    The database is dropped (with its connections terminated) when the block exits.
    """
    import psycopg

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
