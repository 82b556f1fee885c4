"""civis: a fast, typed client for the Civis Data Science API.

Importing ``civis`` is cheap: the HTTP stack (requests) loads with the first request, and
the submodules (``io``, ``ml``, ``parallel``, ``futures``, ``utils``) on first use.

Examples
--------
>>> import civis
>>> client = civis.APIClient()  # doctest: +SKIP
>>> civis.find_one(client.databases.list(), name="redshift-general")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from civis._http import RetryPolicy, Timeouts
from civis.client import APIClient
from civis.response import ListResponse, PaginatedResponse, Response, find, find_one

if TYPE_CHECKING:
    from civis.loggers import civis_logger

    __version__: str

__all__ = [
    "APIClient",
    "ListResponse",
    "PaginatedResponse",
    "Response",
    "RetryPolicy",
    "Timeouts",
    "__version__",
    "civis_logger",
    "find",
    "find_one",
    "futures",
    "io",
    "utils",
]

# Imported on first attribute access; they may not all exist yet.
_LAZY_SUBMODULES = frozenset(
    {"io", "ml", "parallel", "futures", "polling", "utils", "cli", "tests", "resources"}
)


def __getattr__(name: str) -> Any:
    if name == "civis_logger":
        # logging is a sizeable import that many users of the client never need.
        from civis.loggers import civis_logger

        globals()["civis_logger"] = civis_logger
        return civis_logger
    if name == "__version__":
        # importlib.metadata costs ~50 ms to import: only pay when someone asks.
        from importlib.metadata import version

        globals()["__version__"] = value = version("civis-platform")
        return value
    if name in _LAZY_SUBMODULES:
        module = importlib.import_module(f"civis.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'civis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
