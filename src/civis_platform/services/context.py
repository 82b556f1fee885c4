"""What every service call receives first: who is asking, and the app's resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from civis_platform.config import Settings
from civis_platform.store.db import Store

if TYPE_CHECKING:
    from civis_platform.services.warehouses import WarehousePool


@dataclass(frozen=True)
class Principal:
    """An authenticated user, as resolved from an API key."""

    id: int
    username: str
    is_admin: bool
    group_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Context:
    """Request context: the caller plus the store and settings of this app."""

    user: Principal
    store: Store
    settings: Settings
    # Called after a key is revoked so cached verifications die with it.
    evict_key: Callable[[int], None] = field(default=lambda _key_id: None)
    # Called after a user's roles or groups change so their cached principal is rebuilt.
    evict_user: Callable[[int], None] = field(default=lambda _user_id: None)
    # The run engine's doorbells: a run was queued; a run's cancellation was requested.
    wake_runner: Callable[[], None] = field(default=lambda: None)
    cancel_run: Callable[[int], None] = field(default=lambda _run_id: None)
    # The app's open warehouses (None where no data plane is wired, e.g. unit tests).
    warehouses: WarehousePool | None = None

    def warehouse_pool(self) -> WarehousePool:
        """The app's warehouse pool; services that reach warehouses need one."""
        if self.warehouses is None:
            raise RuntimeError("this Context was built without a warehouse pool")
        return self.warehouses


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock services use)."""
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """Civis timestamp format: ISO 8601 in UTC with a ``Z`` suffix.

    Examples:
        >>> iso(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
        '2024-01-02T03:04:05.000Z'
    """
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )
