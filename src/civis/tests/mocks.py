"""Autospec'd client mocks: calls with wrong method or parameter names fail like the real
client's would, and nothing touches the network."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from unittest import mock

__all__ = ["create_client_mock", "create_client_mock_for_container_tests", "find_cached_spec"]

# Attributes that would call the API when autospec reads them; pre-filled so it does not.
_NETWORK_PROPERTIES = ("default_database_credential_id", "username")


def find_cached_spec() -> Path | None:
    """Return a spec file saved earlier, or None.

    Looked up in order: ``$CIVIS_API_SPEC_PATH``; the newest spec this client downloaded
    into its cache (see ``civis._spec.loader.cache_dir``); ``~/.civis_api_spec.json``
    (where the official CLI caches it).

    Examples
    --------
    >>> find_cached_spec()  # doctest: +SKIP
    PosixPath('/home/me/.cache/civis-platform/endpoints/1f0c....json')
    """
    from civis._spec.loader import cache_dir

    explicit = os.environ.get("CIVIS_API_SPEC_PATH")
    if explicit and Path(explicit).exists():
        return Path(explicit)
    downloaded = sorted(
        (cache_dir() / "endpoints").glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    if downloaded:
        return downloaded[0]
    legacy = Path.home() / ".civis_api_spec.json"
    return legacy if legacy.exists() else None


def create_client_mock(cache: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> Any:
    """Return ``mock.create_autospec`` of an `APIClient` built from a saved spec.

    Unlike the official client we do not ship the API spec, so one must be available:
    pass ``cache`` (a spec file path or mapping), set ``$CIVIS_API_SPEC_PATH``, or have
    created a client once (the downloaded spec is cached on disk).

    Parameters
    ----------
    cache : str, PathLike or mapping, optional
        The spec to build the client from.

    Returns
    -------
    unittest.mock.NonCallableMagicMock
        A mock with ``spec_set`` from the client: unknown methods or parameters raise.

    Raises
    ------
    FileNotFoundError
        No spec was given and none is cached.

    Examples
    --------
    >>> client = create_client_mock("civis_api_spec.json")  # doctest: +SKIP
    >>> client.files.post("a.csv", expires_at=None)  # doctest: +SKIP
    <MagicMock name='mock.files.post()' id='...'>
    >>> client.files.post("a.csv", expire_at=None)  # doctest: +SKIP
    Traceback (most recent call last):
    TypeError: got an unexpected keyword argument 'expire_at'
    """
    from civis.client import APIClient

    spec: Any = cache
    if spec is None:
        spec = find_cached_spec()
        if spec is None:
            raise FileNotFoundError(
                "create_client_mock needs an API spec: pass cache=<spec file or dict>, set "
                "CIVIS_API_SPEC_PATH, or construct civis.APIClient() once with network "
                "access so the spec is cached."
            )
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    real = APIClient(local_api_spec=spec, api_key="none")
    for name in _NETWORK_PROPERTIES:
        real.__dict__[name] = None
    # Deprecated properties that call the API: read through the class, not the instance.
    with (
        mock.patch.object(type(real), "default_credential", None),
        mock.patch.object(type(real), "feature_flags", None),
    ):
        return mock.create_autospec(real, spec_set=True)


def create_client_mock_for_container_tests(
    script_id: int = -10,
    run_id: int = 100,
    state: str = "succeeded",
    run_outputs: list[Any] | None = None,
    log_outputs: list[Any] | None = None,
    cache: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> Any:
    """Return a client mock primed for code that runs a container script.

    ``scripts.post_containers`` returns the script, ``post_containers_runs`` a queued run,
    ``get_containers_runs`` the run in ``state``; outputs and logs come from
    ``run_outputs`` and ``log_outputs``.

    Examples
    --------
    >>> client = create_client_mock_for_container_tests(
    ...     7, 8, state="failed", cache="civis_api_spec.json")  # doctest: +SKIP
    >>> client.scripts.get_containers_runs(7, 8).state  # doctest: +SKIP
    'failed'
    """
    from civis.response import Response

    client = create_client_mock(cache)
    client.scripts.post_containers.return_value = Response({"id": script_id})
    client.scripts.post_containers_runs.return_value = Response(
        {"id": run_id, "container_id": script_id, "state": "queued"}
    )
    run: dict[str, Any] = {"id": run_id, "container_id": script_id, "state": state}
    if state == "failed":
        run["error"] = "the job failed"
    client.scripts.get_containers_runs.return_value = Response(run)
    client.scripts.list_containers_runs_outputs.return_value = run_outputs or []
    client.jobs.list_runs_outputs.return_value = run_outputs or []
    client.jobs.list_runs_logs.return_value = log_outputs or []
    return client
