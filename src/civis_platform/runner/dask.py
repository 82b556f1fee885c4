"""The Dask executor: users' code on a ``dask.distributed`` cluster.

`DaskExecutor.run` submits one task per launch. The task (`run_on_worker`) runs on a
Dask worker with nothing of the server but the API: it builds the same bubblewrap
sandbox as the local executor (`runner.sandbox`, with the runtime images built on that
machine), and reports through an `ApiHost` with the run's own key: logs arrive while
the run goes on, outputs are posted, and it watches the run for cancellation, killing
its process tree when the run is cancelled. Meanwhile the executor waits on the task's
future; when the run is cancelled here it also cancels the future.

Placement: a launch with ``requiredResources`` asks Dask for resources ``memory_mb``
and ``cpu_shares`` of those amounts, so only workers started with them (``dask worker
--resources "memory_mb=16000,cpu_shares=4000"``) take it, and no more runs share a
worker than fit. A launch without requests takes any worker.

A Dask worker lost mid-run (its process killed, its machine gone) takes the sandbox
with it (``--die-with-parent``); the run fails with a clear error and is not re-run by
Dask (tasks are submitted with ``retries=0``; set the scheduler's
``distributed.scheduler.allowed-failures`` to 0 so that a lost task is not resubmitted
elsewhere either).
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from civis_platform.runner.host import Host
from civis_platform.runner.images import ImageEntry, ImageStore
from civis_platform.runner.remote import ApiHost
from civis_platform.runner.runspec import Launch, Outcome, RunSpec
from civis_platform.runner.sandbox import LocalSandbox, SandboxSettings

log = logging.getLogger("civis_platform.runner")

WAIT_SECONDS = 0.05
LOST_WORKER = "The Dask worker running this run was lost ({detail}); the run did not finish."


def _config(settings: SandboxSettings) -> dict[str, Any]:
    """What a Dask worker needs to make sandboxes like ours (plain data)."""
    return {
        "images_root": str(settings.images.root),
        "catalog": [asdict(entry) for entry in settings.images.catalog],
        "api_url": settings.api_url,
        "mode": settings.mode,
        "uid_base": settings.uid_base,
        "tmp_size_mb": settings.tmp_size_mb,
    }


def run_on_worker(launch_json: str, config_json: str) -> str:
    """The task: run a launch in a sandbox on this Dask worker; its `Outcome` as JSON."""
    config = json.loads(config_json)
    launch = Launch.from_json(launch_json)
    catalog = [
        ImageEntry(
            name=e["name"], python=e["python"], packages=tuple(e["packages"]), tags=e["tags"]
        )
        for e in config["catalog"]
    ]
    with tempfile.TemporaryDirectory(prefix="civis-dask-runs-") as root:
        settings = SandboxSettings(
            root=Path(root),
            images=ImageStore(Path(config["images_root"]), catalog),
            api_url=config["api_url"],
            mode=config["mode"],
            uid_base=config["uid_base"],
            tmp_size_mb=config["tmp_size_mb"],
        )
        spec = RunSpec(
            run_id=launch.run_id,
            job_id=launch.job_id,
            owner_id=launch.owner_id,
            job_type="container",
            limits=launch.limits,
        )
        host = ApiHost(spec, config["api_url"], launch.env["CIVIS_API_KEY"])
        try:
            outcome = LocalSandbox(settings).run(launch, host)
        finally:
            host.close()
    return outcome.to_json()


def resources_of(launch: Launch) -> dict[str, float] | None:
    """The Dask worker resources a launch asks for (None: any worker).

    Examples:
        >>> from civis_platform.runner.runspec import Limits
        >>> launch = Launch(1, 1, 1, ["true"], {}, "x", limits=Limits(memory_mb=512))
        >>> resources_of(launch)
        {'memory_mb': 512}
    """
    wanted: dict[str, float] = {}
    if launch.limits.memory_mb:
        wanted["memory_mb"] = launch.limits.memory_mb
    if launch.limits.cpu_shares:
        wanted["cpu_shares"] = launch.limits.cpu_shares
    return wanted or None


class DaskExecutor:
    """Runs launches on a Dask cluster (`UserCodeExecutor`; module docstring)."""

    def __init__(self, scheduler: str, settings: SandboxSettings) -> None:
        self.scheduler = scheduler
        self.settings = settings
        self._config = json.dumps(_config(settings))
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The cluster client, connected on first use."""
        with self._lock:
            if self._client is None:
                from distributed import Client

                self._client = Client(self.scheduler, set_as_default=False, timeout=30)
            return self._client

    def run(self, launch: Launch, host: Host) -> Outcome:
        """Run ``launch`` on the cluster and wait for it (module docstring)."""
        from distributed import CancelledError
        from distributed.scheduler import KilledWorker

        client = self.client()
        future = client.submit(
            run_on_worker,
            launch.to_json(),
            self._config,
            key=f"civis-run-{launch.run_id}-{uuid.uuid4().hex[:8]}",
            pure=False,
            retries=0,
            resources=resources_of(launch),
        )
        with host.when_cancelled(future.cancel):
            while not future.done():
                if host.cancellation.wait(WAIT_SECONDS):
                    break
        if host.is_cancel_requested():
            future.cancel()
            return Outcome(None, cancelled=True)
        try:
            return Outcome.from_json(future.result())
        except CancelledError:
            return Outcome(None, error=LOST_WORKER.format(detail="its task was cancelled"))
        except (KilledWorker, OSError) as error:  # the worker died, or the connection
            detail = f"{type(error).__name__}: {error}"
            return Outcome(None, error=LOST_WORKER.format(detail=detail))
        except Exception as error:  # the task itself failed (no sandbox there, ...)
            return Outcome(None, error=f"The run could not run on the Dask cluster: {error}")

    def close(self) -> None:
        """Disconnect from the cluster."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
