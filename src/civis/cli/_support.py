"""What the hand-written commands share: one client per invocation, errors as messages."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["api_errors", "client_of"]

F = TypeVar("F", bound=Callable[..., Any])


def client_of(ctx: click.Context) -> Any:
    """The `APIClient` of this invocation (made once, kept in the click context)."""
    meta = ctx.find_root().meta
    if "civis.client" not in meta:
        if not os.environ.get("CIVIS_API_KEY"):
            raise click.ClickException("set CIVIS_API_KEY to use the civis command line")
        from civis.client import APIClient

        meta["civis.client"] = APIClient(user_agent="civis-cli")
    return meta["civis.client"]


def api_errors(fn: F) -> F:
    """Turn API errors and failed runs into a message on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from civis.base import CivisAPIError, CivisJobFailure

        try:
            return fn(*args, **kwargs)
        except (CivisAPIError, CivisJobFailure, OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]
