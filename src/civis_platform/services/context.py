"""What every service call receives first: who is asking, and the app's resources.

(``utcnow`` and ``iso`` are re-exported from `civis_platform.clock` for services.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from civis_platform.clock import iso, utcnow
from civis_platform.config import Settings
from civis_platform.store.db import Store

if TYPE_CHECKING:
    from civis_platform.runner.jobtypes import JobTypes
    from civis_platform.services.platform import Platform
    from civis_platform.services.warehouses import WarehousePool
    from civis_platform.storage import BlobStore


@dataclass(frozen=True)
class Principal:
    """An authenticated user, as resolved from an API key."""

    id: int
    username: str
    is_admin: bool
    group_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Context:
    """Request context: the caller, and the `Platform` of this app."""

    user: Principal
    platform: Platform

    @property
    def store(self) -> Store:
        """The metadata store."""
        return self.platform.store

    @property
    def settings(self) -> Settings:
        """The app's settings."""
        return self.platform.settings

    @property
    def blobs(self) -> BlobStore:
        """Where file contents live."""
        return self.platform.blobs

    @property
    def signing_secret(self) -> bytes:
        """The secret that signs file URLs."""
        return self.platform.signing_secret

    @property
    def job_types(self) -> JobTypes:
        """The job-type table."""
        return self.platform.job_types

    @property
    def warehouses(self) -> WarehousePool:
        """The app's open warehouses."""
        return self.platform.warehouses

    def warehouse_pool(self) -> WarehousePool:
        """The app's warehouse pool (services that reach warehouses use it)."""
        return self.platform.warehouses

    def evict_key(self, key_id: int) -> None:
        """A key was revoked: forget its cached verifications."""
        self.platform.verifier.evict_key(key_id)

    def evict_user(self, user_id: int) -> None:
        """A user's roles or groups changed: rebuild their cached principal."""
        self.platform.verifier.evict_user(user_id)

    def wake_runner(self) -> None:
        """A run was queued (call after commit)."""
        self.platform.wake_runner()

    def cancel_run(self, run_id: int) -> None:
        """A run's cancellation was recorded (call after commit)."""
        self.platform.cancel_run(run_id)

    def as_user(self, user: Principal) -> Context:
        """The same platform, acting as ``user``."""
        return Context(user=user, platform=self.platform)


__all__ = ["Context", "Principal", "iso", "utcnow"]
