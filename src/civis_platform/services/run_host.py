"""The in-process host: a run's `Host` inside a worker of this platform.

`LocalHost` writes logs and outputs straight into the metadata store and reaches the
job owner's objects (`LocalOwner`) through the services, acting as the owner: a run
can use exactly what its owner can, and nothing else. The embedded worker of ``serve``
and the ``civis-platform worker`` processes build one per run (`host_factory`).

A run's API key (`LocalOwner.api_key`) is minted for the run (``api_keys.run_id``),
expires with the run's time limit, and is revoked in the same transaction that ends
the run (`runner.runs.transition`); `LocalHost.close` also drops it from this
process's verification cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from civis_platform.runner import runs
from civis_platform.runner.host import Cancellation, Host, OwnerAccess, ProgramError, Secret
from civis_platform.runner.runspec import RunSpec
from civis_platform.services import files
from civis_platform.services.auth import load_principal, mint_key
from civis_platform.services.context import Context
from civis_platform.services.credentials import credential_secret
from civis_platform.services.platform import Platform
from civis_platform.services.tables import ensure_table_id
from civis_platform.services.warehouses import Target, resolve_target

# A run's key outlives its time limit by this much, so a run that ends at its limit
# can still report; revocation at the end of the run usually comes first.
KEY_GRACE_SECONDS = 300
DEFAULT_KEY_SECONDS = 24 * 3600


class LocalOwner(OwnerAccess):
    """The job owner's objects, through the services, as the owner."""

    def __init__(self, platform: Platform, spec: RunSpec) -> None:
        self._platform = platform
        self._spec = spec
        self._ctx: Context | None = None
        self.key_ids: list[int] = []

    def context(self) -> Context:
        """A service Context acting as the job's owner (ProgramError once inactive)."""
        if self._ctx is None:
            with self._platform.store.transaction() as conn:
                principal = load_principal(conn, self._spec.owner_id)
            if principal is None:
                raise ProgramError(
                    f"The owner of job {self._spec.job_id} is no longer an active user."
                )
            self._ctx = Context(user=principal, platform=self._platform)
        return self._ctx

    def target(self, **where: Any) -> Target:
        """`resolve_target` as the owner."""
        ctx = self.context()
        return resolve_target(ctx, ctx.warehouse_pool(), **where)

    def readable_file(self, file_id: Any, field: str) -> Any:
        """`files.readable_file` as the owner."""
        return files.readable_file(self.context(), file_id, field)

    def open_file(self, row: Any) -> contextlib.AbstractContextManager[BinaryIO]:
        """The contents of a readable file row."""
        return files.open_contents(self._platform.blobs, row)

    def store_file(self, *, name: str, source: Path | BinaryIO, detected_info: Any = None) -> int:
        """A new file of the owner holding ``source`` (moved into the blob store)."""
        return files.store_file(
            self._platform,
            owner_id=self._spec.owner_id,
            name=name,
            source=source,
            detected_info=detected_info,
        )

    def set_detected_info(self, file_id: int, detected: Any) -> None:
        """Record ``detectedInfo`` on a file."""
        files.set_detected_info(self._platform.store, file_id, detected)

    def file_links(self, file_id: int) -> tuple[str, str | None, int]:
        """(API link, signed download URL, size) of a stored file."""
        row = files.file_row(self._platform.store, file_id)
        base = self._platform.settings.resolved_external_url()
        signed = files.signed_url(self._platform, row)
        return f"{base}files/{file_id}", signed, int(row.size or 0)

    def staging_dir(self) -> Path:
        """The blob store's staging folder (storing a file spooled there is a rename)."""
        return Path(self._platform.blobs.staging_dir())

    def table_id(self, database_id: int, schema: str, table: str) -> int:
        """The stable id of a warehouse table."""
        with self._platform.store.transaction() as conn:
            return ensure_table_id(conn, database_id, schema, table)

    def credential(self, credential_id: Any, field: str) -> Secret:
        """A credential the owner may use, with its secret."""
        return credential_secret(self.context(), credential_id, field)

    def api_key(self) -> str:
        """A key of the owner for this run only (module docstring)."""
        limit = self._spec.limits.time_limit_seconds
        lifetime = int(limit + KEY_GRACE_SECONDS) if limit else DEFAULT_KEY_SECONDS
        with self._platform.store.transaction() as conn:
            key = mint_key(
                conn,
                user_id=self._spec.owner_id,
                name=f"run {self._spec.run_id}",
                expires_in=lifetime,
                run_id=self._spec.run_id,
            )
        self.key_ids.append(key.id)
        return key.token


class LocalHost(Host):
    """A run's host inside this process (see the module docstring)."""

    def __init__(self, platform: Platform, spec: RunSpec, cancellation: Cancellation) -> None:
        super().__init__(spec, cancellation)
        self.platform = platform
        self._owner = LocalOwner(platform, spec)

    @property
    def owner(self) -> LocalOwner:
        """The job owner's objects."""
        return self._owner

    def log_lines(self, lines: Sequence[tuple[str, str]]) -> None:
        """Append lines to the run's logs in one transaction."""
        runs.append_logs(self.platform.store, self.spec.run_id, lines)

    def add_output(
        self,
        object_type: str,
        object_id: int | None = None,
        name: str | None = None,
        value: Any = None,
    ) -> None:
        """Record an output of the run."""
        runs.insert_output(
            self.platform.store, self.spec.run_id, object_type, object_id, name, value
        )

    def close(self) -> None:
        """The run is over: forget its keys' cached verifications here."""
        for key_id in self._owner.key_ids:
            self.platform.verifier.evict_key(key_id)


def host_factory(platform: Platform) -> Callable[[RunSpec, Cancellation], Host]:
    """What a `runner.worker.Worker` calls to make each run's host."""

    def make(spec: RunSpec, cancellation: Cancellation) -> Host:
        return LocalHost(platform, spec, cancellation)

    return make


@contextlib.contextmanager
def owner_context(host: Host) -> Iterator[Context]:
    """The owner's service Context of an in-process host (platform programs only)."""
    owner = host.owner
    if not isinstance(owner, LocalOwner):
        raise ProgramError("This program needs the platform's own worker to run.")
    yield owner.context()
