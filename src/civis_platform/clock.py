"""The one clock of the server: timezone-aware UTC now, and the Civis timestamp format.

Below every layer (services, the run engine and the store all use it).
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """A stored timestamp as aware UTC (SQLite hands back naive datetimes stored as UTC).

    Examples:
        >>> aware(datetime(2024, 1, 2)).isoformat()
        '2024-01-02T00:00:00+00:00'
    """
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """Civis timestamp format: ISO 8601 in UTC with a ``Z`` suffix.

    Examples:
        >>> iso(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
        '2024-01-02T03:04:05.000Z'
    """
    value = aware(value)
    if value is None:
        return None
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )
