"""Per-request wiring: the service Context from the authenticated request."""

from __future__ import annotations

from starlette.requests import Request

from civis_platform.errors import UnauthorizedError
from civis_platform.services.context import Context, Principal
from civis_platform.services.platform import Platform


def current_user(request: Request) -> Principal:
    """The principal the auth middleware put on the request."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise UnauthorizedError("An API key is required (HTTP Basic or Bearer).")
    return principal


def platform_of(request: Request) -> Platform:
    """The `Platform` of the app serving ``request``."""
    platform: Platform = request.app.state.platform
    return platform


def service_context(request: Request) -> Context:
    """The Context every service call receives first."""
    return Context(user=current_user(request), platform=platform_of(request))
