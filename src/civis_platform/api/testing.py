"""``POST /testing/reset``: only mounted when ``Settings.testing`` is on, never in the spec."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civis_platform.api.deps import current_user
from civis_platform.services.bootstrap import reset
from civis_platform.services.errors import ForbiddenError

RESET_PATH = "/testing/reset"


async def reset_endpoint(request: Request) -> Response:
    """Admins only: wipe everything but the seed, and forget cached keys and counters."""
    if not current_user(request).is_admin:
        raise ForbiddenError("Only an admin may reset the server.")
    state = request.app.state
    await run_in_threadpool(reset, state.store)
    state.verifier.clear()
    state.limiter.clear()
    return Response(status_code=204)


def testing_routes() -> list[Route]:
    """The routes a testing-mode app adds."""
    return [Route(RESET_PATH, reset_endpoint, methods=["POST"])]
