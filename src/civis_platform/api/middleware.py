"""Pure ASGI middleware: path normalisation, authentication and rate limiting.

Written as plain ASGI (not BaseHTTPMiddleware) so context and streaming are untouched.
Every authenticated response gets ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civis_platform.api.errors import render_domain_error
from civis_platform.errors import DomainError, RateLimitedError, UnauthorizedError
from civis_platform.services.auth import KeyVerifier, RateLimiter
from civis_platform.services.context import Principal


def token_from_header(value: str | None) -> str:
    """The API key in an ``Authorization`` header (Basic key-as-username, or Bearer).

    Examples:
        >>> token_from_header("Bearer abc")
        'abc'
        >>> token_from_header("Basic " + base64.b64encode(b"abc:").decode())
        'abc'
    """
    if not value:
        raise UnauthorizedError("An API key is required (HTTP Basic or Bearer).")
    scheme, _, credentials = value.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer" and credentials:
        return credentials
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise UnauthorizedError("Malformed Basic credentials.") from None
        username, _, _password = decoded.partition(":")
        if username:
            return username
    raise UnauthorizedError("An API key is required (HTTP Basic or Bearer).")


class CivisMiddleware:
    """Strip trailing slashes, authenticate, count requests, stamp rate-limit headers."""

    def __init__(self, app: ASGIApp, verifier: KeyVerifier, limiter: RateLimiter) -> None:
        self.app = app
        self.verifier = verifier
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if "//" in path:
            # The official CLI joins an endpoint ending in "/" with a spec path starting
            # with one ("http://host//scripts/").
            path = re.sub("/{2,}", "/", path)
            scope = {**scope, "path": path}
        if len(path) > 1 and path.endswith("/"):
            # The spec writes list paths as "/files/"; the official client calls "/files".
            scope = {**scope, "path": path.rstrip("/") or "/"}
        try:
            principal = await self._authenticate(scope)
            remaining, reset = self.limiter.hit(principal.id)
            if remaining < 0:
                raise RateLimitedError(
                    f"Rate limit of {self.limiter.limit} requests per "
                    f"{self.limiter.window_seconds} seconds exceeded.",
                    retry_after=reset,
                )
        except DomainError as error:
            response = render_domain_error(error)
            if isinstance(error, RateLimitedError):
                response.headers["X-RateLimit-Limit"] = str(self.limiter.limit)
                response.headers["X-RateLimit-Remaining"] = "0"
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        rate_headers = [
            (b"x-ratelimit-limit", str(self.limiter.limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *rate_headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _authenticate(self, scope: Scope) -> Principal:
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        token = token_from_header(header)
        cached = self.verifier.cached(token)
        if cached is not None:
            return cached
        # A cache miss runs scrypt and a query: keep it off the event loop.
        principal: Any = await run_in_threadpool(self.verifier.verify, token)
        return principal
