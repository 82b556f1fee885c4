"""Load a spec (file, mapping or ``/endpoints`` download), digest it once, cache it on disk.

Two caches sit under the cache directory (``$CIVIS_SPEC_CACHE_DIR``, else
``$XDG_CACHE_HOME/civis-platform``, else ``~/.cache/civis-platform``):

- ``models/<blake2b of the spec bytes>.marshal``: the digested model (see `model`), so a
  repeat load of the same 2.5 MB spec skips JSON parsing entirely;
- ``files/<blake2b of the file path>.txt``: the mtime, size and content hash of spec files
  already loaded, so an unchanged file is not even read again;
- ``endpoints/<blake2b of base URL, version and key>.json``: downloaded specs, valid for a
  TTL (15 minutes when Python runs interactively, 24 hours otherwise; 0 for servers on
  loopback; ``$CIVIS_SPEC_CACHE_TTL`` overrides).  API keys are never written in clear:
  only their hash names the file.

In memory, models are shared process-wide by content hash; they are immutable.
A cache that cannot be written (read-only home, full disk) is silently skipped.
"""

from __future__ import annotations

import json
import marshal
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from civis._spec.model import (
    FORMAT_VERSION,
    LazyDigest,
    SpecModel,
    digest_spec,
    platform_extension,
)

__all__ = [
    "INTERACTIVE_TTL_SECONDS",
    "SCRIPT_TTL_SECONDS",
    "cache_dir",
    "cached_spec_path",
    "load_downloaded_spec",
    "load_spec_file",
    "load_spec_mapping",
    "spec_ttl_seconds",
]

INTERACTIVE_TTL_SECONDS = 15 * 60
SCRIPT_TTL_SECONDS = 24 * 60 * 60

_LOOPBACK_HOSTS = frozenset({"localhost", "::1"})

_MODELS: dict[str, SpecModel] = {}
# (path, mtime_ns, size) -> content hash: skips re-reading an unchanged file.
_FILE_KEYS: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """Return the directory for the spec caches (it may not exist yet).

    Examples
    --------
    >>> import os
    >>> os.environ["CIVIS_SPEC_CACHE_DIR"] = "/tmp/civis-cache"
    >>> str(cache_dir())
    '/tmp/civis-cache'
    >>> del os.environ["CIVIS_SPEC_CACHE_DIR"]
    """
    explicit = os.environ.get("CIVIS_SPEC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "civis-platform"


def spec_ttl_seconds(base_url: str = "") -> float:
    """How long a downloaded spec stays valid.

    ``$CIVIS_SPEC_CACHE_TTL`` (seconds) wins.  Otherwise a server on loopback (a
    development server whose routes change between runs) is asked every time; the
    digested model is still reused when the spec is unchanged.  Any other endpoint:
    15 minutes when Python runs interactively, 24 hours otherwise.

    Examples
    --------
    >>> spec_ttl_seconds("https://api.civisanalytics.com/") in (15 * 60, 24 * 3600)
    True
    >>> spec_ttl_seconds("http://127.0.0.1:8000/")
    0
    """
    override = os.environ.get("CIVIS_SPEC_CACHE_TTL")
    if override:
        try:
            return float(override)
        except ValueError:
            pass
    host = urlsplit(base_url).hostname or ""
    if host in _LOOPBACK_HOSTS or host.startswith("127."):
        return 0
    return INTERACTIVE_TTL_SECONDS if hasattr(sys, "ps1") else SCRIPT_TTL_SECONDS


def _write_atomically(path: Path, data: bytes) -> None:
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a cache we cannot write only costs speed


def _read_model(key: str) -> dict[str, Any] | None:
    try:
        data = marshal.loads((cache_dir() / "models" / f"{key}.marshal").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return None
    return data


def _model_from_bytes(content: bytes) -> SpecModel:
    import hashlib

    key = hashlib.blake2b(content, digest_size=16).hexdigest()
    model = _MODELS.get(key)
    if model is not None:
        return model
    data = _read_model(key)
    if data is None:
        data = digest_spec(json.loads(content))
        _write_atomically(cache_dir() / "models" / f"{key}.marshal", marshal.dumps(data))
    with _LOCK:
        return _MODELS.setdefault(key, SpecModel(data, key))


def load_spec_file(path: str | os.PathLike[str]) -> SpecModel:
    """Load a spec saved as JSON, using the in-memory and disk caches.

    Parameters
    ----------
    path : str or PathLike
        A JSON file holding an ``/endpoints`` document.

    Returns
    -------
    SpecModel

    Raises
    ------
    OSError
        The file cannot be read.
    ValueError
        The file is not JSON.

    Examples
    --------
    >>> model = load_spec_file("civis_api_spec.json")  # doctest: +SKIP
    >>> len(model.client_resource_names())  # doctest: +SKIP
    41
    """
    path = os.path.abspath(os.fspath(path))
    stat = os.stat(path)
    file_key = (path, stat.st_mtime_ns, stat.st_size)
    key = _FILE_KEYS.get(file_key)
    if key is not None and key in _MODELS:
        return _MODELS[key]
    # A file we have seen, unchanged (same mtime to the nanosecond and size): skip reading
    # and hashing 2.5 MB and go straight to its digested model.
    stamp = f"{stat.st_mtime_ns} {stat.st_size} "
    index = _index_path(path)
    try:
        line = index.read_text()
        if line.startswith(stamp):
            model = _model_from_cache(line[len(stamp) :].strip())
            if model is not None:
                _FILE_KEYS[file_key] = model.key
                return model
    except OSError:
        pass
    with open(path, "rb") as fh:
        content = fh.read()
    model = _model_from_bytes(content)
    _FILE_KEYS[file_key] = model.key
    _write_atomically(index, (stamp + model.key).encode())
    return model


def _index_path(path: str) -> Path:
    import hashlib

    name = hashlib.blake2b(path.encode(), digest_size=16).hexdigest()
    return cache_dir() / "files" / f"{name}.txt"


def _model_from_cache(key: str) -> SpecModel | None:
    """The model for a content hash, from memory or the disk cache; None if absent."""
    model = _MODELS.get(key)
    if model is not None:
        return model
    data = _read_model(key)
    if data is None:
        return None
    with _LOCK:
        return _MODELS.setdefault(key, SpecModel(data, key))


def load_spec_mapping(spec: Mapping[str, Any]) -> SpecModel:
    """Index a spec given as a mapping; resources are digested on first use.

    Not cached across calls: the caller may mutate the mapping later.

    Examples
    --------
    >>> spec = {"paths": {"/files/": {"post": {"summary": "Upload", "parameters": [],
    ...     "responses": {"200": {"description": "ok"}}}}}}
    >>> load_spec_mapping(spec).operations("files")[0].name
    'post'
    """
    return SpecModel(
        {"resources": LazyDigest(spec), "platform": platform_extension(spec)},
        key=f"mapping-{id(spec)}",
    )


def cached_spec_path(base_url: str, api_key: str, api_version: str) -> Path:
    """Where the downloaded spec for this endpoint, version and key is cached.

    Examples
    --------
    >>> cached_spec_path("http://h/", "key", "1.0").suffix
    '.json'
    """
    import hashlib

    ident = "\0".join((base_url, api_version, api_key)).encode()
    return cache_dir() / "endpoints" / f"{hashlib.blake2b(ident, digest_size=16).hexdigest()}.json"


def load_downloaded_spec(
    download: Callable[[], bytes],
    *,
    base_url: str,
    api_key: str,
    api_version: str,
    force_refresh: bool = False,
) -> SpecModel:
    """Return the model of the endpoint's spec, downloading it when the cache is stale.

    Parameters
    ----------
    download : callable
        Returns the raw ``/endpoints`` body; called only on a cache miss or refresh.
    base_url, api_key, api_version : str
        Identify the cached copy.
    force_refresh : bool
        Download even when a fresh copy is cached.

    Examples
    --------
    >>> body = b'{"paths": {}}'
    >>> model = load_downloaded_spec(lambda: body, base_url="http://h/",
    ...                              api_key="k", api_version="1.0")  # doctest: +SKIP
    """
    path = cached_spec_path(base_url, api_key, api_version)
    if not force_refresh:
        try:
            age = time.time() - path.stat().st_mtime
            if 0 <= age < spec_ttl_seconds(base_url):
                return load_spec_file(path)
        except (OSError, ValueError):
            pass
    content = download()
    json.loads(content)  # refuse to cache a body that is not JSON
    _write_atomically(path, content)
    return _model_from_bytes(content)
