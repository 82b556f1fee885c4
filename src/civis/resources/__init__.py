"""Spec download and class generation, under the official ``civis.resources`` names.

Unlike the official package we do not bundle a spec file (so there is no
``API_SPEC_PATH``); downloaded specs are cached as described in ``civis._spec.loader``.

Examples
--------
>>> import os, civis
>>> spec = civis.resources.get_api_spec(os.environ["CIVIS_API_KEY"])  # doctest: +SKIP
>>> client = civis.APIClient(local_api_spec=spec)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from civis.base import DEFAULT_USER_AGENT

__all__ = [
    "API_VERSIONS",
    "CACHED_SPEC_PATH",
    "cache_api_spec",
    "generate_classes",
    "generate_classes_maybe_cached",
    "get_api_spec",
]

API_VERSIONS = ("1.0",)
CACHED_SPEC_PATH = str(Path.home() / ".civis_api_spec.json")


def _http(api_key: str, user_agent: str) -> Any:
    from civis._http import HTTPClient
    from civis.base import get_base_url

    return HTTPClient(api_key, base_url=get_base_url(), user_agent=user_agent)


def get_api_spec(
    api_key: str, api_version: str = "1.0", user_agent: str = DEFAULT_USER_AGENT
) -> dict[str, Any]:
    """Download the API spec from ``{CIVIS_API_ENDPOINT}endpoints``.

    Returns
    -------
    collections.OrderedDict
        The parsed spec, key order preserved.

    Raises
    ------
    ValueError
        Unknown ``api_version``.
    requests.HTTPError
        401/403 (the key may be expired) or another error status.

    Examples
    --------
    >>> spec = get_api_spec(os.environ["CIVIS_API_KEY"])  # doctest: +SKIP
    >>> "paths" in spec  # doctest: +SKIP
    True
    """
    if api_version not in API_VERSIONS:
        raise ValueError(f"APIClient api_version must be one of {set(API_VERSIONS)}")
    from civis.client import download_spec

    spec: dict[str, Any] = json.loads(
        download_spec(_http(api_key, user_agent)), object_pairs_hook=OrderedDict
    )
    return spec


def cache_api_spec(
    cache: str = CACHED_SPEC_PATH,
    api_key: str | None = None,
    api_version: str = "1.0",
    user_agent: str = DEFAULT_USER_AGENT,
) -> None:
    """Download the API spec and save it as JSON at ``cache``.

    Examples
    --------
    >>> cache_api_spec("spec.json")  # doctest: +SKIP
    >>> client = civis.APIClient(local_api_spec="spec.json")  # doctest: +SKIP
    """
    key = api_key or os.environ.get("CIVIS_API_KEY")
    if not key:
        raise OSError("No Civis API key found. Pass api_key or set CIVIS_API_KEY.")
    spec = get_api_spec(key, api_version=api_version, user_agent=user_agent)
    with open(cache, "w") as fh:
        json.dump(spec, fh)


def _classes(model: Any) -> dict[str, type]:
    from civis._spec.build import resource_class

    return {name: resource_class(model, name) for name in model.client_resource_names()}


def generate_classes(
    api_key: str, api_version: str = "1.0", user_agent: str = DEFAULT_USER_AGENT
) -> dict[str, type]:
    """Return ``{resource name: resource class}`` for the endpoint's spec.

    Examples
    --------
    >>> sorted(generate_classes(os.environ["CIVIS_API_KEY"]))[:2]  # doctest: +SKIP
    ['admin', 'aliases']
    """
    from civis._spec.loader import load_spec_mapping

    return _classes(load_spec_mapping(get_api_spec(api_key, api_version, user_agent)))


def generate_classes_maybe_cached(
    cache: str | dict[str, Any] | None,
    api_key: str,
    api_version: str,
    force_refresh_api_spec: bool = False,
    user_agent: str = DEFAULT_USER_AGENT,
) -> dict[str, type]:
    """Like `generate_classes`, from a saved spec (path or mapping) when one is given.

    Examples
    --------
    >>> classes = generate_classes_maybe_cached("spec.json", "key", "1.0")  # doctest: +SKIP
    """
    from civis.client import APIClient

    if cache is not None and force_refresh_api_spec:
        raise TypeError("force_refresh_api_spec cannot be True when a cache is given")
    client = APIClient(
        api_key=api_key,
        api_version=api_version,
        local_api_spec=cache,
        force_refresh_api_spec=force_refresh_api_spec,
        user_agent=user_agent,
    )
    return _classes(client._model)
