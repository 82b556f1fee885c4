"""The host over the API: a run's `Host` where the platform's store is out of reach (on
a Dask worker), speaking to the API with the run's own key.

- logs go to ``POST scripts/containers/{job}/runs/{run}/logs`` in batches;
- outputs to ``POST scripts/containers/{job}/runs/{run}/outputs``;
- cancellation is learnt by polling the run every `POLL_SECONDS` (a cancelled run is
  final at once on the API side).

It needs nothing of the server but ``requests``, so it runs in any environment that has
this package. The owner's objects are reachable only as the API allows with that key:
the key itself (`RemoteOwner.api_key`); warehouses, stored credentials and files on
the server's disk are not (`ProgramError`), which is the point.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import requests

from civis_platform.runner.host import Cancellation, Host, OwnerAccess, ProgramError, Secret
from civis_platform.runner.runspec import RunSpec

POLL_SECONDS = 0.5
TIMEOUT_SECONDS = 30.0
RETRIES = 3


class RemoteOwner(OwnerAccess):
    """What a remote run may reach of its owner: its own API key, nothing on the server."""

    def __init__(self, api_key: str) -> None:
        self._key = api_key

    def _refuse(self, what: str) -> ProgramError:
        return ProgramError(f"{what} is reachable only from the platform's own workers.")

    def target(self, **where: Any) -> Any:
        """Refused: warehouses are reached through the API (``/queries``, imports)."""
        raise self._refuse("A warehouse")

    def readable_file(self, file_id: Any, field: str) -> Any:
        """Refused: a remote run downloads files over the API."""
        raise self._refuse("A file's stored contents")

    def open_file(self, row: Any) -> contextlib.AbstractContextManager[BinaryIO]:
        """Refused (see `readable_file`)."""
        raise self._refuse("A file's stored contents")

    def store_file(self, *, name: str, source: Path | BinaryIO, detected_info: Any = None) -> int:
        """Refused: a remote run uploads files over the API."""
        raise self._refuse("The blob store")

    def set_detected_info(self, file_id: int, detected: Any) -> None:
        """Refused."""
        raise self._refuse("A file's metadata")

    def file_links(self, file_id: int) -> tuple[str, str | None, int]:
        """Refused."""
        raise self._refuse("A file's links")

    def staging_dir(self) -> Path:
        """Refused."""
        raise self._refuse("The blob store")

    def table_id(self, database_id: int, schema: str, table: str) -> int:
        """Refused."""
        raise self._refuse("A table's id")

    def credential(self, credential_id: Any, field: str) -> Secret:
        """Refused: credentials are resolved on the worker before a launch leaves it."""
        raise self._refuse("A stored credential")

    def api_key(self) -> str:
        """The run's own key."""
        return self._key


class ApiHost(Host):
    """A run's host over the API (see the module docstring)."""

    def __init__(
        self,
        spec: RunSpec,
        api_url: str,
        api_key: str,
        *,
        cancellation: Cancellation | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__(spec, cancellation)
        self._base = api_url if api_url.endswith("/") else api_url + "/"
        self._run_path = f"scripts/containers/{spec.job_id}/runs/{spec.run_id}"
        self._session = requests.Session()
        self._session.auth = (api_key, "")
        self._owner = RemoteOwner(api_key)
        self._stop = threading.Event()
        self._watcher = threading.Thread(
            target=self._watch, args=(poll_seconds,), name="civis-remote-cancel", daemon=True
        )
        self._watcher.start()

    @property
    def owner(self) -> RemoteOwner:
        """The run's key; nothing on the server."""
        return self._owner

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        error: Exception | None = None
        for _ in range(RETRIES):
            try:
                response = self._session.request(
                    method, self._base + path, timeout=TIMEOUT_SECONDS, **kwargs
                )
            except requests.RequestException as exc:  # the API restarted: try again
                error = exc
                continue
            if response.status_code >= 500:
                error = RuntimeError(f"{method} {path}: {response.status_code}")
                continue
            return response
        raise ProgramError(f"The API at {self._base} could not be reached: {error}")

    def log_lines(self, lines: Sequence[tuple[str, str]]) -> None:
        """Post lines to the run's logs, in one request."""
        body = {"messages": [{"message": message, "level": level} for message, level in lines]}
        response = self._call("POST", f"{self._run_path}/logs", json=body)
        if response.status_code >= 400:
            raise ProgramError(f"Logs were refused ({response.status_code}): {response.text}")

    def add_output(
        self,
        object_type: str,
        object_id: int | None = None,
        name: str | None = None,
        value: Any = None,
    ) -> None:
        """Post an output of the run (objects by id; the API names them)."""
        body = {"objectType": object_type, "objectId": object_id}
        response = self._call("POST", f"{self._run_path}/outputs", json=body)
        if response.status_code >= 400:
            raise ProgramError(f"The output was refused ({response.status_code}): {response.text}")

    def _watch(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                response = self._session.get(self._base + self._run_path, timeout=TIMEOUT_SECONDS)
            except requests.RequestException:
                continue
            if response.status_code == 200:
                run = response.json()
                if run.get("state") == "cancelled" or run.get("isCancelRequested"):
                    self.cancellation.request()
                    return
            elif response.status_code in (401, 404):  # the run ended and its key went
                self.cancellation.request()
                return

    def close(self) -> None:
        """Stop watching for cancellation."""
        self._stop.set()
        self._session.close()
