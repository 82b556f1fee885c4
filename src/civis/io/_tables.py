"""Table-name helpers shared by the table functions of `civis.io`."""

from __future__ import annotations

__all__ = ["split_schema_tablename"]


def split_schema_tablename(table: str) -> tuple[str | None, str]:
    """Split ``schema.table`` on the dot; double quotes protect dots inside names.

    Raises
    ------
    ValueError
        More than two dot-separated parts.

    Examples
    --------
    >>> split_schema_tablename("sales.orders")
    ('sales', 'orders')
    >>> split_schema_tablename('"my.schema".orders')
    ('my.schema', 'orders')
    >>> split_schema_tablename("orders")
    (None, 'orders')
    """
    from civis.client import _split_schema_tablename

    return _split_schema_tablename(table)
