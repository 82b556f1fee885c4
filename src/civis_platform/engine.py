"""Wiring the run engine to a platform: the worker of ``serve`` and of
``civis-platform worker`` are built here, the one place that knows both the run
engine (`runner`) and the services that give it hosts.

Users' code goes to the Dask cluster when ``dask_scheduler`` is set, else to local
bubblewrap sandboxes (`runner.sandbox`).
"""

from __future__ import annotations

from collections.abc import Collection

from civis_platform.runner.host import UserCodeExecutor
from civis_platform.runner.sandbox import LocalSandbox, SandboxSettings
from civis_platform.runner.worker import Worker
from civis_platform.services.platform import Platform
from civis_platform.services.run_host import host_factory


def sandbox_settings(platform: Platform, api_url: str | None = None) -> SandboxSettings:
    """How this platform makes sandboxes (runs reach the API at ``api_url``, default
    the external URL)."""
    settings = platform.settings
    assert platform.images is not None
    return SandboxSettings(
        root=settings.resolved_sandboxes_dir(),
        images=platform.images,
        api_url=api_url or settings.resolved_external_url(),
        mode=settings.sandbox,
        uid_base=settings.sandbox_uid_base,
        tmp_size_mb=settings.sandbox_tmp_mb,
    )


def user_code_executor(platform: Platform) -> UserCodeExecutor:
    """The executor for users' code: Dask when configured, else the local sandbox."""
    settings = platform.settings
    if settings.dask_scheduler:
        from civis_platform.runner.dask import DaskExecutor

        return DaskExecutor(
            settings.dask_scheduler,
            sandbox_settings(platform, settings.dask_api_url),
        )
    return LocalSandbox(sandbox_settings(platform))


def build_worker(
    platform: Platform,
    *,
    slots: int | None = None,
    takes: Collection[str] | None = None,
) -> Worker:
    """A worker over the platform's store (not started). ``takes`` names job types
    (keys, "user-code", "platform", "all"); default: the settings'."""
    names = list(takes) if takes is not None else platform.settings.worker_job_types
    chosen = None if "all" in names else platform.job_types.select(names)
    return Worker(
        platform.store,
        platform.settings,
        host_factory=host_factory(platform),
        job_types=platform.job_types,
        sandbox=user_code_executor(platform),
        slots=slots,
        takes=chosen,
    )


def start_embedded_worker(platform: Platform) -> Worker:
    """Start a worker in this process and ring its doorbells from the services."""
    worker = build_worker(platform).start()
    platform.wake_runner = worker.notify
    platform.cancel_run = worker.request_cancel
    return worker


__all__ = ["build_worker", "sandbox_settings", "start_embedded_worker", "user_code_executor"]
