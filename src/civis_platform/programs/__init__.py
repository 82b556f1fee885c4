"""What runs do, one module per job type; importing this package registers them all
in ``runner.base.PROGRAMS`` (the app imports it once)."""

from civis_platform.programs import containers, imports, sql

__all__ = ["containers", "imports", "sql"]
