"""SQL text helpers shared by both engines: quoting and wrapping queries."""

from __future__ import annotations

__all__ = ["quote_ident", "quote_literal", "strip_query"]


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (same rule in DuckDB and PostgreSQL).

    Examples:
        >>> quote_ident('we"ird')
        '"we""ird"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A single-quoted SQL string literal (standard-conforming strings in both engines).

    Examples:
        >>> quote_literal("it's")
        "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def strip_query(sql: str) -> str:
    """A query without trailing semicolons, safe to wrap as ``(...)`` (comments too)."""
    return sql.strip().rstrip(";").rstrip() + "\n"
