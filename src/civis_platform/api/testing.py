"""``POST /testing/reset``: only mounted when ``Settings.testing`` is on, never in the spec."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from civis_platform.api.deps import platform_of, service_context
from civis_platform.services.bootstrap import reset

RESET_PATH = "/testing/reset"


async def reset_endpoint(request: Request) -> Response:
    """Admins only: wipe everything but the seed, and forget cached keys and counters."""
    platform = platform_of(request)
    await run_in_threadpool(reset, service_context(request))
    platform.verifier.clear()
    platform.limiter.clear()
    return Response(status_code=204)


def testing_routes() -> list[Route]:
    """The routes a testing-mode app adds."""
    return [Route(RESET_PATH, reset_endpoint, methods=["POST"])]
