"""Per-request wiring: the service Context from the authenticated request."""

from __future__ import annotations

from starlette.requests import Request

from civis_platform.errors import UnauthorizedError
from civis_platform.services.context import Context, Principal


def current_user(request: Request) -> Principal:
    """The principal the auth middleware put on the request."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        raise UnauthorizedError("An API key is required (HTTP Basic or Bearer).")
    return principal


def service_context(request: Request) -> Context:
    """The Context every service call receives first."""
    state = request.app.state
    dispatcher = getattr(state, "dispatcher", None)
    hooks = (
        {"wake_runner": dispatcher.notify, "cancel_run": dispatcher.request_cancel}
        if dispatcher is not None
        else {}
    )
    return Context(
        user=current_user(request),
        store=state.store,
        settings=state.settings,
        evict_key=state.verifier.evict_key,
        evict_user=state.verifier.evict_user,
        warehouses=getattr(state, "warehouses", None),
        **hooks,
    )
