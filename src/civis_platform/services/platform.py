"""What one app owns, as one typed object: `Platform`, built once by ``create_app``
(and by the ``civis-platform worker`` process), passed down explicitly.

It holds the settings, the metadata store, the blob store and the URL-signing secret,
the pool of open warehouses, the key verifier and rate limiter, the job-type table and
the runtime images, and the doorbells of the run engine. Nothing of this lives in
module-level state: two platforms in one process (tests do that) share nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from civis_platform.config import Settings
from civis_platform.runner.images import ImageEntry, ImageStore
from civis_platform.runner.jobtypes import JOB_TYPES, JobTypes
from civis_platform.services.auth import KeyVerifier, RateLimiter
from civis_platform.services.warehouses import WarehousePool
from civis_platform.storage import BlobStore, open_blob_store
from civis_platform.store.db import Store


def _ignore_run(_run_id: int) -> None:
    return None


@dataclass
class Platform:
    """The app's resources (see the module docstring)."""

    settings: Settings
    store: Store
    blobs: BlobStore
    signing_secret: bytes
    warehouses: WarehousePool
    verifier: KeyVerifier
    limiter: RateLimiter
    job_types: JobTypes = JOB_TYPES
    images: ImageStore | None = None
    # The run engine's doorbells (set when a worker runs in this process): a run was
    # queued; a run's cancellation was recorded. Other processes hear of both through
    # the store (PostgreSQL notifications, heartbeats).
    wake_runner: Callable[[], None] = field(default=lambda: None)
    cancel_run: Callable[[int], None] = field(default=_ignore_run)

    @classmethod
    def open(
        cls,
        settings: Settings,
        store: Store | None = None,
        *,
        job_types: JobTypes = JOB_TYPES,
    ) -> Platform:
        """Open everything ``settings`` names (lazily where possible: no warehouse or
        database connection is made here)."""
        store = store or Store.from_url(settings.resolved_metadata_url())
        return cls(
            settings=settings,
            store=store,
            blobs=open_blob_store(
                settings.resolved_blob_url(), min_part_size=settings.blob_min_part_size
            ),
            signing_secret=settings.resolved_signing_secret(),
            warehouses=WarehousePool(store),
            verifier=KeyVerifier(store, settings.key_cache_seconds),
            limiter=RateLimiter(settings.rate_limit, settings.rate_limit_window_seconds),
            job_types=job_types,
            images=image_store(settings),
        )

    def close(self) -> None:
        """Release the warehouses and the store's connections."""
        self.warehouses.close()
        self.store.dispose()


def image_store(settings: Settings) -> ImageStore:
    """The runtime images of ``settings`` (its catalog, under its images folder)."""
    catalog = [ImageEntry.from_dict(entry) for entry in settings.images]
    root = Path(settings.resolved_images_dir())
    return ImageStore(root, catalog) if catalog else ImageStore(root)
